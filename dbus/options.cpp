#include "options.hpp"

#include <fmt/format.h>
#include <limits>

namespace ntms::dbus {

namespace {

Status wrong_type(const std::string& key, const sdbus::Variant& v, const char* want) {
    return fail(win32::InvalidParameter, fmt::format("option '{}' must be of type '{}', not '{}'",
                                                     key, want, v.peekValueType()));
}

} // namespace

Expected<InjectOptions> parse_inject_options(const OptionMap& options) {
    InjectOptions out;
    for (const auto& [key, value] : options) {
        if (key == "timeout") {
            if (!value.containsValueOfType<uint32_t>())
                return wrong_type(key, value, "u");
            out.timeout_sec = value.get<uint32_t>();
        } else if (key == "application") {
            if (!value.containsValueOfType<std::string>())
                return wrong_type(key, value, "s");
            out.application = value.get<std::string>();
        } else if (key == "port") {
            if (!value.containsValueOfType<uint32_t>())
                return wrong_type(key, value, "u");
            const auto port = value.get<uint32_t>();
            if (port > std::numeric_limits<uint16_t>::max())
                return fail(
                    win32::InvalidParameter,
                    fmt::format("option 'port' {} is not an element address (0..65535)", port));
            out.port = static_cast<uint16_t>(port);
        } else {
            return fail(
                win32::InvalidParameter,
                fmt::format("unknown option '{}' (known: timeout, application, port)", key));
        }
    }
    return out;
}

namespace {

Expected<MountOptions> parse_media_options(const OptionMap& options, bool element) {
    MountOptions out;
    for (const auto& [key, value] : options) {
        if (key == "timeout") {
            if (!value.containsValueOfType<uint32_t>())
                return wrong_type(key, value, "u");
            out.timeout_sec = value.get<uint32_t>();
        } else if (key == "application") {
            if (!value.containsValueOfType<std::string>())
                return wrong_type(key, value, "s");
            out.application = value.get<std::string>();
        } else if (element && key == "element") {
            if (!value.containsValueOfType<uint16_t>())
                return wrong_type(key, value, "q");
            out.element = value.get<uint16_t>();
        } else {
            return fail(
                win32::InvalidParameter,
                fmt::format("unknown option '{}' (known: {})", key,
                            element ? "element, timeout, application" : "timeout, application"));
        }
    }
    return out;
}

} // namespace

Expected<MountOptions> parse_mount_options(const OptionMap& options) {
    return parse_media_options(options, false);
}

Expected<MountOptions> parse_dismount_options(const OptionMap& options) {
    return parse_media_options(options, true);
}

Expected<void> parse_cancel_options(const OptionMap& options) {
    if (!options.empty())
        return fail(
            win32::InvalidParameter,
            fmt::format("unknown option '{}' (Cancel takes no options)", options.begin()->first));
    return {};
}

} // namespace ntms::dbus
