#include "errors.hpp"

#include "common/vocabulary.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace ntms::dbus {

namespace {

// The codes of common/ntms_vocabulary.h that travel on the bus under their own name.
constexpr size_t bus_error_count = static_cast<size_t>(std::count_if(
    vocabulary::errors.begin(), vocabulary::errors.end(), [](const auto& e) { return e.on_bus; }));

constexpr std::array<ErrorEntry, bus_error_count> table = [] {
    std::array<ErrorEntry, bus_error_count> t{};
    size_t n = 0;
    for (const auto& e : vocabulary::errors)
        if (e.on_bus)
            t[n++] = {e.code, e.name};
    return t;
}();

constexpr std::string_view failed_message_prefix = "error ";

} // namespace

std::span<const ErrorEntry> error_table() {
    return table;
}

std::string error_name(uint32_t code) {
    const auto* e = vocabulary::find_error(code);
    if (!e || !e->on_bus)
        return std::string(error_failed);
    return std::string(error_prefix) + e->name;
}

std::optional<uint32_t> error_code(std::string_view name) {
    if (name.substr(0, error_prefix.size()) != error_prefix)
        return std::nullopt;
    if (const auto* e = vocabulary::find_bus_error(name.substr(error_prefix.size())))
        return e->code;
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
