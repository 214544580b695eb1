// READ ELEMENT STATUS data (SMC-3 6.11): an 8-byte header, then one page per element type, each an
// 8-byte page header followed by descriptors of the length the page header states.
#include "element_status.hpp"

#include <algorithm>
#include <cstddef>
#include <fmt/format.h>

namespace sgio {

namespace {

constexpr size_t header_size = 8;
constexpr size_t page_header_size = 8;
constexpr size_t tag_field_size = 36; // 32-byte volume identifier + reserved + sequence number
constexpr size_t tag_text_size = 32;
constexpr size_t min_descriptor_bytes = 3; // address and flags
constexpr size_t min_descriptor_length = 4;

constexpr uint8_t pvoltag = 0x80;
constexpr uint8_t avoltag = 0x40;

uint16_t be16(const uint8_t* p) noexcept {
    return static_cast<uint16_t>((unsigned{p[0]} << 8) | unsigned{p[1]});
}

uint32_t be24(const uint8_t* p) noexcept {
    return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | uint32_t{p[2]};
}

// Volume tags and ASCII identifiers: trailing blanks and NULs are padding; anything unprintable
// becomes '?' so a damaged label cannot smuggle control characters into logs or D-Bus strings.
std::string printable(const uint8_t* p, size_t n) {
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\0')) {
        --n;
    }
    std::string out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        out.push_back(p[i] >= 0x20 && p[i] <= 0x7E ? static_cast<char>(p[i]) : '?');
    }
    return out;
}

std::string hex(const uint8_t* p, size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * n);
    for (size_t i = 0; i < n; ++i) {
        out.push_back(digits[p[i] >> 4]);
        out.push_back(digits[p[i] & 0x0F]);
    }
    return out;
}

// e points at a descriptor of `length` bytes of which `present` (>= 3) were received.
ElementStatus parse_descriptor(const uint8_t* e, size_t present, size_t length, ElementType type,
                               uint8_t page_flags) {
    ElementStatus s;
    s.type = type;
    s.truncated = present < length;
    s.address = be16(e);
    const uint8_t flags = e[2];
    s.full = (flags & 0x01) != 0;
    s.impexp = (flags & 0x02) != 0;
    s.except = (flags & 0x04) != 0;
    s.access = (flags & 0x08) != 0;
    s.exenab = (flags & 0x10) != 0;
    s.inenab = (flags & 0x20) != 0;
    if (present >= 6) {
        s.asc = e[4];
        s.ascq = e[5];
    }
    if (present >= 10) {
        s.svalid = (e[9] & 0x80) != 0;
        s.invert = (e[9] & 0x40) != 0;
        s.medium_type = e[9] & 0x07;
    }
    if (present >= 12) {
        s.source = be16(e + 10);
    }

    // A tag flag counts only when the descriptor length leaves room for the field: some devices
    // set AVolTag without sending the alternate tag (mhVTL issue #173). A tag or identifier cut
    // by truncation stays empty: half a barcode would name another cartridge.
    size_t at = 12;
    if ((page_flags & pvoltag) != 0 && length >= at + tag_field_size) {
        if (present >= at + tag_text_size) {
            s.primary_tag = printable(e + at, tag_text_size);
        }
        at += tag_field_size;
    }
    if ((page_flags & avoltag) != 0 && length >= at + tag_field_size) {
        if (present >= at + tag_text_size) {
            s.alternate_tag = printable(e + at, tag_text_size);
        }
        at += tag_field_size;
    }
    if (length >= at + 4 && present >= at + 4) {
        const uint8_t code_set = e[at] & 0x0F;
        s.identifier_type = e[at + 1] & 0x0F;
        const size_t id_at = at + 4;
        const size_t n = std::min(size_t{e[at + 3]}, length - id_at);
        if (present >= id_at + n) {
            s.identifier =
                (code_set == 2 || code_set == 3) ? printable(e + id_at, n) : hex(e + id_at, n);
        }
    }
    return s;
}

} // namespace

Result<ElementStatusReport> parse_element_status(std::span<const uint8_t> data) {
    if (data.size() < header_size) {
        return make_error(
            Errc::MalformedReply,
            fmt::format("element status reply of {} bytes has no 8-byte header", data.size()));
    }
    const uint8_t* d = data.data();
    ElementStatusReport r;
    r.first_address = be16(d);
    r.elements_available = be16(d + 2);
    r.byte_count = be24(d + 5);

    // Bytes past the announced report are not part of it (a transport that cannot report the
    // residual hands over the whole allocation).
    const size_t announced_end = header_size + r.byte_count;
    r.truncated = data.size() < announced_end;
    const size_t end = std::min(data.size(), announced_end);

    size_t p = header_size;
    while (p + page_header_size <= end) {
        const auto type = static_cast<ElementType>(d[p] & 0x0F);
        const uint8_t page_flags = d[p + 1];
        const size_t length = be16(d + p + 2);
        const size_t page_bytes = be24(d + p + 5);
        const size_t body = p + page_header_size;
        const size_t page_end = std::min(end, body + page_bytes);

        if (page_bytes > 0 && length < min_descriptor_length) {
            return make_error(Errc::MalformedReply,
                              fmt::format("element status page at byte {} announces {} bytes of "
                                          "descriptors {} bytes long",
                                          p, page_bytes, length));
        }
        for (size_t q = body; q < page_end; q += length) {
            const size_t present = std::min(length, page_end - q);
            if (present < min_descriptor_bytes) {
                break; // not even address and flags: nothing to keep
            }
            r.elements.push_back(parse_descriptor(d + q, present, length, type, page_flags));
        }
        p = page_end; // > p: the page header itself was consumed
    }
    return r;
}

} // namespace sgio
