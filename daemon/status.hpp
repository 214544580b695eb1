// Win32 error codes (the RSM contract) and the daemon's error-as-value type. A code is chosen here,
// in the domain, and only translated at the D-Bus and C ABI boundaries.
#pragma once

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

template <typename T> class [[nodiscard]] Expected {
public:
    Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Expected(Status error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return std::get<0>(v_); }
    const T& operator*() const& { return std::get<0>(v_); }
    const Status& error() const& { return std::get<1>(v_); }
    Status&& error() && { return std::get<1>(std::move(v_)); }

private:
    std::variant<T, Status> v_;
};

template <> class [[nodiscard]] Expected<void> {
public:
    Expected() = default;
    Expected(Status error) : err_(std::move(error)) {}
    bool ok() const noexcept { return err_.ok(); }
    explicit operator bool() const noexcept { return ok(); }
    const Status& error() const& { return err_; }
    Status&& error() && { return std::move(err_); }

private:
    Status err_{};
};

} // namespace ntms
