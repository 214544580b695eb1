// InjectMedia's a{sv} options: known keys with the right types are taken, anything else is
// ERROR_INVALID_PARAMETER naming the key.
#include "dbus/options.hpp"

#include <gtest/gtest.h>

namespace ntms::dbus {
namespace {

TEST(InjectOptions, EmptyMeansDefaults) {
    auto o = parse_inject_options({});
    ASSERT_TRUE(o);
    EXPECT_FALSE(o->timeout_sec);
    EXPECT_FALSE(o->port);
    EXPECT_EQ(o->application, "");
}

TEST(InjectOptions, AllKeys) {
    OptionMap m;
    m["timeout"] = sdbus::Variant(uint32_t{120});
    m["application"] = sdbus::Variant(std::string("backup"));
    m["port"] = sdbus::Variant(uint32_t{101});
    auto o = parse_inject_options(m);
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->timeout_sec, 120u);
    EXPECT_EQ(o->application, "backup");
    EXPECT_EQ(o->port, std::optional<uint16_t>(101));
}

TEST(InjectOptions, PortAtTheLimits) {
    OptionMap m;
    m["port"] = sdbus::Variant(uint32_t{65535});
    auto ok = parse_inject_options(m);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->port, std::optional<uint16_t>(65535));
    m["port"] = sdbus::Variant(uint32_t{65536});
    auto bad = parse_inject_options(m);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, win32::InvalidParameter);
    EXPECT_NE(bad.error().message.find("port"), std::string::npos);
}

TEST(InjectOptions, WrongTypeNamesTheKey) {
    for (const char* key : {"timeout", "port"}) {
        OptionMap m;
        m[key] = sdbus::Variant(std::string("60"));
        auto r = parse_inject_options(m);
        ASSERT_FALSE(r) << key;
        EXPECT_EQ(r.error().code, win32::InvalidParameter);
        EXPECT_NE(r.error().message.find(std::string("'") + key + "'"), std::string::npos)
            << r.error().message;
    }
    OptionMap m;
    m["application"] = sdbus::Variant(uint32_t{1});
    auto r = parse_inject_options(m);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("'application'"), std::string::npos);
    // Signed or 64-bit integers are not 'u' either.
    m.clear();
    m["timeout"] = sdbus::Variant(int32_t{60});
    EXPECT_FALSE(parse_inject_options(m));
    m["timeout"] = sdbus::Variant(uint64_t{60});
    EXPECT_FALSE(parse_inject_options(m));
}

TEST(InjectOptions, UnknownKeyIsRefused) {
    OptionMap m;
    m["timout"] = sdbus::Variant(uint32_t{60});
    auto r = parse_inject_options(m);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::InvalidParameter);
    EXPECT_NE(r.error().message.find("'timout'"), std::string::npos);
}

TEST(CancelOptions, NoneAreDefined) {
    EXPECT_TRUE(parse_cancel_options({}));
    OptionMap m;
    m["force"] = sdbus::Variant(true);
    auto r = parse_cancel_options(m);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::InvalidParameter);
    EXPECT_NE(r.error().message.find("'force'"), std::string::npos);
}

} // namespace
} // namespace ntms::dbus
