#include "sgio/sg_transport.hpp"

#include <array>
#include <cerrno>
#include <cstdlib>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

using namespace std::chrono_literals;
using sgio::Direction;
using sgio::Errc;
using sgio::SgTransport;

namespace {

// A scratch regular file, removed when the test ends.
class TempFile {
public:
    TempFile() {
        const char* dir = std::getenv("TMPDIR");
        path_ = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/sgio-test-XXXXXX";
        const int fd = ::mkstemp(path_.data());
        if (fd >= 0)
            ::close(fd);
    }
    ~TempFile() { ::unlink(path_.c_str()); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

} // namespace

TEST(SgTransportOpen, MissingFileIsOpenFailedWithEnoent) {
    auto r = SgTransport::open("/dev/this-sg-node-does-not-exist");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::OpenFailed);
    EXPECT_EQ(r.error().sys_errno, ENOENT);
    EXPECT_NE(r.error().describe().find("this-sg-node-does-not-exist"), std::string::npos);
}

TEST(SgTransportOpen, RegularFileIsNotAnSgNode) {
    TempFile file;
    auto r = SgTransport::open(file.path());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_NE(r.error().message.find("not an sg node"), std::string::npos) << r.error().message;
}

TEST(SgTransportOpen, RegularFileIsNotAnSgNodeEvenWithoutTypeCheck) {
    TempFile file;
    auto r = SgTransport::open(file.path(), false);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
}

TEST(SgTransportOpen, DevNullIsNotAnSgNode) {
    auto r = SgTransport::open("/dev/null");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_NE(r.error().message.find("/dev/null"), std::string::npos);
}

TEST(SgTransportOpen, DirectoryIsOpenFailedWithEisdir) {
    auto r = SgTransport::open("/");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::OpenFailed);
    EXPECT_EQ(r.error().sys_errno, EISDIR);
}

TEST(SgTransportArguments, CdbLengthMustBe6To16) {
    const std::array<uint8_t, 17> bytes{};
    const std::span<const uint8_t> all(bytes);
    for (size_t n : {0UL, 1UL, 5UL, 17UL}) {
        auto r = SgTransport::check_arguments(all.first(n), Direction::None, {}, 1s);
        ASSERT_FALSE(r.ok()) << n;
        EXPECT_EQ(r.error().code, Errc::InvalidArgument) << n;
    }
    for (size_t n : {6UL, 10UL, 12UL, 16UL})
        EXPECT_TRUE(SgTransport::check_arguments(all.first(n), Direction::None, {}, 1s).ok()) << n;
}

TEST(SgTransportArguments, BufferOnlyWithADataDirection) {
    const std::array<uint8_t, 6> cdb{};
    const std::array<uint8_t, 8> data{};
    auto none = SgTransport::check_arguments(cdb, Direction::None, data, 1s);
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().code, Errc::InvalidArgument);
    EXPECT_TRUE(SgTransport::check_arguments(cdb, Direction::FromDevice, data, 1s).ok());
    EXPECT_TRUE(SgTransport::check_arguments(cdb, Direction::ToDevice, data, 1s).ok());
    // A data direction with nothing to move is sent as a command without data.
    EXPECT_TRUE(SgTransport::check_arguments(cdb, Direction::FromDevice, {}, 1s).ok());
}

TEST(SgTransportArguments, NegativeTimeoutIsRejected) {
    const std::array<uint8_t, 6> cdb{};
    auto r = SgTransport::check_arguments(cdb, Direction::None, {}, -1ms);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_TRUE(SgTransport::check_arguments(cdb, Direction::None, {}, 0ms).ok());
}

// What a data-in transfer brought, from the driver's resid: what was left over of it, unless the
// resid cannot be that (negative, or larger than the transfer: an overflow's count, as Linux's
// iSCSI initiator passes it on), when the whole transfer came.
TEST(SgTransportReceived, ResidIsWhatWasLeftOverUnlessItCannotBe) {
    EXPECT_EQ(SgTransport::received(0, 120), 120u);
    EXPECT_EQ(SgTransport::received(8, 120), 112u);      // tgt's reply, 8 bytes short
    EXPECT_EQ(SgTransport::received(120, 120), 0u);      // nothing came
    EXPECT_EQ(SgTransport::received(104000, 120), 120u); // tgt's whole report past the transfer
    EXPECT_EQ(SgTransport::received(-4, 120), 120u);
    EXPECT_EQ(SgTransport::received(5, 0), 0u);
}
