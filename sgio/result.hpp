// Errors as values: every sgio operation returns Result<T>, never throws.
#pragma once

#include "expected.hpp"
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

template <typename T> using Result = Expected<T, Error>;

inline Error make_error(Errc code, std::string message) {
    Error e;
    e.code = code;
    e.message = std::move(message);
    return e;
}

} // namespace sgio
