// MODE SENSE(6)/(10) replies: locate a page past the header and block descriptors, then decode
// 1Dh (element address assignment) and 1Fh (device capabilities).
#pragma once

#include "element.hpp"
#include "result.hpp"

#include <cstdint>
#include <span>

namespace sgio {

// Returns the bytes of the page with page_code (PS bit masked), clamped to what was received.
Result<std::span<const uint8_t>> find_mode_page(std::span<const uint8_t> reply, bool ten_byte,
                                                uint8_t page_code);
Result<ElementMap> parse_element_address_page(std::span<const uint8_t> page);
Result<Capabilities> parse_capabilities_page(std::span<const uint8_t> page);

} // namespace sgio
