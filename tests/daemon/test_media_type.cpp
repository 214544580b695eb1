// A medium's type from its bar code (the LTO media identifiers), else its library's product.
#include "daemon/media_type.hpp"

#include <gtest/gtest.h>

namespace ntms {
namespace {

TEST(MediaType, LtoDataCartridgesByGeneration) {
    for (char g = '1'; g <= '9'; ++g) {
        const MediaType t = media_type_of(std::string("ABC123L") + g, "IBM", "3573-TL");
        EXPECT_EQ(t.name, std::string("LTO-") + g);
        EXPECT_EQ(t.generation, static_cast<uint32_t>(g - '0'));
        EXPECT_FALSE(t.worm);
        EXPECT_FALSE(t.cleaner);
    }
    // Lower case and the blanks a volume tag is padded with change nothing.
    EXPECT_EQ(media_type_of("abc123l8    ", "", "").name, "LTO-8");
}

TEST(MediaType, LtoWormCartridgesFromGenerationThree) {
    const char* ids = "TUVWXYZ";
    for (uint32_t i = 0; ids[i]; ++i) {
        const MediaType t = media_type_of(std::string("WRM001L") + ids[i], "", "");
        EXPECT_EQ(t.generation, 3 + i);
        EXPECT_EQ(t.name, "LTO-" + std::to_string(3 + i) + " WORM");
        EXPECT_TRUE(t.worm);
    }
}

TEST(MediaType, TypeMAndCleaningCartridges) {
    EXPECT_EQ(media_type_of("000764M8", "", "").name, "LTO-M8");
    EXPECT_EQ(media_type_of("000764M8", "", "").generation, 7u);
    for (const char* code : {"CLN001CU", "CLN002L1", "cln003l9"}) {
        const MediaType t = media_type_of(code, "", "");
        EXPECT_EQ(t.name, "LTO cleaning cartridge") << code;
        EXPECT_TRUE(t.cleaner) << code;
        EXPECT_EQ(t.generation, 0u) << code;
    }
}

TEST(MediaType, OtherwiseTheLibrarysProductElseUnknown) {
    // Not the LTO shape: too short, too long, an identifier LTO does not use.
    for (const char* code : {"", "L8", "ABC12L8", "ABCD123L8", "ABC123LA", "ABC123X8"}) {
        EXPECT_EQ(media_type_of(code, "NTMS", "VIRTUAL-CHANGER").name,
                  "NTMS VIRTUAL-CHANGER cartridge")
            << code;
        EXPECT_EQ(media_type_of(code, "", "").name, "unknown") << code;
    }
    EXPECT_EQ(media_type_of("", "", "TS3100 ").name, "TS3100 cartridge");
    EXPECT_EQ(media_type_of("", "IBM", "").name, "unknown");
}

} // namespace
} // namespace ntms
