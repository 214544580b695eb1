// Library.DescribeMedia and Library.TimeCreated over the real bus: every medium of ListMedia with
// its details, creation and modification times from the catalogue, and the media type derived
// from the LTO bar code convention (else the library's product).
#include "bus_fixture.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

namespace ntms::bustest {
namespace {

using Details = std::map<std::string, sdbus::Variant>;
using Described = sdbus::Struct<std::string, Details>;
using Medium = sdbus::Struct<std::string, std::string, std::string, uint16_t, uint32_t>;

uint64_t now_usec() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

class BusDescribe : public BusTest {
protected:
    std::vector<Described> describe(const std::string& name) {
        std::vector<Described> media;
        proxy(library_path(name))
            ->callMethod("DescribeMedia")
            .onInterface(library_iface)
            .storeResultsTo(media);
        return media;
    }
    std::vector<Medium> list(const std::string& name) {
        std::vector<Medium> media;
        proxy(library_path(name))
            ->callMethod("ListMedia")
            .onInterface(library_iface)
            .storeResultsTo(media);
        return media;
    }
    template <typename T> static T field(const Described& m, const char* key) {
        const Details& d = std::get<1>(m);
        auto it = d.find(key);
        if (it == d.end()) {
            ADD_FAILURE() << "no key " << key;
            return T{};
        }
        return it->second.get<T>();
    }
    static const Described* by_barcode(const std::vector<Described>& media, const std::string& b) {
        for (const auto& m : media)
            if (field<std::string>(m, "barcode") == b)
                return &m;
        return nullptr;
    }
};

TEST_F(BusDescribe, EveryMediumWithItsTimesAndType) {
    const uint64_t before = now_usec();
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab", "slots=10,ie=1,fill=3,move-ms=10"),
                                          sim("blind", "slots=6,ie=1,fill=2,barcodes=no")}));
    const uint64_t started = now_usec();

    const uint64_t born = get_as<uint64_t>(library_path("lab"), library_iface, "TimeCreated");
    EXPECT_GE(born, before);
    EXPECT_LE(born, started);

    // The media of ListMedia, in its order, with its fields.
    const auto listed = list("lab");
    const auto media = describe("lab");
    ASSERT_EQ(media.size(), 3u);
    ASSERT_EQ(listed.size(), media.size());
    for (size_t i = 0; i < media.size(); ++i) {
        const Described& m = media[i];
        EXPECT_EQ(std::get<0>(m), std::get<0>(listed[i]));
        EXPECT_EQ(field<std::string>(m, "barcode"), std::get<1>(listed[i]));
        EXPECT_EQ(field<std::string>(m, "state"), "in-library");
        EXPECT_EQ(field<uint32_t>(m, "state-number"), 0u);
        EXPECT_EQ(field<uint16_t>(m, "element"), std::get<3>(listed[i]));
        // The simulator's cartridges are S0000NL8: LTO-8 data cartridges.
        EXPECT_EQ(field<std::string>(m, "media-type"), "LTO-8");
        EXPECT_FALSE(field<bool>(m, "worm"));
        EXPECT_FALSE(field<bool>(m, "cleaner"));
        const uint64_t created = field<uint64_t>(m, "created");
        EXPECT_GE(created, born);
        EXPECT_LE(created, started);
        EXPECT_GE(field<uint64_t>(m, "modified"), created);
        EXPECT_LE(field<uint64_t>(m, "modified"), started);
    }

    // Without bar codes the type is the library's product.
    const auto blind = describe("blind");
    ASSERT_EQ(blind.size(), 2u);
    for (const auto& m : blind) {
        EXPECT_EQ(field<std::string>(m, "barcode"), "");
        EXPECT_EQ(field<std::string>(m, "media-type"), "NTMS VIRTUAL-CHANGER cartridge");
    }

    // A WORM cartridge put in now: created now, its own type; the others keep their times.
    const uint64_t before_inject = now_usec();
    auto [job, job_path] = inject(library_guid("lab"), inject_start);
    wait_state(job_path, [](uint32_t s) { return s == lm_waiting; });
    ASSERT_NO_FATAL_FAILURE(operator_do("lab", {"insert", "100", "WORM01LY"}));
    EXPECT_EQ(wait_final(job_path), lm_passed);
    const auto after = describe("lab");
    ASSERT_EQ(after.size(), 4u);
    const Described* worm = by_barcode(after, "WORM01LY");
    ASSERT_NE(worm, nullptr);
    EXPECT_EQ(field<std::string>(*worm, "media-type"), "LTO-8 WORM");
    EXPECT_TRUE(field<bool>(*worm, "worm"));
    EXPECT_GE(field<uint64_t>(*worm, "created"), before_inject);
    EXPECT_LE(field<uint64_t>(*worm, "created"), now_usec());
    for (const auto& m : media) {
        const Described* same = by_barcode(after, field<std::string>(m, "barcode"));
        ASSERT_NE(same, nullptr);
        EXPECT_EQ(field<uint64_t>(*same, "created"), field<uint64_t>(m, "created"));
    }
    // The library's creation time is the same after a restart.
    ASSERT_NO_FATAL_FAILURE(stop_daemon());
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab", "slots=10,ie=1,fill=3,move-ms=10"),
                                          sim("blind", "slots=6,ie=1,fill=2,barcodes=no")}));
    EXPECT_EQ(get_as<uint64_t>(library_path("lab"), library_iface, "TimeCreated"), born);
    const auto restarted = describe("lab");
    const Described* again = by_barcode(restarted, "WORM01LY");
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(field<uint64_t>(*again, "created"), field<uint64_t>(*worm, "created"));
}

// BarcodeReader is the changer's own word (VTRP), not a guess from the cartridges: an empty
// library with a reader has one, a full one without has none.
TEST_F(BusDescribe, BarcodeReaderIsTheChangersCapability) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("empty", "slots=4,ie=1"),
                                          sim("blind", "slots=4,ie=1,fill=2,barcodes=no")}));
    EXPECT_TRUE(get_as<bool>(library_path("empty"), library_iface, "BarcodeReader"));
    EXPECT_FALSE(get_as<bool>(library_path("blind"), library_iface, "BarcodeReader"));
}

TEST_F(BusDescribe, NeedsUseAccess) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab", "slots=10,ie=1,fill=3")}));
    if (geteuid() != 0)
        GTEST_SKIP() << "running as another user needs root";
    const auto r =
        dbus_call({"call", library_path("lab"), library_iface, "DescribeMedia"}, As{As::Nobody});
    EXPECT_NE(r.out.find("org.ntms.Ntms1.Error.AccessDenied"), std::string::npos) << r.out << r.err;
}

} // namespace
} // namespace ntms::bustest
