#include "status.hpp"

#include <fmt/format.h>

namespace ntms {

std::string win32_name(uint32_t code) {
    switch (code) {
    case win32::Success:
        return "ERROR_SUCCESS";
    case win32::AccessDenied:
        return "ERROR_ACCESS_DENIED";
    case win32::InvalidHandle:
        return "ERROR_INVALID_HANDLE";
    case win32::NotEnoughMemory:
        return "ERROR_NOT_ENOUGH_MEMORY";
    case win32::NotSupported:
        return "ERROR_NOT_SUPPORTED";
    case win32::InvalidParameter:
        return "ERROR_INVALID_PARAMETER";
    case win32::Busy:
        return "ERROR_BUSY";
    case win32::OperationAborted:
        return "ERROR_OPERATION_ABORTED";
    case win32::DeviceDoorOpen:
        return "ERROR_DEVICE_DOOR_OPEN";
    case win32::Cancelled:
        return "ERROR_CANCELLED";
    case win32::Timeout:
        return "ERROR_TIMEOUT";
    case win32::IoDevice:
        return "ERROR_IO_DEVICE";
    case win32::DeviceNotConnected:
        return "ERROR_DEVICE_NOT_CONNECTED";
    case win32::InvalidState:
        return "ERROR_INVALID_STATE";
    case win32::InvalidLibrary:
        return "ERROR_INVALID_LIBRARY";
    case win32::LibraryOffline:
        return "ERROR_LIBRARY_OFFLINE";
    case win32::ObjectNotFound:
        return "ERROR_OBJECT_NOT_FOUND";
    case win32::DatabaseFailure:
        return "ERROR_DATABASE_FAILURE";
    case win32::DatabaseFull:
        return "ERROR_DATABASE_FULL";
    case win32::InvalidOperation:
        return "ERROR_INVALID_OPERATION";
    case win32::DeviceNotAvailable:
        return "ERROR_DEVICE_NOT_AVAILABLE";
    case win32::RequestRefused:
        return "ERROR_REQUEST_REFUSED";
    case win32::LibraryFull:
        return "ERROR_LIBRARY_FULL";
    case win32::IeportFull:
        return "ERROR_IEPORT_FULL";
    }
    return fmt::format("ERROR_{}", code);
}

} // namespace ntms
