// SMC element types and the decoded state of one element.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sgio {

// SMC-3 element type codes as they appear in CDBs and status pages (not Linux chio.h's numbering).
enum class ElementType : uint8_t {
    All = 0,
    Transport = 1,
    Storage = 2,
    ImportExport = 3,
    DataTransfer = 4,
};

const char* element_type_name(ElementType t) noexcept; // "transport", "storage", "import/export", "drive"

struct ElementStatus {
    ElementType type = ElementType::Storage;
    uint16_t address = 0;
    bool full = false;
    bool impexp = false;  // IE only: 1 = placed by the operator, 0 = by the robot
    bool except = false;
    bool access = false;  // IE: 0 while the port is open to the operator
    bool exenab = false;
    bool inenab = false;
    uint8_t asc = 0;      // valid when except
    uint8_t ascq = 0;
    bool svalid = false;
    bool invert = false;
    uint16_t source = 0;  // valid when svalid
    uint8_t medium_type = 0;
    std::string primary_tag;   // trimmed of trailing blanks/NULs; empty when absent
    std::string alternate_tag;
    std::string identifier;    // DVCID identifier bytes when present
    uint8_t identifier_type = 0; // its SPC designator type (1: T10 vendor identification)
    bool truncated = false;    // descriptor was cut short; fields past the cut are default
};

// A drive's identity as its DVCID identifier gives it: a T10 vendor identification (type 1) of
// 24 bytes or more is vendor (8), product (16) and serial (the rest), as libraries send it; any
// other identifier is the serial alone. Empty fields where the changer sent nothing.
struct DriveIdentity {
    std::string vendor, product, serial;
};
DriveIdentity drive_identity(const ElementStatus& e);

// Addresses from mode page 1Dh (Element Address Assignment).
struct ElementMap {
    uint16_t transport_first = 0, transport_count = 0;
    uint16_t storage_first = 0, storage_count = 0;
    uint16_t ie_first = 0, ie_count = 0;
    uint16_t drive_first = 0, drive_count = 0;

    uint16_t first(ElementType t) const noexcept;
    uint16_t count(ElementType t) const noexcept;
    // Whether two types' address ranges share an address (SMC-3 gives every element its own).
    bool overlaps() const noexcept;
};

// From mode page 1Fh (Device Capabilities).
struct Capabilities {
    bool present = false;        // the page was returned at all
    bool barcode_reader = false; // VTRP
    bool store_mt = false, store_st = false, store_ie = false, store_dt = false;
    // move_from[source type][destination type], indices ElementType 1..4
    bool can_move[5][5] = {};
};

} // namespace sgio
