#include "element.hpp"

#include <algorithm>
#include <string_view>

namespace sgio {

const char* element_type_name(ElementType t) noexcept {
    switch (t) {
    case ElementType::All:
        return "all";
    case ElementType::Transport:
        return "transport";
    case ElementType::Storage:
        return "storage";
    case ElementType::ImportExport:
        return "import/export";
    case ElementType::DataTransfer:
        return "drive";
    }
    return "unknown";
}

namespace {

// Lowest first address of any populated type: where a type-0 request would start.
uint16_t lowest_first(const ElementMap& m) noexcept {
    const uint16_t ranges[4][2] = {{m.transport_first, m.transport_count},
                                   {m.storage_first, m.storage_count},
                                   {m.ie_first, m.ie_count},
                                   {m.drive_first, m.drive_count}};
    uint16_t lowest = 0;
    bool any = false;
    for (const auto& r : ranges) {
        if (r[1] != 0 && (!any || r[0] < lowest)) {
            lowest = r[0];
            any = true;
        }
    }
    return lowest;
}

} // namespace

bool ElementMap::overlaps() const noexcept {
    const uint32_t ranges[4][2] = {{transport_first, transport_count},
                                   {storage_first, storage_count},
                                   {ie_first, ie_count},
                                   {drive_first, drive_count}};
    for (size_t a = 0; a < 4; ++a)
        for (size_t b = a + 1; b < 4; ++b)
            if (ranges[a][1] && ranges[b][1] && ranges[a][0] < ranges[b][0] + ranges[b][1] &&
                ranges[b][0] < ranges[a][0] + ranges[a][1])
                return true;
    return false;
}

uint16_t ElementMap::first(ElementType t) const noexcept {
    switch (t) {
    case ElementType::All:
        return lowest_first(*this);
    case ElementType::Transport:
        return transport_first;
    case ElementType::Storage:
        return storage_first;
    case ElementType::ImportExport:
        return ie_first;
    case ElementType::DataTransfer:
        return drive_first;
    }
    return 0;
}

uint16_t ElementMap::count(ElementType t) const noexcept {
    switch (t) {
    case ElementType::All: {
        // Saturate rather than wrap: four 16-bit counts may not fit in one.
        const uint32_t total = uint32_t{transport_count} + storage_count + ie_count + drive_count;
        return static_cast<uint16_t>(std::min<uint32_t>(total, 0xFFFF));
    }
    case ElementType::Transport:
        return transport_count;
    case ElementType::Storage:
        return storage_count;
    case ElementType::ImportExport:
        return ie_count;
    case ElementType::DataTransfer:
        return drive_count;
    }
    return 0;
}

} // namespace sgio

namespace sgio {

namespace {

std::string trimmed(std::string_view s) {
    const auto b = s.find_first_not_of(' ');
    if (b == std::string_view::npos)
        return {};
    const auto e = s.find_last_not_of(' ');
    return std::string(s.substr(b, e - b + 1));
}

} // namespace

DriveIdentity drive_identity(const ElementStatus& e) {
    constexpr size_t vendor_size = 8, product_size = 16;
    DriveIdentity d;
    const std::string_view id = e.identifier;
    if (e.identifier_type == 1 && id.size() >= vendor_size + product_size) {
        d.vendor = trimmed(id.substr(0, vendor_size));
        d.product = trimmed(id.substr(vendor_size, product_size));
        d.serial = trimmed(id.substr(vendor_size + product_size));
    } else {
        d.serial = trimmed(id);
    }
    return d;
}

} // namespace sgio
