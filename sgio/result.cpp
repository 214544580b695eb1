#include "result.hpp"

#include <fmt/format.h>
#include <system_error>

namespace sgio {

const char* errc_name(Errc code) noexcept {
    switch (code) {
    case Errc::InvalidArgument:
        return "invalid argument";
    case Errc::NotAChanger:
        return "not a medium changer";
    case Errc::OpenFailed:
        return "open failed";
    case Errc::TransportFailed:
        return "transport failed";
    case Errc::Timeout:
        return "command timed out";
    case Errc::DeviceGone:
        return "device gone";
    case Errc::CheckCondition:
        return "check condition";
    case Errc::BadStatus:
        return "bad SCSI status";
    case Errc::MalformedReply:
        return "malformed reply";
    case Errc::Unsupported:
        return "unsupported";
    }
    return "unknown error";
}

namespace {

const char* status_name(uint8_t s) noexcept {
    switch (s) {
    case 0x00:
        return "GOOD";
    case 0x02:
        return "CHECK CONDITION";
    case 0x04:
        return "CONDITION MET";
    case 0x08:
        return "BUSY";
    case 0x18:
        return "RESERVATION CONFLICT";
    case 0x28:
        return "TASK SET FULL";
    case 0x30:
        return "ACA ACTIVE";
    case 0x40:
        return "TASK ABORTED";
    default:
        return "UNKNOWN";
    }
}

} // namespace

std::string Error::describe() const {
    std::string out = message.empty() ? std::string(errc_name(code)) : message;
    if (code == Errc::CheckCondition && sense.valid) {
        // The Changer already puts the decoded sense in its messages; say it once.
        const std::string decoded = sgio::describe(sense);
        if (out.find(decoded) == std::string::npos) {
            out += ": ";
            out += decoded;
        }
    } else if (code == Errc::BadStatus) {
        out += fmt::format(": SCSI status {:02X}h ({})", status, status_name(status));
    }
    if (sys_errno != 0) {
        out += ": ";
        out += std::generic_category().message(sys_errno);
    }
    return out;
}

} // namespace sgio
