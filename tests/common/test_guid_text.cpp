// common/ntms_guid.h, the one GUID parser and formatter: the syntax it takes (8-4-4-4-12 or 32 hex
// digits, any case, nothing around them), what it writes, and RSM's Data1..Data4 fields.
#include "common/ntms_guid.h"

#include <array>
#include <cstring>
#include <gtest/gtest.h>
#include <string>
#include <string_view>
#include <tuple>

namespace {

using Bytes = std::array<uint8_t, 16>;

constexpr std::string_view sample = "0123abcd-4567-89ef-a0b1-c2d3e4f5a6b7";
constexpr Bytes sample_bytes{0x01, 0x23, 0xab, 0xcd, 0x45, 0x67, 0x89, 0xef,
                             0xa0, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5, 0xa6, 0xb7};

bool parse(std::string_view text, Bytes& out) {
    return ntms_guid_parse(text.data(), text.size(), out.data()) == 1;
}

std::string format(const Bytes& b) {
    char text[NTMS_GUID_TEXT_SIZE];
    std::memset(text, 'x', sizeof text);
    ntms_guid_format(b.data(), text);
    return text;
}

TEST(GuidText, ParsesBothFormsInAnyCase) {
    for (std::string_view text : {sample, std::string_view("0123ABCD-4567-89EF-A0B1-C2D3E4F5A6B7"),
                                  std::string_view("0123abcd456789efa0b1c2d3e4f5a6b7"),
                                  std::string_view("0123ABCD456789EFa0b1c2d3e4f5a6b7")}) {
        Bytes b{};
        ASSERT_TRUE(parse(text, b)) << text;
        EXPECT_EQ(b, sample_bytes) << text;
    }
}

// Every byte value in a digit's place (byte 0's high and low digits, byte 15's low digit), both
// forms: a digit of either case gives its value there; any other byte refuses the whole text and
// leaves the output alone.
TEST(GuidText, EveryByteValueInADigitsPlace) {
    const std::string_view forms[] = {sample, "0123abcd456789efa0b1c2d3e4f5a6b7"};
    for (int c = 0; c < 256; ++c) {
        int want = -1;
        if (c >= '0' && c <= '9')
            want = c - '0';
        else if (c >= 'a' && c <= 'f')
            want = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            want = c - 'A' + 10;
        for (const std::string_view form : forms) {
            // (place in the text, byte, whether it is the byte's high digit)
            const std::tuple<size_t, size_t, bool> places[] = {
                {0, 0, true}, {1, 0, false}, {form.size() - 1, 15, false}};
            for (const auto& [at, byte, high] : places) {
                std::string text(form);
                text[at] = static_cast<char>(c);
                Bytes b{};
                b.fill(0x5a);
                const bool parsed = parse(text, b);
                ASSERT_EQ(parsed, want >= 0) << "byte " << c << " at " << at << " of " << form;
                Bytes expected{};
                expected.fill(0x5a);
                if (parsed) {
                    expected = sample_bytes;
                    const auto digit = static_cast<unsigned>(want);
                    expected[byte] =
                        static_cast<uint8_t>(high ? (digit << 4) | (expected[byte] & 0x0Fu)
                                                  : (expected[byte] & 0xF0u) | digit);
                }
                ASSERT_EQ(b, expected) << "byte " << c << " at " << at << " of " << form;
            }
        }
    }
}

TEST(GuidText, RejectsEverythingElseAndLeavesTheOutputAlone) {
    const std::string_view bad[] = {
        "",
        "0",
        "0123abcd-4567-89ef-a0b1-c2d3e4f5a6b",   // 35
        "0123abcd-4567-89ef-a0b1-c2d3e4f5a6b70", // 37
        "0123abcd456789efa0b1c2d3e4f5a6b",       // 31
        "0123abcd456789efa0b1c2d3e4f5a6b7a",     // 33
        " 0123abcd-4567-89ef-a0b1-c2d3e4f5a6b7",
        "0123abcd-4567-89ef-a0b1-c2d3e4f5a6b7\n",
        "{0123abcd-4567-89ef-a0b1-c2d3e4f5a6b7}",
        "{0123abcd456789efa0b1c2d3e4f5a6b7}",
        "0123abcg-4567-89ef-a0b1-c2d3e4f5a6b7",
        "x123abcd456789efa0b1c2d3e4f5a6b7",
        "+123abcd456789efa0b1c2d3e4f5a6b7",
        "0123abcd 4567 89ef a0b1 c2d3e4f5a6b7",
        "0123abc-d4567-89ef-a0b1-c2d3e4f5a6b7", // dashes one off
        "0123abcd-456-789ef-a0b1-c2d3e4f5a6b7",
        "0123abcd-4567-89efa-0b1-c2d3e4f5a6b7",
        "0123abcd-4567-89ef-a0b1c-2d3e4f5a6b7",
        "0123abcdf4567f89effa0b1fc2d3e4f5a6b7", // 36 characters, no dashes
        "0123abcd456789efa0b1c2d3e4f5a6-7",     // a dash in the short form
        std::string_view("0123abcd456789ef\0a0b1c2d3e4f5a6b", 32),
    };
    for (auto text : bad) {
        Bytes b;
        b.fill(0x5a);
        EXPECT_FALSE(parse(text, b)) << '"' << text << '"';
        for (auto byte : b)
            ASSERT_EQ(byte, 0x5a) << "output written for \"" << text << '"';
    }
}

TEST(GuidText, ReadsNoFurtherThanTheLengthItIsGiven) {
    // The text continues in memory; only the first 32 or 36 characters count.
    const std::string longer = std::string(sample) + "ffff";
    Bytes b{};
    EXPECT_TRUE(ntms_guid_parse(longer.data(), 36, b.data()));
    EXPECT_EQ(b, sample_bytes);
    EXPECT_FALSE(ntms_guid_parse(longer.data(), longer.size(), b.data()));
}

TEST(GuidText, FormatsLowercaseDashedAndHex) {
    EXPECT_EQ(format(sample_bytes), sample);
    char hex[NTMS_GUID_HEX_SIZE];
    ntms_guid_format_hex(sample_bytes.data(), hex);
    EXPECT_STREQ(hex, "0123abcd456789efa0b1c2d3e4f5a6b7");
    EXPECT_EQ(format(Bytes{}), "00000000-0000-0000-0000-000000000000");
    Bytes ff;
    ff.fill(0xff);
    EXPECT_EQ(format(ff), "ffffffff-ffff-ffff-ffff-ffffffffffff");
}

TEST(GuidText, RoundTripsEveryByteValue) {
    for (int v = 0; v < 256; ++v) {
        Bytes b;
        for (size_t i = 0; i < b.size(); ++i)
            b[i] = static_cast<uint8_t>(v + static_cast<int>(i) * 17);
        Bytes back{};
        ASSERT_TRUE(parse(format(b), back)) << format(b);
        EXPECT_EQ(back, b);
        char hex[NTMS_GUID_HEX_SIZE];
        ntms_guid_format_hex(b.data(), hex);
        ASSERT_TRUE(parse(hex, back)) << hex;
        EXPECT_EQ(back, b);
    }
}

// RSM's GUID keeps Data1..Data3 as numbers that the text shows big-endian, as Windows prints them.
TEST(GuidText, FieldsFollowTheText) {
    uint32_t d1 = 0;
    uint16_t d2 = 0, d3 = 0;
    uint8_t d4[8] = {};
    ntms_guid_to_fields(sample_bytes.data(), &d1, &d2, &d3, d4);
    EXPECT_EQ(d1, 0x0123abcdu);
    EXPECT_EQ(d2, 0x4567u);
    EXPECT_EQ(d3, 0x89efu);
    const uint8_t want4[8] = {0xa0, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5, 0xa6, 0xb7};
    EXPECT_EQ(std::memcmp(d4, want4, 8), 0);
    Bytes back{};
    ntms_guid_from_fields(d1, d2, d3, d4, back.data());
    EXPECT_EQ(back, sample_bytes);
}

// A side's GUID differs from its medium's, differs per side, and for side 0 gives the medium's
// back when made again (ntmsd finds a side's medium that way).
TEST(GuidText, ASidesGuidLeadsBackToItsMedium) {
    Bytes side0{}, side1{}, back{};
    ntms_guid_side(sample_bytes.data(), 0, side0.data());
    ntms_guid_side(sample_bytes.data(), 1, side1.data());
    EXPECT_NE(side0, sample_bytes);
    EXPECT_NE(side0, side1);
    ntms_guid_side(side0.data(), 0, back.data());
    EXPECT_EQ(back, sample_bytes);
    char text[NTMS_GUID_TEXT_SIZE];
    ntms_guid_format(side0.data(), text);
    // The mask of libntms' partitions before it moved here (same GUIDs as then).
    EXPECT_STREQ(text, "900d6897-f520-89ef-a0b1-24cb99caa6b7");
}

} // namespace
