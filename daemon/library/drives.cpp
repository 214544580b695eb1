#include "daemon/library/drives.hpp"

#include <algorithm>

namespace ntms {

Guid drive_id(const Guid& library, uint16_t element) {
    // A fixed mask keeps a drive's GUID from resembling its library's in the text.
    static constexpr uint8_t mask[16] = {0x64, 0x72, 0x69, 0x76, 0x65, 0x2d, 0x6e, 0x74,
                                         0x6d, 0x73, 0x2d, 0x64, 0x74, 0x65, 0x00, 0x00};
    Guid g = library;
    for (size_t i = 0; i < g.bytes.size(); ++i)
        g.bytes[i] ^= mask[i];
    g.bytes[14] ^= static_cast<uint8_t>(element >> 8);
    g.bytes[15] ^= static_cast<uint8_t>(element & 0xff);
    g.bytes[6] = static_cast<uint8_t>((g.bytes[6] & 0x0f) | 0x80); // version 8
    g.bytes[8] = static_cast<uint8_t>((g.bytes[8] & 0x3f) | 0x80); // RFC 4122 variant
    return g;
}

Guid drive_type_id(const std::string& vendor, const std::string& product) {
    // Two FNV-1a 64 hashes with different offsets over "vendor\nproduct" fill the 128 bits.
    const std::string key = vendor + '\n' + product;
    auto fnv = [&](uint64_t h) {
        for (const char c : key)
            h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
        return h;
    };
    const uint64_t words[2] = {fnv(0xcbf29ce484222325ull), fnv(0x84222325cbf29ce4ull)};
    Guid g;
    for (size_t i = 0; i < 16; ++i)
        g.bytes[i] = static_cast<uint8_t>(words[i / 8] >> (8 * (7 - i % 8)));
    g.bytes[6] = static_cast<uint8_t>((g.bytes[6] & 0x0f) | 0x80); // version 8
    g.bytes[8] = static_cast<uint8_t>((g.bytes[8] & 0x3f) | 0x80); // RFC 4122 variant
    return g;
}

std::vector<DriveState> sorted_drives(const Guid& library,
                                      const std::vector<sgio::ElementStatus>& statuses) {
    std::vector<DriveState> out;
    out.reserve(statuses.size());
    for (const auto& e : statuses) {
        DriveState d;
        d.id = drive_id(library, e.address);
        d.element = e.address;
        d.full = e.full;
        if (e.full) {
            d.barcode = e.primary_tag;
            if (e.svalid)
                d.home = e.source;
        }
        const auto who = sgio::drive_identity(e);
        d.vendor = who.vendor;
        d.product = who.product;
        d.serial = who.serial;
        out.push_back(std::move(d));
    }
    std::sort(out.begin(), out.end(),
              [](const DriveState& a, const DriveState& b) { return a.element < b.element; });
    for (size_t i = 0; i < out.size(); ++i)
        out[i].number = static_cast<uint32_t>(i);
    return out;
}

std::vector<uint16_t> drive_elements(const std::vector<DriveState>& drives) {
    std::vector<uint16_t> out;
    out.reserve(drives.size());
    for (const auto& d : drives)
        out.push_back(d.element);
    return out;
}

} // namespace ntms
