// Win32 error codes (the RSM contract) and the daemon's error-as-value type. A code is chosen here,
// in the domain, and only translated at the D-Bus and C ABI boundaries.
#pragma once

#include "sgio/expected.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace ntms {

namespace win32 {
inline constexpr uint32_t Success = 0;
inline constexpr uint32_t AccessDenied = 5;
inline constexpr uint32_t InvalidHandle = 6;
inline constexpr uint32_t NotEnoughMemory = 8;
inline constexpr uint32_t NotSupported = 50;
inline constexpr uint32_t InvalidParameter = 87;
inline constexpr uint32_t Busy = 170;
inline constexpr uint32_t OperationAborted = 995;
inline constexpr uint32_t DeviceDoorOpen = 1166;
inline constexpr uint32_t Cancelled = 1223;
inline constexpr uint32_t Timeout = 1460;
inline constexpr uint32_t IoDevice = 1117;
inline constexpr uint32_t DeviceNotConnected = 1167;
inline constexpr uint32_t InvalidState = 5023;
inline constexpr uint32_t InvalidLibrary = 4301;
inline constexpr uint32_t LibraryOffline = 4305;
inline constexpr uint32_t ObjectNotFound = 4312;
inline constexpr uint32_t DatabaseFailure = 4313;
inline constexpr uint32_t DatabaseFull = 4314;
inline constexpr uint32_t InvalidOperation = 4317;
inline constexpr uint32_t DeviceNotAvailable = 4319;
inline constexpr uint32_t RequestRefused = 4320;
inline constexpr uint32_t LibraryFull = 4322;
inline constexpr uint32_t IeportFull = 4341;
} // namespace win32

// "ERROR_LIBRARY_FULL"; "ERROR_4999" for codes we do not name.
std::string win32_name(uint32_t code);

struct Status {
    uint32_t code = win32::Success;
    std::string message;

    bool ok() const { return code == win32::Success; }
    static Status success() { return {}; }
};

inline Status fail(uint32_t code, std::string message) { return Status{code, std::move(message)}; }

template <typename T> using Expected = sgio::Expected<T, Status>;

} // namespace ntms
