#include "scsi_status.hpp"

#include <fmt/format.h>

namespace ntms {

bool is_offline_error(const sgio::Error& e) {
    switch (e.code) {
    case sgio::Errc::DeviceGone:
    case sgio::Errc::OpenFailed:
    case sgio::Errc::Timeout:
    case sgio::Errc::TransportFailed:
        return true;
    default:
        return false;
    }
}

Status from_scsi(const sgio::Error& e, std::string_view context) {
    const std::string msg = fmt::format("{}: {}", context, e.message);
    if (is_offline_error(e))
        return fail(win32::LibraryOffline, msg);
    switch (e.code) {
    case sgio::Errc::NotAChanger:
        return fail(win32::DeviceNotAvailable, msg);
    case sgio::Errc::Unsupported:
        return fail(win32::NotSupported, msg);
    case sgio::Errc::InvalidArgument:
        return fail(win32::InvalidParameter, msg);
    case sgio::Errc::CheckCondition:
        // A door or magazine open stops the robot; the operator can fix that.
        if (e.sense.key == sgio::sense_key::NotReady &&
            ((e.sense.asc == 0x04 && e.sense.ascq == 0x18) || e.sense.asc == 0x3A))
            return fail(win32::DeviceDoorOpen, msg);
        return fail(win32::IoDevice, msg);
    default:
        return fail(win32::IoDevice, msg);
    }
}

} // namespace ntms
