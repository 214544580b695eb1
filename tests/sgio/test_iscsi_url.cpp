#include "sgio/iscsi_transport.hpp"

#include <gtest/gtest.h>
#include <string>

using sgio::Errc;
using sgio::IscsiUrl;

namespace {

IscsiUrl parse_ok(const std::string& url) {
    auto r = IscsiUrl::parse(url);
    EXPECT_TRUE(r.ok()) << url << ": " << (r.ok() ? "" : r.error().describe());
    return r.ok() ? r.value() : IscsiUrl{};
}

} // namespace

TEST(IscsiUrl, HostPortTargetLun) {
    const IscsiUrl u = parse_ok("iscsi://127.0.0.1:3261/iqn.2025-01.test.ntms:vtl/3");
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, 3261);
    EXPECT_EQ(u.target, "iqn.2025-01.test.ntms:vtl");
    EXPECT_EQ(u.lun, 3);
    EXPECT_EQ(u.portal(), "127.0.0.1:3261");
}

TEST(IscsiUrl, DefaultPortIs3260) {
    const IscsiUrl u = parse_ok("iscsi://storage-1.example/iqn.2004-04.com.example:lib/0");
    EXPECT_EQ(u.host, "storage-1.example");
    EXPECT_EQ(u.port, 3260);
    EXPECT_EQ(u.lun, 0);
    EXPECT_EQ(u.portal(), "storage-1.example:3260");
}

TEST(IscsiUrl, BracketedIpv6) {
    const IscsiUrl u = parse_ok("iscsi://[::1]:3262/iqn.2025-01.test:x/7");
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, 3262);
    EXPECT_EQ(u.portal(), "[::1]:3262");
    const IscsiUrl v = parse_ok("iscsi://[fe80::1]/iqn.2025-01.test:x/1");
    EXPECT_EQ(v.port, 3260);
    EXPECT_EQ(v.portal(), "[fe80::1]:3260");
}

TEST(IscsiUrl, EuiAndNaaNamesAndHighestLun) {
    EXPECT_EQ(parse_ok("iscsi://h/eui.02004567A425678D/1").target, "eui.02004567A425678D");
    EXPECT_EQ(parse_ok("iscsi://h/naa.52004567BA64678D/16383").lun, 16383);
}

TEST(IscsiUrl, SchemeIsCaseInsensitive) {
    EXPECT_EQ(parse_ok("ISCSI://h/iqn.2025-01.test:x/2").lun, 2);
}

struct BadUrl {
    const char* url;
    const char* why; // a fragment the error message must contain
};

void PrintTo(const BadUrl& bad, std::ostream* os) {
    *os << '"' << bad.url << '"';
}

class IscsiUrlBad : public ::testing::TestWithParam<BadUrl> {};

TEST_P(IscsiUrlBad, IsInvalidArgumentWithReason) {
    const BadUrl& bad = GetParam();
    auto r = IscsiUrl::parse(bad.url);
    ASSERT_FALSE(r.ok()) << bad.url;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_NE(r.error().message.find(bad.why), std::string::npos)
        << bad.url << " -> " << r.error().message;
    EXPECT_NE(r.error().message.find(bad.url), std::string::npos) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Forms, IscsiUrlBad,
    ::testing::Values(BadUrl{"", "must start with iscsi://"},
                      BadUrl{"/dev/sg3", "must start with iscsi://"},
                      BadUrl{"iscsi:/h/iqn.2025-01.t:x/1", "must start with iscsi://"},
                      BadUrl{"iscsi://", "missing host"},
                      BadUrl{"iscsi:///iqn.2025-01.t:x/1", "missing host"},
                      BadUrl{"iscsi://:3260/iqn.2025-01.t:x/1", "missing host"},
                      BadUrl{"iscsi://h", "missing /IQN/LUN"},
                      BadUrl{"iscsi://h/iqn.2025-01.t:x", "missing /LUN"},
                      BadUrl{"iscsi://h/iqn.2025-01.t:x/", "missing LUN"},
                      BadUrl{"iscsi://h//1", "missing target name"},
                      BadUrl{"iscsi://h/iqn.2025-01.t:x/1/", "missing LUN"},
                      BadUrl{"iscsi://h/a/iqn.2025-01.t:x/1", "contains '/'"},
                      BadUrl{"iscsi://h/target/1", "must start with iqn."},
                      BadUrl{"iscsi://h/iqn.2025 01.t:x/1", "blanks"},
                      BadUrl{"iscsi://h/iqn.2025-01.t:x/-1", "LUN must be"},
                      BadUrl{"iscsi://h/iqn.2025-01.t:x/16384", "LUN must be"},
                      BadUrl{"iscsi://h/iqn.2025-01.t:x/0x3", "LUN must be"},
                      BadUrl{"iscsi://h/iqn.2025-01.t:x/99999999999999999999", "LUN must be"},
                      BadUrl{"iscsi://h:/iqn.2025-01.t:x/1", "port must be"},
                      BadUrl{"iscsi://h:0/iqn.2025-01.t:x/1", "port must be"},
                      BadUrl{"iscsi://h:65536/iqn.2025-01.t:x/1", "port must be"},
                      BadUrl{"iscsi://h:+80/iqn.2025-01.t:x/1", "port must be"},
                      BadUrl{"iscsi://h:abc/iqn.2025-01.t:x/1", "port must be"},
                      BadUrl{"iscsi://::1:3260/iqn.2025-01.t:x/1", "brackets"},
                      BadUrl{"iscsi://[::1/iqn.2025-01.t:x/1", "unterminated"},
                      BadUrl{"iscsi://[]/iqn.2025-01.t:x/1", "bad IPv6"},
                      BadUrl{"iscsi://[::1]x/iqn.2025-01.t:x/1", "after ]"},
                      BadUrl{"iscsi://user%pw@h/iqn.2025-01.t:x/1", "credentials"},
                      BadUrl{"iscsi://h/iqn.2025-01.t:x/1?x=1", "query"},
                      BadUrl{"iscsi://h o/iqn.2025-01.t:x/1", "bad character in host"}));

TEST(IscsiTransportOpen, BadUrlFailsBeforeAnyNetworkTraffic) {
    auto r = sgio::IscsiTransport::open("iscsi://127.0.0.1/iqn.2025-01.t:x");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
}
