// EjectNtmsMedia: Manager.EjectMedia of ntmsd. The checks RSM's server makes first (MS-RSMP
// 3.2.5.2.1.1: no action above FORCE, the pointers it needs) are made here too, before the bus.
#include "entry.hpp"
#include "text.hpp"

#include <map>
#include <string>

using ntms::lib::Session;

DWORD WINAPI EjectNtmsMedia(HANDLE hSession, LPNTMS_GUID lpMediaId, LPNTMS_GUID lpEjectOperation,
                            DWORD dwAction) {
    return ntms::lib::with_session(hSession, [&](Session& s) -> DWORD {
        const bool starts = dwAction == NTMS_EJECT_START || dwAction == NTMS_EJECT_FORCE;
        // IMMEDIATE and ASK_USER are above FORCE. The operation is read by STOP and written by
        // START and FORCE; QUEUE does not use it. Only START may leave out the medium: it then
        // ejects the queued media.
        if (dwAction > NTMS_EJECT_FORCE || (!lpEjectOperation && dwAction != NTMS_EJECT_QUEUE) ||
            (!lpMediaId && dwAction != NTMS_EJECT_START && dwAction != NTMS_EJECT_STOP))
            return ERROR_INVALID_PARAMETER;
        std::map<std::string, sdbus::Variant> options;
        if (!s.application().empty())
            options.emplace("application", sdbus::Variant(s.application()));
        // The session's MaxExtendSecs (NtmsSetInjectTimeout), which RSM applies to ejects too.
        if (starts && s.inject_timeout != 0)
            options.emplace("timeout", sdbus::Variant(static_cast<uint32_t>(s.inject_timeout)));
        const std::string media =
            lpMediaId && dwAction != NTMS_EJECT_STOP ? ntms::lib::guid_string(*lpMediaId) : "";
        const std::string job =
            dwAction == NTMS_EJECT_STOP ? ntms::lib::guid_string(*lpEjectOperation) : "";
        const auto [id, path] = s.eject(media, dwAction, job, options);
        if (starts) {
            const auto parsed = ntms::lib::parse_guid(id);
            if (!parsed)
                return ERROR_GEN_FAILURE;
            *lpEjectOperation = *parsed;
        }
        return ERROR_SUCCESS;
    });
}
