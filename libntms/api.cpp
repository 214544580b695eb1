// The C ABI. Every entry point validates its handle through the registry, holds the session's
// mutex for the length of its bus calls, and turns every exception into a Win32 code: nothing
// thrown ever reaches the caller.
#include "entry.hpp"
#include "last_error.hpp"
#include "notification.hpp"
#include "objects.hpp"
#include "session.hpp"
#include "signals.hpp"
#include "text.hpp"

#include "dbus/errors.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>

using ntms::lib::from_dbus;
using ntms::lib::guarded;
using ntms::bus::oprequest_iface;
using ntms::lib::prop;
using ntms::lib::Session;
using ntms::lib::with_session;

namespace ntms::lib {
thread_local DWORD last_error = ERROR_SUCCESS;
} // namespace ntms::lib

namespace {

using ntms::lib::last_error;

template <typename Info> DWORD get_information(HANDLE h, const NTMS_GUID* id, Info* out) {
    return with_session(h, [&](Session& s) -> DWORD {
        if (!id || !out || out->dwSize != sizeof(Info))
            return ERROR_INVALID_PARAMETER;
        if (const DWORD rc = ntms::lib::type_supported(out->dwType); rc != ERROR_SUCCESS)
            return rc;
        // Filled aside, so that the caller's structure is written only on success.
        Info info{};
        info.dwSize = sizeof(Info);
        info.dwType = out->dwType;
        info.ObjectGuid = *id;
        const DWORD rc = ntms::lib::fill_object(s, *id, info);
        if (rc == ERROR_SUCCESS)
            std::memcpy(out, &info, sizeof info);
        return rc;
    });
}

DWORD open_error(const sdbus::Error& e) {
    const DWORD code = from_dbus(e);
    // Before ntmsd answered, "not connected" is all a foreign error can mean.
    return code == ERROR_GEN_FAILURE ? ERROR_NOT_CONNECTED : code;
}

bool valid_host(const std::string& host) {
    // ssh would read a leading '-' as an option; blanks and control characters are no host.
    if (host.front() == '-')
        return false;
    return std::none_of(host.begin(), host.end(),
                        [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; });
}

HANDLE open_session(const std::string& host, const std::string& application,
                    DWORD options) noexcept {
    try {
        if ((options & ~static_cast<DWORD>(NTMS_SESSION_QUERYEXPEDITE)) != 0) {
            last_error = ERROR_INVALID_PARAMETER;
            return INVALID_HANDLE_VALUE;
        }
        if (!host.empty() && !valid_host(host)) {
            last_error = ERROR_INVALID_COMPUTERNAME;
            return INVALID_HANDLE_VALUE;
        }
        auto s = std::make_shared<Session>(host, application);
        HANDLE h = ntms::lib::register_session(std::move(s));
        last_error = ERROR_SUCCESS;
        return h;
    } catch (const sdbus::Error& e) {
        last_error = open_error(e);
    } catch (const std::bad_alloc&) {
        last_error = ERROR_NOT_ENOUGH_MEMORY;
    } catch (...) {
        last_error = ERROR_NOT_CONNECTED;
    }
    return INVALID_HANDLE_VALUE;
}

} // namespace

extern "C" {

HANDLE WINAPI OpenNtmsSessionA(LPCSTR lpServer, LPCSTR lpApplication, DWORD dwOptions) {
    try {
        return open_session(lpServer ? lpServer : "", lpApplication ? lpApplication : "",
                            dwOptions);
    } catch (...) {
        last_error = ERROR_NOT_ENOUGH_MEMORY; // only the two strings above can throw
        return INVALID_HANDLE_VALUE;
    }
}

HANDLE WINAPI OpenNtmsSessionW(LPCWSTR lpServer, LPCWSTR lpApplication, DWORD dwOptions) {
    try {
        auto server = lpServer ? ntms::lib::utf8(lpServer) : std::string();
        auto application = lpApplication ? ntms::lib::utf8(lpApplication) : std::string();
        if (!server || !application) {
            last_error = ERROR_INVALID_PARAMETER;
            return INVALID_HANDLE_VALUE;
        }
        return open_session(*server, *application, dwOptions);
    } catch (...) {
        last_error = ERROR_NOT_ENOUGH_MEMORY;
        return INVALID_HANDLE_VALUE;
    }
}

DWORD WINAPI CloseNtmsSession(HANDLE hSession) {
    return guarded([&]() -> DWORD {
        return ntms::lib::unregister_session(hSession) ? ERROR_SUCCESS : ERROR_INVALID_HANDLE;
    });
}

DWORD WINAPI InjectNtmsMedia(HANDLE hSession, LPNTMS_GUID lpLibraryId,
                             LPNTMS_GUID lpInjectOperation, DWORD dwAction) {
    return with_session(hSession, [&](Session& s) -> DWORD {
        if (!lpLibraryId || !lpInjectOperation || dwAction > NTMS_INJECT_STARTMANY)
            return ERROR_INVALID_PARAMETER;
        const bool starts = dwAction == NTMS_INJECT_START || dwAction == NTMS_INJECT_STARTMANY;
        std::map<std::string, sdbus::Variant> options;
        if (!s.application().empty())
            options.emplace("application", sdbus::Variant(s.application()));
        if (starts && s.inject_timeout != 0)
            options.emplace("timeout", sdbus::Variant(static_cast<uint32_t>(s.inject_timeout)));
        const auto [job, path] =
            s.inject(ntms::lib::guid_string(*lpLibraryId), dwAction,
                     starts ? std::string() : ntms::lib::guid_string(*lpInjectOperation), options);
        if (starts) {
            const auto id = ntms::lib::parse_guid(job);
            if (!id)
                return ERROR_GEN_FAILURE;
            *lpInjectOperation = *id;
        }
        return ERROR_SUCCESS;
    });
}

DWORD WINAPI EnumerateNtmsObject(HANDLE hSession, const LPNTMS_GUID lpContainerId,
                                 LPNTMS_GUID lpList, LPDWORD lpdwListSize, DWORD dwType,
                                 DWORD dwOptions) {
    return with_session(hSession, [&](Session& s) -> DWORD {
        if (!lpdwListSize || (!lpList && *lpdwListSize != 0) || dwOptions != 0)
            return ERROR_INVALID_PARAMETER;
        std::vector<NTMS_GUID> list;
        if (const DWORD rc = ntms::lib::list_objects(s, lpContainerId, dwType, list);
            rc != ERROR_SUCCESS)
            return rc;
        const size_t room = std::min<size_t>(*lpdwListSize, list.size());
        std::copy_n(list.begin(), room, lpList);
        const DWORD rc = room < list.size() ? ERROR_INSUFFICIENT_BUFFER : ERROR_SUCCESS;
        *lpdwListSize = static_cast<DWORD>(list.size());
        return rc;
    });
}

DWORD WINAPI GetNtmsObjectInformationA(HANDLE hSession, LPNTMS_GUID lpObjectId,
                                       LPNTMS_OBJECTINFORMATIONA lpInfo) {
    return get_information(hSession, lpObjectId, lpInfo);
}

DWORD WINAPI GetNtmsObjectInformationW(HANDLE hSession, LPNTMS_GUID lpObjectId,
                                       LPNTMS_OBJECTINFORMATIONW lpInfo) {
    return get_information(hSession, lpObjectId, lpInfo);
}

DWORD WINAPI CancelNtmsLibraryRequest(HANDLE hSession, LPNTMS_GUID lpRequestId) {
    return with_session(hSession, [&](Session& s) -> DWORD {
        if (!lpRequestId)
            return ERROR_INVALID_PARAMETER;
        s.cancel_job(s.job_path(ntms::lib::guid_string(*lpRequestId)));
        return ERROR_SUCCESS;
    });
}

DWORD WINAPI WaitForNtmsOperatorRequest(HANDLE hSession, LPNTMS_GUID lpRequestId,
                                        DWORD dwTimeout) {
    return guarded([&]() -> DWORD {
        const ntms::lib::Deadline deadline(dwTimeout);
        auto s = ntms::lib::find_session(hSession);
        if (!s)
            return ERROR_INVALID_HANDLE;
        if (!lpRequestId)
            return ERROR_INVALID_PARAMETER;
        Session::Hold hold(*s);
        ntms::lib::Wakeup wakeup(*s);
        const auto path = s->oprequest_path(ntms::lib::guid_string(*lpRequestId));
        bool changed = true; // nothing read yet
        // Subscribed before the first read: a change after it comes as a signal.
        ntms::lib::Subscription subscription(*s, wakeup);
        subscription.add(ntms::lib::object_rule(path), [&changed](sdbus::Message&) {
            changed = true;
        });
        for (;;) {
            s->dispatch();
            if (s->closed())
                return ERROR_INVALID_HANDLE;
            if (subscription.daemon_left())
                return ERROR_NOT_READY;
            if (changed) {
                changed = false;
                const auto state = prop<uint32_t>(s->properties(path, oprequest_iface), "State");
                if (state == NTMS_OPSTATE_COMPLETE)
                    return ERROR_SUCCESS;
                if (state == NTMS_OPSTATE_REFUSED)
                    return ERROR_CANCELLED;
                continue; // what the read brought along is dispatched first
            }
            if (deadline.passed())
                return ERROR_TIMEOUT;
            // The session is left to other threads while this one sleeps.
            const auto bus = s->poll_data();
            hold.release();
            wakeup.sleep(bus, deadline);
            hold.acquire();
        }
    });
}

DWORD WINAPI CancelNtmsOperatorRequest(HANDLE hSession, LPNTMS_GUID lpRequestId) {
    return with_session(hSession, [&](Session& s) -> DWORD {
        if (!lpRequestId)
            return ERROR_INVALID_PARAMETER;
        s.cancel_oprequest(s.oprequest_path(ntms::lib::guid_string(*lpRequestId)));
        return ERROR_SUCCESS;
    });
}

DWORD WINAPI SatisfyNtmsOperatorRequest(HANDLE hSession, LPNTMS_GUID lpRequestId) {
    return with_session(hSession, [&](Session& s) -> DWORD {
        if (!lpRequestId)
            return ERROR_INVALID_PARAMETER;
        s.satisfy_oprequest(s.oprequest_path(ntms::lib::guid_string(*lpRequestId)));
        return ERROR_SUCCESS;
    });
}

HANDLE WINAPI OpenNtmsNotification(HANDLE hSession, DWORD dwType) {
    HANDLE h = INVALID_HANDLE_VALUE;
    const DWORD rc = guarded([&]() -> DWORD {
        auto s = ntms::lib::find_session(hSession);
        if (!s)
            return ERROR_INVALID_HANDLE;
        if (dwType == NTMS_UNKNOWN || dwType >= NTMS_NUMBER_OF_OBJECT_TYPES)
            return ERROR_INVALID_PARAMETER;
        if (dwType != NTMS_LIBREQUEST && dwType != NTMS_OPREQUEST)
            return ERROR_NOT_SUPPORTED;
        // The rules are added (and removed, should this fail) under the session's mutex.
        Session::Hold hold(*s);
        if (s->closed())
            return ERROR_INVALID_HANDLE;
        h = ntms::lib::register_notification(std::make_shared<ntms::lib::Notification>(s, dwType));
        return ERROR_SUCCESS;
    });
    last_error = rc;
    return rc == ERROR_SUCCESS ? h : INVALID_HANDLE_VALUE;
}

DWORD WINAPI WaitForNtmsNotification(HANDLE hNotification,
                                     LPNTMS_NOTIFICATIONINFORMATION lpNotificationInformation,
                                     DWORD dwTimeout) {
    return guarded([&]() -> DWORD {
        auto n = ntms::lib::find_notification(hNotification);
        if (!n)
            return ERROR_INVALID_HANDLE;
        if (!lpNotificationInformation)
            return ERROR_INVALID_PARAMETER;
        NTMS_NOTIFICATIONINFORMATION next{};
        const DWORD rc = n->wait(next, dwTimeout);
        if (rc == ERROR_SUCCESS)
            *lpNotificationInformation = next;
        return rc;
    });
}

DWORD WINAPI CloseNtmsNotification(HANDLE hNotification) {
    return guarded([&]() -> DWORD {
        auto n = ntms::lib::unregister_notification(hNotification);
        if (!n)
            return ERROR_INVALID_HANDLE;
        n->close();
        return ERROR_SUCCESS;
    });
}

DWORD NtmsSetInjectTimeout(HANDLE hSession, DWORD dwSeconds) {
    return with_session(hSession, [&](Session& s) -> DWORD {
        if (dwSeconds > 65535)
            return ERROR_INVALID_PARAMETER;
        s.inject_timeout = dwSeconds;
        return ERROR_SUCCESS;
    });
}

DWORD NtmsBackupDatabase(HANDLE hSession, int fd) {
    return with_session(hSession, [&](Session& s) -> DWORD {
        if (fd < 0)
            return ERROR_INVALID_PARAMETER;
        // A descriptor cannot travel over ssh: the backup is made on the host itself.
        if (!s.host().empty())
            return ERROR_NOT_SUPPORTED;
        s.backup(fd);
        return ERROR_SUCCESS;
    });
}

DWORD NtmsCheckDatabase(HANDLE hSession, BOOL* lpOk, LPSTR lpProblems, LPDWORD lpdwSize) {
    return with_session(hSession, [&](Session& s) -> DWORD {
        if (!lpOk || !lpdwSize || (!lpProblems && *lpdwSize != 0))
            return ERROR_INVALID_PARAMETER;
        auto [ok, problems] = s.check_database();
        // Each problem with its NUL, then one more NUL: a list that ends with an empty string.
        size_t need = 1;
        for (const auto& p : problems)
            need += p.size() + 1;
        if (need > std::numeric_limits<DWORD>::max())
            return ERROR_GEN_FAILURE;
        *lpOk = ok ? TRUE : FALSE;
        const DWORD rc = need > *lpdwSize ? ERROR_INSUFFICIENT_BUFFER : ERROR_SUCCESS;
        if (rc == ERROR_SUCCESS) {
            char* out = lpProblems;
            for (const auto& p : problems) {
                std::copy(p.begin(), p.end(), out);
                out += p.size();
                *out++ = '\0';
            }
            *out = '\0';
        }
        *lpdwSize = static_cast<DWORD>(need);
        return rc;
    });
}

DWORD NtmsGetLastError(void) { return last_error; }

const char* NtmsErrorString(DWORD dwError) {
    return ntms::lib::error_text(dwError);
}

} // extern "C"
