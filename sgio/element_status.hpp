// READ ELEMENT STATUS reply parser. Walks pages and descriptors by the lengths in their headers,
// clamps to what was received (tgt replies 8 bytes short), never reads past the buffer.
#pragma once

#include "element.hpp"
#include "result.hpp"

#include <cstdint>
#include <span>
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

// data: exactly the bytes received (transferred), not the allocation.
// Errors: MalformedReply when not even the 8-byte header is present, or a page claims a descriptor
// length too small to hold an address and flags (< 4) while announcing descriptor bytes.
Result<ElementStatusReport> parse_element_status(std::span<const uint8_t> data);

} // namespace sgio
