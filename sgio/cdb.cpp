// CDB builders. Multi-byte fields are big-endian; reserved bytes and the control byte stay zero
// because tgt and mhVTL reject a non-zero control byte.
#include "cdb.hpp"

#include <algorithm>

namespace sgio::cdb {

namespace {

Cdb make(uint8_t op, uint8_t length) {
    Cdb c;
    c.bytes[0] = op;
    c.length = length;
    return c;
}

void put16(Cdb& c, size_t at, uint16_t v) {
    c.bytes[at] = static_cast<uint8_t>(v >> 8);
    c.bytes[at + 1] = static_cast<uint8_t>(v);
}

void put24(Cdb& c, size_t at, uint32_t v) {
    c.bytes[at] = static_cast<uint8_t>(v >> 16);
    c.bytes[at + 1] = static_cast<uint8_t>(v >> 8);
    c.bytes[at + 2] = static_cast<uint8_t>(v);
}

} // namespace

Cdb test_unit_ready() {
    return make(opcode::TestUnitReady, 6);
}

Cdb request_sense(uint8_t allocation) {
    Cdb c = make(opcode::RequestSense, 6);
    c.bytes[4] = allocation;
    return c;
}

Cdb inquiry(bool evpd, uint8_t page, uint16_t allocation) {
    Cdb c = make(opcode::Inquiry, 6);
    if (evpd) {
        c.bytes[1] = 0x01;
        c.bytes[2] = page;
    }
    // A page code with EVPD 0 is an invalid field in the CDB, so standard data ignores page.
    put16(c, 3, allocation);
    return c;
}

Cdb mode_sense6(uint8_t page, bool dbd, uint8_t allocation) {
    Cdb c = make(opcode::ModeSense6, 6);
    c.bytes[1] = dbd ? 0x08 : 0x00;
    c.bytes[2] = page & 0x3F; // PC 00b: current values
    c.bytes[4] = allocation;
    return c;
}

Cdb mode_sense10(uint8_t page, bool dbd, uint16_t allocation) {
    Cdb c = make(opcode::ModeSense10, 10);
    c.bytes[1] = dbd ? 0x08 : 0x00;
    c.bytes[2] = page & 0x3F;
    put16(c, 7, allocation);
    return c;
}

Cdb read_element_status(ElementType type, uint16_t start, uint16_t count, bool voltag, bool dvcid,
                        uint32_t allocation, bool curdata) {
    Cdb c = make(opcode::ReadElementStatus, 12);
    c.bytes[1] = static_cast<uint8_t>((voltag ? 0x10 : 0x00) | (static_cast<uint8_t>(type) & 0x0F));
    put16(c, 2, start);
    put16(c, 4, count);
    c.bytes[6] = static_cast<uint8_t>((curdata ? 0x02 : 0x00) | (dvcid ? 0x01 : 0x00));
    put24(c, 7, std::min(allocation, max_allocation_length));
    return c;
}

Cdb move_medium(uint16_t transport, uint16_t source, uint16_t destination, bool invert) {
    Cdb c = make(opcode::MoveMedium, 12);
    put16(c, 2, transport);
    put16(c, 4, source);
    put16(c, 6, destination);
    c.bytes[10] = invert ? 0x01 : 0x00;
    return c;
}

Cdb initialize_element_status() {
    return make(opcode::InitializeElementStatus, 6);
}

Cdb initialize_element_status_with_range(uint16_t start, uint16_t count, bool fast) {
    Cdb c = make(opcode::InitializeElementStatusWithRange, 10);
    // RANGE is always set: without it the device ignores start and count and scans everything,
    // which initialize_element_status() already does.
    c.bytes[1] = static_cast<uint8_t>((fast ? 0x02 : 0x00) | 0x01);
    put16(c, 2, start);
    put16(c, 6, count);
    return c;
}

Cdb prevent_allow_medium_removal(Prevent p) {
    Cdb c = make(opcode::PreventAllowMediumRemoval, 6);
    c.bytes[4] = static_cast<uint8_t>(static_cast<uint8_t>(p) & 0x03);
    return c;
}

Cdb open_close_import_export(uint16_t address, IeAction action) {
    Cdb c = make(opcode::OpenCloseImportExport, 6);
    put16(c, 2, address);
    c.bytes[4] = static_cast<uint8_t>(static_cast<uint8_t>(action) & 0x1F);
    return c;
}

} // namespace sgio::cdb
