// Sense data decoding (SPC-4 4.5). Every field is read only when its bytes were received and,
// for the fixed format, lie inside the ADDITIONAL SENSE LENGTH, as the kernel does.
#include "sense.hpp"

#include "fields.hpp"

#include <algorithm>
#include <cstddef>
#include <fmt/format.h>

namespace sgio {

namespace {

uint64_t be_n(const uint8_t* p, size_t n) noexcept {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
        v = (v << 8) | p[i];
    }
    return v;
}

void parse_fixed(std::span<const uint8_t> d, Sense& s) noexcept {
    size_t avail = d.size();
    if (avail >= 8) {
        avail = std::min(avail, size_t{8} + d[7]);
    }
    if (avail < 3) {
        return; // no sense key: nothing usable
    }
    s.valid = true;
    s.key = d[2] & 0x0F;
    if ((d[0] & 0x80) != 0 && avail >= 7) {
        s.information = be_n(d.data() + 3, 4);
    }
    if (avail >= 13) {
        s.asc = d[12];
    }
    if (avail >= 14) {
        s.ascq = d[13];
    }
    // The field pointer only means "byte N of the CDB/parameters" for ILLEGAL REQUEST; other keys
    // use the same bytes for progress indication or retry counts.
    if (avail >= 18 && (d[15] & 0x80) != 0 && s.key == sense_key::IllegalRequest) {
        s.field_in_cdb = (d[15] & 0x40) != 0;
        s.field_pointer = be16(d.data() + 16);
    }
}

void parse_descriptor(std::span<const uint8_t> d, Sense& s) noexcept {
    if (d.size() < 2) {
        return;
    }
    s.valid = true;
    s.key = d[1] & 0x0F;
    if (d.size() >= 3) {
        s.asc = d[2];
    }
    if (d.size() >= 4) {
        s.ascq = d[3];
    }
    if (d.size() < 8) {
        return;
    }
    const size_t end = std::min(d.size(), size_t{8} + d[7]);
    size_t p = 8;
    while (p + 2 <= end) {
        const uint8_t type = d[p];
        const size_t len = size_t{2} + d[p + 1]; // >= 2: the walk always advances
        const size_t desc_end = std::min(end, p + len);
        if (type == 0x00 && desc_end >= p + 12 && (d[p + 2] & 0x80) != 0) {
            s.information = be_n(d.data() + p + 4, 8);
        } else if (type == 0x02 && desc_end >= p + 7 && (d[p + 4] & 0x80) != 0 &&
                   s.key == sense_key::IllegalRequest) {
            s.field_in_cdb = (d[p + 4] & 0x40) != 0;
            s.field_pointer = be16(d.data() + p + 5);
        }
        p += len;
    }
}

struct AscEntry {
    uint8_t asc;
    uint8_t ascq;
    const char* name;
};

// The additional sense codes a medium changer reports (names as in T10's ASC/ASCQ list).
constexpr AscEntry asc_table[] = {
    {0x00, 0x00, "NO ADDITIONAL SENSE INFORMATION"},
    {0x04, 0x00, "LOGICAL UNIT NOT READY, CAUSE NOT REPORTABLE"},
    {0x04, 0x01, "LOGICAL UNIT IS IN PROCESS OF BECOMING READY"},
    {0x04, 0x02, "LOGICAL UNIT NOT READY, INITIALIZING COMMAND REQUIRED"},
    {0x04, 0x03, "LOGICAL UNIT NOT READY, MANUAL INTERVENTION REQUIRED"},
    {0x04, 0x07, "LOGICAL UNIT NOT READY, OPERATION IN PROGRESS"},
    {0x04, 0x12, "LOGICAL UNIT NOT READY, OFFLINE"},
    {0x04, 0x15, "LOGICAL UNIT NOT READY, ROBOTICS DISABLED"},
    {0x04, 0x16, "LOGICAL UNIT NOT READY, CONFIGURATION REQUIRED"},
    {0x04, 0x17, "LOGICAL UNIT NOT READY, CALIBRATION REQUIRED"},
    {0x04, 0x18, "LOGICAL UNIT NOT READY, A DOOR IS OPEN"},
    {0x15, 0x01, "MECHANICAL POSITIONING ERROR"},
    {0x20, 0x00, "INVALID COMMAND OPERATION CODE"},
    {0x21, 0x01, "INVALID ELEMENT ADDRESS"},
    {0x24, 0x00, "INVALID FIELD IN CDB"},
    {0x25, 0x00, "LOGICAL UNIT NOT SUPPORTED"},
    {0x26, 0x00, "INVALID FIELD IN PARAMETER LIST"},
    {0x28, 0x00, "NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED"},
    {0x28, 0x01, "IMPORT OR EXPORT ELEMENT ACCESSED"},
    {0x28, 0x03, "IMPORT/EXPORT ELEMENT ACCESSED, MEDIUM CHANGED"},
    {0x29, 0x00, "POWER ON, RESET, OR BUS DEVICE RESET OCCURRED"},
    {0x29, 0x01, "POWER ON OCCURRED"},
    {0x29, 0x02, "SCSI BUS RESET OCCURRED"},
    {0x29, 0x03, "BUS DEVICE RESET FUNCTION OCCURRED"},
    {0x29, 0x04, "DEVICE INTERNAL RESET"},
    {0x29, 0x05, "TRANSCEIVER MODE CHANGED TO SINGLE-ENDED"},
    {0x29, 0x06, "TRANSCEIVER MODE CHANGED TO LVD"},
    {0x29, 0x07, "I_T NEXUS LOSS OCCURRED"},
    {0x2A, 0x01, "MODE PARAMETERS CHANGED"},
    {0x2A, 0x03, "RESERVATIONS PREEMPTED"},
    {0x2A, 0x15, "MEDIUM REMOVAL PREVENTION PREEMPTED"},
    {0x30, 0x00, "INCOMPATIBLE MEDIUM INSTALLED"},
    {0x30, 0x03, "CLEANING CARTRIDGE INSTALLED"},
    {0x3A, 0x00, "MEDIUM NOT PRESENT"},
    {0x3A, 0x02, "MEDIUM NOT PRESENT - TRAY OPEN"},
    {0x3B, 0x0D, "MEDIUM DESTINATION ELEMENT FULL"},
    {0x3B, 0x0E, "MEDIUM SOURCE ELEMENT EMPTY"},
    {0x3B, 0x11, "MEDIUM MAGAZINE NOT ACCESSIBLE"},
    {0x3B, 0x12, "MEDIUM MAGAZINE REMOVED"},
    {0x3B, 0x13, "MEDIUM MAGAZINE INSERTED"},
    {0x3B, 0x14, "MEDIUM MAGAZINE LOCKED"},
    {0x3B, 0x15, "MEDIUM MAGAZINE UNLOCKED"},
    {0x3B, 0x16, "MECHANICAL POSITIONING OR CHANGER ERROR"},
    {0x3B, 0x18, "ELEMENT DISABLED"},
    {0x3B, 0x19, "ELEMENT ENABLED"},
    {0x3B, 0x1A, "DATA TRANSFER DEVICE REMOVED"},
    {0x3B, 0x1B, "DATA TRANSFER DEVICE INSERTED"},
    {0x3B, 0x20, "ELEMENT STATIC INFORMATION CHANGED"},
    {0x3F, 0x00, "TARGET OPERATING CONDITIONS HAVE CHANGED"},
    {0x3F, 0x01, "MICROCODE HAS BEEN CHANGED"},
    {0x3F, 0x03, "INQUIRY DATA HAS CHANGED"},
    {0x3F, 0x0E, "REPORTED LUNS DATA HAS CHANGED"},
    {0x44, 0x00, "INTERNAL TARGET FAILURE"},
    {0x53, 0x00, "MEDIA LOAD OR EJECT FAILED"},
    {0x53, 0x02, "MEDIUM REMOVAL PREVENTED"},
    {0x53, 0x03, "MEDIUM REMOVAL PREVENTED BY DATA TRANSFER ELEMENT"},
    {0x53, 0x08, "ELEMENT STATUS UNKNOWN"},
    {0x53, 0x09, "DATA TRANSFER DEVICE ERROR - LOAD FAILED"},
    {0x53, 0x0A, "DATA TRANSFER DEVICE ERROR - UNLOAD FAILED"},
    {0x53, 0x0B, "DATA TRANSFER DEVICE ERROR - UNLOAD MISSING"},
    {0x5A, 0x01, "OPERATOR MEDIUM REMOVAL REQUEST"},
};

} // namespace

Sense parse_sense(std::span<const uint8_t> data) noexcept {
    Sense s;
    if (data.empty()) {
        return s;
    }
    s.response_code = data[0] & 0x7F;
    switch (s.response_code) {
    case 0x70:
    case 0x71:
        s.deferred = s.response_code == 0x71;
        parse_fixed(data, s);
        break;
    case 0x72:
    case 0x73:
        s.descriptor_format = true;
        s.deferred = s.response_code == 0x73;
        parse_descriptor(data, s);
        break;
    default:
        break; // vendor-specific (7Fh) or garbage: nothing we can interpret
    }
    return s;
}

const char* sense_key_name(uint8_t key) noexcept {
    static constexpr const char* names[16] = {
        "NO SENSE",       "RECOVERED ERROR", "NOT READY",      "MEDIUM ERROR",
        "HARDWARE ERROR", "ILLEGAL REQUEST", "UNIT ATTENTION", "DATA PROTECT",
        "BLANK CHECK",    "VENDOR SPECIFIC", "COPY ABORTED",   "ABORTED COMMAND",
        "EQUAL",          "VOLUME OVERFLOW", "MISCOMPARE",     "COMPLETED",
    };
    return key < 16 ? names[key] : "INVALID SENSE KEY";
}

const char* asc_name(uint8_t asc, uint8_t ascq) noexcept {
    for (const auto& e : asc_table) {
        if (e.asc == asc && e.ascq == ascq) {
            return e.name;
        }
    }
    return nullptr;
}

std::string describe(const Sense& s) {
    if (!s.valid) {
        if (s.response_code == 0) {
            return "no sense data";
        }
        const bool known = s.response_code >= 0x70 && s.response_code <= 0x73;
        return fmt::format("{} sense data (response code {:02X}h)",
                           known ? "incomplete" : "unrecognised", s.response_code);
    }
    std::string out = fmt::format("{} {:02X}h/{:02X}h", sense_key_name(s.key), s.asc, s.ascq);
    if (const char* name = asc_name(s.asc, s.ascq)) {
        std::string lower(name);
        std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
            return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        });
        out += " (" + lower + ")";
    }
    if (s.field_pointer) {
        out += fmt::format(", {} byte {}", s.field_in_cdb ? "CDB" : "parameter list",
                           *s.field_pointer);
    }
    if (s.deferred) {
        out += ", deferred";
    }
    return out;
}

} // namespace sgio
