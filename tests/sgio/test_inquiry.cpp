#include "sgio/inquiry.hpp"
#include "exact_bytes.hpp"

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

void put_text(B& b, size_t at, const std::string& s) {
    std::copy(s.begin(), s.end(), b.begin() + static_cast<std::ptrdiff_t>(at));
}

// Standard INQUIRY data of tgt's changer LUN: type 8, removable, SPC-3, vendor "IET".
B tgt_inquiry() {
    B b(36, 0);
    b[0] = 0x08;
    b[1] = 0x80;
    b[2] = 0x05;
    b[3] = 0x02;
    b[4] = 31;
    put_text(b, 8, "IET     ");
    put_text(b, 16, "VIRTUAL-CHANGER ");
    put_text(b, 32, "0001");
    return b;
}

B vpd(uint8_t page, const B& body) {
    B b{0x08, page, static_cast<uint8_t>(body.size() >> 8), static_cast<uint8_t>(body.size())};
    b.insert(b.end(), body.begin(), body.end());
    return b;
}

} // namespace

TEST(Inquiry, TgtChanger) {
    const auto r = parse_inquiry(tgt_inquiry());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->peripheral_qualifier, 0);
    EXPECT_EQ(r->peripheral_type, PeripheralTypeChanger);
    EXPECT_TRUE(r->removable);
    EXPECT_EQ(r->version, 0x05);
    EXPECT_FALSE(r->mchngr);
    EXPECT_EQ(r->vendor, "IET");
    EXPECT_EQ(r->product, "VIRTUAL-CHANGER");
    EXPECT_EQ(r->revision, "0001");
}

TEST(Inquiry, QualifierTypeAndMchngr) {
    B b = tgt_inquiry();
    b[0] = 0x7F; // qualifier 3: no device at this LUN
    b[1] = 0x00;
    b[6] = 0x08;
    const auto r = parse_inquiry(b);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->peripheral_qualifier, 3);
    EXPECT_EQ(r->peripheral_type, 0x1F);
    EXPECT_FALSE(r->removable);
    EXPECT_TRUE(r->mchngr);

    b[0] = 0x21;
    b[6] = 0xF7;
    const auto t = parse_inquiry(b);
    EXPECT_EQ(t->peripheral_qualifier, 1);
    EXPECT_EQ(t->peripheral_type, 0x01);
    EXPECT_FALSE(t->mchngr);
}

TEST(Inquiry, TooShort) {
    const B b = tgt_inquiry();
    for (size_t n = 0; n < 5; ++n) {
        const auto r = parse_inquiry(std::span(b).first(n));
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, Errc::MalformedReply);
    }
}

TEST(Inquiry, FieldsFilledAsFarAsReceived) {
    const B b = tgt_inquiry();
    const auto five = parse_inquiry(std::span(b).first(5));
    ASSERT_TRUE(five.ok());
    EXPECT_EQ(five->peripheral_type, 8);
    EXPECT_FALSE(five->mchngr);
    EXPECT_EQ(five->vendor, "");
    EXPECT_EQ(five->product, "");

    const auto ten = parse_inquiry(std::span(b).first(10));
    EXPECT_EQ(ten->vendor, "IE");
    const auto twenty = parse_inquiry(std::span(b).first(20));
    EXPECT_EQ(twenty->vendor, "IET");
    EXPECT_EQ(twenty->product, "VIRT");
    const auto thirty_four = parse_inquiry(std::span(b).first(34));
    EXPECT_EQ(thirty_four->product, "VIRTUAL-CHANGER");
    EXPECT_EQ(thirty_four->revision, "00");
}

TEST(Inquiry, FieldsDoNotSpillIntoEachOther) {
    B b(96, 'X');
    b[0] = 0x08;
    b[4] = 91;
    const auto r = parse_inquiry(b);
    EXPECT_EQ(r->vendor, std::string(8, 'X'));
    EXPECT_EQ(r->product, std::string(16, 'X'));
    EXPECT_EQ(r->revision, std::string(4, 'X'));
}

TEST(Inquiry, NulPaddingAndUnprintableBytes) {
    B b = tgt_inquiry();
    put_text(b, 8, std::string("HP\0\0\0\0\0\0", 8));
    put_text(b, 16, std::string("Ultri\x01m\xC3\0         ", 16));
    const auto r = parse_inquiry(b);
    EXPECT_EQ(r->vendor, "HP");
    EXPECT_EQ(r->product, "Ultri?m?");
}

TEST(Vpd, SupportedPages) {
    const auto r = parse_vpd_supported_pages(vpd(0x00, {0x00, 0x80, 0x83}));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, (B{0x00, 0x80, 0x83}));
}

TEST(Vpd, SupportedPagesClampedToReceived) {
    B b = vpd(0x00, {0x00, 0x80, 0x83, 0xB0});
    b[3] = 0xFF;
    EXPECT_EQ(*parse_vpd_supported_pages(b), (B{0x00, 0x80, 0x83, 0xB0}));
    b.resize(6);
    EXPECT_EQ(*parse_vpd_supported_pages(b), (B{0x00, 0x80}));
    // Bytes past PAGE LENGTH are not pages.
    B c = vpd(0x00, {0x00, 0x80, 0x83});
    c[3] = 2;
    EXPECT_EQ(*parse_vpd_supported_pages(c), (B{0x00, 0x80}));
    EXPECT_TRUE(parse_vpd_supported_pages(vpd(0x00, {}))->empty());
}

TEST(Vpd, ShortOrWrongPage) {
    const B b = vpd(0x00, {0x00, 0x80});
    for (size_t n = 0; n < 4; ++n) {
        EXPECT_EQ(parse_vpd_supported_pages(std::span(b).first(n)).error().code,
                  Errc::MalformedReply);
        EXPECT_EQ(parse_vpd_serial(std::span(b).first(n)).error().code, Errc::MalformedReply);
        EXPECT_EQ(parse_vpd_device_id(std::span(b).first(n)).error().code, Errc::MalformedReply);
    }
    EXPECT_EQ(parse_vpd_serial(b).error().code, Errc::MalformedReply);
    EXPECT_EQ(parse_vpd_device_id(b).error().code, Errc::MalformedReply);
    EXPECT_EQ(parse_vpd_supported_pages(vpd(0x80, {})).error().code, Errc::MalformedReply);
}

TEST(Vpd, Serial) {
    B body(10, ' ');
    put_text(body, 0, "beaf13");
    EXPECT_EQ(*parse_vpd_serial(vpd(0x80, body)), "beaf13");
    // SPC right-aligns the serial number.
    EXPECT_EQ(*parse_vpd_serial(vpd(0x80, {' ', ' ', ' ', 'S', 'N', '1'})), "SN1");
    EXPECT_EQ(*parse_vpd_serial(vpd(0x80, {'S', 'N', 0, 0})), "SN");
    EXPECT_EQ(*parse_vpd_serial(vpd(0x80, {'S', 0x07, 'N'})), "S?N");
    EXPECT_EQ(*parse_vpd_serial(vpd(0x80, {})), "");
    EXPECT_EQ(*parse_vpd_serial(vpd(0x80, {' ', ' '})), "");
}

TEST(Vpd, SerialClamped) {
    B b = vpd(0x80, {'A', 'B', 'C', 'D', 'E', 'F'});
    b[3] = 3;
    EXPECT_EQ(*parse_vpd_serial(b), "ABC");
    b[3] = 200;
    EXPECT_EQ(*parse_vpd_serial(b), "ABCDEF");
    b.resize(7);
    EXPECT_EQ(*parse_vpd_serial(b), "ABC");
}

namespace {

B designator(uint8_t code_set, uint8_t association, uint8_t type, const B& value) {
    B d{static_cast<uint8_t>(code_set), static_cast<uint8_t>(0x80 | association << 4 | type), 0,
        static_cast<uint8_t>(value.size())};
    d.insert(d.end(), value.begin(), value.end());
    return d;
}

B text(const std::string& s) {
    return B(s.begin(), s.end());
}

B device_id_page() {
    B body;
    const B t10 = designator(2, 0, 1, text("IET     VIRTUAL-CHANGER beaf13  "));
    const B naa = designator(1, 0, 3, {0x60, 0x00, 0x0E, 0xD0, 0x12, 0x34, 0x56, 0x78});
    const B port = designator(1, 1, 4, {0x00, 0x00, 0x00, 0x01});
    const B name =
        designator(3, 2, 8, text(std::string("iqn.2026-11.test:lab\xC3\xA9\0\0\0\0", 26)));
    for (const B* d : {&t10, &naa, &port, &name}) {
        body.insert(body.end(), d->begin(), d->end());
    }
    return vpd(0x83, body);
}

} // namespace

TEST(Vpd, DeviceIdentification) {
    const auto r = parse_vpd_device_id(device_id_page());
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 4u);
    const auto& t10 = (*r)[0];
    EXPECT_EQ(t10.code_set, 2);
    EXPECT_EQ(t10.association, 0);
    EXPECT_EQ(t10.type, 1);
    EXPECT_EQ(t10.value.size(), 32u);
    EXPECT_EQ(t10.text(), "IET     VIRTUAL-CHANGER beaf13");

    const auto& naa = (*r)[1];
    EXPECT_EQ(naa.code_set, 1);
    EXPECT_EQ(naa.type, 3);
    EXPECT_EQ(naa.value, (B{0x60, 0x00, 0x0E, 0xD0, 0x12, 0x34, 0x56, 0x78}));
    EXPECT_EQ(naa.text(), "60000ed012345678");

    EXPECT_EQ((*r)[2].association, 1);
    EXPECT_EQ((*r)[2].type, 4);
    EXPECT_EQ((*r)[2].text(), "00000001");

    const auto& name = (*r)[3];
    EXPECT_EQ(name.code_set, 3);
    EXPECT_EQ(name.association, 2);
    EXPECT_EQ(name.type, 8);
    EXPECT_EQ(name.text(), "iqn.2026-11.test:lab\xC3\xA9"); // UTF-8 kept, NUL padding trimmed
}

TEST(Vpd, DesignatorTextAsciiReplacesNonAscii) {
    Designator d;
    d.code_set = 2;
    d.value = {'A', 0xC3, 0xA9, 0x01, 'B', ' ', 0};
    EXPECT_EQ(d.text(), "A???B");
    d.code_set = 3;
    // A well-formed 2- and 4-byte sequence pass; a lone continuation byte, an overlong form, a
    // surrogate and a sequence cut at the end do not.
    d.value = {'a',  0xC3, 0xA9, 0xF0, 0x9F, 0x93, 0xBC, 0x80,
               0xC0, 0xAF, 0xED, 0xA0, 0x80, 'z',  0xE2, 0x82};
    EXPECT_EQ(d.text(), "a\xC3\xA9\xF0\x9F\x93\xBC??????"
                        "z??");
    d.code_set = 0; // reserved code set: binary
    d.value = {0xAB, 0x01};
    EXPECT_EQ(d.text(), "ab01");
    d.value.clear();
    EXPECT_EQ(d.text(), "");
}

TEST(Vpd, DeviceIdentificationTruncatedDesignatorDropped) {
    const B whole = device_id_page();
    // Cut in the middle of the NAA value: the T10 designator survives, the cut one is dropped.
    const B cut(whole.begin(), whole.begin() + 4 + 36 + 6);
    const auto r = parse_vpd_device_id(cut);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].type, 1);
    // Cut in a designator header.
    const auto h = parse_vpd_device_id(B(whole.begin(), whole.begin() + 4 + 36 + 2));
    ASSERT_EQ(h->size(), 1u);
}

TEST(Vpd, DeviceIdentificationPageLengthBounds) {
    B b = device_id_page();
    b[2] = 0;
    b[3] = 36; // only the first designator lies inside the page
    const auto r = parse_vpd_device_id(b);
    ASSERT_EQ(r->size(), 1u);
    b[2] = 0xFF;
    b[3] = 0xFF; // more than received: clamp
    EXPECT_EQ(parse_vpd_device_id(b)->size(), 4u);
}

TEST(Vpd, DeviceIdentificationEmptyAndZeroLengthDesignators) {
    EXPECT_TRUE(parse_vpd_device_id(vpd(0x83, {}))->empty());
    const auto r = parse_vpd_device_id(vpd(0x83, {0x02, 0x01, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00}));
    ASSERT_EQ(r->size(), 2u);
    EXPECT_TRUE((*r)[0].value.empty());
    EXPECT_EQ((*r)[1].type, 3);
}

TEST(InquiryRobustness, RandomAndMutatedBuffers) {
    std::mt19937 rng(0x1E7);
    const std::vector<B> seeds = {tgt_inquiry(), vpd(0x00, {0x00, 0x80, 0x83}),
                                  vpd(0x80, text("beaf13    ")), device_id_page()};
    for (int i = 0; i < 300'000; ++i) {
        B b;
        if (i % 3 == 0) {
            b.resize(rng() % 300);
            for (auto& c : b) {
                c = static_cast<uint8_t>(rng());
            }
            if (b.size() > 1) {
                const uint8_t pages[] = {0x00, 0x80, 0x83};
                b[1] = pages[rng() % 3];
            }
        } else {
            b = seeds[static_cast<size_t>(i) % seeds.size()];
            const auto flips = 1 + rng() % 4;
            for (decltype(rng()) f = 0; f < flips; ++f) {
                b[rng() % b.size()] = static_cast<uint8_t>(rng());
            }
            b.resize(rng() % (b.size() + 8));
        }
        const Exact e(b);
        if (const auto q = parse_inquiry(e.span()); q.ok()) {
            ASSERT_GE(b.size(), 5u);
            ASSERT_LE(q->vendor.size(), 8u);
            ASSERT_LE(q->product.size(), 16u);
            ASSERT_LE(q->revision.size(), 4u);
            ASSERT_LE(q->peripheral_type, 0x1F);
        }
        if (const auto p = parse_vpd_supported_pages(e.span()); p.ok()) {
            ASSERT_LE(p->size() + 4, b.size());
        }
        if (const auto s = parse_vpd_serial(e.span()); s.ok()) {
            ASSERT_LE(s->size() + 4, b.size());
        }
        if (const auto d = parse_vpd_device_id(e.span()); d.ok()) {
            size_t total = 0;
            for (const auto& x : *d) {
                total += 4 + x.value.size();
                ASSERT_LE(x.code_set, 0x0F);
                ASSERT_LE(x.association, 3);
                ASSERT_LE(x.type, 0x0F);
                ASSERT_LE(x.text().size(), 2 * x.value.size());
            }
            ASSERT_LE(total + 4, b.size());
        }
    }
}
