// sdbus-c++ 1.2.0 turns only sdbus::Error into an error reply; any other exception would unwind
// through sd-bus's C code. Every method handler and property getter runs inside guarded().
#pragma once

#include "daemon/status.hpp"
#include "dbus/errors.hpp"

#include <exception>
#include <new>

namespace ntms::dbus {

// A domain error as the D-Bus error to throw.
[[noreturn]] inline void throw_status(const Status& s) {
    throw make_error(s.code, s.message);
}

template <typename T> T value_or_throw(Expected<T> e) {
    if (!e)
        throw_status(e.error());
    return std::move(e).value();
}

inline void ok_or_throw(const Expected<void>& e) {
    if (!e)
        throw_status(e.error());
}

template <typename F> auto guarded(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const sdbus::Error&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw make_error(win32::NotEnoughMemory, "ntmsd is out of memory");
    } catch (const std::exception& e) {
        throw sdbus::Error(std::string(error_failed), std::string("internal error: ") + e.what());
    } catch (...) {
        throw sdbus::Error(std::string(error_failed), "internal error");
    }
}

} // namespace ntms::dbus
