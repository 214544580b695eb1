// The C ABI. Every entry point validates its handle through the registry, holds the session's
// mutex for the length of its bus calls, and turns every exception into a Win32 code: nothing
// thrown ever reaches the caller.
#include "last_error.hpp"
#include "notification.hpp"
#include "session.hpp"
#include "signals.hpp"
#include "text.hpp"

#include "common/vocabulary.hpp"
#include "dbus/errors.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <string_view>
#include <unistd.h>

using ntms::lib::Properties;
using ntms::lib::Session;

namespace ntms::lib {
thread_local DWORD last_error = ERROR_SUCCESS;
} // namespace ntms::lib

namespace {

using ntms::lib::last_error;

constexpr const char* library_iface = "org.ntms.Ntms1.Library";
constexpr const char* job_iface = "org.ntms.Ntms1.Job";
constexpr const char* oprequest_iface = "org.ntms.Ntms1.OperatorRequest";

using Port = sdbus::Struct<uint16_t, uint16_t, bool, bool, uint16_t>;

// Errors that do not come from ntmsd's table: the bus's own, or sd-bus's local ones.
DWORD from_dbus(const sdbus::Error& e) {
    if (auto code = ntms::dbus::error_code(e.getName(), e.getMessage()))
        return *code;
    const std::string& n = e.getName();
    if (n == "org.freedesktop.DBus.Error.AccessDenied")
        return ERROR_ACCESS_DENIED;
    if (n == "org.freedesktop.DBus.Error.UnknownObject")
        return ERROR_OBJECT_NOT_FOUND;
    if (n == "org.freedesktop.DBus.Error.InvalidArgs")
        return ERROR_INVALID_PARAMETER;
    if (n == "org.freedesktop.DBus.Error.NoMemory")
        return ERROR_NOT_ENOUGH_MEMORY;
    if (n == "org.freedesktop.DBus.Error.ServiceUnknown" ||
        n == "org.freedesktop.DBus.Error.NameHasNoOwner")
        return ERROR_NOT_READY;
    if (n == "org.freedesktop.DBus.Error.UnknownMethod" ||
        n == "org.freedesktop.DBus.Error.UnknownInterface")
        return RPC_S_NO_INTERFACES;
    return ERROR_NOT_CONNECTED;
}

template <typename F> DWORD guarded(F&& f) noexcept {
    try {
        return f();
    } catch (const sdbus::Error& e) {
        return from_dbus(e);
    } catch (const std::bad_alloc&) {
        return ERROR_NOT_ENOUGH_MEMORY;
    } catch (...) {
        return ERROR_GEN_FAILURE;
    }
}

template <typename F> DWORD with_session(HANDLE h, F&& f) noexcept {
    return guarded([&]() -> DWORD {
        auto s = ntms::lib::find_session(h);
        if (!s)
            return ERROR_INVALID_HANDLE;
        Session::Hold hold(*s);
        return f(*s);
    });
}

template <typename T> T prop(const Properties& p, const char* name, T fallback = T{}) {
    auto it = p.find(name);
    if (it == p.end() || !it->second.containsValueOfType<T>())
        return fallback;
    return it->second.get<T>();
}

NTMS_GUID guid_of(const sdbus::ObjectPath& path) {
    return ntms::lib::path_guid(path).value_or(NTMS_GUID{});
}

// The computer a session's objects live on: its host without the login name or the port or
// container sd-bus accepts around it ("user@host:port").
std::string computer(const Session& s) {
    if (!s.host().empty()) {
        std::string_view host = s.host();
        if (const auto at = host.find('@'); at != std::string_view::npos)
            host.remove_prefix(at + 1);
        return std::string(host.substr(0, host.find(':')));
    }
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0)
        return {};
    return name;
}

template <typename Info> DWORD fill_library(Session& s, const NTMS_GUID& id, Info& info) {
    const auto path = s.library_path(ntms::lib::guid_string(id));
    const Properties p = s.properties(path, library_iface);
    const auto ports = prop<std::vector<Port>>(p, "Ports");
    const bool online = prop<std::string>(p, "State") == "online";
    info.Enabled = prop<bool>(p, "Enabled") ? TRUE : FALSE;
    info.dwOperationalState = online ? NTMS_READY : NTMS_NOT_PRESENT;
    ntms::lib::put(info.szName, prop<std::string>(p, "Name"));
    // An offline library's description says why, and when its device is tried again.
    const std::string reason = prop<std::string>(p, "OfflineReason");
    ntms::lib::put(info.szDescription,
                   !online && !reason.empty()
                       ? "offline: " + reason
                       : prop<std::string>(p, "Vendor") + " " + prop<std::string>(p, "Product") +
                             " (" + prop<std::string>(p, "Device") + ")");
    auto& l = info.Info.Library;
    l.LibraryType = NTMS_LIBRARYTYPE_ONLINE;
    l.InventoryMethod = NTMS_INVENTORY_FAST;
    l.dwNumberOfDrives = prop<uint32_t>(p, "Drives");
    l.dwNumberOfSlots = prop<uint32_t>(p, "Slots");
    const uint32_t free_slots = prop<uint32_t>(p, "FreeSlots");
    l.dwNumberOfMedia = l.dwNumberOfSlots >= free_slots ? l.dwNumberOfSlots - free_slots : 0;
    l.dwNumberOfPorts = static_cast<DWORD>(ports.size());
    l.FirstPortNumber = ports.empty() ? 0 : ports.front().get<0>();
    l.dwNumberOfChangers = 1;
    return ERROR_SUCCESS;
}

template <typename Info> DWORD fill_port(Session& s, const NTMS_GUID& id, Info& info) {
    for (const auto& path : s.library_paths()) {
        const NTMS_GUID library = guid_of(path);
        const Properties p = s.properties(path, library_iface);
        for (const auto& port : prop<std::vector<Port>>(p, "Ports")) {
            if (!ntms::lib::same_guid(ntms::lib::port_guid(library, port.get<0>()), id))
                continue;
            info.Enabled = prop<bool>(p, "Enabled") ? TRUE : FALSE;
            info.dwOperationalState =
                prop<std::string>(p, "State") == "online" ? NTMS_READY : NTMS_NOT_PRESENT;
            ntms::lib::put(info.szName, prop<std::string>(p, "Name") + " port " +
                                            std::to_string(port.get<0>()));
            ntms::lib::put(info.szDescription,
                           std::to_string(port.get<1>()) +
                               (port.get<1>() == 1 ? " element" : " elements") +
                               (port.get<2>() ? ", locked" : ", unlocked"));
            auto& e = info.Info.IEPort;
            e.Number = port.get<0>();
            e.Content = port.get<4>() > 0 ? NTMS_PORTCONTENT_FULL : NTMS_PORTCONTENT_EMPTY;
            e.Position = port.get<3>() ? NTMS_PORTPOSITION_EXTENDED : NTMS_PORTPOSITION_RETRACTED;
            e.MaxExtendSecs =
                static_cast<WORD>(std::min<uint32_t>(prop<uint32_t>(p, "InjectTimeout"), 65535));
            e.Library = library;
            return ERROR_SUCCESS;
        }
    }
    return ERROR_OBJECT_NOT_FOUND;
}

template <typename Info> DWORD fill_job(Session& s, const NTMS_GUID& id, Info& info) {
    const Properties p = s.properties(s.job_path(ntms::lib::guid_string(id)), job_iface);
    const uint64_t queued = prop<uint64_t>(p, "TimeQueued");
    const uint64_t started = prop<uint64_t>(p, "TimeStarted");
    const uint64_t completed = prop<uint64_t>(p, "TimeCompleted");
    info.Enabled = TRUE;
    info.Created = ntms::lib::system_time(queued);
    info.Modified = ntms::lib::system_time(std::max({queued, started, completed}));
    const std::string operation = prop<std::string>(p, "Operation");
    ntms::lib::put(info.szName, operation);
    // RSM has no field for the media count: the description carries it, then the error message.
    const std::string message = prop<std::string>(p, "ErrorMessage");
    ntms::lib::put(info.szDescription,
                   "media moved: " + std::to_string(prop<uint32_t>(p, "MediaMoved")) +
                       (message.empty() ? "" : "; " + message));
    auto& r = info.Info.LibRequest;
    // The bus names the operation ("inject"); RSM's code comes from the same table.
    r.OperationCode = ntms::vocabulary::operation_code(operation).value_or(0);
    r.OperationOption = prop<uint32_t>(p, "Action");
    r.State = prop<uint32_t>(p, "State");
    r.Library = guid_of(prop<sdbus::ObjectPath>(p, "Library"));
    r.TimeQueued = ntms::lib::system_time(queued);
    r.TimeCompleted = ntms::lib::system_time(completed);
    ntms::lib::put(r.szApplication, prop<std::string>(p, "Application"));
    ntms::lib::put(r.szUser, std::to_string(prop<uint32_t>(p, "StartedByUID")));
    ntms::lib::put(r.szComputer, computer(s));
    r.dwErrorCode = prop<uint32_t>(p, "Error");
    r.WorkItemId = id;
    return ERROR_SUCCESS;
}

template <typename Info> DWORD fill_oprequest(Session& s, const NTMS_GUID& id, Info& info) {
    const Properties p =
        s.properties(s.oprequest_path(ntms::lib::guid_string(id)), oprequest_iface);
    const std::string message = prop<std::string>(p, "Message");
    const auto submitted = ntms::lib::system_time(prop<uint64_t>(p, "TimeSubmitted"));
    info.Enabled = TRUE;
    info.Created = submitted;
    info.Modified = submitted;
    ntms::lib::put(info.szName, "operator request");
    ntms::lib::put(info.szDescription, message);
    auto& r = info.Info.OpRequest;
    r.Request = prop<uint32_t>(p, "Type");
    r.Submitted = submitted;
    r.State = prop<uint32_t>(p, "State");
    ntms::lib::put(r.szMessage, message);
    r.Arg1Type = NTMS_LIBRARY;
    r.Arg1 = guid_of(prop<sdbus::ObjectPath>(p, "Library"));
    const auto job = prop<sdbus::ObjectPath>(p, "Job");
    if (job != "/" && !job.empty()) {
        r.Arg2Type = NTMS_LIBREQUEST;
        r.Arg2 = guid_of(job);
    }
    ntms::lib::put(r.szApplication, "ntmsd");
    ntms::lib::put(r.szComputer, computer(s));
    return ERROR_SUCCESS;
}

template <typename Info> DWORD get_information(HANDLE h, const NTMS_GUID* id, Info* out) {
    return with_session(h, [&](Session& s) -> DWORD {
        if (!id || !out || out->dwSize != sizeof(Info))
            return ERROR_INVALID_PARAMETER;
        // Filled aside, so that the caller's structure is written only on success.
        Info info{};
        info.dwSize = sizeof(Info);
        info.dwType = out->dwType;
        info.ObjectGuid = *id;
        DWORD rc = ERROR_INVALID_PARAMETER;
        switch (out->dwType) {
        case NTMS_LIBRARY: rc = fill_library(s, *id, info); break;
        case NTMS_IEPORT: rc = fill_port(s, *id, info); break;
        case NTMS_LIBREQUEST: rc = fill_job(s, *id, info); break;
        case NTMS_OPREQUEST: rc = fill_oprequest(s, *id, info); break;
        default: break;
        }
        if (rc == ERROR_SUCCESS)
            std::memcpy(out, &info, sizeof info);
        return rc;
    });
}

std::vector<NTMS_GUID> list_objects(Session& s, const NTMS_GUID* container, DWORD type) {
    std::vector<NTMS_GUID> list;
    if (type == NTMS_LIBRARY) {
        for (const auto& path : s.library_paths())
            list.push_back(guid_of(path));
        return list;
    }
    if (type == NTMS_IEPORT) {
        std::vector<sdbus::ObjectPath> libraries;
        if (container)
            libraries.push_back(s.library_path(ntms::lib::guid_string(*container)));
        else
            libraries = s.library_paths();
        for (const auto& path : libraries)
            for (const auto& port :
                 prop<std::vector<Port>>(s.properties(path, library_iface), "Ports"))
                list.push_back(ntms::lib::port_guid(guid_of(path), port.get<0>()));
        return list;
    }
    const char* iface = type == NTMS_LIBREQUEST ? job_iface : oprequest_iface;
    const char* time = type == NTMS_LIBREQUEST ? "TimeQueued" : "TimeSubmitted";
    std::optional<sdbus::ObjectPath> library;
    if (container)
        library = s.library_path(ntms::lib::guid_string(*container));
    std::vector<std::pair<uint64_t, NTMS_GUID>> found;
    for (const auto& [path, interfaces] : s.managed_objects()) {
        auto it = interfaces.find(iface);
        if (it == interfaces.end())
            continue;
        if (library && prop<sdbus::ObjectPath>(it->second, "Library") != *library)
            continue;
        found.emplace_back(prop<uint64_t>(it->second, time), guid_of(path));
    }
    // Oldest first, as a queue reads.
    std::stable_sort(found.begin(), found.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& f : found)
        list.push_back(f.second);
    return list;
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
        switch (dwType) {
        case NTMS_LIBRARY:
        case NTMS_OPREQUEST:
            if (lpContainerId)
                return ERROR_INVALID_PARAMETER;
            break;
        case NTMS_IEPORT:
        case NTMS_LIBREQUEST: break;
        default: return ERROR_INVALID_PARAMETER;
        }
        const auto list = list_objects(s, lpContainerId, dwType);
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

DWORD NtmsGetLastError(void) { return last_error; }

const char* NtmsErrorString(DWORD dwError) {
    return ntms::lib::error_text(dwError);
}

} // extern "C"
