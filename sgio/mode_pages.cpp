// MODE SENSE(6)/(10) parameter data (SPC-4 7.5): a mode parameter header, block descriptors, then
// mode pages, each "page code, page length, parameters".
#include "mode_pages.hpp"

#include "cdb.hpp"
#include "fields.hpp"

#include <algorithm>
#include <cstddef>
#include <fmt/format.h>

namespace sgio {

namespace {

constexpr uint8_t page_code_mask = 0x3F;
constexpr uint8_t spf = 0x40; // SUBPAGE FORMAT: 4-byte page header with a 16-bit length

// The page's bytes as far as its own length and the buffer go.
size_t page_span(std::span<const uint8_t> page) noexcept {
    if (page.size() < 2) {
        return page.size();
    }
    return std::min(page.size(), size_t{2} + page[1]);
}

} // namespace

Result<std::span<const uint8_t>> find_mode_page(std::span<const uint8_t> reply, bool ten_byte,
                                                uint8_t page_code) {
    const size_t header = ten_byte ? 8 : 4;
    if (reply.size() < header) {
        return make_error(Errc::MalformedReply,
                          fmt::format("MODE SENSE({}) reply of {} bytes has no {}-byte header",
                                      ten_byte ? 10 : 6, reply.size(), header));
    }
    // MODE DATA LENGTH excludes itself; the device may announce more than the allocation allowed.
    const size_t announced = ten_byte ? size_t{2} + be16(reply.data()) : size_t{1} + reply[0];
    const size_t end = std::min(reply.size(), announced);
    const size_t block_descriptors = ten_byte ? be16(reply.data() + 6) : reply[3];
    const uint8_t wanted = page_code & page_code_mask;

    size_t p = header + block_descriptors;
    if (p > end) {
        return make_error(Errc::MalformedReply,
                          fmt::format("MODE SENSE block descriptors ({} bytes) run past the {} "
                                      "bytes of the reply",
                                      block_descriptors, end));
    }
    while (p + 2 <= end) {
        const bool subpage = (reply[p] & spf) != 0;
        size_t length = size_t{2} + reply[p + 1];
        if (subpage) {
            if (p + 4 > end) {
                break;
            }
            length = size_t{4} + be16(reply.data() + p + 2);
        }
        if (!subpage && (reply[p] & page_code_mask) == wanted) {
            return reply.subspan(p, std::min(length, end - p));
        }
        p += length;
    }
    return make_error(Errc::Unsupported,
                      fmt::format("mode page {:02X}h not in the MODE SENSE reply", wanted));
}

Result<ElementMap> parse_element_address_page(std::span<const uint8_t> page) {
    const size_t n = page_span(page);
    if (n < 18 || (page[0] & page_code_mask) != mode_page::ElementAddressAssignment) {
        return make_error(Errc::MalformedReply,
                          fmt::format("not an element address assignment page (1Dh) of at least "
                                      "18 bytes: {} bytes{}",
                                      n, n > 0 ? fmt::format(", page {:02X}h", page[0]) : ""));
    }
    const uint8_t* d = page.data();
    ElementMap m;
    m.transport_first = be16(d + 2);
    m.transport_count = be16(d + 4);
    m.storage_first = be16(d + 6);
    m.storage_count = be16(d + 8);
    m.ie_first = be16(d + 10);
    m.ie_count = be16(d + 12);
    m.drive_first = be16(d + 14);
    m.drive_count = be16(d + 16);
    return m;
}

Result<Capabilities> parse_capabilities_page(std::span<const uint8_t> page) {
    // Bytes 2..7 are all we decode; both the SMC-2 length 12h and the older 0Eh hold them.
    const size_t n = page_span(page);
    if (n < 8 || (page[0] & page_code_mask) != mode_page::DeviceCapabilities) {
        return make_error(Errc::MalformedReply,
                          fmt::format("not a device capabilities page (1Fh) of at least 8 bytes: "
                                      "{} bytes{}",
                                      n, n > 0 ? fmt::format(", page {:02X}h", page[0]) : ""));
    }
    Capabilities c;
    c.present = true;
    c.store_mt = (page[2] & 0x01) != 0;
    c.store_st = (page[2] & 0x02) != 0;
    c.store_ie = (page[2] & 0x04) != 0;
    c.store_dt = (page[2] & 0x08) != 0;
    c.barcode_reader = (page[3] & 0x02) != 0;
    // Byte 4 + (source type - 1) holds the destinations reachable from that source type, bit
    // (destination type - 1) each.
    for (size_t from = 1; from <= 4; ++from) {
        const uint8_t bits = page[4 + from - 1];
        for (size_t to = 1; to <= 4; ++to) {
            c.can_move[from][to] = (bits & (1u << (to - 1))) != 0;
        }
    }
    return c;
}

} // namespace sgio
