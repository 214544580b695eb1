// SCSI sense data (fixed 70h/71h and descriptor 72h/73h formats), decoded.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace sgio {

namespace sense_key {
inline constexpr uint8_t NoSense = 0x0;
inline constexpr uint8_t RecoveredError = 0x1;
inline constexpr uint8_t NotReady = 0x2;
inline constexpr uint8_t MediumError = 0x3;
inline constexpr uint8_t HardwareError = 0x4;
inline constexpr uint8_t IllegalRequest = 0x5;
inline constexpr uint8_t UnitAttention = 0x6;
inline constexpr uint8_t DataProtect = 0x7;
inline constexpr uint8_t AbortedCommand = 0xB;
} // namespace sense_key

struct Sense {
    bool valid = false;          // a recognised response code was present
    bool descriptor_format = false;
    bool deferred = false;       // 71h/73h
    uint8_t response_code = 0;
    uint8_t key = 0;
    uint8_t asc = 0;
    uint8_t ascq = 0;
    std::optional<uint64_t> information;
    std::optional<uint16_t> field_pointer; // from SKSV sense-key-specific data (ILLEGAL REQUEST)
    bool field_in_cdb = false;             // C/D bit of the sense-key-specific field

    bool is(uint8_t k, uint8_t a, uint8_t q) const { return valid && key == k && asc == a && ascq == q; }
    bool is(uint8_t k, uint8_t a) const { return valid && key == k && asc == a; }
};

// Decodes whatever part of the buffer is present; a short or unknown buffer yields valid == false
// or only the fields that were received. Never reads past data.size().
Sense parse_sense(std::span<const uint8_t> data) noexcept;

const char* sense_key_name(uint8_t key) noexcept;
// "MEDIUM DESTINATION ELEMENT FULL" for 3Bh/0Dh, etc.; nullptr when the pair is not in our table.
const char* asc_name(uint8_t asc, uint8_t ascq) noexcept;
// "ILLEGAL REQUEST 3Bh/0Dh (medium destination element full)"
std::string describe(const Sense& s);

} // namespace sgio
