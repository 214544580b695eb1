#include "errors.hpp"

#include <array>
#include <charconv>

namespace ntms::dbus {

namespace {

// Numeric values are those of winerror.h (and daemon/status.hpp); tests check they agree.
constexpr std::array<ErrorEntry, 23> table{{
    {5, "AccessDenied"},          {6, "InvalidHandle"},     {8, "NotEnoughMemory"},
    {50, "NotSupported"},         {87, "InvalidParameter"}, {170, "Busy"},
    {995, "OperationAborted"},    {1117, "IoDevice"},       {1166, "DeviceDoorOpen"},
    {1167, "DeviceNotConnected"}, {1223, "Cancelled"},      {1460, "Timeout"},
    {4301, "InvalidLibrary"},     {4305, "LibraryOffline"}, {4312, "ObjectNotFound"},
    {4313, "DatabaseFailure"},    {4314, "DatabaseFull"},   {4317, "InvalidOperation"},
    {4319, "DeviceNotAvailable"}, {4320, "RequestRefused"}, {4322, "LibraryFull"},
    {4341, "IeportFull"},         {5023, "InvalidState"},
}};

constexpr std::string_view failed_message_prefix = "error ";

} // namespace

std::span<const ErrorEntry> error_table() {
    return table;
}

std::string error_name(uint32_t code) {
    for (const auto& e : table)
        if (e.code == code)
            return std::string(error_prefix) + std::string(e.name);
    return std::string(error_failed);
}

std::optional<uint32_t> error_code(std::string_view name) {
    if (name.substr(0, error_prefix.size()) != error_prefix)
        return std::nullopt;
    name.remove_prefix(error_prefix.size());
    for (const auto& e : table)
        if (e.name == name)
            return e.code;
    return std::nullopt;
}

std::optional<uint32_t> error_code(std::string_view name, std::string_view message) {
    if (auto c = error_code(name))
        return c;
    if (name != error_failed ||
        message.substr(0, failed_message_prefix.size()) != failed_message_prefix)
        return std::nullopt;
    message.remove_prefix(failed_message_prefix.size());
    uint32_t code = 0;
    const auto [end, ec] = std::from_chars(message.data(), message.data() + message.size(), code);
    if (ec != std::errc() || end == message.data() || end == message.data() + message.size() ||
        *end != ':')
        return std::nullopt;
    return code;
}

sdbus::Error make_error(uint32_t code, const std::string& message) {
    std::string name = error_name(code);
    if (name == error_failed)
        return sdbus::Error(std::move(name), std::string(failed_message_prefix) +
                                                 std::to_string(code) + ": " + message);
    return sdbus::Error(std::move(name), message);
}

} // namespace ntms::dbus
