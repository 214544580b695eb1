// CDB builders: pure functions, byte-exact per SMC-3 / SPC-4. No I/O.
#pragma once

#include "element.hpp"

#include <array>
#include <cstdint>
#include <span>

namespace sgio {

struct Cdb {
    std::array<uint8_t, 16> bytes{};
    uint8_t length = 0;

    std::span<const uint8_t> span() const { return {bytes.data(), length}; }
    uint8_t operator[](size_t i) const { return bytes[i]; }
};

namespace opcode {
inline constexpr uint8_t TestUnitReady = 0x00;
inline constexpr uint8_t RequestSense = 0x03;
inline constexpr uint8_t InitializeElementStatus = 0x07;
inline constexpr uint8_t Inquiry = 0x12;
inline constexpr uint8_t ModeSense6 = 0x1A;
inline constexpr uint8_t OpenCloseImportExport = 0x1B;
inline constexpr uint8_t PreventAllowMediumRemoval = 0x1E;
inline constexpr uint8_t InitializeElementStatusWithRange = 0x37;
inline constexpr uint8_t ModeSense10 = 0x5A;
inline constexpr uint8_t MoveMedium = 0xA5;
inline constexpr uint8_t ReadElementStatus = 0xB8;
} // namespace opcode

namespace mode_page {
inline constexpr uint8_t ElementAddressAssignment = 0x1D;
inline constexpr uint8_t TransportGeometry = 0x1E;
inline constexpr uint8_t DeviceCapabilities = 0x1F;
} // namespace mode_page

enum class IeAction : uint8_t { Open = 0, Close = 1 };
enum class Prevent : uint8_t { Allow = 0, Prevent = 1 };

namespace cdb {
Cdb test_unit_ready();
Cdb request_sense(uint8_t allocation);
// evpd false: standard INQUIRY (page must be 0).
Cdb inquiry(bool evpd, uint8_t page, uint16_t allocation);
Cdb mode_sense6(uint8_t page, bool dbd, uint8_t allocation);
Cdb mode_sense10(uint8_t page, bool dbd, uint16_t allocation);
// The largest allocation length of a 24-bit field (READ ELEMENT STATUS's).
inline constexpr uint32_t max_allocation_length = 0xFFFFFF;

// allocation is 24-bit; larger values are clamped to max_allocation_length.
Cdb read_element_status(ElementType type, uint16_t start, uint16_t count, bool voltag, bool dvcid,
                        uint32_t allocation, bool curdata = false);
Cdb move_medium(uint16_t transport, uint16_t source, uint16_t destination, bool invert = false);
Cdb initialize_element_status();
// count 0 = to the last element.
Cdb initialize_element_status_with_range(uint16_t start, uint16_t count, bool fast = false);
Cdb prevent_allow_medium_removal(Prevent p);
Cdb open_close_import_export(uint16_t address, IeAction action);
} // namespace cdb

} // namespace sgio
