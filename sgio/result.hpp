// Errors as values: every sgio operation returns Result<T>, never throws.
#pragma once

#include "sense.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace sgio {

enum class Errc {
    InvalidArgument,   // caller passed something that cannot become a valid CDB
    NotAChanger,       // INQUIRY peripheral type is not 8
    OpenFailed,        // the device node could not be opened
    TransportFailed,   // ioctl/iSCSI level failure, host or driver status set
    Timeout,           // the command did not complete within its timeout
    DeviceGone,        // the device vanished (ENODEV, connection lost, removed)
    CheckCondition,    // CHECK CONDITION with sense data (see Error::sense)
    BadStatus,         // any other non-GOOD SCSI status (BUSY after retries, RESERVATION CONFLICT)
    MalformedReply,    // the reply cannot be parsed even partially
    Unsupported,       // the device answered ILLEGAL REQUEST to an optional command
};

const char* errc_name(Errc code) noexcept;

struct Error {
    Errc code = Errc::TransportFailed;
    std::string message;
    Sense sense{};         // valid when code == CheckCondition
    uint8_t status = 0;    // SCSI status byte when known
    int sys_errno = 0;     // errno when a system call failed

    // "source element empty" etc. for logs and D-Bus messages.
    std::string describe() const;
};

template <typename T> class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return std::get<0>(v_); }
    const T& operator*() const& { return std::get<0>(v_); }

    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

private:
    std::variant<T, Error> v_;
};

template <> class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : err_(std::move(error)), ok_(false) {}

    bool ok() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    const Error& error() const& { return err_; }
    Error&& error() && { return std::move(err_); }

private:
    Error err_{};
    bool ok_ = true;
};

inline Error make_error(Errc code, std::string message) {
    Error e;
    e.code = code;
    e.message = std::move(message);
    return e;
}

} // namespace sgio
