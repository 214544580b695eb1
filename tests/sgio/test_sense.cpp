#include "sgio/result.hpp"
#include "exact_bytes.hpp"
#include "sgio/sense.hpp"

#include <algorithm>
#include <cerrno>
#include <gtest/gtest.h>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace sgio;

namespace {

using sgio::test::B;
using sgio::test::Exact;

// An 18-byte fixed-format sense buffer as tgt and most libraries send it.
B fixed(uint8_t key, uint8_t asc, uint8_t ascq, uint8_t code = 0x70) {
    B b(18, 0);
    b[0] = code;
    b[2] = key;
    b[7] = 10;
    b[12] = asc;
    b[13] = ascq;
    return b;
}

} // namespace

TEST(Sense, FixedFormatKeyAscAscq) {
    const Sense s = parse_sense(fixed(0x05, 0x3B, 0x0D));
    EXPECT_TRUE(s.valid);
    EXPECT_FALSE(s.descriptor_format);
    EXPECT_FALSE(s.deferred);
    EXPECT_EQ(s.response_code, 0x70);
    EXPECT_EQ(s.key, 0x05);
    EXPECT_EQ(s.asc, 0x3B);
    EXPECT_EQ(s.ascq, 0x0D);
    EXPECT_FALSE(s.information.has_value());
    EXPECT_FALSE(s.field_pointer.has_value());
    EXPECT_TRUE(s.is(sense_key::IllegalRequest, 0x3B, 0x0D));
    EXPECT_TRUE(s.is(sense_key::IllegalRequest, 0x3B));
    EXPECT_FALSE(s.is(sense_key::IllegalRequest, 0x3B, 0x0E));
}

TEST(Sense, FixedFormatKeyIgnoresFlagBits) {
    B b = fixed(0x06, 0x28, 0x01);
    b[2] = 0xE6; // FILEMARK, EOM, ILI set around UNIT ATTENTION
    const Sense s = parse_sense(b);
    EXPECT_EQ(s.key, sense_key::UnitAttention);
    EXPECT_TRUE(s.is(sense_key::UnitAttention, 0x28, 0x01));
}

TEST(Sense, FixedFormatInformationOnlyWhenValidBitSet) {
    B b = fixed(0x03, 0x15, 0x01);
    b[3] = 0x12;
    b[4] = 0x34;
    b[5] = 0x56;
    b[6] = 0x78;
    EXPECT_FALSE(parse_sense(b).information.has_value());
    b[0] = 0xF0;
    const Sense s = parse_sense(b);
    EXPECT_EQ(s.response_code, 0x70);
    ASSERT_TRUE(s.information.has_value());
    EXPECT_EQ(*s.information, 0x12345678u);
}

TEST(Sense, FixedFormatFieldPointerInCdb) {
    // mtx's retry trigger: ILLEGAL REQUEST 24h/00h pointing at CDB byte 7 (allocation length).
    B b = fixed(0x05, 0x24, 0x00);
    b[15] = 0xC8 | 0x04; // SKSV, C/D, BPV, bit pointer 4
    b[16] = 0x00;
    b[17] = 0x07;
    const Sense s = parse_sense(b);
    ASSERT_TRUE(s.field_pointer.has_value());
    EXPECT_EQ(*s.field_pointer, 7);
    EXPECT_TRUE(s.field_in_cdb);
}

TEST(Sense, FixedFormatFieldPointerInParameterList) {
    B b = fixed(0x05, 0x26, 0x00);
    b[15] = 0x80;
    b[16] = 0x01;
    b[17] = 0x02;
    const Sense s = parse_sense(b);
    ASSERT_TRUE(s.field_pointer.has_value());
    EXPECT_EQ(*s.field_pointer, 0x0102);
    EXPECT_FALSE(s.field_in_cdb);
}

TEST(Sense, FixedFormatNoFieldPointerWithoutSksv) {
    B b = fixed(0x05, 0x24, 0x00);
    b[15] = 0x40;
    b[17] = 0x07;
    EXPECT_FALSE(parse_sense(b).field_pointer.has_value());
}

TEST(Sense, FixedFormatSksvOfOtherKeysIsNotAFieldPointer) {
    // NOT READY uses the same bytes for progress indication.
    B b = fixed(0x02, 0x04, 0x07);
    b[15] = 0x80;
    b[16] = 0x40;
    b[17] = 0x00;
    const Sense s = parse_sense(b);
    EXPECT_FALSE(s.field_pointer.has_value());
    EXPECT_FALSE(s.field_in_cdb);
}

TEST(Sense, FixedFormatDeferred) {
    const Sense s = parse_sense(fixed(0x04, 0x44, 0x00, 0x71));
    EXPECT_TRUE(s.valid);
    EXPECT_TRUE(s.deferred);
    EXPECT_EQ(s.response_code, 0x71);
    EXPECT_EQ(s.asc, 0x44);
}

TEST(Sense, FixedFormatClampedToAdditionalLength) {
    // ADDITIONAL SENSE LENGTH 4: bytes 12.. are not part of the sense data even if present.
    B b = fixed(0x05, 0x3B, 0x0E);
    b[7] = 4;
    const Sense s = parse_sense(b);
    EXPECT_TRUE(s.valid);
    EXPECT_EQ(s.key, 0x05);
    EXPECT_EQ(s.asc, 0);
    EXPECT_EQ(s.ascq, 0);

    b[7] = 5; // covers ASC but not ASCQ
    const Sense t = parse_sense(b);
    EXPECT_EQ(t.asc, 0x3B);
    EXPECT_EQ(t.ascq, 0);

    b[7] = 9; // stops before the sense-key-specific bytes
    b[15] = 0x80;
    b[17] = 0x03;
    EXPECT_FALSE(parse_sense(b).field_pointer.has_value());
}

TEST(Sense, FixedFormatShortBuffers) {
    const B full = fixed(0x06, 0x29, 0x00);
    EXPECT_FALSE(parse_sense({}).valid);
    EXPECT_FALSE(parse_sense(std::span(full).first(1)).valid);
    EXPECT_FALSE(parse_sense(std::span(full).first(2)).valid);
    EXPECT_EQ(parse_sense(std::span(full).first(1)).response_code, 0x70);

    const Sense three = parse_sense(std::span(full).first(3));
    EXPECT_TRUE(three.valid);
    EXPECT_EQ(three.key, 0x06);
    EXPECT_EQ(three.asc, 0);

    const Sense thirteen = parse_sense(std::span(full).first(13));
    EXPECT_EQ(thirteen.asc, 0x29);
    EXPECT_EQ(thirteen.ascq, 0);
    const Sense fourteen = parse_sense(std::span(full).first(14));
    EXPECT_TRUE(fourteen.is(sense_key::UnitAttention, 0x29, 0x00));
}

TEST(Sense, FixedFormatShortInformation) {
    B b = fixed(0x03, 0, 0);
    b[0] = 0xF0;
    EXPECT_FALSE(parse_sense(std::span(b).first(6)).information.has_value());
    EXPECT_TRUE(parse_sense(std::span(b).first(7)).information.has_value());
}

TEST(Sense, DescriptorFormatHeader) {
    const B b{0x72, 0x06, 0x28, 0x01, 0, 0, 0, 0};
    const Sense s = parse_sense(b);
    EXPECT_TRUE(s.valid);
    EXPECT_TRUE(s.descriptor_format);
    EXPECT_FALSE(s.deferred);
    EXPECT_TRUE(s.is(sense_key::UnitAttention, 0x28, 0x01));
    EXPECT_FALSE(s.information.has_value());
}

TEST(Sense, DescriptorFormatShortHeader) {
    const B b{0x72, 0x02, 0x04, 0x01};
    EXPECT_FALSE(parse_sense(std::span(b).first(1)).valid);
    const Sense two = parse_sense(std::span(b).first(2));
    EXPECT_TRUE(two.valid);
    EXPECT_EQ(two.key, 0x02);
    EXPECT_EQ(two.asc, 0);
    EXPECT_EQ(parse_sense(std::span(b).first(3)).asc, 0x04);
    EXPECT_TRUE(parse_sense(b).is(sense_key::NotReady, 0x04, 0x01));
}

TEST(Sense, DescriptorFormatInformationAndFieldPointer) {
    const B b{0x73, 0x05, 0x24, 0x00, 0, 0, 0, 32,
              // vendor descriptor (type 80h) to be skipped
              0x80, 0x04, 0xAA, 0xBB, 0xCC, 0xDD,
              // information descriptor, VALID, 64-bit value
              0x00, 0x0A, 0x80, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
              // sense key specific: SKSV, C/D, field pointer 0x0007
              0x02, 0x06, 0x00, 0x00, 0xC0, 0x00, 0x07, 0x00};
    const Sense s = parse_sense(b);
    EXPECT_TRUE(s.valid);
    EXPECT_TRUE(s.descriptor_format);
    EXPECT_TRUE(s.deferred);
    EXPECT_TRUE(s.is(sense_key::IllegalRequest, 0x24, 0x00));
    ASSERT_TRUE(s.information.has_value());
    EXPECT_EQ(*s.information, 0x0102030405060708u);
    ASSERT_TRUE(s.field_pointer.has_value());
    EXPECT_EQ(*s.field_pointer, 7);
    EXPECT_TRUE(s.field_in_cdb);
}

TEST(Sense, DescriptorFormatInformationWithoutValidBitIgnored) {
    const B b{0x72, 0x03, 0x11, 0x00, 0, 0, 0, 12, 0x00, 0x0A, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8};
    EXPECT_FALSE(parse_sense(b).information.has_value());
}

TEST(Sense, DescriptorFormatClampedToAdditionalLengthAndBuffer) {
    B b{0x72, 0x05, 0x24, 0x00, 0, 0, 0, 8, 0x02, 0x06, 0x00, 0x00, 0x80, 0x00, 0x09, 0x00};
    EXPECT_EQ(parse_sense(b).field_pointer.value_or(0xFFFF), 9);
    b[7] = 6; // the descriptor's field pointer lies past the additional length
    EXPECT_FALSE(parse_sense(b).field_pointer.has_value());
    b[7] = 0xFF; // additional length beyond the buffer: clamp to what was received
    EXPECT_EQ(parse_sense(b).field_pointer.value_or(0xFFFF), 9);
    EXPECT_FALSE(parse_sense(std::span(b).first(14)).field_pointer.has_value());
    EXPECT_TRUE(parse_sense(std::span(b).first(14)).is(sense_key::IllegalRequest, 0x24, 0x00));
}

TEST(Sense, DescriptorFormatDescriptorLengthWalk) {
    // Descriptors with additional length 0 still advance the walk by 2; the SKS one follows.
    const B b{0x72, 0x05, 0x20, 0x00, 0,    0,    0,    12,   0x81, 0x00,
              0x82, 0x00, 0x02, 0x06, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00};
    const Sense s = parse_sense(b);
    ASSERT_TRUE(s.field_pointer.has_value());
    EXPECT_EQ(*s.field_pointer, 0);
    EXPECT_FALSE(s.field_in_cdb);
}

TEST(Sense, UnknownResponseCodes) {
    for (const int code : {0x00, 0x01, 0x45, 0x6F, 0x74, 0x7E, 0x7F, 0xFF}) {
        B b = fixed(0x05, 0x24, 0x00, static_cast<uint8_t>(code));
        const Sense s = parse_sense(b);
        EXPECT_FALSE(s.valid) << int{code};
        EXPECT_EQ(s.response_code, code & 0x7F);
        EXPECT_EQ(s.key, 0);
        EXPECT_FALSE(s.is(0x05, 0x24, 0x00));
    }
}

TEST(Sense, KeyNames) {
    const char* expected[16] = {
        "NO SENSE",       "RECOVERED ERROR", "NOT READY",      "MEDIUM ERROR",
        "HARDWARE ERROR", "ILLEGAL REQUEST", "UNIT ATTENTION", "DATA PROTECT",
        "BLANK CHECK",    "VENDOR SPECIFIC", "COPY ABORTED",   "ABORTED COMMAND",
        "EQUAL",          "VOLUME OVERFLOW", "MISCOMPARE",     "COMPLETED"};
    for (uint8_t k = 0; k < 16; ++k) {
        EXPECT_STREQ(sense_key_name(k), expected[k]);
    }
    EXPECT_STREQ(sense_key_name(0x10), "INVALID SENSE KEY");
    EXPECT_STREQ(sense_key_name(0xFF), "INVALID SENSE KEY");
}

TEST(Sense, AscNamesForChangerConditions) {
    EXPECT_STREQ(asc_name(0x3B, 0x0D), "MEDIUM DESTINATION ELEMENT FULL");
    EXPECT_STREQ(asc_name(0x3B, 0x0E), "MEDIUM SOURCE ELEMENT EMPTY");
    EXPECT_STREQ(asc_name(0x28, 0x01), "IMPORT OR EXPORT ELEMENT ACCESSED");
    EXPECT_STREQ(asc_name(0x21, 0x01), "INVALID ELEMENT ADDRESS");
    EXPECT_STREQ(asc_name(0x24, 0x00), "INVALID FIELD IN CDB");
    EXPECT_STREQ(asc_name(0x20, 0x00), "INVALID COMMAND OPERATION CODE");
    EXPECT_STREQ(asc_name(0x04, 0x01), "LOGICAL UNIT IS IN PROCESS OF BECOMING READY");
    EXPECT_STREQ(asc_name(0x04, 0x18), "LOGICAL UNIT NOT READY, A DOOR IS OPEN");
    EXPECT_STREQ(asc_name(0x29, 0x00), "POWER ON, RESET, OR BUS DEVICE RESET OCCURRED");
    EXPECT_STREQ(asc_name(0x29, 0x07), "I_T NEXUS LOSS OCCURRED");
    EXPECT_STREQ(asc_name(0x2A, 0x15), "MEDIUM REMOVAL PREVENTION PREEMPTED");
    EXPECT_STREQ(asc_name(0x3A, 0x02), "MEDIUM NOT PRESENT - TRAY OPEN");
    EXPECT_STREQ(asc_name(0x3B, 0x12), "MEDIUM MAGAZINE REMOVED");
    EXPECT_STREQ(asc_name(0x3F, 0x03), "INQUIRY DATA HAS CHANGED");
    EXPECT_STREQ(asc_name(0x53, 0x02), "MEDIUM REMOVAL PREVENTED");
    EXPECT_STREQ(asc_name(0x5A, 0x01), "OPERATOR MEDIUM REMOVAL REQUEST");
}

TEST(Sense, AscNameUnknownIsNull) {
    EXPECT_EQ(asc_name(0x3B, 0x7F), nullptr);
    EXPECT_EQ(asc_name(0x83, 0x02), nullptr); // vendor-specific: meaning differs per vendor
    EXPECT_EQ(asc_name(0xFF, 0xFF), nullptr);
}

TEST(Sense, Describe) {
    EXPECT_EQ(describe(parse_sense(fixed(0x05, 0x3B, 0x0D))),
              "ILLEGAL REQUEST 3Bh/0Dh (medium destination element full)");
    EXPECT_EQ(describe(parse_sense(fixed(0x06, 0x28, 0x01))),
              "UNIT ATTENTION 28h/01h (import or export element accessed)");
    EXPECT_EQ(describe(parse_sense(fixed(0x04, 0x83, 0x04))), "HARDWARE ERROR 83h/04h");
    EXPECT_EQ(describe(parse_sense(fixed(0x02, 0x04, 0x01, 0x71))),
              "NOT READY 04h/01h (logical unit is in process of becoming ready), deferred");
}

TEST(Sense, DescribeFieldPointer) {
    B b = fixed(0x05, 0x24, 0x00);
    b[15] = 0xC0;
    b[17] = 0x0B;
    EXPECT_EQ(describe(parse_sense(b)),
              "ILLEGAL REQUEST 24h/00h (invalid field in cdb), CDB byte 11");
    b[15] = 0x80;
    EXPECT_EQ(describe(parse_sense(b)),
              "ILLEGAL REQUEST 24h/00h (invalid field in cdb), parameter list byte 11");
}

TEST(Sense, DescribeInvalid) {
    EXPECT_EQ(describe(Sense{}), "no sense data");
    EXPECT_EQ(describe(parse_sense(B{0x7F, 0, 5})), "unrecognised sense data (response code 7Fh)");
    EXPECT_EQ(describe(parse_sense(B{0x70, 0})), "incomplete sense data (response code 70h)");
}

TEST(Result, ErrcNames) {
    EXPECT_STREQ(errc_name(Errc::InvalidArgument), "invalid argument");
    EXPECT_STREQ(errc_name(Errc::NotAChanger), "not a medium changer");
    EXPECT_STREQ(errc_name(Errc::OpenFailed), "open failed");
    EXPECT_STREQ(errc_name(Errc::TransportFailed), "transport failed");
    EXPECT_STREQ(errc_name(Errc::Timeout), "command timed out");
    EXPECT_STREQ(errc_name(Errc::DeviceGone), "device gone");
    EXPECT_STREQ(errc_name(Errc::CheckCondition), "check condition");
    EXPECT_STREQ(errc_name(Errc::BadStatus), "bad SCSI status");
    EXPECT_STREQ(errc_name(Errc::MalformedReply), "malformed reply");
    EXPECT_STREQ(errc_name(Errc::Unsupported), "unsupported");
    EXPECT_STREQ(errc_name(static_cast<Errc>(99)), "unknown error");
}

TEST(Result, ErrorDescribe) {
    Error e = make_error(Errc::CheckCondition, "MOVE MEDIUM 1000 -> 2");
    e.sense = parse_sense(fixed(0x05, 0x3B, 0x0E));
    EXPECT_EQ(e.describe(),
              "MOVE MEDIUM 1000 -> 2: ILLEGAL REQUEST 3Bh/0Eh (medium source element empty)");

    Error busy = make_error(Errc::BadStatus, "");
    busy.status = 0x08;
    EXPECT_EQ(busy.describe(), "bad SCSI status: SCSI status 08h (BUSY)");

    Error open = make_error(Errc::OpenFailed, "/dev/sg9");
    open.sys_errno = ENOENT;
    EXPECT_EQ(open.describe(), "/dev/sg9: No such file or directory");

    EXPECT_EQ(make_error(Errc::Timeout, "").describe(), "command timed out");
    EXPECT_EQ(make_error(Errc::MalformedReply, "short header").describe(), "short header");
}

TEST(Result, ValueAndError) {
    Result<int> ok = 5;
    EXPECT_TRUE(ok.ok());
    EXPECT_EQ(*ok, 5);
    Result<int> bad = make_error(Errc::Unsupported, "no");
    EXPECT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::Unsupported);
}

TEST(SenseRobustness, RandomAndMutatedBuffers) {
    std::mt19937 rng(0x5E45E);
    const std::vector<B> seeds = {
        fixed(0x05, 0x24, 0x00),
        B{0x72, 0x05, 0x24, 0x00, 0, 0, 0,    20,   0x00, 0x0A, 0x80, 0, 1, 2,
          3,    4,    5,    6,    7, 8, 0x02, 0x06, 0,    0,    0xC0, 0, 7, 0},
    };
    for (int i = 0; i < 300'000; ++i) {
        B b;
        if (i % 3 == 0) {
            b.resize(rng() % 300);
            for (auto& c : b) {
                c = static_cast<uint8_t>(rng());
            }
            if (!b.empty()) {
                b[0] = static_cast<uint8_t>(0x70 + rng() % 4 + (rng() % 2) * 0x80);
            }
        } else {
            b = seeds[static_cast<size_t>(i) % seeds.size()];
            const auto flips = 1 + rng() % 6;
            for (decltype(rng()) f = 0; f < flips; ++f) {
                b[rng() % b.size()] = static_cast<uint8_t>(rng());
            }
            b.resize(rng() % (b.size() + 1));
        }
        const Sense s = parse_sense(Exact(b).span());
        ASSERT_LE(s.key, 0x0F);
        ASSERT_LE(s.response_code, 0x7F);
        if (s.valid) {
            ASSERT_GE(s.response_code, 0x70);
            ASSERT_LE(s.response_code, 0x73);
            ASSERT_EQ(s.descriptor_format, s.response_code >= 0x72);
        } else {
            ASSERT_FALSE(s.information.has_value());
            ASSERT_FALSE(s.field_pointer.has_value());
        }
        if (s.field_pointer) {
            ASSERT_EQ(s.key, sense_key::IllegalRequest);
        }
        ASSERT_FALSE(describe(s).empty());
    }
}
