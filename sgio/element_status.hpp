// READ ELEMENT STATUS reply parser. Walks pages and descriptors by the lengths in their headers,
// clamps to what was received (tgt replies 8 bytes short), never reads past the buffer.
//
// Two forms. parse_element_status_in_place() leaves the descriptors where they lie in the reply
// buffer and hands out ElementViews over them (16 bytes each, one vector per reply, reused by the
// caller): an element costs its descriptor's bytes in the reply (52 for a storage slot with its
// volume tag on the virtual changer, 12 + 36 + 4 of identifier header; measured by
// tests/bench/bench_element_status) plus its view, 68 bytes per slot in all, where a decoded
// ElementStatus costs 128 bytes more (its three strings and fields) and whatever its strings
// allocate past their 15 inline characters. parse_element_status() decodes every element into an
// ElementStatus, for callers that keep them.
#pragma once

#include "element.hpp"
#include "result.hpp"

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sgio {

struct ElementStatusReport {
    uint16_t first_address = 0;      // header; tgt gets it wrong for single-element replies
    uint16_t elements_available = 0; // header NUMBER OF ELEMENTS AVAILABLE
    uint32_t byte_count = 0;         // header: report bytes available after the 8-byte header
    bool truncated = false;          // fewer bytes received than the header announced
    std::vector<ElementStatus> elements;

    // Bytes needed to receive the whole report (byte_count + 8).
    uint32_t needed() const { return byte_count + 8; }
};

// One element's descriptor, read where it lies in the reply buffer, which must outlive the view.
// Fields are decoded when asked; the tags are views of the buffer (trailing blanks and NULs left
// out, unprintable bytes already replaced by '?' when the reply was parsed).
class ElementView {
public:
    ElementView(const uint8_t* descriptor, uint16_t present, uint16_t length, ElementType type,
                uint8_t page_flags) noexcept
        : d_(descriptor), present_(present), length_(length), type_(type), flags_(page_flags) {}

    ElementType type() const noexcept { return type_; }
    uint16_t address() const noexcept { return static_cast<uint16_t>((d_[0] << 8) | d_[1]); }
    bool full() const noexcept { return (d_[2] & 0x01) != 0; }
    bool truncated() const noexcept { return present_ < length_; }
    // The descriptor length its page announces (what it takes in the reply when whole).
    uint16_t length() const noexcept { return length_; }
    std::string_view primary_tag() const noexcept;
    std::string_view alternate_tag() const noexcept;

    // Every field decoded, into out (whose strings' storage is reused: decoding element after
    // element into one ElementStatus allocates nothing once its strings are long enough).
    void decode(ElementStatus& out) const;
    ElementStatus status() const {
        ElementStatus s;
        decode(s);
        return s;
    }

private:
    // Offset of the primary (0) or alternate (1) tag field, or 0 when the descriptor has none.
    size_t tag_at(int which) const noexcept;

    const uint8_t* d_;
    uint16_t present_; // bytes of the descriptor received (>= 3)
    uint16_t length_;  // descriptor length of its page
    ElementType type_;
    uint8_t flags_; // the page's PVolTag/AVolTag
};
static_assert(sizeof(ElementView) == 16, "one view per slot: keep it small (see above)");

struct ElementStatusHeader {
    uint16_t first_address = 0;
    uint16_t elements_available = 0;
    uint32_t byte_count = 0;
    bool truncated = false;
    uint32_t needed() const { return byte_count + 8; }
};

// data: exactly the bytes received. Replaces views' contents with one view per descriptor, in the
// order of the reply (views keeps its capacity: a caller reading chunk after chunk into the same
// vector allocates once). Unprintable bytes of the volume tags are replaced by '?' in data.
// Errors as parse_element_status().
Result<ElementStatusHeader> parse_element_status_in_place(std::span<uint8_t> data,
                                                          std::vector<ElementView>& views);

// data: exactly the bytes received (transferred), not the allocation.
// Errors: MalformedReply when not even the 8-byte header is present, or a page claims a descriptor
// length too small to hold an address and flags (< 4) while announcing descriptor bytes.
Result<ElementStatusReport> parse_element_status(std::span<const uint8_t> data);

} // namespace sgio
