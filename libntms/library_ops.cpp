// InventoryNtmsLibrary and AccessNtmsLibraryDoor: each asks the library's object on the bus for a
// job (Library.Inventory, Library.AccessDoor) and returns once ntmsd has queued it; the job is
// followed like any other library request (NTMS_LIBREQUEST, CancelNtmsLibraryRequest).
#include "entry.hpp"
#include "text.hpp"

using ntms::lib::Session;
using ntms::lib::with_session;

namespace {

DWORD library_job(HANDLE hSession, LPNTMS_GUID lpLibraryId, const char* method, DWORD dwAction) {
    return with_session(hSession, [&](Session& s) -> DWORD {
        if (!lpLibraryId)
            return ERROR_INVALID_PARAMETER;
        const auto path = s.library_path(ntms::lib::guid_string(*lpLibraryId));
        (void)s.library_job(path, method, dwAction);
        return ERROR_SUCCESS;
    });
}

} // namespace

DWORD WINAPI InventoryNtmsLibrary(HANDLE hSession, LPNTMS_GUID lpLibraryId, DWORD dwAction) {
    return library_job(hSession, lpLibraryId, "Inventory", dwAction);
}

DWORD WINAPI AccessNtmsLibraryDoor(HANDLE hSession, LPNTMS_GUID lpLibraryId, DWORD dwAction) {
    return library_job(hSession, lpLibraryId, "AccessDoor", dwAction);
}
