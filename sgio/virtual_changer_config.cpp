// "sim:NAME[,key=value...]" specs and the checks every virtual changer configuration passes.
#include "virtual_changer.hpp"
#include "virtual_changer_state.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <set>

namespace sgio::detail {

namespace {

bool printable(std::string_view s, char low) {
    return std::all_of(s.begin(), s.end(), [low](char ch) { return ch >= low && ch <= '~'; });
}

} // namespace

bool valid_barcode(std::string_view barcode) {
    // SMC volume identifiers: up to 32 printable characters, no blanks, no '?' or '*'.
    return barcode.size() <= 32 && printable(barcode, '!') &&
           barcode.find_first_of("?*") == std::string_view::npos;
}

Result<void> validate_config(const VirtualChangerConfig& c) {
    auto bad = [](std::string msg) { return make_error(Errc::InvalidArgument, std::move(msg)); };
    if (c.name.empty() || !std::all_of(c.name.begin(), c.name.end(), [](char ch) {
            return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        }))
        return bad(fmt::format("name '{}': use letters, digits, '.', '_' or '-'", c.name));
    if (c.vendor.size() > 8 || !printable(c.vendor, ' '))
        return bad("vendor: at most 8 printable characters");
    if (c.product.size() > 16 || !printable(c.product, ' '))
        return bad("product: at most 16 printable characters");
    if (c.revision.size() > 4 || !printable(c.revision, ' '))
        return bad("revision: at most 4 printable characters");
    if (!valid_barcode(c.serial))
        return bad("serial: at most 32 printable characters without blanks, '?' or '*'");
    const auto rs = element_ranges(c);
    for (const auto& r : rs) {
        if (r.count == 0)
            continue;
        // Transport address 0 means "the default transport" in MOVE MEDIUM, so no element has it.
        if (r.first == 0)
            return bad(fmt::format("{} elements cannot start at address 0", r.name));
        if (uint32_t{r.first} + r.count - 1 > 0xFFFF)
            return bad(
                fmt::format("{} elements {}+{} run past address 65535", r.name, r.first, r.count));
    }
    for (size_t i = 0; i < rs.size(); ++i)
        for (size_t j = i + 1; j < rs.size(); ++j) {
            const auto &a = rs[i], &b = rs[j];
            if (a.count && b.count && a.first < b.first + b.count && b.first < a.first + a.count)
                return bad(fmt::format("{} addresses {}..{} overlap {} addresses {}..{}", a.name,
                                       a.first, a.first + a.count - 1, b.name, b.first,
                                       b.first + b.count - 1));
        }
    if (c.fill > c.slots)
        return bad(fmt::format("fill={} exceeds slots={}", c.fill, c.slots));
    if (c.move_time.count() < 0 || c.move_time > std::chrono::hours(1))
        return bad("move time must be between 0 and 3600000 ms");
    if (c.unload_time.count() < 0 || c.unload_time > std::chrono::hours(1))
        return bad("unload time must be between 0 and 3600000 ms");
    if (c.clean_time.count() < 0 || c.clean_time > std::chrono::hours(1))
        return bad("cleaning time must be between 0 and 3600000 ms");
    return {};
}

} // namespace sgio::detail

namespace sgio {

// ---- "sim:NAME[,key=value...]"

namespace {

Error spec_error(const std::string& spec, const std::string& what) {
    return make_error(Errc::InvalidArgument, fmt::format("{}: {}", spec, what));
}

template <typename T> bool parse_uint(std::string_view s, T& out) {
    if (s.empty())
        return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

bool parse_bool(std::string_view s, bool& out) {
    if (s == "yes" || s == "true" || s == "on" || s == "1")
        out = true;
    else if (s == "no" || s == "false" || s == "off" || s == "0")
        out = false;
    else
        return false;
    return true;
}

} // namespace

Result<VirtualChangerConfig> VirtualChangerConfig::parse(const std::string& spec) {
    constexpr std::string_view prefix = "sim:";
    if (!spec.starts_with(prefix))
        return spec_error(spec, "a virtual changer is named sim:NAME[,key=value...]");
    VirtualChangerConfig c;
    std::string_view rest = std::string_view(spec).substr(prefix.size());
    const size_t comma = rest.find(',');
    c.name = std::string(rest.substr(0, comma));
    if (c.name.empty())
        return spec_error(spec, "missing name after sim:");
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);

    std::set<std::string, std::less<>> seen;
    bool has_options = comma != std::string_view::npos;
    while (has_options) {
        const size_t next = rest.find(',');
        const std::string_view item = rest.substr(0, next);
        has_options = next != std::string_view::npos;
        rest = has_options ? rest.substr(next + 1) : std::string_view{};
        if (item.empty())
            return spec_error(spec, "empty option");
        const size_t eq = item.find('=');
        const std::string key(item.substr(0, eq));
        if (eq == std::string_view::npos)
            return spec_error(spec, fmt::format("option '{}' needs a value (key=value)", key));
        const std::string_view value = item.substr(eq + 1);
        if (!seen.insert(key).second)
            return spec_error(spec, fmt::format("{}: given twice", key));
        auto bad = [&](std::string_view expected) {
            return spec_error(spec, fmt::format("{}: '{}' is not {}", key, value, expected));
        };
        bool* flag = key == "barcodes"    ? &c.barcode_reader
                     : key == "door"      ? &c.door
                     : key == "prevent"   ? &c.supports_prevent
                     : key == "openclose" ? &c.supports_open_close
                     : key == "poweron"   ? &c.power_on_unit_attention
                                          : nullptr;
        if (flag) {
            if (!parse_bool(value, *flag))
                return bad("yes or no");
        } else if (key == "slots" || key == "drives" || key == "ie") {
            // Bounded by the fixed address layout: drives from 2, port from 100, slots from 1000.
            const uint32_t max = key == "slots"    ? 0x10000u - c.storage_first
                                 : key == "drives" ? uint32_t{c.ie_first} - c.drive_first
                                                   : uint32_t{c.storage_first} - c.ie_first;
            uint16_t n = 0;
            if (!parse_uint(value, n) || n > max)
                return bad(fmt::format("a number from 0 to {}", max));
            (key == "slots" ? c.slots : key == "drives" ? c.drives : c.ie_count) = n;
        } else if (key == "move-ms" || key == "unload-ms" || key == "clean-ms") {
            uint32_t ms = 0;
            if (!parse_uint(value, ms) || ms > 3'600'000)
                return bad("a number of milliseconds up to 3600000");
            (key == "move-ms"     ? c.move_time
             : key == "unload-ms" ? c.unload_time
                                  : c.clean_time) = std::chrono::milliseconds(ms);
        } else if (key == "fill") {
            if (!parse_uint(value, c.fill))
                return bad("a number");
        } else if (key == "state") {
            if (value.empty())
                return bad("a path");
            c.state_file = std::string(value);
        } else if (key == "serial") {
            if (value.empty())
                return bad("a serial number");
            c.serial = std::string(value); // checked with the rest below
        } else {
            return spec_error(spec, fmt::format("unknown option '{}' (known: slots, drives, ie, "
                                                "barcodes, door, prevent, openclose, move-ms, "
                                                "unload-ms, clean-ms, state, fill, serial, "
                                                "poweron)",
                                                key));
        }
    }
    if (c.fill > c.slots)
        return spec_error(spec, fmt::format("fill: {} exceeds slots={}", c.fill, c.slots));
    if (auto v = detail::validate_config(c); !v)
        return spec_error(spec, v.error().message);
    return c;
}

} // namespace sgio
