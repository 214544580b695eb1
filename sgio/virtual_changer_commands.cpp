// The virtual changer's SMC-3 command set.
//
// Sense codes chosen where SMC-3 leaves room (a test asserts each):
// - Move into or out of an import/export element while the port is extended to the operator:
//   NOT READY 3Ah/02h (medium not present, tray open), as mhVTL does for an open mail slot; the
//   robot cannot reach the element, which is a state of the device, not a bad request.
// - Any robot motion (TEST UNIT READY, MOVE MEDIUM, INITIALIZE ELEMENT STATUS, OPEN/CLOSE I/E)
//   while the door is open: NOT READY 04h/18h (logical unit not ready, a door is open). READ
//   ELEMENT STATUS still answers from the inventory the library holds.
// - Operator closes the door: UNIT ATTENTION 28h/00h (not ready to ready change, medium may have
//   changed), since anything may have been moved by hand.
// - OPEN I/E while prevented: 5/53h/02h (medium removal prevented), as the Dell TL2000 does.
// - MOVE MEDIUM with INVERT: 5/24h/00h; the cartridges are single-sided.
// - MOVE MEDIUM with equal source and destination of a full element: GOOD, nothing moves.
//
// A move sleeps move_time while holding the instance mutex and the state-file lock, then applies
// at once: the state on disk is always before or after a move, never in between, and a daemon
// killed mid-move finds the cartridge still at its source, as after a robot that never started.
#include "virtual_changer_commands.hpp"

#include "cdb.hpp"
#include "inquiry.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <thread>
#include <time.h>
#include <unistd.h>

namespace sgio::detail {

namespace {

using Cfg = VirtualChangerConfig;
using Bytes = std::vector<uint8_t>;
using Reply = VcReply;

constexpr uint8_t ReportLuns = 0xA0;

Reply good() {
    return {};
}

Reply data_in(Bytes data, uint32_t allocation) {
    Reply r;
    r.has_data = true;
    r.data = std::move(data);
    r.allocation = allocation;
    return r;
}

Reply check(uint8_t key, uint8_t asc, uint8_t ascq) {
    Reply r;
    r.status = status::CheckCondition;
    r.key = key;
    r.asc = asc;
    r.ascq = ascq;
    return r;
}

Reply illegal(uint8_t asc, uint8_t ascq, uint16_t byte, int bit = -1) {
    Reply r = check(sense_key::IllegalRequest, asc, ascq);
    r.field = byte;
    r.bit = bit;
    return r;
}

Reply invalid_field(uint16_t byte, int bit = -1) {
    return illegal(0x24, 0x00, byte, bit);
}
Reply invalid_address(uint16_t byte) {
    return illegal(0x21, 0x01, byte);
}
Reply door_open_reply() {
    return check(sense_key::NotReady, 0x04, 0x18);
}

uint16_t be16(std::span<const uint8_t> b, size_t at) {
    return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}
uint32_t be24(std::span<const uint8_t> b, size_t at) {
    return uint32_t{b[at]} << 16 | uint32_t{b[at + 1]} << 8 | b[at + 2];
}
void put16(Bytes& b, size_t at, uint32_t v) {
    b[at] = static_cast<uint8_t>(v >> 8);
    b[at + 1] = static_cast<uint8_t>(v);
}
void put24(Bytes& b, size_t at, uint32_t v) {
    b[at] = static_cast<uint8_t>(v >> 16);
    put16(b, at + 1, v);
}
// Space-padded ASCII field, as INQUIRY and volume tags want.
void put_text(Bytes& b, size_t at, size_t width, std::string_view text) {
    for (size_t i = 0; i < width; ++i)
        b[at + i] = static_cast<uint8_t>(i < text.size() ? text[i] : ' ');
}

uint64_t fnv1a(std::string_view s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (char ch : s)
        h = (h ^ static_cast<uint8_t>(ch)) * 0x100000001b3ull;
    return h;
}

std::string serial_of(const Cfg& c) {
    return c.serial.empty() ? fmt::format("VC{:08X}", static_cast<uint32_t>(fnv1a(c.name)))
                            : c.serial;
}

constexpr size_t drive_id_length = 34; // vendor 8 + product 16 + serial 10, as most libraries

Bytes drive_identifier(const Cfg& c, uint16_t address) {
    Bytes id(drive_id_length, ' ');
    put_text(id, 0, 8, c.vendor);
    put_text(id, 8, 16, "VIRTUAL-DRIVE");
    const auto n = static_cast<unsigned>(address - c.drive_first + 1) % 100;
    put_text(id, 24, 10, fmt::format("{:08X}{:02}", static_cast<uint32_t>(fnv1a(c.name) >> 32), n));
    return id;
}

// ---- element status

uint64_t realtime_ms() {
    timespec t{};
    clock_gettime(CLOCK_REALTIME, &t);
    return static_cast<uint64_t>(t.tv_sec) * 1000 + static_cast<uint64_t>(t.tv_nsec) / 1'000'000;
}

uint8_t flags_of(const VcModel& m, const VcElement& e) {
    uint8_t f = e.full ? 0x01 : 0;
    switch (e.type) {
    case ElementType::ImportExport:
        if (e.impexp)
            f |= 0x02;
        if (!m.data.port_open)
            f |= 0x08;    // ACCESS: the robot can reach it only while the port is retracted
        f |= 0x10 | 0x20; // EXENAB, INENAB: the port both imports and exports
        break;
    case ElementType::DataTransfer:
        if (e.cleaning_until <= realtime_ms())
            f |= 0x08; // ACCESS 0 while it cleans: the drive holds the cleaning cartridge
        break;
    case ElementType::Storage:
        f |= 0x08;
        break;
    default:
        break;
    }
    return f;
}

// Removes and returns the oldest pending unit attention; this instance's power-on comes first.
std::optional<VcUnitAttention> take_unit_attention(VcModel& m) {
    if (m.power_on_pending) {
        m.power_on_pending = false;
        return VcUnitAttention{0x29, 0x00};
    }
    auto& pending = m.data.unit_attentions;
    if (pending.empty())
        return std::nullopt;
    const VcUnitAttention ua = pending.front();
    pending.erase(pending.begin());
    m.dirty = true;
    return ua;
}

uint8_t medium_type_of(const VcElement& e) {
    if (!e.full)
        return 0;
    return e.barcode.starts_with("CLN") ? 2 : 1; // cleaning : data
}

Reply read_element_status(const Cfg& c, const VcModel& m, std::span<const uint8_t> cdb) {
    const bool voltag = cdb[1] & 0x10;
    const uint8_t type = cdb[1] & 0x0F;
    const uint16_t start = be16(cdb, 2);
    const uint16_t count = be16(cdb, 4);
    const bool dvcid = cdb[6] & 0x01;
    const uint32_t allocation = be24(cdb, 7);
    if (type > 4)
        return invalid_field(1, 3);
    if (voltag && !c.barcode_reader)
        return invalid_field(1, 4);

    const auto& els = m.data.elements;
    auto matches = [&](const VcElement& e) {
        return type == 0 || static_cast<uint8_t>(e.type) == type;
    };
    auto it = std::lower_bound(els.begin(), els.end(), start,
                               [](const VcElement& e, uint16_t a) { return e.address < a; });
    it = std::find_if(it, els.end(), matches);
    if (it == els.end())
        return invalid_address(2);

    // Elements in ascending address order, a new page whenever the type changes: that is what
    // makes STARTING ELEMENT ADDRESS and NUMBER OF ELEMENTS meaningful for type 0 too.
    Bytes out(8, 0);
    size_t page_at = 0;
    uint16_t reported = 0;
    auto close_page = [&] {
        if (page_at)
            put24(out, page_at + 5, static_cast<uint32_t>(out.size() - page_at - 8));
    };
    std::optional<ElementType> page_type;
    for (; it != els.end() && reported < count; ++it) {
        if (!matches(*it))
            continue;
        const VcElement& e = *it;
        const bool id = dvcid && e.type == ElementType::DataTransfer;
        // 12 bytes plain; with the primary tag 52, the last 4 an identification header with no
        // identifier, as most libraries (and tgt) send; a drive's DVCID identifier adds 34.
        const size_t length =
            12u + (voltag ? 36u : 0u) + (voltag || id ? 4u : 0u) + (id ? drive_id_length : 0u);
        if (page_type != e.type) {
            close_page();
            page_at = out.size();
            page_type = e.type;
            out.resize(out.size() + 8, 0);
            out[page_at] = static_cast<uint8_t>(e.type);
            out[page_at + 1] = voltag ? 0x80 : 0; // PVolTag
            put16(out, page_at + 2, static_cast<uint32_t>(length));
        }
        if (reported == 0)
            put16(out, 0, e.address);
        const size_t d = out.size();
        out.resize(d + length, 0);
        put16(out, d, e.address);
        out[d + 2] = flags_of(m, e);
        out[d + 9] = static_cast<uint8_t>((e.svalid ? 0x80 : 0) | medium_type_of(e));
        if (e.svalid)
            put16(out, d + 10, e.source);
        size_t at = d + 12;
        if (voltag) {
            if (!e.barcode.empty())
                put_text(out, at, 32, e.barcode); // an unlabelled or empty element stays zero
            at += 36;
        }
        if (id) {
            out[at] = 0x02;     // code set ASCII
            out[at + 1] = 0x01; // association LU, type T10 vendor identification
            out[at + 3] = static_cast<uint8_t>(drive_id_length);
            const Bytes ident = drive_identifier(c, e.address);
            std::copy(ident.begin(), ident.end(), out.begin() + static_cast<long>(at + 4));
        }
        ++reported;
    }
    close_page();
    put16(out, 2, reported);
    put24(out, 5, static_cast<uint32_t>(out.size() - 8)); // the whole report, not the allocation
    return data_in(std::move(out), allocation);
}

// ---- INQUIRY and MODE SENSE

Reply inquiry(const Cfg& c, std::span<const uint8_t> cdb) {
    const bool evpd = cdb[1] & 0x01;
    const uint8_t page = cdb[2];
    const uint16_t allocation = be16(cdb, 3);
    if (cdb[1] & 0x02)
        return invalid_field(1, 1); // CMDDT is obsolete
    if (!evpd) {
        if (page != 0)
            return invalid_field(2);
        Bytes d(36, 0);
        d[0] = PeripheralTypeChanger;
        d[1] = 0x80; // RMB: cartridges come and go
        d[2] = 0x05; // SPC-3
        d[3] = 0x02; // response data format 2
        d[4] = 36 - 5;
        put_text(d, 8, 8, c.vendor);
        put_text(d, 16, 16, c.product);
        put_text(d, 32, 4, c.revision);
        return data_in(std::move(d), allocation);
    }
    const std::string serial = serial_of(c);
    Bytes d{PeripheralTypeChanger, page, 0, 0};
    switch (page) {
    case 0x00:
        d.insert(d.end(), {0x00, 0x80, 0x83});
        break;
    case 0x80:
        d.insert(d.end(), serial.begin(), serial.end());
        break;
    case 0x83: {
        // T10 vendor identification: vendor, then product and serial as the vendor-specific part.
        Bytes t10(24, ' ');
        put_text(t10, 0, 8, c.vendor);
        put_text(t10, 8, 16, c.product);
        t10.insert(t10.end(), serial.begin(), serial.end());
        d.insert(d.end(), {0x02, 0x01, 0x00, static_cast<uint8_t>(t10.size())});
        d.insert(d.end(), t10.begin(), t10.end());
        // NAA 3h (locally assigned) from the name, so a library keeps its identity across runs.
        const uint64_t naa = (uint64_t{3} << 60) | (fnv1a(c.name) & 0x0FFF'FFFF'FFFF'FFFFull);
        d.insert(d.end(), {0x01, 0x03, 0x00, 0x08});
        for (int shift = 56; shift >= 0; shift -= 8)
            d.push_back(static_cast<uint8_t>(naa >> shift));
        break;
    }
    default:
        return invalid_field(2);
    }
    put16(d, 2, static_cast<uint32_t>(d.size() - 4));
    return data_in(std::move(d), allocation);
}

Bytes mode_page(const Cfg& c, uint8_t code, bool changeable) {
    Bytes p;
    switch (code) {
    case mode_page::ElementAddressAssignment:
        p.assign(20, 0);
        put16(p, 2, c.transport_first);
        put16(p, 4, c.transports);
        put16(p, 6, c.storage_first);
        put16(p, 8, c.slots);
        put16(p, 10, c.ie_first);
        put16(p, 12, c.ie_count);
        put16(p, 14, c.drive_first);
        put16(p, 16, c.drives);
        break;
    case mode_page::TransportGeometry:
        p.assign(2 + 2u * c.transports, 0);
        for (uint16_t i = 0; i < c.transports; ++i)
            p[3 + 2u * i] = static_cast<uint8_t>(i); // member number; ROTATE 0
        break;
    default: { // DeviceCapabilities
        p.assign(20, 0);
        const uint8_t dest = static_cast<uint8_t>((c.drives ? 0x08 : 0) | (c.ie_count ? 0x04 : 0) |
                                                  (c.slots ? 0x02 : 0));
        p[2] = dest;                        // StorDT, StorI/E, StorST; the picker stores nothing
        p[3] = c.barcode_reader ? 0x02 : 0; // VTRP
        p[5] = c.slots ? dest : 0;          // ST-> ; MT-> stays 0
        p[6] = c.ie_count ? dest : 0;       // I/E->
        p[7] = c.drives ? dest : 0;         // DT->
        break;
    }
    }
    if (changeable)
        std::fill(p.begin(), p.end(), 0); // nothing can be changed with MODE SELECT
    p[0] = code;
    p[1] = static_cast<uint8_t>(p.size() - 2);
    return p;
}

Reply mode_sense(const Cfg& c, std::span<const uint8_t> cdb, bool ten) {
    const bool dbd = cdb[1] & 0x08;
    const uint8_t control = static_cast<uint8_t>(cdb[2] >> 6);
    const uint8_t page = cdb[2] & 0x3F;
    const uint32_t allocation = ten ? be16(cdb, 7) : cdb[4];
    if (control == 3)
        return illegal(0x39, 0x00, 2, 7); // saving parameters not supported
    if (cdb[3] != 0)
        return invalid_field(3);
    Bytes pages;
    auto add = [&](uint8_t code) {
        const Bytes p = mode_page(c, code, control == 1);
        pages.insert(pages.end(), p.begin(), p.end());
    };
    if (page == 0x3F) {
        add(mode_page::ElementAddressAssignment);
        add(mode_page::TransportGeometry);
        add(mode_page::DeviceCapabilities);
    } else if (page >= mode_page::ElementAddressAssignment &&
               page <= mode_page::DeviceCapabilities) {
        add(page);
    } else {
        return invalid_field(2, 5);
    }
    // A changer has no blocks; with DBD clear it still sends one empty general block descriptor,
    // so initiators that skip block descriptors by their length are exercised.
    const size_t block = dbd ? 0 : 8;
    const size_t header = ten ? 8 : 4;
    Bytes out(header + block, 0);
    out.insert(out.end(), pages.begin(), pages.end());
    if (ten) {
        put16(out, 0, static_cast<uint32_t>(out.size() - 2));
        put16(out, 6, static_cast<uint32_t>(block));
    } else {
        out[0] = static_cast<uint8_t>(out.size() - 1);
        out[3] = static_cast<uint8_t>(block);
    }
    return data_in(std::move(out), allocation);
}

// ---- commands that change the state

Reply move_medium(const Cfg& c, VcModel& m, std::span<const uint8_t> cdb) {
    const uint16_t transport = be16(cdb, 2), from = be16(cdb, 4), to = be16(cdb, 6);
    if (transport != 0) {
        const VcElement* t = m.data.find(transport);
        if (!t || t->type != ElementType::Transport)
            return invalid_address(2);
    }
    VcElement* src = m.data.find(from);
    if (!src || src->type == ElementType::Transport)
        return invalid_address(4);
    VcElement* dst = m.data.find(to);
    if (!dst || dst->type == ElementType::Transport)
        return invalid_address(6);
    if (cdb[10] & 0x01)
        return invalid_field(10, 0);
    if (m.data.door_open)
        return door_open_reply();
    if (m.data.port_open &&
        (src->type == ElementType::ImportExport || dst->type == ElementType::ImportExport))
        return check(sense_key::NotReady, 0x3A, 0x02);
    if (!src->full)
        return check(sense_key::IllegalRequest, 0x3B, 0x0E);
    if (from == to)
        return good();
    if (dst->full)
        return check(sense_key::IllegalRequest, 0x3B, 0x0D);
    if (c.move_time.count() > 0)
        std::this_thread::sleep_for(c.move_time);
    if (src->type == ElementType::DataTransfer && c.unload_time.count() > 0)
        std::this_thread::sleep_for(c.unload_time); // the drive unloads the tape first
    dst->full = true;
    dst->barcode = std::move(src->barcode);
    dst->impexp = false; // the robot put it there
    dst->svalid = true;
    dst->source = from;
    dst->cleaning_until = dst->type == ElementType::DataTransfer && c.clean_time.count() > 0 &&
                                  dst->barcode.starts_with("CLN")
                              ? realtime_ms() + static_cast<uint64_t>(c.clean_time.count())
                              : 0;
    *src = VcElement{src->type, src->address};
    m.dirty = true;
    return good();
}

Reply open_close_ie(const Cfg& c, VcModel& m, std::span<const uint8_t> cdb) {
    if (!c.supports_open_close)
        return illegal(0x20, 0x00, 0);
    const VcElement* e = m.data.find(be16(cdb, 2));
    if (!e || e->type != ElementType::ImportExport)
        return invalid_address(2);
    const uint8_t action = cdb[4] & 0x1F;
    if (action > 1)
        return invalid_field(4, 4);
    if (m.data.door_open)
        return door_open_reply();
    const bool open = action == 0;
    if (open && m.data.prevented)
        return check(sense_key::IllegalRequest, 0x53, 0x02);
    if (m.data.port_open != open) {
        m.data.port_open = open;
        m.dirty = true;
    }
    return good();
}

Reply prevent_allow(const Cfg& c, VcModel& m, std::span<const uint8_t> cdb) {
    if (!c.supports_prevent)
        return illegal(0x20, 0x00, 0);
    const uint8_t prevent = cdb[4] & 0x03;
    if (prevent > 1)
        return invalid_field(4, 1);
    // One initiator's ALLOW allows for all (as the Scalar i7 does); PREVENT records its holder.
    const int holder = prevent == 1 ? ::getpid() : 0;
    if (m.data.prevented != (prevent == 1) || m.data.prevent_pid != holder) {
        m.data.prevented = prevent == 1;
        m.data.prevent_pid = holder;
        m.dirty = true;
    }
    return good();
}

Reply request_sense(VcModel& m, std::span<const uint8_t> cdb) {
    if (cdb[1] & 0x01)
        return invalid_field(1, 0); // descriptor format is not offered
    const uint8_t allocation = cdb[4];
    if (const auto ua = take_unit_attention(m))
        return data_in(fixed_sense(sense_key::UnitAttention, ua->asc, ua->ascq), allocation);
    if (m.data.door_open)
        return data_in(fixed_sense(sense_key::NotReady, 0x04, 0x18), allocation);
    return data_in(fixed_sense(0, 0, 0), allocation);
}

} // namespace

size_t cdb_length(uint8_t op) {
    switch (op >> 5) {
    case 0:
        return 6;
    case 1:
    case 2:
        return 10;
    case 4:
        return 16;
    case 5:
        return 12;
    default:
        return 1; // reserved and vendor groups: answered 20h/00h whatever their length
    }
}

Bytes fixed_sense(uint8_t key, uint8_t asc, uint8_t ascq, std::optional<uint16_t> field, int bit) {
    Bytes s(18, 0);
    s[0] = 0x70;
    s[2] = key;
    s[7] = 10;
    s[12] = asc;
    s[13] = ascq;
    if (field) {
        s[15] = static_cast<uint8_t>(0x80 | 0x40 | (bit >= 0 ? 0x08 | (bit & 7) : 0));
        s[16] = static_cast<uint8_t>(*field >> 8);
        s[17] = static_cast<uint8_t>(*field);
    }
    return s;
}

ElementStatus element_status_of(const Cfg& c, const VcModel& m, const VcElement& e) {
    ElementStatus s;
    const uint8_t f = flags_of(m, e);
    s.type = e.type;
    s.address = e.address;
    s.full = f & 0x01;
    s.impexp = f & 0x02;
    s.access = f & 0x08;
    s.exenab = f & 0x10;
    s.inenab = f & 0x20;
    s.svalid = e.svalid;
    s.source = e.svalid ? e.source : 0;
    s.medium_type = medium_type_of(e);
    s.primary_tag = e.barcode;
    if (e.type == ElementType::DataTransfer) {
        const Bytes id = drive_identifier(c, e.address);
        s.identifier.assign(id.begin(), id.end());
    }
    return s;
}

Reply run_command(const Cfg& c, VcModel& m, std::span<const uint8_t> cdb) {
    const uint8_t op = cdb[0];
    const size_t length = cdb_length(op);
    if (length > 1 && (cdb[length - 1] & 0x05))
        return invalid_field(static_cast<uint16_t>(length - 1)); // NACA and LINK unsupported

    // A pending unit attention is reported instead of executing the command, except for the
    // commands SPC exempts so that an initiator can always identify the device and fetch sense.
    if (op != opcode::Inquiry && op != opcode::RequestSense && op != ReportLuns) {
        if (const auto ua = take_unit_attention(m))
            return check(sense_key::UnitAttention, ua->asc, ua->ascq);
    }
    switch (op) {
    case opcode::TestUnitReady:
        return m.data.door_open ? door_open_reply() : good();
    case opcode::RequestSense:
        return request_sense(m, cdb);
    case opcode::Inquiry:
        return inquiry(c, cdb);
    case opcode::ModeSense6:
        return mode_sense(c, cdb, false);
    case opcode::ModeSense10:
        return mode_sense(c, cdb, true);
    case opcode::ReadElementStatus:
        return read_element_status(c, m, cdb);
    case opcode::MoveMedium:
        return move_medium(c, m, cdb);
    case opcode::InitializeElementStatus:
        return m.data.door_open ? door_open_reply() : good();
    case opcode::InitializeElementStatusWithRange:
        if ((cdb[1] & 0x01) && !m.data.find(be16(cdb, 2)))
            return invalid_address(2);
        return m.data.door_open ? door_open_reply() : good();
    case opcode::PreventAllowMediumRemoval:
        return prevent_allow(c, m, cdb);
    case opcode::OpenCloseImportExport:
        return open_close_ie(c, m, cdb);
    default:
        return illegal(0x20, 0x00, 0);
    }
}

} // namespace sgio::detail
