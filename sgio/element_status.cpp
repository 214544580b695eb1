// READ ELEMENT STATUS data (SMC-3 6.11): an 8-byte header, then one page per element type, each an
// 8-byte page header followed by descriptors of the length the page header states.
#include "element_status.hpp"

#include "fields.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <fmt/format.h>

namespace sgio {

namespace {

constexpr size_t header_size = 8;
constexpr size_t page_header_size = 8;
constexpr size_t tag_field_size = 36; // 32-byte volume identifier + reserved + sequence number
constexpr size_t tag_text_size = 32;
constexpr size_t tag_first = 12;           // the first tag field follows the fixed fields
constexpr size_t min_descriptor_bytes = 3; // address and flags
constexpr size_t min_descriptor_length = 4;

constexpr uint8_t pvoltag = 0x80;
constexpr uint8_t avoltag = 0x40;

bool printable_byte(uint8_t c) noexcept {
    return c >= 0x20 && c <= 0x7E;
}

// Volume tags and ASCII identifiers: trailing blanks and NULs are padding. Eight bytes at a
// time while they are all blanks or all NULs: a large library's tags are mostly empty slots'
// 32 bytes of padding, and a label of 8 characters leaves 24.
size_t trimmed(const uint8_t* p, size_t n) noexcept {
    constexpr uint64_t blanks = 0x2020202020202020ULL;
    while (n >= sizeof(uint64_t)) {
        uint64_t w;
        std::memcpy(&w, p + n - sizeof w, sizeof w);
        if (w != 0 && w != blanks)
            break;
        n -= sizeof w;
    }
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\0'))
        --n;
    return n;
}

// Anything unprintable becomes '?' so a damaged label cannot smuggle control characters into logs
// or D-Bus strings.
void assign_printable(std::string& out, const uint8_t* p, size_t n) {
    n = trimmed(p, n);
    out.resize(n);
    for (size_t i = 0; i < n; ++i)
        out[i] = printable_byte(p[i]) ? static_cast<char>(p[i]) : '?';
}

void assign_hex(std::string& out, const uint8_t* p, size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    out.resize(2 * n);
    for (size_t i = 0; i < n; ++i) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0x0F];
    }
}

// Walks the report in data, calling descriptor(d, present, length, type, page_flags) for each
// descriptor of which at least address and flags were received.
template <typename Data, typename Fn>
Result<ElementStatusHeader> walk(std::span<Data> data, Fn&& descriptor) {
    if (data.size() < header_size) {
        return make_error(
            Errc::MalformedReply,
            fmt::format("element status reply of {} bytes has no 8-byte header", data.size()));
    }
    Data* d = data.data();
    ElementStatusHeader h;
    h.first_address = be16(d);
    h.elements_available = be16(d + 2);
    h.byte_count = be24(d + 5);

    // Bytes past the announced report are not part of it (a transport that cannot report the
    // residual hands over the whole allocation).
    const size_t announced_end = header_size + h.byte_count;
    h.truncated = data.size() < announced_end;
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
            descriptor(d + q, present, length, type, page_flags);
        }
        p = page_end; // > p: the page header itself was consumed
    }
    return h;
}

} // namespace

// A tag flag counts only when the descriptor length leaves room for the field: some devices set
// AVolTag without sending the alternate tag (mhVTL issue #173). A tag cut by truncation is absent:
// half a barcode would name another cartridge.
size_t ElementView::tag_at(int which) const noexcept {
    size_t at = tag_first;
    if ((flags_ & pvoltag) != 0 && length_ >= at + tag_field_size) {
        if (which == 0)
            return present_ >= at + tag_text_size ? at : 0;
        at += tag_field_size;
    } else if (which == 0) {
        return 0;
    }
    if ((flags_ & avoltag) != 0 && length_ >= at + tag_field_size)
        return present_ >= at + tag_text_size ? at : 0;
    return 0;
}

std::string_view ElementView::primary_tag() const noexcept {
    const size_t at = tag_at(0);
    if (at == 0)
        return {};
    return {reinterpret_cast<const char*>(d_ + at), trimmed(d_ + at, tag_text_size)};
}

std::string_view ElementView::alternate_tag() const noexcept {
    const size_t at = tag_at(1);
    if (at == 0)
        return {};
    return {reinterpret_cast<const char*>(d_ + at), trimmed(d_ + at, tag_text_size)};
}

void ElementView::decode(ElementStatus& s) const {
    const uint8_t* e = d_;
    const size_t present = present_;
    const size_t length = length_;
    s.type = type_;
    s.truncated = present < length;
    s.address = address();
    const uint8_t flags = e[2];
    s.full = (flags & 0x01) != 0;
    s.impexp = (flags & 0x02) != 0;
    s.except = (flags & 0x04) != 0;
    s.access = (flags & 0x08) != 0;
    s.exenab = (flags & 0x10) != 0;
    s.inenab = (flags & 0x20) != 0;
    s.asc = present >= 6 ? e[4] : 0;
    s.ascq = present >= 6 ? e[5] : 0;
    s.svalid = present >= 10 && (e[9] & 0x80) != 0;
    s.invert = present >= 10 && (e[9] & 0x40) != 0;
    s.medium_type = present >= 10 ? e[9] & 0x07 : 0;
    s.source = present >= 12 ? be16(e + 10) : 0;

    s.primary_tag.clear();
    s.alternate_tag.clear();
    s.identifier.clear();
    s.identifier_type = 0;
    size_t at = tag_first;
    if ((flags_ & pvoltag) != 0 && length >= at + tag_field_size) {
        if (present >= at + tag_text_size)
            assign_printable(s.primary_tag, e + at, tag_text_size);
        at += tag_field_size;
    }
    if ((flags_ & avoltag) != 0 && length >= at + tag_field_size) {
        if (present >= at + tag_text_size)
            assign_printable(s.alternate_tag, e + at, tag_text_size);
        at += tag_field_size;
    }
    if (length >= at + 4 && present >= at + 4) {
        const uint8_t code_set = e[at] & 0x0F;
        s.identifier_type = e[at + 1] & 0x0F;
        const size_t id_at = at + 4;
        const size_t n = std::min(size_t{e[at + 3]}, length - id_at);
        if (present >= id_at + n) {
            if (code_set == 2 || code_set == 3)
                assign_printable(s.identifier, e + id_at, n);
            else
                assign_hex(s.identifier, e + id_at, n);
        }
    }
}

Result<ElementStatusHeader> parse_element_status_in_place(std::span<uint8_t> data,
                                                          std::vector<ElementView>& views) {
    views.clear();
    // As many views as the first page's descriptor length makes of the reply, at once: a read of
    // 64,535 slots grew the list from the 4,096 views a changer keeps four times, copying it.
    if (data.size() >= header_size + page_header_size) {
        const size_t length = be16(data.data() + header_size + 2);
        if (length >= min_descriptor_length)
            views.reserve((data.size() - header_size - page_header_size) / length + 1);
    }
    // A descriptor length or a count past 16 bits cannot be described by a view; READ ELEMENT
    // STATUS allows neither (a 16-bit length, at most 65,535 elements of a 24-bit report).
    auto h = walk(data, [&](uint8_t* d, size_t present, size_t length, ElementType type,
                            uint8_t page_flags) {
        const ElementView v(d, static_cast<uint16_t>(present), static_cast<uint16_t>(length),
                            type, page_flags);
        // The tags become printable where they lie, once; their views then need no copy.
        for (int which = 0; which < 2; ++which) {
            size_t at = tag_first;
            if (which == 1 && (page_flags & pvoltag) != 0 && length >= at + tag_field_size)
                at += tag_field_size;
            const bool flagged = (page_flags & (which == 0 ? pvoltag : avoltag)) != 0;
            if (!flagged || length < at + tag_field_size || present < at + tag_text_size)
                continue;
            const size_t n = trimmed(d + at, tag_text_size);
            for (size_t i = 0; i < n; ++i)
                if (!printable_byte(d[at + i]))
                    d[at + i] = '?';
        }
        views.push_back(v);
    });
    return h;
}

Result<ElementStatusReport> parse_element_status(std::span<const uint8_t> data) {
    ElementStatusReport r;
    auto h = walk(data, [&](const uint8_t* d, size_t present, size_t length, ElementType type,
                            uint8_t page_flags) {
        ElementView(d, static_cast<uint16_t>(present), static_cast<uint16_t>(length), type,
                    page_flags)
            .decode(r.elements.emplace_back());
    });
    if (!h)
        return std::move(h).error();
    r.first_address = h->first_address;
    r.elements_available = h->elements_available;
    r.byte_count = h->byte_count;
    r.truncated = h->truncated;
    return r;
}

} // namespace sgio
