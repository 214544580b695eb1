// INQUIRY standard data and VPD pages 00h, 80h, 83h.
#pragma once

#include "result.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace sgio {

inline constexpr uint8_t PeripheralTypeChanger = 0x08;

struct InquiryData {
    uint8_t peripheral_qualifier = 0;
    uint8_t peripheral_type = 0;
    bool removable = false;
    uint8_t version = 0;
    bool mchngr = false;
    std::string vendor;   // 8 bytes, trailing blanks trimmed
    std::string product;  // 16 bytes
    std::string revision; // 4 bytes
};

struct Designator {
    uint8_t code_set = 0;   // 1 binary, 2 ASCII, 3 UTF-8
    uint8_t association = 0;
    uint8_t type = 0;       // 1 T10 vendor id, 2 EUI-64, 3 NAA, 8 SCSI name string ...
    std::vector<uint8_t> value;

    // Printable form: ASCII/UTF-8 as text, binary as lowercase hex.
    std::string text() const;
};

// Needs at least 5 bytes (type + additional length); vendor/product/revision are filled as far as
// received.
Result<InquiryData> parse_inquiry(std::span<const uint8_t> data);
Result<std::vector<uint8_t>> parse_vpd_supported_pages(std::span<const uint8_t> data);
Result<std::string> parse_vpd_serial(std::span<const uint8_t> data); // trimmed
Result<std::vector<Designator>> parse_vpd_device_id(std::span<const uint8_t> data);

} // namespace sgio
