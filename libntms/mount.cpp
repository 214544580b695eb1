// MountNtmsMedia and DismountNtmsMedia: Manager.MountMedia and DismountMedia of ntmsd. A mount
// waits for its job, following the job's signals, unless NTMS_MOUNT_NOWAIT: then the job's GUID
// goes where lpMountInformation->lpReserved points (when it does), for the caller's own wait.
#include "entry.hpp"
#include "objects.hpp"
#include "signals.hpp"
#include "text.hpp"

#include <map>
#include <string>
#include <vector>

using ntms::bus::job_iface;
using ntms::lib::Session;

namespace {

// ntmsd fails a mount that still waits for a drive at its time-out; a mount already moving the
// robot then ends within a move's time. The caller's wait allows for that.
constexpr DWORD robot_grace_ms = 120000;

std::map<std::string, sdbus::Variant> options_of(Session& s) {
    std::map<std::string, sdbus::Variant> options;
    if (!s.application().empty())
        options.emplace("application", sdbus::Variant(s.application()));
    return options;
}

// Waits for the job to end; its Job properties then.
DWORD wait_job(Session& s, Session::Hold& hold, const std::string& job, DWORD timeout_ms,
               ntms::lib::Properties& out) {
    const ntms::lib::Deadline deadline(timeout_ms == INFINITE
                                           ? INFINITE
                                           : (timeout_ms > INFINITE - 1 - robot_grace_ms
                                                  ? INFINITE - 1
                                                  : timeout_ms + robot_grace_ms));
    ntms::lib::Wakeup wakeup(s);
    auto path = s.job_path(job);
    bool changed = true;
    ntms::lib::Subscription subscription(s, wakeup);
    subscription.add(ntms::lib::object_rule(path), [&changed](sdbus::Message&) { changed = true; });
    for (;;) {
        s.dispatch();
        if (s.closed())
            return ERROR_INVALID_HANDLE;
        if (subscription.daemon_left())
            return ERROR_NOT_READY;
        if (changed) {
            changed = false;
            // A job that ended may have left the bus: GetJob exports it again.
            path = s.job_path(job);
            out = s.properties(path, job_iface);
            const auto state = ntms::lib::prop<uint32_t>(out, "State");
            if (state == NTMS_LM_PASSED || state == NTMS_LM_FAILED || state == NTMS_LM_CANCELLED ||
                state == NTMS_LM_STOPPED || state == NTMS_LM_INVALID)
                return ERROR_SUCCESS;
            continue;
        }
        if (deadline.passed())
            return ERROR_TIMEOUT;
        const auto bus = s.poll_data();
        hold.release();
        wakeup.sleep(bus, deadline);
        hold.acquire();
    }
}

} // namespace

DWORD WINAPI MountNtmsMedia(HANDLE hSession, LPNTMS_GUID lpMediaId, LPNTMS_GUID lpDriveId,
                            DWORD dwCount, DWORD dwOptions, int dwPriority, DWORD dwTimeout,
                            LPNTMS_MOUNT_INFORMATION lpMountInformation) {
    return ntms::lib::guarded([&]() -> DWORD {
        auto s = ntms::lib::find_session(hSession);
        if (!s)
            return ERROR_INVALID_HANDLE;
        // RSM's server: a count, the media, and the drives that are asked for or received.
        if (dwCount == 0 || !lpMediaId || !lpDriveId)
            return ERROR_INVALID_PARAMETER;
        Session::Hold hold(*s);
        std::vector<std::string> media, drives;
        for (DWORD i = 0; i < dwCount; ++i) {
            media.push_back(ntms::lib::guid_string(lpMediaId[i]));
            if (dwOptions & NTMS_MOUNT_SPECIFIC_DRIVE)
                drives.push_back(ntms::lib::guid_string(lpDriveId[i]));
        }
        auto options = options_of(*s);
        if (dwTimeout != INFINITE)
            options.emplace("timeout", sdbus::Variant(static_cast<uint32_t>(
                                           dwTimeout / 1000 + (dwTimeout % 1000 != 0 ? 1 : 0))));
        const auto [job, path] = s->mount(media, drives, dwOptions, dwPriority, options);
        if (dwOptions & NTMS_MOUNT_NOWAIT) {
            if (lpMountInformation &&
                lpMountInformation->dwSize >= sizeof(NTMS_MOUNT_INFORMATION) &&
                lpMountInformation->lpReserved) {
                const auto id = ntms::lib::parse_guid(job);
                if (!id)
                    return ERROR_GEN_FAILURE;
                *static_cast<LPNTMS_GUID>(lpMountInformation->lpReserved) = *id;
            }
            return ERROR_SUCCESS;
        }
        ntms::lib::Properties props;
        if (const DWORD rc = wait_job(*s, hold, job, dwTimeout, props); rc != ERROR_SUCCESS)
            return rc;
        const auto state = ntms::lib::prop<uint32_t>(props, "State");
        if (state == NTMS_LM_CANCELLED)
            return ERROR_CANCELLED;
        if (state != NTMS_LM_PASSED) {
            const auto error = ntms::lib::prop<uint32_t>(props, "Error");
            return error != ERROR_SUCCESS ? error : ERROR_OPERATION_ABORTED;
        }
        const auto got =
            ntms::lib::prop<std::vector<std::string>>(s->properties(path, job_iface), "Drives");
        if (got.size() != dwCount)
            return ERROR_GEN_FAILURE;
        for (DWORD i = 0; i < dwCount; ++i) {
            const auto id = ntms::lib::parse_guid(got[i]);
            if (!id)
                return ERROR_GEN_FAILURE;
            lpDriveId[i] = *id;
        }
        return ERROR_SUCCESS;
    });
}

DWORD WINAPI DismountNtmsMedia(HANDLE hSession, LPNTMS_GUID lpMediaId, DWORD dwCount,
                               DWORD dwOptions) {
    return ntms::lib::with_session(hSession, [&](Session& s) -> DWORD {
        if (dwCount == 0 || !lpMediaId)
            return ERROR_INVALID_PARAMETER;
        std::vector<std::string> media;
        for (DWORD i = 0; i < dwCount; ++i)
            media.push_back(ntms::lib::guid_string(lpMediaId[i]));
        // RSM's DismountNtmsMedia returns once the dismount is queued.
        s.dismount(media, dwOptions, options_of(s));
        return ERROR_SUCCESS;
    });
}
