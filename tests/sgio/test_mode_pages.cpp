#include "exact_bytes.hpp"
#include "sgio/mode_pages.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <memory>
#include <random>
#include <vector>

using namespace sgio;

namespace {

using sgio::test::B;
using sgio::test::Exact;

// The pages tgt answers for a library with 1 transport at 1, 20 slots at 1000, one port at 100 and
// two drives at 2.
const B page_1d{0x1D, 0x12, 0x00, 0x01, 0x00, 0x01, 0x03, 0xE8, 0x00, 0x14,
                0x00, 0x64, 0x00, 0x01, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00};
const B page_1e{0x1E, 0x02, 0x00, 0x00};
const B page_1f{0x1F, 0x12, 0x0F, 0x07, 0x0F, 0x0F, 0x0F, 0x0F, 0x00, 0x00,
                0x00, 0x00, 0x0F, 0x0F, 0x0F, 0x0F, 0x00, 0x00, 0x00, 0x00};

B concat(std::initializer_list<const B*> parts) {
    B out;
    for (const B* p : parts) {
        out.insert(out.end(), p->begin(), p->end());
    }
    return out;
}

// MODE SENSE(6) parameter data: 4-byte header, block descriptors, pages.
B reply6(const B& pages, size_t block_descriptors = 0) {
    B b{0, 0, 0, static_cast<uint8_t>(block_descriptors)};
    b.resize(4 + block_descriptors, 0x5A);
    b.insert(b.end(), pages.begin(), pages.end());
    b[0] = static_cast<uint8_t>(b.size() - 1);
    return b;
}

// MODE SENSE(10) parameter data: 8-byte header with 16-bit lengths.
B reply10(const B& pages, size_t block_descriptors = 0) {
    B b(8, 0);
    b[6] = static_cast<uint8_t>(block_descriptors >> 8);
    b[7] = static_cast<uint8_t>(block_descriptors);
    b.resize(8 + block_descriptors, 0x5A);
    b.insert(b.end(), pages.begin(), pages.end());
    b[0] = static_cast<uint8_t>((b.size() - 2) >> 8);
    b[1] = static_cast<uint8_t>(b.size() - 2);
    return b;
}

B found(const Result<std::span<const uint8_t>>& r) {
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? B(r->begin(), r->end()) : B{};
}

} // namespace

TEST(ModePages, FindInModeSense6) {
    const B b = reply6(concat({&page_1d, &page_1e, &page_1f}));
    EXPECT_EQ(found(find_mode_page(b, false, 0x1D)), page_1d);
    EXPECT_EQ(found(find_mode_page(b, false, 0x1E)), page_1e);
    EXPECT_EQ(found(find_mode_page(b, false, 0x1F)), page_1f);
}

TEST(ModePages, FindInModeSense6PastBlockDescriptors) {
    const B b = reply6(concat({&page_1e, &page_1d}), 8);
    EXPECT_EQ(found(find_mode_page(b, false, 0x1D)), page_1d);
}

TEST(ModePages, FindInModeSense10PastBlockDescriptors) {
    const B b = reply10(concat({&page_1f, &page_1d}), 8);
    EXPECT_EQ(found(find_mode_page(b, true, 0x1D)), page_1d);
    EXPECT_EQ(found(find_mode_page(b, true, 0x1F)), page_1f);
    const B no_bd = reply10(page_1d);
    EXPECT_EQ(found(find_mode_page(no_bd, true, 0x1D)), page_1d);
    // The same bytes read as a 6-byte reply put the page elsewhere: the header size matters.
    EXPECT_FALSE(find_mode_page(no_bd, false, 0x1D).ok());
}

TEST(ModePages, FindInModeSense10WithLongBlockDescriptorList) {
    // LONGLBA block descriptors: the 16-bit length must be read whole.
    const B b = reply10(page_1d, 0x0110);
    EXPECT_EQ(found(find_mode_page(b, true, 0x1D)), page_1d);
}

TEST(ModePages, PsBitAndRequestedPageMasked) {
    B ps = page_1d;
    ps[0] = 0x9D;
    const B b = reply6(concat({&page_1e, &ps}));
    const B got = found(find_mode_page(b, false, 0x1D));
    EXPECT_EQ(got, ps);
    EXPECT_EQ(found(find_mode_page(b, false, 0xDD)), ps);
    const auto m = parse_element_address_page(got);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->storage_first, 1000);
}

TEST(ModePages, SubpageFormatPagesSkipped) {
    // A 1Dh page in subpage format (SPF, 16-bit length) is not page 1Dh subpage 0.
    const B sub{0x5D, 0x01, 0x00, 0x04, 0xAA, 0xBB, 0xCC, 0xDD};
    const B b = reply6(concat({&sub, &page_1d}));
    EXPECT_EQ(found(find_mode_page(b, false, 0x1D)), page_1d);
}

TEST(ModePages, PageAbsentIsUnsupported) {
    const B b = reply6(concat({&page_1d, &page_1e}));
    const auto r = find_mode_page(b, false, 0x1F);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::Unsupported);
    EXPECT_EQ(find_mode_page(reply6({}), false, 0x1D).error().code, Errc::Unsupported);
}

TEST(ModePages, HeaderTooShort) {
    const B b = reply10(page_1d);
    for (size_t n = 0; n < 4; ++n) {
        EXPECT_EQ(find_mode_page(std::span(b).first(n), false, 0x1D).error().code,
                  Errc::MalformedReply);
    }
    for (size_t n = 0; n < 8; ++n) {
        EXPECT_EQ(find_mode_page(std::span(b).first(n), true, 0x1D).error().code,
                  Errc::MalformedReply);
    }
}

TEST(ModePages, BlockDescriptorsPastTheEnd) {
    B b = reply6(page_1d);
    b[3] = 0xF0;
    EXPECT_EQ(find_mode_page(b, false, 0x1D).error().code, Errc::MalformedReply);
}

TEST(ModePages, ClampedToReceivedAndModeDataLength) {
    // Allocation too small: the page is returned as far as it arrived and is too short to parse.
    const B b = reply6(concat({&page_1e, &page_1d}));
    const B cut(b.begin(), b.end() - 5);
    const B got = found(find_mode_page(cut, false, 0x1D));
    EXPECT_EQ(got.size(), page_1d.size() - 5);
    const auto m = parse_element_address_page(got);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, Errc::MalformedReply);

    // MODE DATA LENGTH ends before the page: bytes after it are not pages.
    B shorter = b;
    shorter[0] = 3 + 4;
    EXPECT_EQ(find_mode_page(shorter, false, 0x1D).error().code, Errc::Unsupported);
}

TEST(ModePages, PageLengthRunningPastTheEnd) {
    B b = reply6(page_1d);
    b[5] = 0xFF; // page length 255
    const B got = found(find_mode_page(b, false, 0x1D));
    EXPECT_EQ(got.size(), page_1d.size());
}

TEST(ModePages, ElementAddressAssignment) {
    const auto m = parse_element_address_page(page_1d);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->transport_first, 1);
    EXPECT_EQ(m->transport_count, 1);
    EXPECT_EQ(m->storage_first, 1000);
    EXPECT_EQ(m->storage_count, 20);
    EXPECT_EQ(m->ie_first, 100);
    EXPECT_EQ(m->ie_count, 1);
    EXPECT_EQ(m->drive_first, 2);
    EXPECT_EQ(m->drive_count, 2);
}

TEST(ModePages, ElementAddressAssignmentAllSixteenBits) {
    const B p{0x1D, 0x12, 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0,
              0x0F, 0xED, 0xCB, 0xA9, 0x87, 0x65, 0x43, 0x21, 0xFF, 0xFF};
    const auto m = parse_element_address_page(p);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->transport_first, 0x1234);
    EXPECT_EQ(m->transport_count, 0x5678);
    EXPECT_EQ(m->storage_first, 0x9ABC);
    EXPECT_EQ(m->storage_count, 0xDEF0);
    EXPECT_EQ(m->ie_first, 0x0FED);
    EXPECT_EQ(m->ie_count, 0xCBA9);
    EXPECT_EQ(m->drive_first, 0x8765);
    EXPECT_EQ(m->drive_count, 0x4321);
}

TEST(ModePages, ElementAddressAssignmentLengths) {
    // The eight fields end at byte 17: 18 bytes are enough, 17 are not.
    EXPECT_TRUE(parse_element_address_page(std::span(page_1d).first(18)).ok());
    EXPECT_EQ(parse_element_address_page(std::span(page_1d).first(17)).error().code,
              Errc::MalformedReply);
    EXPECT_EQ(parse_element_address_page({}).error().code, Errc::MalformedReply);
    // A PAGE LENGTH that ends before the fields wins over extra bytes in the buffer.
    B short_length = page_1d;
    short_length[1] = 0x0A;
    EXPECT_EQ(parse_element_address_page(short_length).error().code, Errc::MalformedReply);
    B wrong = page_1d;
    wrong[0] = 0x1F;
    EXPECT_EQ(parse_element_address_page(wrong).error().code, Errc::MalformedReply);
}

TEST(ModePages, CapabilitiesTgt) {
    const auto c = parse_capabilities_page(page_1f);
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(c->present);
    EXPECT_TRUE(c->barcode_reader);
    EXPECT_TRUE(c->store_mt && c->store_st && c->store_ie && c->store_dt);
    for (int from = 1; from <= 4; ++from) {
        for (int to = 1; to <= 4; ++to) {
            EXPECT_TRUE(c->can_move[from][to]) << from << "->" << to;
        }
    }
    for (int i = 0; i < 5; ++i) {
        EXPECT_FALSE(c->can_move[0][i]);
        EXPECT_FALSE(c->can_move[i][0]);
    }
}

TEST(ModePages, CapabilitiesBits) {
    B p = page_1f;
    p[2] = 0x06; // StorST, StorI/E
    p[3] = 0x05; // ACE and S2C, no VTRP
    p[4] = 0x0E; // MT -> ST, IE, DT
    p[5] = 0x8D; // ST -> MT, IE, DT (+ RA bit, not a move)
    p[6] = 0x02; // IE -> ST
    p[7] = 0x01; // DT -> MT
    const auto c = parse_capabilities_page(p);
    ASSERT_TRUE(c.ok());
    EXPECT_FALSE(c->barcode_reader);
    EXPECT_FALSE(c->store_mt);
    EXPECT_TRUE(c->store_st);
    EXPECT_TRUE(c->store_ie);
    EXPECT_FALSE(c->store_dt);
    const bool expected[5][5] = {
        {false, false, false, false, false}, {false, false, true, true, true},
        {false, true, false, true, true},    {false, false, true, false, false},
        {false, true, false, false, false},
    };
    for (int from = 0; from < 5; ++from) {
        for (int to = 0; to < 5; ++to) {
            EXPECT_EQ(c->can_move[from][to], expected[from][to]) << from << "->" << to;
        }
    }
    p[3] = 0x02;
    EXPECT_TRUE(parse_capabilities_page(p)->barcode_reader);
}

TEST(ModePages, CapabilitiesOldLength) {
    // Quantum Scalar i2000 style page length 0Eh.
    const B p{0x1F, 0x0E, 0x0F, 0x02, 0x0E, 0x0D, 0x0B, 0x07,
              0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    const auto c = parse_capabilities_page(p);
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(c->barcode_reader);
    EXPECT_FALSE(c->can_move[1][1]);
    EXPECT_FALSE(c->can_move[2][2]);
    EXPECT_FALSE(c->can_move[3][3]);
    EXPECT_FALSE(c->can_move[4][4]);
    EXPECT_TRUE(c->can_move[3][4]);
}

TEST(ModePages, CapabilitiesTooShortOrWrongPage) {
    EXPECT_EQ(parse_capabilities_page(std::span(page_1f).first(7)).error().code,
              Errc::MalformedReply);
    EXPECT_TRUE(parse_capabilities_page(std::span(page_1f).first(8)).ok());
    EXPECT_EQ(parse_capabilities_page({}).error().code, Errc::MalformedReply);
    B wrong = page_1f;
    wrong[0] = 0x1D;
    EXPECT_EQ(parse_capabilities_page(wrong).error().code, Errc::MalformedReply);
}

TEST(ModePages, FindThenParseFromModeSense10) {
    const B b = reply10(concat({&page_1d, &page_1f}), 8);
    const auto m = parse_element_address_page(found(find_mode_page(b, true, 0x1D)));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->ie_first, 100);
    const auto c = parse_capabilities_page(found(find_mode_page(b, true, 0x1F)));
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(c->barcode_reader);
}

TEST(ElementMap, FirstAndCount) {
    const auto m = parse_element_address_page(page_1d).value();
    EXPECT_EQ(m.first(ElementType::Transport), 1);
    EXPECT_EQ(m.count(ElementType::Transport), 1);
    EXPECT_EQ(m.first(ElementType::Storage), 1000);
    EXPECT_EQ(m.count(ElementType::Storage), 20);
    EXPECT_EQ(m.first(ElementType::ImportExport), 100);
    EXPECT_EQ(m.count(ElementType::ImportExport), 1);
    EXPECT_EQ(m.first(ElementType::DataTransfer), 2);
    EXPECT_EQ(m.count(ElementType::DataTransfer), 2);
    EXPECT_EQ(m.first(ElementType::All), 1);
    EXPECT_EQ(m.count(ElementType::All), 24);
    EXPECT_EQ(m.first(static_cast<ElementType>(7)), 0);
    EXPECT_EQ(m.count(static_cast<ElementType>(7)), 0);
}

TEST(ElementMap, AllSkipsEmptyTypesAndSaturates) {
    ElementMap m;
    m.transport_first = 0; // HP autochangers report no transport
    m.storage_first = 4096;
    m.storage_count = 60000;
    m.drive_first = 500;
    m.drive_count = 10000;
    EXPECT_EQ(m.first(ElementType::All), 500);
    EXPECT_EQ(m.count(ElementType::All), 0xFFFF);
    EXPECT_EQ(ElementMap{}.first(ElementType::All), 0);
    EXPECT_EQ(ElementMap{}.count(ElementType::All), 0);
}

// Ranges that only touch do not overlap; a range of no elements overlaps nothing, wherever it
// starts; the last address of the 16-bit space counts.
TEST(ElementMap, OverlapsWhereTwoTypesShareAnAddress) {
    const auto m = parse_element_address_page(page_1d).value();
    EXPECT_FALSE(m.overlaps());
    ElementMap touching = m;
    touching.ie_first = 1020; // right after the storage elements 1000..1019
    EXPECT_FALSE(touching.overlaps());
    ElementMap shared = m;
    shared.ie_first = 1019; // the last storage element's address
    EXPECT_TRUE(shared.overlaps());
    ElementMap drives_over_robot = m;
    drives_over_robot.drive_first = 1; // the transport's address
    EXPECT_TRUE(drives_over_robot.overlaps());
    ElementMap none = m;
    none.ie_count = 0;
    none.ie_first = 1005; // inside the storage range, but no elements
    EXPECT_FALSE(none.overlaps());
    ElementMap top;
    top.storage_first = 0xFF00;
    top.storage_count = 0x100; // up to 0xFFFF
    top.ie_first = 0xFFFF;
    top.ie_count = 1;
    EXPECT_TRUE(top.overlaps());
    top.storage_count = 0xFF;
    EXPECT_FALSE(top.overlaps());
}

TEST(ModePagesRobustness, RandomAndMutatedReplies) {
    std::mt19937 rng(0x1D1F);
    const std::vector<std::pair<B, bool>> seeds = {
        {reply6(concat({&page_1d, &page_1e, &page_1f})), false},
        {reply6(concat({&page_1e, &page_1d}), 8), false},
        {reply10(concat({&page_1f, &page_1d}), 8), true},
    };
    for (int i = 0; i < 300'000; ++i) {
        B b;
        bool ten = (i & 1) != 0;
        if (i % 3 == 0) {
            b.resize(rng() % 200);
            for (auto& c : b) {
                c = static_cast<uint8_t>(rng() % 4 == 0 ? 0x1D + rng() % 3 : rng());
            }
        } else {
            const auto& seed = seeds[static_cast<size_t>(i) % seeds.size()];
            b = seed.first;
            ten = seed.second;
            const auto flips = 1 + rng() % 4;
            for (decltype(rng()) f = 0; f < flips; ++f) {
                b[rng() % b.size()] = static_cast<uint8_t>(rng());
            }
            b.resize(rng() % (b.size() + 4));
        }
        const Exact e(b);
        const auto whole = e.span();
        for (const uint8_t code : {uint8_t{0x1D}, uint8_t{0x1E}, uint8_t{0x1F}}) {
            const auto page = find_mode_page(whole, ten, code);
            if (!page.ok()) {
                ASSERT_TRUE(page.error().code == Errc::MalformedReply ||
                            page.error().code == Errc::Unsupported);
                continue;
            }
            ASSERT_FALSE(page->empty());
            ASSERT_GE(page->data(), whole.data());
            ASSERT_LE(page->data() + page->size(), whole.data() + whole.size());
            ASSERT_EQ((*page)[0] & 0x3F, code);
            ASSERT_EQ((*page)[0] & 0x40, 0);
            if (const auto m = parse_element_address_page(*page); m.ok()) {
                ASSERT_EQ(code, 0x1D);
                ASSERT_GE(page->size(), 18u);
            }
            if (const auto c = parse_capabilities_page(*page); c.ok()) {
                ASSERT_EQ(code, 0x1F);
                ASSERT_TRUE(c->present);
            }
        }
    }
}
