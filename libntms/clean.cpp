// CleanNtmsDrive: Manager.CleanDrive of ntmsd. InjectNtmsCleaner and EjectNtmsCleaner: the inject
// and eject jobs of InjectNtmsMedia and EjectNtmsMedia, for cleaning cartridges (ntmsd knows a
// cleaner by its bar code, the library's CleanerPrefix=, and counts its uses itself).
#include "entry.hpp"
#include "objects.hpp"
#include "text.hpp"

#include <map>
#include <optional>
#include <string>

using ntms::lib::Session;

namespace {

// The cleaner EjectNtmsCleaner takes out: a spent one first, else the one with the fewest
// cleanings left; only cleaners in the library (state 0) whose uses ntmsd counts.
std::optional<NTMS_GUID> cleaner_to_eject(Session& s, const NTMS_GUID& library) {
    const auto path = s.library_path(ntms::lib::guid_string(library));
    std::optional<NTMS_GUID> best;
    uint32_t best_left = 0;
    for (const auto& m : s.describe_media(path)) {
        const auto& d = m.get<1>();
        const auto left = d.find("cleanings-left");
        const auto state = d.find("state-number");
        if (left == d.end() || !left->second.containsValueOfType<uint32_t>() || state == d.end() ||
            !state->second.containsValueOfType<uint32_t>() || state->second.get<uint32_t>() != 0)
            continue;
        const auto id = ntms::lib::parse_guid(m.get<0>());
        const uint32_t n = left->second.get<uint32_t>();
        if (id && (!best || n < best_left)) {
            best = *id;
            best_left = n;
        }
    }
    return best;
}

} // namespace

DWORD WINAPI CleanNtmsDrive(HANDLE hSession, LPNTMS_GUID lpDriveId) {
    return ntms::lib::with_session(hSession, [&](Session& s) -> DWORD {
        if (!lpDriveId)
            return ERROR_INVALID_PARAMETER;
        std::map<std::string, sdbus::Variant> options;
        if (!s.application().empty())
            options.emplace("application", sdbus::Variant(s.application()));
        // RSM's CleanNtmsDrive returns once the cleaning is queued.
        s.clean(ntms::lib::guid_string(*lpDriveId), options);
        return ERROR_SUCCESS;
    });
}

DWORD WINAPI InjectNtmsCleaner(HANDLE hSession, LPNTMS_GUID lpLibrary,
                               LPNTMS_GUID lpInjectOperation, DWORD dwNumberOfCleansLeft,
                               DWORD dwAction) {
    // ntmsd counts a cleaner's cleanings from MaxCleanings= and the cleanings it ran:
    // dwNumberOfCleansLeft is not recorded.
    (void)dwNumberOfCleansLeft;
    const DWORD checked = ntms::lib::with_session(hSession, [&](Session&) -> DWORD {
        return dwAction == NTMS_INJECT_START || dwAction == NTMS_INJECT_STOP
                   ? ERROR_SUCCESS
                   : ERROR_INVALID_PARAMETER;
    });
    if (checked != ERROR_SUCCESS)
        return checked;
    return InjectNtmsMedia(hSession, lpLibrary, lpInjectOperation, dwAction);
}

DWORD WINAPI EjectNtmsCleaner(HANDLE hSession, LPNTMS_GUID lpLibrary, LPNTMS_GUID lpEjectOperation,
                              DWORD dwAction) {
    NTMS_GUID cleaner{};
    const DWORD found = ntms::lib::with_session(hSession, [&](Session& s) -> DWORD {
        if ((dwAction != NTMS_EJECT_START && dwAction != NTMS_EJECT_STOP) || !lpEjectOperation ||
            (dwAction == NTMS_EJECT_START && !lpLibrary))
            return ERROR_INVALID_PARAMETER;
        if (dwAction == NTMS_EJECT_STOP)
            return ERROR_SUCCESS;
        const auto c = cleaner_to_eject(s, *lpLibrary);
        if (!c)
            return ERROR_RESOURCE_NOT_PRESENT;
        cleaner = *c;
        return ERROR_SUCCESS;
    });
    if (found != ERROR_SUCCESS)
        return found;
    return EjectNtmsMedia(hSession, dwAction == NTMS_EJECT_START ? &cleaner : nullptr,
                          lpEjectOperation, dwAction);
}
