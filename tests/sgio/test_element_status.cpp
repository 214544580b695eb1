#include "exact_bytes.hpp"
#include "sgio/element_status.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace sgio;

namespace {

using sgio::test::B;
using sgio::test::Exact;

void put16(B& b, size_t at, size_t v) {
    b.at(at) = static_cast<uint8_t>(v >> 8);
    b.at(at + 1) = static_cast<uint8_t>(v);
}

void put24(B& b, size_t at, size_t v) {
    b.at(at) = static_cast<uint8_t>(v >> 16);
    b.at(at + 1) = static_cast<uint8_t>(v >> 8);
    b.at(at + 2) = static_cast<uint8_t>(v);
}

void put_text(B& b, size_t at, const std::string& s) {
    std::copy(s.begin(), s.end(), b.begin() + static_cast<std::ptrdiff_t>(at));
}

// A descriptor of `length` zero bytes with address and flags.
B descriptor(size_t length, uint16_t address, uint8_t flags = 0) {
    B d(length, 0);
    put16(d, 0, address);
    d[2] = flags;
    return d;
}

// An 8-byte data header followed by the pages; byte count and first address as a device sets them.
struct Report {
    B bytes = B(8, 0);

    Report& page(uint8_t type, uint8_t flags, size_t length, const std::vector<B>& descs) {
        const size_t at = bytes.size();
        bytes.resize(at + 8, 0);
        bytes[at] = type;
        bytes[at + 1] = flags;
        put16(bytes, at + 2, length);
        size_t n = 0;
        for (const auto& d : descs) {
            bytes.insert(bytes.end(), d.begin(), d.end());
            n += d.size();
        }
        put24(bytes, at + 5, n);
        return *this;
    }

    B done(uint16_t first, uint16_t count) {
        put16(bytes, 0, first);
        put16(bytes, 2, count);
        put24(bytes, 5, bytes.size() - 8);
        return bytes;
    }
};

struct TgtSlot {
    uint16_t address;
    bool full;
    std::string barcode; // empty: no label
    uint16_t last = 0;   // source address after a MOVE
    uint16_t asc = 0;
};

// A READ ELEMENT STATUS reply laid out the way tgt 1.0.85 builds it (usr/smc.c): descriptors of
// 52 bytes with VOLTAG (tag written "%-32s" into 32 bytes, so its last byte is NUL), 86 with
// VOLTAG and DVCID (drives get an ASCII identifier: vendor 8, product 16, serial 10), header byte
// count 8 + n * size, and the whole reply cut 8 bytes short unless `full_length`.
B tgt_reply(uint8_t type, const std::vector<TgtSlot>& slots, bool dvcid, bool full_length = false) {
    const size_t size = dvcid ? 86 : 52;
    Report r;
    std::vector<B> descs;
    for (const auto& s : slots) {
        B d = descriptor(size, s.address, s.full ? 0x01 : 0x00);
        d[4] = static_cast<uint8_t>(s.asc >> 8);
        d[5] = static_cast<uint8_t>(s.asc);
        if (s.last != 0) {
            d[9] = 0x80;
            put16(d, 10, s.last);
        }
        std::string tag = s.barcode.empty() ? std::string(32, ' ') : s.barcode;
        tag.resize(31, ' ');
        put_text(d, 12, tag);
        if (!s.barcode.empty()) {
            d[43] = 0;
        } else {
            d[43] = ' ';
        }
        if (dvcid && type == 4) {
            d[48] = 2;
            d[49] = 1; // tgt copies the drive's peripheral type here
            d[51] = 34;
            put_text(d, 52, "IBM     ULT3580-TD5     SN" + std::to_string(s.address) + "0000000");
            d.resize(86);
        }
        descs.push_back(d);
    }
    r.page(type, 0x80, size, descs);
    B out = r.done(slots.empty() ? 0 : slots.front().address, static_cast<uint16_t>(slots.size()));
    if (!full_length) {
        out.resize(out.size() - 8);
    }
    return out;
}

ElementStatusReport parse_ok(const B& b) {
    auto r = parse_element_status(Exact(b).span());
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : ElementStatusReport{};
}

} // namespace

TEST(ElementStatus, TgtStorageWithVolumeTagsComplete) {
    const B b = tgt_reply(
        2, {{1000, true, "S00001L8"}, {1001, false, ""}, {1002, true, "S00003L8", 2}}, false, true);
    ASSERT_EQ(b.size(), 8u + 8u + 3u * 52u);
    const auto r = parse_ok(b);
    EXPECT_EQ(r.first_address, 1000);
    EXPECT_EQ(r.elements_available, 3);
    EXPECT_EQ(r.byte_count, 8u + 3u * 52u);
    EXPECT_EQ(r.needed(), b.size());
    EXPECT_FALSE(r.truncated);
    ASSERT_EQ(r.elements.size(), 3u);

    const auto& a = r.elements[0];
    EXPECT_EQ(a.type, ElementType::Storage);
    EXPECT_EQ(a.address, 1000);
    EXPECT_TRUE(a.full);
    EXPECT_FALSE(a.impexp || a.except || a.access || a.exenab || a.inenab);
    EXPECT_EQ(a.primary_tag, "S00001L8");
    EXPECT_EQ(a.alternate_tag, "");
    EXPECT_EQ(a.identifier, "");
    EXPECT_FALSE(a.svalid);
    EXPECT_FALSE(a.truncated);

    EXPECT_EQ(r.elements[1].address, 1001);
    EXPECT_FALSE(r.elements[1].full);
    EXPECT_EQ(r.elements[1].primary_tag, ""); // 32 blanks

    const auto& c = r.elements[2];
    EXPECT_EQ(c.address, 1002);
    EXPECT_TRUE(c.svalid);
    EXPECT_EQ(c.source, 2);
    EXPECT_EQ(c.primary_tag, "S00003L8");
    EXPECT_FALSE(c.truncated);
}

TEST(ElementStatus, TgtReplyEightBytesShort) {
    const B b = tgt_reply(
        2, {{1000, true, "S00001L8"}, {1001, false, ""}, {1002, true, "S00003L8", 2}}, false);
    ASSERT_EQ(b.size(), 8u + 3u * 52u);
    const auto r = parse_ok(b);
    EXPECT_TRUE(r.truncated);
    EXPECT_EQ(r.byte_count, 8u + 3u * 52u);
    EXPECT_EQ(r.needed(), b.size() + 8);
    ASSERT_EQ(r.elements.size(), 3u);
    EXPECT_FALSE(r.elements[0].truncated);
    EXPECT_FALSE(r.elements[1].truncated);
    // The last descriptor lost bytes 44..51 (tag sequence number and identifier header): the
    // volume identifier itself arrived whole.
    const auto& c = r.elements[2];
    EXPECT_TRUE(c.truncated);
    EXPECT_EQ(c.address, 1002);
    EXPECT_TRUE(c.full);
    EXPECT_TRUE(c.svalid);
    EXPECT_EQ(c.source, 2);
    EXPECT_EQ(c.primary_tag, "S00003L8");
}

TEST(ElementStatus, TgtSingleElementShort) {
    const B b = tgt_reply(3, {{100, true, "NEW001L8"}}, false);
    ASSERT_EQ(b.size(), 60u);
    const auto r = parse_ok(b);
    ASSERT_EQ(r.elements.size(), 1u);
    EXPECT_EQ(r.elements[0].type, ElementType::ImportExport);
    EXPECT_EQ(r.elements[0].address, 100);
    EXPECT_EQ(r.elements[0].primary_tag, "NEW001L8");
    EXPECT_TRUE(r.elements[0].truncated);
}

TEST(ElementStatus, TgtDrivesWithDvcid) {
    const B full =
        tgt_reply(4, {{2, true, "S00001L8", 1000, 0x0402}, {3, false, "", 0, 0x0402}}, true, true);
    ASSERT_EQ(full.size(), 16u + 2u * 86u);
    const auto r = parse_ok(full);
    EXPECT_FALSE(r.truncated);
    ASSERT_EQ(r.elements.size(), 2u);
    const auto& d = r.elements[0];
    EXPECT_EQ(d.type, ElementType::DataTransfer);
    EXPECT_EQ(d.address, 2);
    EXPECT_TRUE(d.full);
    EXPECT_EQ(d.asc, 0x04);
    EXPECT_EQ(d.ascq, 0x02);
    EXPECT_TRUE(d.svalid);
    EXPECT_EQ(d.source, 1000);
    EXPECT_EQ(d.primary_tag, "S00001L8");
    EXPECT_EQ(d.identifier, "IBM     ULT3580-TD5     SN20000000");
    EXPECT_EQ(r.elements[1].identifier, "IBM     ULT3580-TD5     SN30000000");
    EXPECT_EQ(r.elements[1].primary_tag, "");

    // Eight bytes short: the last identifier loses its last 8 characters, so it is not reported.
    const B shorter =
        tgt_reply(4, {{2, true, "S00001L8", 1000, 0x0402}, {3, false, "", 0, 0x0402}}, true);
    const auto s = parse_ok(shorter);
    EXPECT_TRUE(s.truncated);
    ASSERT_EQ(s.elements.size(), 2u);
    EXPECT_EQ(s.elements[0].identifier, "IBM     ULT3580-TD5     SN20000000");
    EXPECT_TRUE(s.elements[1].truncated);
    EXPECT_EQ(s.elements[1].address, 3);
    EXPECT_EQ(s.elements[1].identifier, "");
}

TEST(ElementStatus, TgtStorageWithDvcidHasNoIdentifier) {
    const auto r = parse_ok(tgt_reply(2, {{1000, true, "S1"}}, true, true));
    ASSERT_EQ(r.elements.size(), 1u);
    EXPECT_EQ(r.elements[0].primary_tag, "S1");
    EXPECT_EQ(r.elements[0].identifier, "");
}

TEST(ElementStatus, DvcidWithoutTags) {
    // tgt's 50-byte descriptor: identification descriptor right after byte 11.
    B d = descriptor(50, 2, 0x01);
    d[12] = 2;
    d[13] = 1;
    d[15] = 34;
    put_text(d, 16, "HP      Ultrium 5-SCSI  ABC123    ");
    const auto r = parse_ok(Report{}.page(4, 0x00, 50, {d}).done(2, 1));
    ASSERT_EQ(r.elements.size(), 1u);
    EXPECT_EQ(r.elements[0].identifier, "HP      Ultrium 5-SCSI  ABC123");
    EXPECT_EQ(r.elements[0].primary_tag, "");
}

TEST(ElementStatus, BinaryIdentifierAsHex) {
    B d = descriptor(24, 2);
    d[12] = 1; // binary code set
    d[13] = 3; // NAA
    d[15] = 8;
    const uint8_t naa[8] = {0x50, 0x01, 0x43, 0x80, 0x12, 0x34, 0xAB, 0xCD};
    std::copy(std::begin(naa), std::end(naa), d.begin() + 16);
    const auto r = parse_ok(Report{}.page(4, 0x00, 24, {d}).done(2, 1));
    ASSERT_EQ(r.elements.size(), 1u);
    EXPECT_EQ(r.elements[0].identifier, "500143801234abcd");
}

TEST(ElementStatus, IdentifierLengthClampedToDescriptor) {
    // IDENTIFIER LENGTH 200 in a 24-byte descriptor: only bytes 16..23 belong to it, the next
    // descriptor is not read as identifier.
    B d = descriptor(24, 2);
    d[12] = 2;
    d[15] = 200;
    put_text(d, 16, "ABCDEFGH");
    B e = descriptor(24, 3);
    put_text(e, 16, "XXXXXXXX");
    const auto r = parse_ok(Report{}.page(4, 0x00, 24, {d, e}).done(2, 2));
    ASSERT_EQ(r.elements.size(), 2u);
    EXPECT_EQ(r.elements[0].identifier, "ABCDEFGH");
    EXPECT_EQ(r.elements[1].address, 3);
}

TEST(ElementStatus, AllFlagBitsAndFields) {
    B d = descriptor(12, 100, 0x3F);
    d[4] = 0x83;
    d[5] = 0x02;
    d[9] = 0xC0 | 0x02; // SVALID, INVERT, cleaning cartridge
    put16(d, 10, 1005);
    const auto r = parse_ok(Report{}.page(3, 0x00, 12, {d}).done(100, 1));
    ASSERT_EQ(r.elements.size(), 1u);
    const auto& e = r.elements[0];
    EXPECT_TRUE(e.full && e.impexp && e.except && e.access && e.exenab && e.inenab);
    EXPECT_EQ(e.asc, 0x83);
    EXPECT_EQ(e.ascq, 0x02);
    EXPECT_TRUE(e.svalid);
    EXPECT_TRUE(e.invert);
    EXPECT_EQ(e.medium_type, 2);
    EXPECT_EQ(e.source, 1005);
    EXPECT_FALSE(e.truncated);

    const uint8_t single[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20};
    for (const uint8_t bit : single) {
        const auto one =
            parse_ok(Report{}.page(3, 0x00, 12, {descriptor(12, 100, bit)}).done(100, 1));
        ASSERT_EQ(one.elements.size(), 1u);
        const auto& f = one.elements[0];
        EXPECT_EQ(f.full, bit == 0x01);
        EXPECT_EQ(f.impexp, bit == 0x02);
        EXPECT_EQ(f.except, bit == 0x04);
        EXPECT_EQ(f.access, bit == 0x08);
        EXPECT_EQ(f.exenab, bit == 0x10);
        EXPECT_EQ(f.inenab, bit == 0x20);
    }
}

TEST(ElementStatus, MediumTypeAndInvertBits) {
    B d = descriptor(12, 1000);
    d[9] = 0x40 | 0x08 | 0x05; // INVERT, ED, microcode
    const auto r = parse_ok(Report{}.page(2, 0x00, 12, {d}).done(1000, 1));
    ASSERT_EQ(r.elements.size(), 1u);
    EXPECT_FALSE(r.elements[0].svalid);
    EXPECT_TRUE(r.elements[0].invert);
    EXPECT_EQ(r.elements[0].medium_type, 5);
}

TEST(ElementStatus, PrimaryAndAlternateTags) {
    B d = descriptor(84, 1000, 0x01);
    put_text(d, 12, "PRIMARY1                        ");
    put_text(d, 48, "ALT-TAG                         ");
    const auto r = parse_ok(Report{}.page(2, 0xC0, 84, {d}).done(1000, 1));
    ASSERT_EQ(r.elements.size(), 1u);
    EXPECT_EQ(r.elements[0].primary_tag, "PRIMARY1");
    EXPECT_EQ(r.elements[0].alternate_tag, "ALT-TAG");
    EXPECT_EQ(r.elements[0].identifier, "");
}

TEST(ElementStatus, AlternateTagOnly) {
    B d = descriptor(48, 2, 0x01);
    put_text(d, 12, "DRIVESN0001");
    const auto r = parse_ok(Report{}.page(4, 0x40, 48, {d}).done(2, 1));
    ASSERT_EQ(r.elements.size(), 1u);
    EXPECT_EQ(r.elements[0].primary_tag, "");
    EXPECT_EQ(r.elements[0].alternate_tag, "DRIVESN0001");
}

TEST(ElementStatus, TagsThenIdentifier) {
    B d = descriptor(12 + 36 + 36 + 4 + 6, 2, 0x01);
    put_text(d, 12, "P1");
    put_text(d, 48, "A1");
    d[84] = 2;
    d[87] = 6;
    put_text(d, 88, "SER001");
    const auto r = parse_ok(Report{}.page(4, 0xC0, d.size(), {d}).done(2, 1));
    ASSERT_EQ(r.elements.size(), 1u);
    EXPECT_EQ(r.elements[0].primary_tag, "P1");
    EXPECT_EQ(r.elements[0].alternate_tag, "A1");
    EXPECT_EQ(r.elements[0].identifier, "SER001");
}

TEST(ElementStatus, TagFlagWithoutRoomForTheTagIsIgnored) {
    // AVolTag set but the 52-byte descriptor only holds the primary tag and an identifier header
    // (an mhVTL bug): the identifier header must not be read as an alternate tag.
    B d = descriptor(56, 1000, 0x01);
    put_text(d, 12, "S00001L8");
    d[48] = 2;
    d[51] = 4;
    put_text(d, 52, "ID01");
    const auto r = parse_ok(Report{}.page(2, 0xC0, 56, {d}).done(1000, 1));
    ASSERT_EQ(r.elements.size(), 1u);
    EXPECT_EQ(r.elements[0].primary_tag, "S00001L8");
    EXPECT_EQ(r.elements[0].alternate_tag, "");
    EXPECT_EQ(r.elements[0].identifier, "ID01");

    // PVolTag with a 16-byte descriptor: bytes 12..15 are the identification descriptor.
    B e = descriptor(16, 1000);
    e[12] = 2;
    e[15] = 0;
    const auto s = parse_ok(Report{}.page(2, 0x80, 16, {e}).done(1000, 1));
    ASSERT_EQ(s.elements.size(), 1u);
    EXPECT_EQ(s.elements[0].primary_tag, "");
    EXPECT_EQ(s.elements[0].identifier, "");
}

TEST(ElementStatus, TagsIgnoredWithoutFlags) {
    B d = descriptor(52, 1000, 0x01);
    put_text(d, 12, "NOT-A-TAG");
    const auto r = parse_ok(Report{}.page(2, 0x00, 52, {d}).done(1000, 1));
    ASSERT_EQ(r.elements.size(), 1u);
    EXPECT_EQ(r.elements[0].primary_tag, "");
    // Without tags the identification descriptor starts at byte 12: 'N' gives code set 0Eh
    // (not text), '-' an identifier length of 45 clamped to the 36 bytes left, shown as hex.
    EXPECT_EQ(r.elements[0].identifier.size(), 2u * 36u);
}

TEST(ElementStatus, NonPrintableTags) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {std::string("AB\x01"
                     "C\x7F\xFF",
                     6),
         "AB?C??"},
        {std::string("AB\0CD   ", 8), "AB?CD"},
        {std::string(32, '\0'), ""},
        {std::string(32, ' '), ""},
        {std::string("  LEAD", 6), "  LEAD"},
        {std::string("X\0 \0 ", 5), "X"},
        {std::string("\x1b[31mRED", 8), "?[31mRED"},
        {std::string(32, 'Z'), std::string(32, 'Z')},
        // Padding is trimmed eight bytes at a time where it is all blanks or all NULs, byte by
        // byte where the two mix or a label ends inside the eight.
        {"ABCDEFGH" + std::string(24, ' '), "ABCDEFGH"},
        {"ABCDEFG" + std::string(25, '\0'), "ABCDEFG"},
        {"ABCDEFGH" + std::string(12, ' ') + std::string(12, '\0'), "ABCDEFGH"},
        {"ABCD" + std::string(" \0 \0 \0 \0", 8) + std::string(20, ' '), "ABCD"},
        {"AB" + std::string(8, ' ') + "CD" + std::string(20, ' '), "AB        CD"},
        {std::string(31, ' ') + "Q", std::string(31, ' ') + "Q"},
    };
    for (const auto& [raw, expected] : cases) {
        B d = descriptor(48, 1000, 0x01);
        put_text(d, 12, raw);
        B reply = Report{}.page(2, 0x80, 48, {d}).done(1000, 1);
        const auto r = parse_ok(reply);
        ASSERT_EQ(r.elements.size(), 1u);
        EXPECT_EQ(r.elements[0].primary_tag, expected);
        // The same through the views over the reply.
        std::vector<ElementView> views;
        ASSERT_TRUE(parse_element_status_in_place(std::span(reply), views));
        ASSERT_EQ(views.size(), 1u);
        EXPECT_EQ(views[0].primary_tag(), expected);
    }
}

TEST(ElementStatus, TagSequenceNumberIsNotPartOfTheTag) {
    B d = descriptor(48, 1000, 0x01);
    put_text(d, 12, std::string(32, 'A'));
    d[46] = 'Q';
    d[47] = 'R';
    const auto r = parse_ok(Report{}.page(2, 0x80, 48, {d}).done(1000, 1));
    ASSERT_EQ(r.elements.size(), 1u);
    EXPECT_EQ(r.elements[0].primary_tag, std::string(32, 'A'));
}

TEST(ElementStatus, SeveralPagesWithTheirOwnLengthsAndTypes) {
    B ie = descriptor(12, 100, 0x0B);
    B t = descriptor(12, 1);
    B s1 = descriptor(52, 1000, 0x01);
    put_text(s1, 12, "S1");
    B s2 = descriptor(52, 1001);
    const B b = Report{}
                    .page(1, 0x00, 12, {t})
                    .page(3, 0x00, 12, {ie})
                    .page(2, 0x80, 52, {s1, s2})
                    .done(1, 4);
    const auto r = parse_ok(b);
    ASSERT_EQ(r.elements.size(), 4u);
    EXPECT_EQ(r.elements[0].type, ElementType::Transport);
    EXPECT_EQ(r.elements[0].address, 1);
    EXPECT_EQ(r.elements[1].type, ElementType::ImportExport);
    EXPECT_TRUE(r.elements[1].impexp);
    EXPECT_TRUE(r.elements[1].access);
    EXPECT_EQ(r.elements[2].type, ElementType::Storage);
    EXPECT_EQ(r.elements[2].primary_tag, "S1");
    EXPECT_EQ(r.elements[3].address, 1001);
}

TEST(ElementStatus, PageTypeCodeUpperBitsIgnored) {
    B b = Report{}.page(0xF2, 0x00, 12, {descriptor(12, 1000)}).done(1000, 1);
    const auto r = parse_ok(b);
    ASSERT_EQ(r.elements.size(), 1u);
    EXPECT_EQ(r.elements[0].type, ElementType::Storage);
}

TEST(ElementStatus, ZeroLengthInput) {
    const auto r = parse_element_status({});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::MalformedReply);
}

TEST(ElementStatus, ShorterThanHeader) {
    const B b{0, 1, 0, 1, 0, 0, 0};
    for (size_t n = 0; n < 8; ++n) {
        const auto r = parse_element_status(std::span(b).first(std::min(n, b.size())));
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, Errc::MalformedReply);
    }
}

TEST(ElementStatus, HeaderOnly) {
    const B empty{0x03, 0xE8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    const auto r = parse_ok(empty);
    EXPECT_EQ(r.first_address, 1000);
    EXPECT_EQ(r.elements_available, 0);
    EXPECT_EQ(r.byte_count, 0u);
    EXPECT_FALSE(r.truncated);
    EXPECT_TRUE(r.elements.empty());

    // What an allocation length of 8 returns: the header announcing what a retry must ask for.
    const B probe{0x03, 0xE8, 0x00, 0x14, 0x00, 0x00, 0x04, 0x18};
    const auto p = parse_ok(probe);
    EXPECT_EQ(p.elements_available, 20);
    EXPECT_EQ(p.byte_count, 0x418u);
    EXPECT_EQ(p.needed(), 0x420u);
    EXPECT_TRUE(p.truncated);
    EXPECT_TRUE(p.elements.empty());
}

TEST(ElementStatus, HeaderFieldsReportedAsIs) {
    // tgt reports a wrong first address for single-element replies; the parser does not fix it.
    B b = Report{}.page(2, 0x00, 12, {descriptor(12, 1005)}).done(1000, 7);
    const auto r = parse_ok(b);
    EXPECT_EQ(r.first_address, 1000);
    EXPECT_EQ(r.elements_available, 7);
    ASSERT_EQ(r.elements.size(), 1u);
    EXPECT_EQ(r.elements[0].address, 1005);
}

TEST(ElementStatus, DescriptorLengthZeroWithBytesIsMalformed) {
    B b = Report{}.page(2, 0x00, 12, {descriptor(12, 1000), descriptor(12, 1001)}).done(1000, 2);
    put16(b, 10, 0); // descriptor length 0, byte count 24
    const auto r = parse_element_status(b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::MalformedReply);
}

TEST(ElementStatus, EmptyPageWithDescriptorLengthZeroIsSkipped) {
    // ADIC DAT style zero-byte page, then a real one.
    const B b =
        Report{}.page(1, 0x00, 0, {}).page(2, 0x00, 12, {descriptor(12, 1000)}).done(1000, 1);
    const auto r = parse_ok(b);
    ASSERT_EQ(r.elements.size(), 1u);
    EXPECT_EQ(r.elements[0].address, 1000);
    EXPECT_EQ(r.elements[0].type, ElementType::Storage);
}

TEST(ElementStatus, DescriptorLengthOneToThreeIsMalformed) {
    for (size_t length = 1; length <= 3; ++length) {
        B b = Report{}.page(2, 0x00, 12, {descriptor(12, 1000)}).done(1000, 1);
        put16(b, 10, length);
        const auto r = parse_element_status(b);
        ASSERT_FALSE(r.ok()) << length;
        EXPECT_EQ(r.error().code, Errc::MalformedReply);
    }
}

TEST(ElementStatus, FourByteDescriptors) {
    // Old autochangers answer with address, flags and a reserved byte only (mtx accepts them).
    const B b =
        Report{}
            .page(2, 0x80, 4, {descriptor(4, 10, 0x01), descriptor(4, 11), descriptor(4, 12, 0x01)})
            .done(10, 3);
    const auto r = parse_ok(b);
    ASSERT_EQ(r.elements.size(), 3u);
    EXPECT_EQ(r.elements[0].address, 10);
    EXPECT_TRUE(r.elements[0].full);
    EXPECT_FALSE(r.elements[1].full);
    EXPECT_EQ(r.elements[2].address, 12);
    EXPECT_EQ(r.elements[2].primary_tag, "");
    EXPECT_FALSE(r.elements[2].truncated);
}

TEST(ElementStatus, LastDescriptorWithFewerThanThreeBytesIsDropped) {
    const B whole = Report{}
                        .page(2, 0x00, 12, {descriptor(12, 1000, 1), descriptor(12, 1001, 1)})
                        .done(1000, 2);
    for (size_t present = 0; present <= 12; ++present) {
        const B cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(28 + present));
        const auto r = parse_ok(cut);
        EXPECT_EQ(r.truncated, present < 12);
        if (present < 3) {
            ASSERT_EQ(r.elements.size(), 1u) << present;
        } else {
            ASSERT_EQ(r.elements.size(), 2u) << present;
            EXPECT_EQ(r.elements[1].address, 1001);
            EXPECT_TRUE(r.elements[1].full);
            EXPECT_EQ(r.elements[1].truncated, present < 12);
        }
    }
}

TEST(ElementStatus, TagCutByTruncationIsNotReported) {
    B d = descriptor(52, 1000, 0x01);
    put_text(d, 12, "S00001L8" + std::string(24, ' '));
    const B whole = Report{}.page(2, 0x80, 52, {d}).done(1000, 1);
    for (size_t present = 3; present <= 52; ++present) {
        const auto r =
            parse_ok(B(whole.begin(), whole.begin() + 16 + static_cast<std::ptrdiff_t>(present)));
        ASSERT_EQ(r.elements.size(), 1u);
        EXPECT_TRUE(r.elements[0].full);
        EXPECT_EQ(r.elements[0].truncated, present < 52);
        // The volume identifier is bytes 12..43; the sequence number after it is not needed.
        EXPECT_EQ(r.elements[0].primary_tag, present >= 44 ? "S00001L8" : "") << present;
    }
}

TEST(ElementStatus, TruncatedDescriptorKeepsOnlyReceivedFields) {
    B d = descriptor(12, 1000, 0x05);
    d[4] = 0x83;
    d[5] = 0x09;
    d[9] = 0x80;
    put16(d, 10, 2);
    const B whole = Report{}.page(2, 0x00, 12, {d}).done(1000, 1);
    const auto five = parse_ok(B(whole.begin(), whole.begin() + 16 + 5));
    ASSERT_EQ(five.elements.size(), 1u);
    EXPECT_TRUE(five.elements[0].except);
    EXPECT_EQ(five.elements[0].asc, 0); // ASCQ byte missing: neither is reported
    EXPECT_FALSE(five.elements[0].svalid);
    const auto eleven = parse_ok(B(whole.begin(), whole.begin() + 16 + 11));
    EXPECT_EQ(eleven.elements[0].asc, 0x83);
    EXPECT_EQ(eleven.elements[0].ascq, 0x09);
    EXPECT_TRUE(eleven.elements[0].svalid);
    EXPECT_EQ(eleven.elements[0].source, 0); // only half the source address arrived
}

TEST(ElementStatus, ByteCountLargerThanReceived) {
    B b = Report{}.page(2, 0x00, 12, {descriptor(12, 1000), descriptor(12, 1001)}).done(1000, 2);
    put24(b, 5, 5000);
    put24(b, 13, 4992);
    const auto r = parse_ok(b);
    EXPECT_TRUE(r.truncated);
    EXPECT_EQ(r.needed(), 5008u);
    ASSERT_EQ(r.elements.size(), 2u);
    EXPECT_FALSE(r.elements[1].truncated);
}

TEST(ElementStatus, PageByteCountLargerThanReport) {
    // The page claims more than the report header: the report header bounds it.
    B b = Report{}.page(2, 0x00, 12, {descriptor(12, 1000), descriptor(12, 1001)}).done(1000, 2);
    put24(b, 13, 0xFFFFFF);
    const auto r = parse_ok(b);
    EXPECT_FALSE(r.truncated);
    EXPECT_EQ(r.elements.size(), 2u);
}

TEST(ElementStatus, BytesPastTheReportAreIgnored) {
    // A transport that cannot report the residual hands over the whole allocation, and what lies
    // past the report is stale: here an older page that must not be parsed.
    B b = Report{}.page(2, 0x00, 12, {descriptor(12, 1000)}).done(1000, 1);
    const B stale = Report{}.page(2, 0x00, 12, {descriptor(12, 1001, 1)}).done(1001, 1);
    b.insert(b.end(), stale.begin() + 8, stale.end());
    b.resize(4096, 0);
    const auto r = parse_ok(b);
    EXPECT_FALSE(r.truncated);
    ASSERT_EQ(r.elements.size(), 1u);
    EXPECT_EQ(r.elements[0].address, 1000);
}

TEST(ElementStatus, PageByteCountNotAMultipleOfDescriptorLength) {
    B b = Report{}.page(2, 0x00, 12, {descriptor(12, 1000), descriptor(6, 1001, 1)}).done(1000, 2);
    const auto r = parse_ok(b);
    EXPECT_FALSE(r.truncated); // everything announced arrived
    ASSERT_EQ(r.elements.size(), 2u);
    EXPECT_FALSE(r.elements[0].truncated);
    EXPECT_TRUE(r.elements[1].truncated);
    EXPECT_EQ(r.elements[1].address, 1001);
}

TEST(ElementStatus, CountsNearTheTwentyFourBitLimit) {
    B b = Report{}.page(2, 0x80, 0xFFFF, {descriptor(100, 1000, 1)}).done(1000, 0xFFFF);
    put24(b, 5, 0xFFFFFF);
    put24(b, 13, 0xFFFFFF);
    const auto r = parse_ok(b);
    EXPECT_EQ(r.byte_count, 0xFFFFFFu);
    EXPECT_EQ(r.needed(), 0x1000007u);
    EXPECT_TRUE(r.truncated);
    ASSERT_EQ(r.elements.size(), 1u);
    EXPECT_TRUE(r.elements[0].truncated);
    EXPECT_EQ(r.elements[0].address, 1000);

    // A page header that announces the maximum right at the end of the buffer.
    B c(16, 0);
    put24(c, 5, 0xFFFFFF);
    c[8] = 2;
    put16(c, 10, 4);
    put24(c, 13, 0xFFFFFF);
    const auto s = parse_ok(c);
    EXPECT_TRUE(s.truncated);
    EXPECT_TRUE(s.elements.empty());
}

TEST(ElementStatus, SixtyFourThousandSlots) {
    // The largest tgt library: 64,535 storage elements with tags in one 3.36 MB reply.
    constexpr size_t n = 64'535;
    B b(16 + n * 52, 0);
    put16(b, 0, 1000);
    put16(b, 2, n);
    put24(b, 5, 8 + n * 52);
    b[8] = 2;
    b[9] = 0x80;
    put16(b, 10, 52);
    put24(b, 13, n * 52);
    for (size_t i = 0; i < n; ++i) {
        const size_t at = 16 + i * 52;
        put16(b, at, (1000 + i) & 0xFFFF);
        b[at + 2] = (i % 2) != 0 ? 1 : 0;
        put_text(b, at + 12, "S" + std::to_string(i));
    }
    b.resize(b.size() - 8);
    const auto r = parse_ok(b);
    EXPECT_TRUE(r.truncated);
    ASSERT_EQ(r.elements.size(), n);
    EXPECT_EQ(r.elements.front().address, 1000);
    EXPECT_EQ(r.elements.back().address, (1000 + n - 1) & 0xFFFF);
    EXPECT_EQ(r.elements.back().primary_tag, "S" + std::to_string(n - 1));
    EXPECT_TRUE(r.elements.back().truncated);
    EXPECT_EQ(
        std::count_if(r.elements.begin(), r.elements.end(), [](const auto& e) { return e.full; }),
        static_cast<std::ptrdiff_t>(n / 2));
}

TEST(ElementStatus, ManySmallDescriptorsBoundedByBuffer) {
    // The header may announce anything; the element count follows the bytes actually received.
    B b(16 + 4 * 250'000, 0);
    put24(b, 5, 0xFFFFFF);
    b[8] = 2;
    put16(b, 10, 4);
    put24(b, 13, 0xFFFFFF);
    const auto r = parse_ok(b);
    EXPECT_EQ(r.elements.size(), 250'000u);
}

TEST(ElementTypeName, Names) {
    EXPECT_STREQ(element_type_name(ElementType::All), "all");
    EXPECT_STREQ(element_type_name(ElementType::Transport), "transport");
    EXPECT_STREQ(element_type_name(ElementType::Storage), "storage");
    EXPECT_STREQ(element_type_name(ElementType::ImportExport), "import/export");
    EXPECT_STREQ(element_type_name(ElementType::DataTransfer), "drive");
    EXPECT_STREQ(element_type_name(static_cast<ElementType>(9)), "unknown");
}

namespace {

bool printable(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7E; });
}

void check_invariants(const B& b) {
    const auto r = parse_element_status(Exact(b).span());
    if (b.size() < 8) {
        ASSERT_FALSE(r.ok());
        return;
    }
    if (!r.ok()) {
        ASSERT_EQ(r.error().code, Errc::MalformedReply);
        return;
    }
    ASSERT_LE(r->elements.size(), b.size() / 3);
    ASSERT_EQ(r->needed(), r->byte_count + 8);
    ASSERT_EQ(r->truncated, b.size() < r->needed());
    for (const auto& e : r->elements) {
        ASSERT_LE(e.primary_tag.size(), 32u);
        ASSERT_LE(e.alternate_tag.size(), 32u);
        ASSERT_LE(e.identifier.size(), 2u * 255u);
        ASSERT_TRUE(printable(e.primary_tag));
        ASSERT_TRUE(printable(e.alternate_tag));
        ASSERT_TRUE(printable(e.identifier));
        ASSERT_LE(e.medium_type, 7);
        ASSERT_LE(static_cast<unsigned>(e.type), 15u);
    }
}

} // namespace

TEST(ElementStatusRobustness, RandomAndMutatedReplies) {
    std::mt19937 rng(20261123);
    const std::vector<B> seeds = {
        tgt_reply(2, {{1000, true, "S00001L8"}, {1001, false, ""}, {1002, true, "S3", 2}}, false),
        tgt_reply(4, {{2, true, "S00001L8", 1000, 0x0402}, {3, false, ""}}, true, true),
        Report{}
            .page(1, 0x00, 12, {descriptor(12, 1)})
            .page(3, 0xC0, 84, {descriptor(84, 100, 0x0B)})
            .page(2, 0x80, 16, {descriptor(16, 1000), descriptor(16, 1001)})
            .done(1, 4),
    };
    // Offsets of the length fields a device is most likely to get wrong.
    const size_t hot[] = {5, 6, 7, 10, 11, 13, 14, 15};
    for (int i = 0; i < 300'000; ++i) {
        B b;
        switch (i % 4) {
        case 0:
            b.resize(rng() % 400);
            for (auto& c : b) {
                c = static_cast<uint8_t>(rng());
            }
            break;
        case 1: {
            // Plausible header and page header, random lengths and body.
            b.resize(16 + rng() % 400);
            for (auto& c : b) {
                c = static_cast<uint8_t>(rng() % 3 == 0 ? rng() : 0);
            }
            put24(b, 5, rng() % 3 == 0 ? 0xFFFFFF : b.size() - 8 + rng() % 16);
            b[8] = static_cast<uint8_t>(1 + rng() % 4);
            b[9] = static_cast<uint8_t>(rng() % 4 << 6);
            put16(b, 10, rng() % 100);
            put24(b, 13, rng() % 2 == 0 ? 0xFFFFFF : rng() % 500);
            break;
        }
        default: {
            b = seeds[static_cast<size_t>(i) % seeds.size()];
            const auto flips = 1 + rng() % 4;
            for (decltype(rng()) f = 0; f < flips; ++f) {
                const size_t at = rng() % 2 == 0 ? hot[rng() % std::size(hot)] : rng() % b.size();
                if (at < b.size()) {
                    b[at] =
                        static_cast<uint8_t>(rng() % 2 == 0 ? rng() : (rng() % 2 == 0 ? 0 : 0xFF));
                }
            }
            if (rng() % 2 == 0) {
                b.resize(rng() % (b.size() + 1));
            }
            break;
        }
        }
        check_invariants(b);
        if (HasFatalFailure()) {
            return;
        }
    }
}
