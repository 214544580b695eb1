// How every entry point of the C ABI calls: its handle validated through the registry, the
// session's mutex held for the length of its bus calls, and every exception turned into a Win32
// code, so that nothing thrown ever reaches the caller.
#pragma once

#include "dbus/errors.hpp"
#include "session.hpp"

#include <new>

namespace ntms::lib {

// Errors that do not come from ntmsd's table: the bus's own, or sd-bus's local ones.
inline DWORD from_dbus(const sdbus::Error& e) {
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
        auto s = find_session(h);
        if (!s)
            return ERROR_INVALID_HANDLE;
        Session::Hold hold(*s);
        return f(*s);
    });
}

} // namespace ntms::lib
