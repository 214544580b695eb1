// The virtual changer answered byte by byte: CDBs are built by hand and replies decoded here, so
// these tests check the device model against SMC-3/SPC, not against our own builders and parsers.
#include "sgio/cdb.hpp"
#include "sgio/virtual_changer.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace sgio;
using namespace std::chrono_literals;
using B = std::vector<uint8_t>;

namespace {

// ---- CDBs, by hand

uint8_t hi(unsigned v) {
    return static_cast<uint8_t>(v >> 8);
}
uint8_t lo(unsigned v) {
    return static_cast<uint8_t>(v);
}

B tur() {
    return {0x00, 0, 0, 0, 0, 0};
}
B request_sense(uint8_t alloc) {
    return {0x03, 0, 0, 0, alloc, 0};
}
B inquiry(bool evpd, uint8_t page, uint16_t alloc) {
    return {0x12, evpd ? uint8_t{1} : uint8_t{0}, page, hi(alloc), lo(alloc), 0};
}
B mode_sense6(uint8_t page, bool dbd, uint8_t alloc) {
    return {0x1A, dbd ? uint8_t{0x08} : uint8_t{0}, page, 0, alloc, 0};
}
B mode_sense10(uint8_t page, bool dbd, uint16_t alloc) {
    return {0x5A, dbd ? uint8_t{0x08} : uint8_t{0}, page, 0, 0, 0, 0, hi(alloc), lo(alloc), 0};
}
B res(uint8_t type, uint16_t start, uint16_t count, bool voltag, bool dvcid, uint32_t alloc) {
    return {0xB8,
            static_cast<uint8_t>((voltag ? 0x10 : 0) | type),
            hi(start),
            lo(start),
            hi(count),
            lo(count),
            dvcid ? uint8_t{1} : uint8_t{0},
            static_cast<uint8_t>(alloc >> 16),
            hi(alloc),
            lo(alloc),
            0,
            0};
}
B move(uint16_t transport, uint16_t src, uint16_t dst) {
    return {0xA5, 0, hi(transport), lo(transport), hi(src), lo(src), hi(dst), lo(dst), 0, 0, 0, 0};
}
B init_status() {
    return {0x07, 0, 0, 0, 0, 0};
}
B init_range(bool range, uint16_t start, uint16_t count) {
    return {
        0x37, range ? uint8_t{1} : uint8_t{0}, hi(start), lo(start), 0, 0, hi(count), lo(count), 0,
        0};
}
B prevent_allow(uint8_t v) {
    return {0x1E, 0, 0, 0, v, 0};
}
B open_close(uint16_t addr, uint8_t action) {
    return {0x1B, 0, hi(addr), lo(addr), action, 0};
}

struct Out {
    CommandResult r;
    B data; // the bytes transferred
};

Out run(VirtualChanger& vc, const B& cdb, size_t buffer = 0) {
    B buf(buffer, 0xEE);
    auto r = vc.execute(cdb, buffer ? Direction::FromDevice : Direction::None, buf, 10s);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    Out o;
    if (!r.ok())
        return o;
    o.r = r.value();
    o.data.assign(buf.begin(),
                  buf.begin() + static_cast<long>(std::min(o.r.transferred, buf.size())));
    return o;
}

void expect_good(const Out& o) {
    EXPECT_EQ(o.r.status, status::Good);
    EXPECT_TRUE(o.r.sense_bytes.empty());
}

void expect_sense(const Out& o, uint8_t key, uint8_t asc, uint8_t ascq) {
    EXPECT_EQ(o.r.status, status::CheckCondition);
    ASSERT_EQ(o.r.sense_bytes.size(), 18u);
    EXPECT_EQ(o.r.sense_bytes[0], 0x70);
    EXPECT_EQ(o.r.sense_bytes[2] & 0x0F, key);
    EXPECT_EQ(o.r.sense_bytes[7], 10);
    EXPECT_EQ(o.r.sense_bytes[12], asc);
    EXPECT_EQ(o.r.sense_bytes[13], ascq);
    EXPECT_TRUE(o.r.sense.valid);
    EXPECT_EQ(o.r.sense.key, key);
    EXPECT_EQ(o.r.sense.asc, asc);
    EXPECT_EQ(o.r.sense.ascq, ascq);
}

// ILLEGAL REQUEST with the sense-key-specific field pointer at a CDB byte.
void expect_field(const Out& o, uint8_t asc, uint16_t byte) {
    expect_sense(o, 0x05, asc, static_cast<uint8_t>(asc == 0x21 ? 1 : 0));
    ASSERT_EQ(o.r.sense_bytes.size(), 18u);
    EXPECT_EQ(o.r.sense_bytes[15] & 0xC0, 0xC0); // SKSV, C/D = CDB
    EXPECT_EQ((o.r.sense_bytes[16] << 8) | o.r.sense_bytes[17], byte);
    ASSERT_TRUE(o.r.sense.field_pointer.has_value());
    EXPECT_EQ(*o.r.sense.field_pointer, byte);
}

uint16_t be16(const B& b, size_t at) {
    return static_cast<uint16_t>(b.at(at) << 8 | b.at(at + 1));
}
uint32_t be24(const B& b, size_t at) {
    return uint32_t{b.at(at)} << 16 | uint32_t{b.at(at + 1)} << 8 | b.at(at + 2);
}

// ---- READ ELEMENT STATUS data, decoded by hand

struct Desc {
    uint8_t type = 0;
    bool pvoltag = false;
    uint16_t length = 0;
    uint16_t address = 0;
    uint8_t flags = 0;
    uint8_t byte9 = 0;
    uint16_t source = 0;
    std::string tag;
    B id;
    bool full() const { return flags & 0x01; }
    bool impexp() const { return flags & 0x02; }
    bool access() const { return flags & 0x08; }
    bool exenab() const { return flags & 0x10; }
    bool inenab() const { return flags & 0x20; }
    bool svalid() const { return byte9 & 0x80; }
};

struct Report {
    uint16_t first = 0, count = 0;
    uint32_t byte_count = 0;
    size_t pages = 0;
    std::vector<Desc> d;
};

Report decode(const B& b) {
    Report r;
    if (b.size() < 8)
        return r;
    r.first = be16(b, 0);
    r.count = be16(b, 2);
    r.byte_count = be24(b, 5);
    size_t p = 8;
    while (p + 8 <= b.size()) {
        const uint8_t type = b[p];
        const bool pv = b[p + 1] & 0x80;
        const uint16_t len = be16(b, p + 2);
        const size_t end = std::min(b.size(), p + 8 + be24(b, p + 5));
        ++r.pages;
        p += 8;
        if (len == 0)
            break;
        for (; p + len <= end; p += len) {
            Desc d;
            d.type = type;
            d.pvoltag = pv;
            d.length = len;
            d.address = be16(b, p);
            d.flags = b[p + 2];
            d.byte9 = b[p + 9];
            d.source = be16(b, p + 10);
            size_t off = p + 12;
            if (pv) {
                d.tag.assign(b.begin() + static_cast<long>(off),
                             b.begin() + static_cast<long>(off + 32));
                d.tag.erase(d.tag.find_last_not_of(std::string(" \0", 2)) + 1);
                off += 36;
            }
            if (off + 4 <= p + len)
                d.id.assign(b.begin() + static_cast<long>(off + 4),
                            b.begin() + static_cast<long>(off + 4 + b[off + 3]));
            r.d.push_back(d);
        }
        p = end;
    }
    return r;
}

Report read_status(VirtualChanger& vc, uint8_t type, uint16_t start = 0, uint16_t count = 0xFFFF,
                   bool voltag = true, bool dvcid = false) {
    auto o = run(vc, res(type, start, count, voltag, dvcid, 0xFFFF), 0xFFFF);
    EXPECT_EQ(o.r.status, status::Good);
    return decode(o.data);
}

std::unique_ptr<VirtualChanger> make(const std::string& spec) {
    auto c = VirtualChangerConfig::parse(spec);
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    if (!c.ok())
        return nullptr;
    auto vc = VirtualChanger::open(c.value());
    EXPECT_TRUE(vc.ok()) << (vc.ok() ? "" : vc.error().message);
    return vc.ok() ? std::move(vc.value()) : nullptr;
}

class StateDir : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = ::testing::TempDir() + "vc-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    void write(const std::string& file, const std::string& text) {
        std::ofstream(file, std::ios::trunc) << text;
    }
    std::string dir_;
};

} // namespace

// ---------------------------------------------------------------- configuration

TEST(VirtualChangerConfig, Defaults) {
    auto c = VirtualChangerConfig::parse("sim:lab1");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->name, "lab1");
    EXPECT_EQ(c->slots, 20);
    EXPECT_EQ(c->drives, 2);
    EXPECT_EQ(c->ie_count, 1);
    EXPECT_TRUE(c->barcode_reader);
    EXPECT_FALSE(c->door);
    EXPECT_TRUE(c->state_file.empty());
    EXPECT_EQ(c->fill, 0u);
}

TEST(VirtualChangerConfig, EveryKey) {
    auto c = VirtualChangerConfig::parse(
        "sim:big-1,slots=50,drives=4,ie=5,barcodes=no,door=yes,prevent=no,openclose=no,"
        "move-ms=25,state=lib.state,fill=10,serial=ABC123,poweron=yes");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->name, "big-1");
    EXPECT_EQ(c->slots, 50);
    EXPECT_EQ(c->drives, 4);
    EXPECT_EQ(c->ie_count, 5);
    EXPECT_FALSE(c->barcode_reader);
    EXPECT_TRUE(c->door);
    EXPECT_FALSE(c->supports_prevent);
    EXPECT_FALSE(c->supports_open_close);
    EXPECT_EQ(c->move_time, 25ms);
    EXPECT_EQ(c->state_file, "lib.state");
    EXPECT_EQ(c->fill, 10u);
    EXPECT_EQ(c->serial, "ABC123");
    EXPECT_TRUE(c->power_on_unit_attention);
}

TEST(VirtualChangerConfig, ErrorsNameTheProblem) {
    const std::pair<const char*, const char*> cases[] = {
        {"lab1", "sim:NAME"},
        {"sim:", "missing name"},
        {"sim:a b", "name"},
        {"sim:a,slots=x", "slots"},
        {"sim:a,slots=70000", "slots"},
        {"sim:a,slots=-1", "slots"},
        {"sim:a,drives=99", "drives"},
        {"sim:a,ie=901", "ie"},
        {"sim:a,door=maybe", "door"},
        {"sim:a,barcodes=", "barcodes"},
        {"sim:a,move-ms=fast", "move-ms"},
        {"sim:a,bogus=1", "bogus"},
        {"sim:a,slots", "slots"},
        {"sim:a,,slots=2", "empty option"},
        {"sim:a,slots=2,slots=3", "twice"},
        {"sim:a,fill=30", "fill"},
        {"sim:a,state=", "state"},
        {"sim:a,serial=", "serial"},
        {"sim:a,serial=A?B", "serial"},
    };
    for (const auto& [spec, word] : cases) {
        auto c = VirtualChangerConfig::parse(spec);
        ASSERT_FALSE(c.ok()) << spec;
        EXPECT_EQ(c.error().code, Errc::InvalidArgument) << spec;
        EXPECT_NE(c.error().message.find(word), std::string::npos)
            << spec << " -> " << c.error().message;
    }
}

TEST(VirtualChangerConfig, OpenRejectsOverlappingAddresses) {
    VirtualChangerConfig c;
    c.drive_first = 99;
    c.drives = 3; // 99..101 runs into the port at 100
    auto vc = VirtualChanger::open(c);
    ASSERT_FALSE(vc.ok());
    EXPECT_EQ(vc.error().code, Errc::InvalidArgument);
    EXPECT_NE(vc.error().message.find("overlap"), std::string::npos) << vc.error().message;
}

// ---------------------------------------------------------------- simple commands

TEST(VirtualChanger, TestUnitReadyIsGoodAndNameIsSim) {
    auto vc = make("sim:lab1");
    expect_good(run(*vc, tur()));
    EXPECT_EQ(vc->name(), "sim:lab1");
}

TEST(VirtualChanger, InquiryStandardData) {
    auto vc = make("sim:lab1");
    auto o = run(*vc, inquiry(false, 0, 255), 255);
    expect_good(o);
    ASSERT_EQ(o.data.size(), 36u);
    EXPECT_EQ(o.r.residual, 255u - 36u);
    EXPECT_EQ(o.data[0], 0x08); // medium changer
    EXPECT_EQ(o.data[4], 31);
    EXPECT_EQ(std::string(o.data.begin() + 8, o.data.begin() + 16), "NTMS    ");
    EXPECT_EQ(std::string(o.data.begin() + 16, o.data.begin() + 32), "VIRTUAL-CHANGER ");
    EXPECT_EQ(std::string(o.data.begin() + 32, o.data.begin() + 36), "0100");
}

TEST(VirtualChanger, InquiryHonoursAllocationLength) {
    auto vc = make("sim:lab1");
    auto o = run(*vc, inquiry(false, 0, 5), 64);
    expect_good(o);
    EXPECT_EQ(o.r.transferred, 5u);
    EXPECT_EQ(o.r.residual, 59u);
    auto small = run(*vc, inquiry(false, 0, 255), 4); // buffer smaller than the allocation
    EXPECT_EQ(small.r.transferred, 4u);
    EXPECT_EQ(small.r.residual, 0u);
}

TEST(VirtualChanger, InquiryVpdPages) {
    auto vc = make("sim:lab1");
    auto p0 = run(*vc, inquiry(true, 0x00, 255), 255);
    expect_good(p0);
    EXPECT_EQ(p0.data, (B{0x08, 0x00, 0x00, 0x03, 0x00, 0x80, 0x83}));

    auto p80 = run(*vc, inquiry(true, 0x80, 255), 255);
    ASSERT_GE(p80.data.size(), 4u);
    EXPECT_EQ(p80.data[1], 0x80);
    const std::string serial(p80.data.begin() + 4, p80.data.end());
    EXPECT_EQ(serial.size(), be16(p80.data, 2));
    EXPECT_EQ(serial.size(), 10u);
    EXPECT_EQ(serial.substr(0, 2), "VC");

    auto p83 = run(*vc, inquiry(true, 0x83, 255), 255);
    ASSERT_GE(p83.data.size(), 8u);
    EXPECT_EQ(p83.data[1], 0x83);
    EXPECT_EQ(be16(p83.data, 2), p83.data.size() - 4);
    // First designator: T10 vendor id, ASCII, vendor + product + serial.
    EXPECT_EQ(p83.data[4], 0x02);
    EXPECT_EQ(p83.data[5], 0x01);
    const size_t t10_len = p83.data[7];
    EXPECT_EQ(std::string(p83.data.begin() + 8, p83.data.begin() + 8 + static_cast<long>(t10_len)),
              "NTMS    VIRTUAL-CHANGER " + serial);
    // Second: NAA 3h (locally assigned), binary, 8 bytes.
    const size_t naa = 8 + t10_len;
    ASSERT_EQ(p83.data.size(), naa + 12);
    EXPECT_EQ(p83.data[naa], 0x01);
    EXPECT_EQ(p83.data[naa + 1], 0x03);
    EXPECT_EQ(p83.data[naa + 3], 8);
    EXPECT_EQ(p83.data[naa + 4] >> 4, 3);

    // The identity follows the name: the same name gives the same NAA, another name another.
    auto again = make("sim:lab1");
    auto other = make("sim:lab2");
    EXPECT_EQ(run(*again, inquiry(true, 0x83, 255), 255).data, p83.data);
    EXPECT_NE(run(*other, inquiry(true, 0x83, 255), 255).data, p83.data);
}

TEST(VirtualChanger, InquiryExplicitSerial) {
    auto vc = make("sim:lab1,serial=XYZ0001");
    auto p80 = run(*vc, inquiry(true, 0x80, 255), 255);
    EXPECT_EQ(std::string(p80.data.begin() + 4, p80.data.end()), "XYZ0001");
}

TEST(VirtualChanger, InquiryBadFields) {
    auto vc = make("sim:lab1");
    expect_field(run(*vc, inquiry(false, 0x80, 255), 255), 0x24, 2); // page without EVPD
    expect_field(run(*vc, inquiry(true, 0x81, 255), 255), 0x24, 2);  // page we do not have
}

TEST(VirtualChanger, UnknownOpcodeAndControlByte) {
    auto vc = make("sim:lab1");
    expect_sense(run(*vc, {0xA6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), 0x05, 0x20, 0x00); // EXCHANGE
    expect_sense(run(*vc, {0x15, 0, 0, 0, 0, 0}), 0x05, 0x20, 0x00); // MODE SELECT
    expect_field(run(*vc, {0x00, 0, 0, 0, 0, 0x04}), 0x24, 5);       // NACA
}

TEST(VirtualChanger, MalformedCdbIsAnError) {
    auto vc = make("sim:lab1");
    B buf;
    auto empty = vc->execute({}, Direction::None, buf, 1s);
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().code, Errc::InvalidArgument);
    const B short_res{0xB8, 0x02, 0, 0};
    auto r = vc->execute(short_res, Direction::None, buf, 1s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
}

TEST(VirtualChanger, RequestSenseWithoutPendingSense) {
    auto vc = make("sim:lab1");
    auto o = run(*vc, request_sense(252), 252);
    expect_good(o);
    ASSERT_EQ(o.data.size(), 18u);
    EXPECT_EQ(o.data[0], 0x70);
    EXPECT_EQ(o.data[2], 0x00);
    EXPECT_EQ(o.data[12], 0x00);
    auto cut = run(*vc, request_sense(8), 252);
    EXPECT_EQ(cut.data.size(), 8u);
}

// ---------------------------------------------------------------- MODE SENSE

TEST(VirtualChanger, ModeSense6ElementAddressAssignment) {
    auto vc = make("sim:lab1,slots=30,drives=3,ie=4");
    auto o = run(*vc, mode_sense6(0x1D, true, 255), 255);
    expect_good(o);
    ASSERT_EQ(o.data.size(), 4u + 20u);
    EXPECT_EQ(o.data[0], 23); // mode data length excludes itself
    EXPECT_EQ(o.data[3], 0);  // no block descriptor with DBD
    const B page(o.data.begin() + 4, o.data.end());
    EXPECT_EQ(page, (B{0x1D, 0x12, 0, 1, 0, 1, hi(1000), lo(1000), 0, 30,
                       0,    100,  0, 4, 0, 2, 0,        3,        0, 0}));

    auto with_bd = run(*vc, mode_sense6(0x1D, false, 255), 255);
    ASSERT_EQ(with_bd.data.size(), 4u + 8u + 20u);
    EXPECT_EQ(with_bd.data[3], 8); // one empty block descriptor without DBD
    EXPECT_EQ(with_bd.data[12], 0x1D);
}

TEST(VirtualChanger, ModeSense10AllPages) {
    auto vc = make("sim:lab1");
    auto o = run(*vc, mode_sense10(0x3F, true, 1024), 1024);
    expect_good(o);
    ASSERT_EQ(o.data.size(), 8u + 20u + 4u + 20u);
    EXPECT_EQ(be16(o.data, 0), o.data.size() - 2);
    EXPECT_EQ(be16(o.data, 6), 0);
    EXPECT_EQ(o.data[8], 0x1D);
    EXPECT_EQ(o.data[28], 0x1E);
    EXPECT_EQ(o.data[29], 2);
    EXPECT_EQ(o.data[32], 0x1F);
    EXPECT_EQ(o.data[33], 0x12);

    auto with_bd = run(*vc, mode_sense10(0x1F, false, 1024), 1024);
    EXPECT_EQ(be16(with_bd.data, 6), 8);
    EXPECT_EQ(with_bd.data[16], 0x1F);
}

TEST(VirtualChanger, ModeSenseCapabilitiesReportTheReader) {
    auto vc = make("sim:lab1");
    auto o = run(*vc, mode_sense6(0x1F, true, 255), 255);
    ASSERT_EQ(o.data.size(), 24u);
    const B caps(o.data.begin() + 4, o.data.end());
    EXPECT_EQ(caps[2], 0x0E); // StorDT, StorI/E, StorST; not StorMT
    EXPECT_EQ(caps[3], 0x02); // VTRP
    EXPECT_EQ(caps[4], 0x00); // MT->
    EXPECT_EQ(caps[5], 0x0E); // ST-> DT, I/E, ST
    EXPECT_EQ(caps[6], 0x0E);
    EXPECT_EQ(caps[7], 0x0E);

    auto blind = make("sim:lab1,barcodes=no,ie=0");
    auto b = run(*blind, mode_sense6(0x1F, true, 255), 255);
    EXPECT_EQ(b.data[4 + 3], 0x00); // no VTRP
    EXPECT_EQ(b.data[4 + 2], 0x0A); // no I/E storage
    EXPECT_EQ(b.data[4 + 6], 0x00);
}

TEST(VirtualChanger, ModeSenseAllocationTruncatesButKeepsLength) {
    auto vc = make("sim:lab1");
    auto o = run(*vc, mode_sense6(0x3F, true, 10), 255);
    expect_good(o);
    EXPECT_EQ(o.data.size(), 10u);
    EXPECT_EQ(o.data[0], 4 + 20 + 4 + 20 - 1);
}

TEST(VirtualChanger, ModeSenseErrors) {
    auto vc = make("sim:lab1");
    expect_field(run(*vc, mode_sense6(0x08, true, 255), 255), 0x24, 2);
    auto saved = run(*vc, mode_sense6(0xC0 | 0x1D, true, 255), 255);
    expect_sense(saved, 0x05, 0x39, 0x00);
    auto changeable = run(*vc, mode_sense6(0x40 | 0x1D, true, 255), 255);
    ASSERT_EQ(changeable.data.size(), 24u);
    EXPECT_EQ(changeable.data[4], 0x1D);
    EXPECT_TRUE(std::all_of(changeable.data.begin() + 6, changeable.data.end(),
                            [](uint8_t b) { return b == 0; }));
}

// ---------------------------------------------------------------- READ ELEMENT STATUS

TEST(VirtualChanger, ReadStorageWithVolumeTags) {
    auto vc = make("sim:lab1,slots=5,fill=3");
    auto o = run(*vc, res(2, 1000, 10, true, false, 4096), 4096);
    expect_good(o);
    ASSERT_EQ(o.data.size(), 8u + 8u + 5u * 52u);
    const Report r = decode(o.data);
    EXPECT_EQ(r.first, 1000);
    EXPECT_EQ(r.count, 5);
    EXPECT_EQ(r.byte_count, 8u + 5u * 52u);
    EXPECT_EQ(o.data[8], 0x02);            // storage page
    EXPECT_EQ(o.data[9], 0x80);            // PVolTag
    EXPECT_EQ(be16(o.data, 10), 52);       // descriptor length
    EXPECT_EQ(be24(o.data, 13), 5u * 52u); // page byte count
    ASSERT_EQ(r.d.size(), 5u);
    EXPECT_EQ(r.d[0].tag, "S00001L8");
    EXPECT_EQ(r.d[2].tag, "S00003L8");
    EXPECT_EQ(r.d[3].tag, "");
    EXPECT_EQ(r.d[0].flags, 0x09); // FULL | ACCESS
    EXPECT_EQ(r.d[3].flags, 0x08);
    EXPECT_EQ(r.d[0].byte9 & 0x07, 1); // data medium
    EXPECT_FALSE(r.d[0].svalid());
    // The 32-byte identifier is space padded.
    EXPECT_EQ(std::string(o.data.begin() + 16 + 12, o.data.begin() + 16 + 44),
              "S00001L8                        ");
}

TEST(VirtualChanger, ReadStorageWithoutTagsHas12ByteDescriptors) {
    auto vc = make("sim:lab1,slots=4,fill=1");
    auto o = run(*vc, res(2, 0, 100, false, false, 4096), 4096);
    ASSERT_EQ(o.data.size(), 8u + 8u + 4u * 12u);
    EXPECT_EQ(o.data[9], 0x00);
    EXPECT_EQ(be16(o.data, 10), 12);
    const Report r = decode(o.data);
    ASSERT_EQ(r.d.size(), 4u);
    EXPECT_EQ(r.d[0].address, 1000);
    EXPECT_TRUE(r.d[0].full());
}

TEST(VirtualChanger, ReadHonoursStartAndNumberOfElements) {
    auto vc = make("sim:lab1,slots=10");
    const Report r = read_status(*vc, 2, 1002, 3);
    EXPECT_EQ(r.first, 1002);
    EXPECT_EQ(r.count, 3);
    ASSERT_EQ(r.d.size(), 3u);
    EXPECT_EQ(r.d[0].address, 1002);
    EXPECT_EQ(r.d[2].address, 1004);

    const Report none = read_status(*vc, 2, 1002, 0);
    EXPECT_EQ(none.count, 0);
    EXPECT_EQ(none.byte_count, 0u);

    expect_field(run(*vc, res(2, 1010, 5, true, false, 4096), 4096), 0x21, 2); // past the end
    expect_field(run(*vc, res(5, 0, 5, true, false, 4096), 4096), 0x24, 1);    // no type 5
}

TEST(VirtualChanger, ReadAllTypesInAddressOrder) {
    auto vc = make("sim:lab1,slots=3,drives=2,ie=2");
    const Report r = read_status(*vc, 0);
    ASSERT_EQ(r.d.size(), 1u + 2u + 2u + 3u);
    EXPECT_EQ(r.pages, 4u);
    const std::vector<std::pair<uint8_t, uint16_t>> expected = {
        {1, 1}, {4, 2}, {4, 3}, {3, 100}, {3, 101}, {2, 1000}, {2, 1001}, {2, 1002}};
    for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(r.d[i].type, expected[i].first) << i;
        EXPECT_EQ(r.d[i].address, expected[i].second) << i;
    }

    // mtx's "altres" walk: type 0 from address 0, then from last + 1, until 21h/01h.
    std::vector<uint16_t> seen;
    uint32_t next = 0;
    for (;;) {
        auto o = run(*vc, res(0, static_cast<uint16_t>(next), 3, true, false, 4096), 4096);
        if (o.r.status != status::Good) {
            expect_field(o, 0x21, 2);
            break;
        }
        for (const auto& d : decode(o.data).d)
            seen.push_back(d.address);
        next = seen.back() + 1u;
    }
    EXPECT_EQ(seen, (std::vector<uint16_t>{1, 2, 3, 100, 101, 1000, 1001, 1002}));
}

TEST(VirtualChanger, ReadDrivesWithIdentifiers) {
    auto vc = make("sim:lab1");
    ASSERT_TRUE(vc->place(2, "T00001L8").ok());
    const Report tagged = read_status(*vc, 4, 0, 10, true, true);
    ASSERT_EQ(tagged.d.size(), 2u);
    EXPECT_EQ(tagged.d[0].length, 86); // 12 + 36 tag + 4 + 34 identifier
    EXPECT_EQ(tagged.d[0].tag, "T00001L8");
    ASSERT_EQ(tagged.d[0].id.size(), 34u);
    EXPECT_EQ(std::string(tagged.d[0].id.begin(), tagged.d[0].id.begin() + 24),
              "NTMS    VIRTUAL-DRIVE   ");
    EXPECT_NE(tagged.d[0].id, tagged.d[1].id);
    EXPECT_EQ(tagged.d[0].flags, 0x09);

    const Report plain = read_status(*vc, 4, 0, 10, false, true);
    EXPECT_EQ(plain.d[0].length, 50);
    EXPECT_EQ(plain.d[0].id, tagged.d[0].id);

    // DVCID concerns drives only: storage descriptors keep their size.
    EXPECT_EQ(read_status(*vc, 2, 0, 1, true, true).d.at(0).length, 52);
    auto id = vc->element(2);
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(id->identifier.size(), 34u);
}

TEST(VirtualChanger, ReadAllocationTruncatesButReportsTheFullSize) {
    auto vc = make("sim:lab1,slots=20,fill=20");
    auto o = run(*vc, res(2, 0, 100, true, false, 30), 4096);
    expect_good(o);
    EXPECT_EQ(o.r.transferred, 30u);
    EXPECT_EQ(o.r.residual, 4096u - 30u);
    EXPECT_EQ(be16(o.data, 2), 20);             // elements available
    EXPECT_EQ(be24(o.data, 5), 8u + 20u * 52u); // everything after the header
    auto header = run(*vc, res(2, 0, 100, true, false, 8), 4096);
    EXPECT_EQ(header.data.size(), 8u);
    auto nothing = run(*vc, res(2, 0, 100, true, false, 0), 4096);
    expect_good(nothing);
    EXPECT_EQ(nothing.r.transferred, 0u);
}

TEST(VirtualChanger, NoBarcodeReaderRejectsVolTag) {
    auto vc = make("sim:lab1,barcodes=no,fill=2");
    auto o = run(*vc, res(2, 0, 10, true, false, 4096), 4096);
    expect_field(o, 0x24, 1);
    EXPECT_EQ(o.r.sense_bytes[15], 0xC0 | 0x08 | 4); // bit pointer: VOLTAG is bit 4
    const Report r = read_status(*vc, 2, 0, 10, false);
    ASSERT_EQ(r.d.size(), 10u);
    EXPECT_TRUE(r.d[0].full());
    EXPECT_FALSE(r.d[0].pvoltag);
}

TEST(VirtualChanger, ImportExportFlagsFollowThePort) {
    auto vc = make("sim:lab1");
    Desc ie = read_status(*vc, 3).d.at(0);
    EXPECT_EQ(ie.address, 100);
    EXPECT_EQ(ie.flags, 0x08 | 0x10 | 0x20); // ACCESS, EXENAB, INENAB

    ASSERT_TRUE(vc->operator_open_port().ok());
    EXPECT_TRUE(vc->port_open());
    EXPECT_FALSE(read_status(*vc, 3).d.at(0).access());
    ASSERT_TRUE(vc->operator_close_port().ok());
    expect_sense(run(*vc, tur()), 0x06, 0x28, 0x01);
    EXPECT_TRUE(read_status(*vc, 3).d.at(0).access());

    expect_good(run(*vc, open_close(100, 0)));
    EXPECT_FALSE(read_status(*vc, 3).d.at(0).access());
    expect_good(run(*vc, open_close(100, 1)));
    EXPECT_TRUE(read_status(*vc, 3).d.at(0).access());
    expect_good(run(*vc, tur())); // the initiator's own open/close raises nothing
}

// ---------------------------------------------------------------- MOVE MEDIUM

TEST(VirtualChanger, MoveSlotToDriveAndBack) {
    auto vc = make("sim:lab1,fill=1");
    expect_good(run(*vc, move(1, 1000, 2)));
    auto drive = vc->element(2);
    ASSERT_TRUE(drive.ok());
    EXPECT_TRUE(drive->full);
    EXPECT_EQ(drive->primary_tag, "S00001L8");
    EXPECT_TRUE(drive->svalid);
    EXPECT_EQ(drive->source, 1000);
    EXPECT_FALSE(vc->element(1000)->full);

    const Desc d = read_status(*vc, 4).d.at(0);
    EXPECT_TRUE(d.svalid());
    EXPECT_EQ(d.source, 1000);
    EXPECT_EQ(d.tag, "S00001L8");

    expect_good(run(*vc, move(0, 2, 1005))); // transport 0: the default picker
    EXPECT_TRUE(vc->element(1005)->full);
    EXPECT_EQ(vc->element(1005)->source, 2);
    EXPECT_FALSE(vc->element(2)->svalid);
}

TEST(VirtualChanger, MoveErrors) {
    auto vc = make("sim:lab1,fill=2");
    expect_sense(run(*vc, move(1, 1005, 1006)), 0x05, 0x3B, 0x0E); // source empty
    expect_sense(run(*vc, move(1, 1000, 1001)), 0x05, 0x3B, 0x0D); // destination full
    expect_field(run(*vc, move(1, 5000, 1006)), 0x21, 4);          // no such source
    expect_field(run(*vc, move(1, 1000, 5000)), 0x21, 6);          // no such destination
    expect_field(run(*vc, move(1000, 1000, 1006)), 0x21, 2);       // not a transport
    expect_field(run(*vc, move(1, 1000, 1)), 0x21, 6);             // into the picker
    B inverted = move(1, 1000, 1006);
    inverted[10] = 0x01;
    expect_field(run(*vc, inverted), 0x24, 10);
    expect_good(run(*vc, move(1, 1000, 1000))); // onto itself: nothing moves
    EXPECT_TRUE(vc->element(1000)->full);
    EXPECT_FALSE(vc->element(1000)->svalid);
}

TEST(VirtualChanger, RobotMoveIntoPortIsNotImpexp) {
    auto vc = make("sim:lab1,fill=1");
    expect_good(run(*vc, move(1, 1000, 100)));
    const Desc d = read_status(*vc, 3).d.at(0);
    EXPECT_TRUE(d.full());
    EXPECT_FALSE(d.impexp());
    EXPECT_TRUE(d.svalid());
    EXPECT_EQ(d.source, 1000);
    EXPECT_EQ(d.flags, 0x01 | 0x08 | 0x10 | 0x20);
    EXPECT_EQ(d.tag, "S00001L8");
}

TEST(VirtualChanger, MovesThroughAnOpenPortAreNotReady) {
    auto vc = make("sim:lab1,fill=2");
    ASSERT_TRUE(vc->operator_open_port().ok());
    expect_sense(run(*vc, move(1, 1000, 100)), 0x02, 0x3A, 0x02);
    ASSERT_TRUE(vc->operator_insert(100, "OP0001").ok());
    expect_sense(run(*vc, move(1, 100, 1005)), 0x02, 0x3A, 0x02);
    expect_good(run(*vc, move(1, 1001, 1005))); // slots and drives stay reachable
}

TEST(VirtualChanger, MoveTakesMoveTime) {
    auto vc = make("sim:lab1,fill=1,move-ms=120");
    const auto t0 = std::chrono::steady_clock::now();
    expect_good(run(*vc, move(1, 1000, 1001)));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 120ms);
    EXPECT_TRUE(vc->element(1001)->full);
}

// ---------------------------------------------------------------- other commands

TEST(VirtualChanger, InitializeElementStatus) {
    auto vc = make("sim:lab1");
    expect_good(run(*vc, init_status()));
    expect_good(run(*vc, init_range(false, 0, 0)));
    expect_good(run(*vc, init_range(true, 1000, 5)));
    expect_field(run(*vc, init_range(true, 4000, 5)), 0x21, 2);
}

TEST(VirtualChanger, PreventLocksThePortButNotTheRobot) {
    auto vc = make("sim:lab1,fill=1");
    expect_good(run(*vc, prevent_allow(1)));
    EXPECT_TRUE(vc->prevented());
    auto open = vc->operator_open_port();
    ASSERT_FALSE(open.ok());
    EXPECT_NE(open.error().message.find("locked"), std::string::npos);
    EXPECT_FALSE(vc->port_open());
    EXPECT_FALSE(vc->operator_insert(100, "X1").ok()); // a locked single slot takes nothing
    expect_good(run(*vc, move(1, 1000, 100)));         // moves are fine
    expect_sense(run(*vc, open_close(100, 0)), 0x05, 0x53, 0x02);
    expect_good(run(*vc, prevent_allow(0)));
    EXPECT_FALSE(vc->prevented());
    EXPECT_TRUE(vc->operator_open_port().ok());
    expect_field(run(*vc, prevent_allow(2)), 0x24, 4);
}

TEST(VirtualChanger, OptionalCommandsCanBeAbsent) {
    auto vc = make("sim:lab1,prevent=no,openclose=no");
    expect_sense(run(*vc, prevent_allow(1)), 0x05, 0x20, 0x00);
    expect_sense(run(*vc, open_close(100, 0)), 0x05, 0x20, 0x00);
}

TEST(VirtualChanger, OpenCloseImportExportErrors) {
    auto vc = make("sim:lab1");
    expect_field(run(*vc, open_close(1000, 0)), 0x21, 2);
    expect_field(run(*vc, open_close(100, 2)), 0x24, 4);
    EXPECT_FALSE(vc->port_open());
}

// ---------------------------------------------------------------- the operator

TEST(VirtualChanger, OperatorInsertRaisesOneUnitAttention) {
    auto vc = make("sim:lab1");
    ASSERT_TRUE(vc->operator_insert(100, "NEW001L8").ok());
    EXPECT_EQ(vc->pending_unit_attentions(),
              (std::vector<std::pair<uint8_t, uint8_t>>{{0x28, 0x01}}));
    // INQUIRY neither reports nor clears it.
    expect_good(run(*vc, inquiry(false, 0, 36), 36));
    expect_sense(run(*vc, tur()), 0x06, 0x28, 0x01);
    expect_good(run(*vc, tur()));
    const Desc d = read_status(*vc, 3).d.at(0);
    EXPECT_TRUE(d.full());
    EXPECT_TRUE(d.impexp());
    EXPECT_TRUE(d.access());
    EXPECT_FALSE(d.svalid());
    EXPECT_EQ(d.tag, "NEW001L8");

    // A robot move out of the port and back leaves IMPEXP clear.
    expect_good(run(*vc, move(1, 100, 1000)));
    expect_good(run(*vc, move(1, 1000, 100)));
    EXPECT_FALSE(read_status(*vc, 3).d.at(0).impexp());
}

TEST(VirtualChanger, RequestSenseReturnsAndClearsTheUnitAttention) {
    auto vc = make("sim:lab1");
    ASSERT_TRUE(vc->operator_insert(100, "").ok()); // an unlabelled cartridge
    auto o = run(*vc, request_sense(18), 18);
    expect_good(o);
    ASSERT_EQ(o.data.size(), 18u);
    EXPECT_EQ(o.data[2], 0x06);
    EXPECT_EQ(o.data[12], 0x28);
    EXPECT_EQ(o.data[13], 0x01);
    expect_good(run(*vc, tur()));
    EXPECT_EQ(read_status(*vc, 3).d.at(0).tag, "");
    EXPECT_TRUE(vc->element(100)->full);
}

TEST(VirtualChanger, OperatorRemove) {
    auto vc = make("sim:lab1,fill=1");
    expect_good(run(*vc, move(1, 1000, 100)));
    ASSERT_TRUE(vc->operator_remove(100).ok());
    EXPECT_FALSE(vc->element(100)->full);
    expect_sense(run(*vc, tur()), 0x06, 0x28, 0x01);
    expect_good(run(*vc, tur()));
    EXPECT_FALSE(vc->operator_remove(100).ok()); // empty now
}

TEST(VirtualChanger, OperatorMistakesAreErrors) {
    auto vc = make("sim:lab1");
    auto not_ie = vc->operator_insert(1000, "A1");
    ASSERT_FALSE(not_ie.ok());
    EXPECT_EQ(not_ie.error().code, Errc::InvalidArgument);
    EXPECT_FALSE(vc->operator_insert(100, "HAS SPACE").ok());
    EXPECT_FALSE(vc->operator_insert(100, "WILD*").ok());
    EXPECT_FALSE(vc->operator_insert(100, std::string(33, 'A')).ok());
    ASSERT_TRUE(vc->operator_insert(100, "A1").ok());
    EXPECT_FALSE(vc->operator_insert(100, "A2").ok()); // already full
    EXPECT_FALSE(vc->element(7).ok());
    EXPECT_FALSE(vc->operator_open_door().ok());
    EXPECT_EQ(vc->operator_open_door().error().code, Errc::Unsupported);

    auto portless = make("sim:lab1,ie=0");
    EXPECT_EQ(portless->operator_open_port().error().code, Errc::Unsupported);
    EXPECT_EQ(portless->operator_close_port().error().code, Errc::Unsupported);
}

TEST(VirtualChanger, MagazineIsLoadedWhileOpen) {
    auto vc = make("sim:lab1,ie=4");
    ASSERT_TRUE(vc->operator_open_port().ok());
    for (const auto& d : read_status(*vc, 3).d)
        EXPECT_FALSE(d.access()) << d.address;
    ASSERT_TRUE(vc->operator_insert(100, "M1").ok());
    ASSERT_TRUE(vc->operator_insert(102, "M3").ok());
    expect_good(run(*vc, tur())); // nothing to report until the magazine goes back in
    ASSERT_TRUE(vc->operator_close_port().ok());
    expect_sense(run(*vc, tur()), 0x06, 0x28, 0x01);
    expect_good(run(*vc, tur()));
    const Report r = read_status(*vc, 3);
    ASSERT_EQ(r.d.size(), 4u);
    EXPECT_TRUE(r.d[0].full() && r.d[0].impexp() && r.d[0].access());
    EXPECT_FALSE(r.d[1].full());
    EXPECT_EQ(r.d[2].tag, "M3");
    EXPECT_TRUE(r.d[3].access());
}

TEST(VirtualChanger, ClosedMagazineChangedInOneGo) {
    // Pull the magazine, put a cartridge in, push it back: one access, one unit attention.
    auto vc = make("sim:lab1,ie=4");
    ASSERT_TRUE(vc->operator_insert(103, "M4").ok());
    EXPECT_FALSE(vc->port_open());
    expect_sense(run(*vc, tur()), 0x06, 0x28, 0x01);
    expect_good(run(*vc, tur()));
    const Desc d = read_status(*vc, 3).d.at(3);
    EXPECT_TRUE(d.full() && d.impexp() && d.access());
    expect_good(run(*vc, prevent_allow(1)));
    EXPECT_FALSE(vc->operator_remove(103).ok()); // locked in
    expect_good(run(*vc, prevent_allow(0)));
    ASSERT_TRUE(vc->operator_remove(103).ok());
    expect_sense(run(*vc, tur()), 0x06, 0x28, 0x01);
}

TEST(VirtualChanger, DoorStopsTheRobot) {
    auto vc = make("sim:lab1,door=yes,fill=1");
    ASSERT_TRUE(vc->operator_open_door().ok());
    EXPECT_TRUE(vc->door_open());
    expect_sense(run(*vc, tur()), 0x02, 0x04, 0x18);
    expect_sense(run(*vc, move(1, 1000, 1001)), 0x02, 0x04, 0x18);
    expect_sense(run(*vc, init_status()), 0x02, 0x04, 0x18);
    EXPECT_EQ(read_status(*vc, 2).d.size(), 20u); // the inventory can still be read
    auto rs = run(*vc, request_sense(18), 18);
    EXPECT_EQ(rs.data.at(2), 0x02);
    EXPECT_EQ(rs.data.at(12), 0x04);
    EXPECT_EQ(rs.data.at(13), 0x18);
    ASSERT_TRUE(vc->operator_close_door().ok());
    expect_sense(run(*vc, tur()), 0x06, 0x28, 0x00);
    expect_good(run(*vc, move(1, 1000, 1001)));

    expect_good(run(*vc, prevent_allow(1)));
    EXPECT_FALSE(vc->operator_open_door().ok());
}

TEST(VirtualChanger, PowerOnUnitAttentionWhenAsked) {
    auto vc = make("sim:lab1,poweron=yes");
    expect_good(run(*vc, inquiry(false, 0, 36), 36));
    expect_sense(run(*vc, tur()), 0x06, 0x29, 0x00);
    expect_good(run(*vc, tur()));
    expect_good(run(*make("sim:lab1"), tur()));
}

TEST(VirtualChanger, PlaceIsForSetUp) {
    auto vc = make("sim:lab1");
    ASSERT_TRUE(vc->place(1003, "CLN001L1").ok());
    ASSERT_TRUE(vc->place(100, "").ok());
    EXPECT_FALSE(vc->place(1003, "X").ok());      // full
    EXPECT_FALSE(vc->place(1, "X").ok());         // the picker
    expect_good(run(*vc, tur()));                 // no unit attention for set-up
    EXPECT_EQ(vc->element(1003)->medium_type, 2); // cleaning cartridge
    EXPECT_FALSE(vc->element(100)->impexp);
    EXPECT_EQ(vc->elements(ElementType::Storage).size(), 20u);
    EXPECT_EQ(vc->elements(ElementType::All).size(), 1u + 2u + 1u + 20u);
}

// ---------------------------------------------------------------- faults

TEST(VirtualChanger, SenseFaultHitsOnlyItsOpcodeAndCount) {
    auto vc = make("sim:lab1,fill=2");
    vc->inject_fault({0xA5, 2, Fault::Kind::Sense, 0x04, 0x15, 0x01});
    expect_good(run(*vc, tur()));
    expect_sense(run(*vc, move(1, 1000, 1005)), 0x04, 0x15, 0x01);
    expect_sense(run(*vc, move(1, 1000, 1005)), 0x04, 0x15, 0x01);
    EXPECT_TRUE(vc->element(1000)->full); // a failed command changes nothing
    expect_good(run(*vc, move(1, 1000, 1005)));
}

TEST(VirtualChanger, BusyTimeoutAndVanish) {
    auto vc = make("sim:lab1");
    vc->inject_fault({std::nullopt, 1, Fault::Kind::Busy});
    auto busy = run(*vc, tur());
    EXPECT_EQ(busy.r.status, status::Busy);
    EXPECT_TRUE(busy.r.sense_bytes.empty());
    expect_good(run(*vc, tur()));

    vc->inject_fault({0x00, 1, Fault::Kind::Timeout});
    B none;
    const auto t0 = std::chrono::steady_clock::now();
    auto to = vc->execute(tur(), Direction::None, none, 600s);
    ASSERT_FALSE(to.ok());
    EXPECT_EQ(to.error().code, Errc::Timeout);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s); // not slept
    expect_good(run(*vc, tur()));

    vc->inject_fault({0x00, 1, Fault::Kind::Vanish});
    for (int i = 0; i < 3; ++i) {
        auto gone = vc->execute(i == 1 ? inquiry(false, 0, 36) : tur(), Direction::None, none, 1s);
        ASSERT_FALSE(gone.ok());
        EXPECT_EQ(gone.error().code, Errc::DeviceGone);
    }
    vc->clear_faults();
    expect_good(run(*vc, tur()));
}

// ---------------------------------------------------------------- the state file

TEST_F(StateDir, StateSurvivesReopen) {
    const std::string file = path("lab.state");
    {
        auto vc = make("sim:lab1,fill=3,state=" + file);
        ASSERT_TRUE(vc);
        expect_good(run(*vc, move(1, 1000, 2)));
        expect_good(run(*vc, move(1, 1001, 100)));
        expect_good(run(*vc, prevent_allow(1)));
        ASSERT_TRUE(vc->place(1010, "HAND01").ok());
    }
    EXPECT_TRUE(std::filesystem::exists(file));
    // The fill only applies to a new file; the reopened library is what the file says.
    auto vc = make("sim:lab1,fill=0,state=" + file);
    ASSERT_TRUE(vc);
    EXPECT_FALSE(vc->element(1000)->full);
    EXPECT_EQ(vc->element(2)->primary_tag, "S00001L8");
    EXPECT_EQ(vc->element(2)->source, 1000);
    EXPECT_TRUE(vc->element(100)->svalid);
    EXPECT_FALSE(vc->element(100)->impexp);
    EXPECT_EQ(vc->element(1002)->primary_tag, "S00003L8");
    EXPECT_EQ(vc->element(1010)->primary_tag, "HAND01");
    EXPECT_TRUE(vc->prevented());
}

TEST_F(StateDir, PendingUnitAttentionSurvivesReopen) {
    const std::string file = path("ua.state");
    {
        auto vc = make("sim:lab1,ie=3,state=" + file);
        ASSERT_TRUE(vc->operator_open_port().ok());
        ASSERT_TRUE(vc->operator_insert(101, "U1").ok());
    }
    {
        auto vc = make("sim:lab1,ie=3,state=" + file);
        EXPECT_TRUE(vc->port_open());
        ASSERT_TRUE(vc->operator_close_port().ok());
    }
    auto vc = make("sim:lab1,ie=3,state=" + file);
    expect_sense(run(*vc, tur()), 0x06, 0x28, 0x01);
    EXPECT_TRUE(vc->element(101)->impexp);
}

TEST_F(StateDir, TwoInstancesSeeEachOther) {
    const std::string file = path("shared.state");
    auto daemon = make("sim:lab1,fill=2,state=" + file);
    auto operator_side = make("sim:lab1,state=" + file);
    ASSERT_TRUE(daemon && operator_side);
    expect_good(run(*daemon, tur()));

    ASSERT_TRUE(operator_side->operator_insert(100, "OPS001").ok());
    expect_sense(run(*daemon, tur()), 0x06, 0x28, 0x01);
    Desc ie = read_status(*daemon, 3).d.at(0);
    EXPECT_TRUE(ie.full() && ie.impexp());
    EXPECT_EQ(ie.tag, "OPS001");

    expect_good(run(*daemon, move(1, 100, 1005)));
    EXPECT_EQ(operator_side->element(1005)->primary_tag, "OPS001");
    EXPECT_FALSE(operator_side->element(100)->full);
    expect_good(run(*daemon, prevent_allow(1)));
    EXPECT_FALSE(operator_side->operator_open_port().ok());
    // Many quick saves from one side (inode reuse, one clock tick) are still all seen.
    for (uint16_t a = 1010; a < 1018; ++a)
        ASSERT_TRUE(operator_side->place(a, "Q" + std::to_string(a)).ok());
    EXPECT_EQ(read_status(*daemon, 2, 1010, 8).d.at(7).tag, "Q1017");
}

TEST_F(StateDir, AnotherProcessActsAsTheOperator) {
    const std::string file = path("proc.state");
    auto vc = make("sim:lab1,state=" + file);
    ASSERT_TRUE(vc);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto c = VirtualChangerConfig::from_state_file(file);
        if (!c.ok())
            ::_exit(2);
        auto other = VirtualChanger::open(c.value());
        ::_exit(other.ok() && other.value()->operator_insert(100, "CHILD1").ok() ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    expect_sense(run(*vc, tur()), 0x06, 0x28, 0x01);
    EXPECT_EQ(read_status(*vc, 3).d.at(0).tag, "CHILD1");
}

TEST_F(StateDir, PreventEndsWithTheProcessThatAskedForIt) {
    const std::string file = path("nexus.state");
    auto vc = make("sim:lab1,state=" + file);
    ASSERT_TRUE(vc);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto other = VirtualChanger::open(VirtualChangerConfig::from_state_file(file).value());
        B none;
        auto r = other.ok() ? other.value()->execute(prevent_allow(1), Direction::None, none, 1s)
                            : Result<CommandResult>(make_error(Errc::OpenFailed, ""));
        ::_exit(r.ok() && r->good() ? 0 : 1); // dies holding the prevention
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    std::stringstream text;
    text << std::ifstream(file).rdbuf();
    EXPECT_NE(text.str().find("prevent yes pid=" + std::to_string(child)), std::string::npos);
    // Its I_T nexus is gone, and with it the prevention.
    EXPECT_FALSE(vc->prevented());
    EXPECT_TRUE(vc->operator_open_port().ok());
    // A live holder keeps it: this process, across a reopen.
    ASSERT_TRUE(vc->operator_close_port().ok());
    expect_sense(run(*vc, tur()), 0x06, 0x28, 0x01);
    expect_good(run(*vc, prevent_allow(1)));
    vc.reset();
    auto again = make("sim:lab1,state=" + file);
    EXPECT_TRUE(again->prevented());
}

TEST_F(StateDir, ConfigComesBackFromTheFile) {
    const std::string file = path("cfg.state");
    ASSERT_TRUE(make("sim:vault,slots=40,drives=4,ie=6,barcodes=no,door=yes,move-ms=7,serial=SN1,"
                     "state=" +
                     file));
    auto c = VirtualChangerConfig::from_state_file(file);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->name, "vault");
    EXPECT_EQ(c->slots, 40);
    EXPECT_EQ(c->drives, 4);
    EXPECT_EQ(c->ie_count, 6);
    EXPECT_FALSE(c->barcode_reader);
    EXPECT_TRUE(c->door);
    EXPECT_EQ(c->move_time, 7ms);
    EXPECT_EQ(c->serial, "SN1");
    EXPECT_EQ(c->state_file, file);
    EXPECT_FALSE(VirtualChangerConfig::from_state_file(path("absent")).ok());
}

TEST_F(StateDir, MalformedStateFilesAreErrors) {
    const std::string good_file = path("good.state");
    ASSERT_TRUE(make("sim:lab1,slots=3,fill=1,state=" + good_file));
    std::stringstream text;
    text << std::ifstream(good_file).rdbuf();
    const std::string good = text.str();
    auto replaced = [&](const std::string& from, const std::string& to) {
        std::string s = good;
        const size_t at = s.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        return at == std::string::npos ? s : s.replace(at, from.size(), to);
    };
    const std::pair<std::string, std::string> cases[] = {
        {"", "empty"},
        {"hello world\n", "not a virtual changer state file"},
        {replaced("state 1 ", "state 9 "), "version"},
        {replaced("element 1002 storage empty\n", ""), "1002"},
        {replaced("element 1002 storage empty", "element 1002 drive empty"), "1002"},
        {replaced("barcode=S00001L8", "barcode=S0?01"), "barcode"},
        {replaced("port closed", "port ajar"), "port"},
        {replaced("prevent no", "prevent perhaps"), "prevent"},
        {good + "element 1003 storage empty\n", "1003"},
        {good + "element 1000 storage empty\n", "twice"},
        {good + "frobnicate 1\n", "frobnicate"},
        {good + "ua 2x 01\n", "ua"},
        {replaced("config storage 1000 3", "config storage 1000 x"), "storage"},
    };
    int n = 0;
    for (const auto& [content, word] : cases) {
        const std::string file = path("bad" + std::to_string(n++) + ".state");
        write(file, content);
        auto c = VirtualChangerConfig::parse("sim:lab1,slots=3,state=" + file);
        ASSERT_TRUE(c.ok());
        auto vc = VirtualChanger::open(c.value());
        ASSERT_FALSE(vc.ok()) << content;
        EXPECT_EQ(vc.error().code, Errc::OpenFailed) << content;
        EXPECT_NE(vc.error().message.find(file), std::string::npos) << vc.error().message;
        EXPECT_NE(vc.error().message.find(word), std::string::npos)
            << word << " in: " << vc.error().message;
    }
}

TEST_F(StateDir, GeometryMismatchIsAnError) {
    const std::string file = path("geo.state");
    ASSERT_TRUE(make("sim:lab1,slots=20,state=" + file));
    auto c = VirtualChangerConfig::parse("sim:lab1,slots=30,state=" + file);
    auto vc = VirtualChanger::open(c.value());
    ASSERT_FALSE(vc.ok());
    EXPECT_NE(vc.error().message.find("storage 1000+20"), std::string::npos) << vc.error().message;
}

TEST_F(StateDir, RemovedStateFileMeansTheDeviceIsGone) {
    const std::string file = path("gone.state");
    auto vc = make("sim:lab1,state=" + file);
    ASSERT_TRUE(vc);
    std::filesystem::remove(file);
    B none;
    auto r = vc->execute(tur(), Direction::None, none, 1s);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::DeviceGone);
}

// ---------------------------------------------------------------- threads

TEST_F(StateDir, CommandsAndOperatorFromManyThreads) {
    auto vc = make("sim:lab1,ie=4,fill=4,state=" + path("mt.state"));
    ASSERT_TRUE(vc);
    std::atomic<bool> stop{false};
    std::atomic<int> bad{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t)
        readers.emplace_back([&] {
            B buf(4096);
            while (!stop) {
                auto r =
                    vc->execute(res(0, 0, 100, true, true, 4096), Direction::FromDevice, buf, 1s);
                if (!r.ok() || (r->status != status::Good && r->status != status::CheckCondition))
                    ++bad;
            }
        });
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(vc->operator_open_port().ok());
        ASSERT_TRUE(vc->operator_insert(101, "T" + std::to_string(i)).ok());
        ASSERT_TRUE(vc->operator_remove(101).ok());
        ASSERT_TRUE(vc->operator_close_port().ok());
    }
    stop = true;
    for (auto& t : readers)
        t.join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_FALSE(vc->element(101)->full);
}

// ---------------------------------------------------------------- ntms-sim

namespace {

// The tool next to this test in the build tree, or $NTMS_SIM.
std::string ntms_sim_path() {
    if (const char* env = std::getenv("NTMS_SIM"))
        return env;
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec)
        return {};
    const auto tool = self.parent_path() / ".." / ".." / "sgio" / "ntms-sim";
    return std::filesystem::exists(tool) ? tool.string() : std::string{};
}

struct Ran {
    int code = -1;
    std::string output;
};

Ran sh(const std::string& command) {
    Ran r;
    FILE* p = ::popen((command + " 2>&1").c_str(), "r");
    if (!p)
        return r;
    char buf[512];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        r.output.append(buf, n);
    const int status = ::pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

} // namespace

TEST_F(StateDir, NtmsSimDrivesTheLibrary) {
    const std::string tool = ntms_sim_path();
    if (tool.empty())
        GTEST_SKIP() << "ntms-sim not built next to the tests";
    const std::string file = path("cli.state");
    const std::string sim = "'" + tool + "' '" + file + "' ";
    EXPECT_EQ(sh(sim + "create sim:cli,slots=6,fill=2").code, 0);
    Ran again = sh(sim + "create sim:cli");
    EXPECT_EQ(again.code, 1);
    EXPECT_NE(again.output.find("already exists"), std::string::npos) << again.output;

    auto vc = make("sim:cli,slots=6,state=" + file);
    ASSERT_TRUE(vc);
    expect_good(run(*vc, tur()));
    EXPECT_EQ(sh(sim + "insert 100 CLI001").code, 0);
    expect_sense(run(*vc, tur()), 0x06, 0x28, 0x01);
    EXPECT_EQ(read_status(*vc, 3).d.at(0).tag, "CLI001");

    Ran status = sh(sim + "status");
    EXPECT_EQ(status.code, 0);
    EXPECT_NE(status.output.find("CLI001"), std::string::npos) << status.output;
    EXPECT_NE(status.output.find("S00002L8"), std::string::npos) << status.output;
    EXPECT_NE(status.output.find("placed by the operator"), std::string::npos) << status.output;

    const std::pair<std::string, std::string> failures[] = {
        {"insert 1000 X", "not an import/export element"},
        {"insert 100 X", "full"},
        {"insert abc", "not an element address"},
        {"open-door", "no door"},
        {"spin", "unknown command"},
        {"remove", "usage"},
    };
    for (const auto& [args, word] : failures) {
        Ran r = sh(sim + args);
        EXPECT_EQ(r.code, 1) << args;
        EXPECT_NE(r.output.find(word), std::string::npos) << args << ": " << r.output;
    }
    EXPECT_EQ(sh(sim + "open-port").code, 0);
    EXPECT_TRUE(vc->port_open());
    EXPECT_EQ(sh(sim + "remove 100").code, 0);
    EXPECT_EQ(sh(sim + "close-port").code, 0);
    EXPECT_FALSE(vc->element(100)->full);
    EXPECT_EQ(sh(sim + "place 1005 PL0001").code, 0);
    EXPECT_EQ(vc->element(1005)->primary_tag, "PL0001");
    Ran missing = sh("'" + tool + "' '" + path("nope.state") + "' status");
    EXPECT_EQ(missing.code, 1);
    EXPECT_NE(missing.output.find("nope.state"), std::string::npos);
}

TEST(VirtualChangerFaults, AfterLetsMatchingCommandsThroughFirst) {
    auto cfg = sgio::VirtualChangerConfig::parse("sim:after,slots=4,ie=1,fill=2");
    ASSERT_TRUE(cfg);
    auto vc = sgio::VirtualChanger::open(*cfg);
    ASSERT_TRUE(vc);
    sgio::Fault f;
    f.opcode = sgio::opcode::TestUnitReady;
    f.key = 0x4;
    f.asc = 0x44;
    f.after = 2;
    (*vc)->inject_fault(f);
    auto tur = sgio::cdb::test_unit_ready();
    for (int i = 0; i < 2; ++i) {
        auto r = (*vc)->execute(tur.span(), sgio::Direction::None, {}, std::chrono::seconds(1));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, sgio::status::Good) << i;
    }
    auto third = (*vc)->execute(tur.span(), sgio::Direction::None, {}, std::chrono::seconds(1));
    ASSERT_TRUE(third);
    EXPECT_EQ(third->status, sgio::status::CheckCondition);
    EXPECT_EQ(third->sense.asc, 0x44);
    auto fourth = (*vc)->execute(tur.span(), sgio::Direction::None, {}, std::chrono::seconds(1));
    ASSERT_TRUE(fourth);
    EXPECT_EQ(fourth->status, sgio::status::Good) << "count 1: once";
}
