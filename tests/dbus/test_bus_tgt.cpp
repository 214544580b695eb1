// ntmsd on the bus with a real peer: tgt's changer emulation over iSCSI on 127.0.0.1 (no IMPEXP,
// no ACCESS, no PREVENT ALLOW, short replies). An inject driven over D-Bus imports the cartridge
// the operator (tgtadm) put into the port. Skips only when tgt is not installed.
#include "bus_fixture.hpp"
#include "tgt_fixture.hpp"

namespace ntms::bustest {
namespace {

class BusTgt : public BusTest {
protected:
    void SetUp() override {
        if (auto why = peer::TgtHarness::missing_tools(); !why.empty())
            GTEST_SKIP() << why;
        BusTest::SetUp();
    }
    void TearDown() override {
        client_.reset();
        if (ntmsd_) { // before its device goes away
            EXPECT_EQ(ntmsd_->stop(), 0) << "ntmsd did not exit cleanly";
        }
        tgt_.stop();
        BusTest::TearDown();
    }
    peer::TgtHarness tgt_;
};

TEST_F(BusTgt, InjectIntoATgtLibraryAlongsideASimLibrary) {
    peer::TgtOptions o;
    o.slots = 20;
    o.ie = 1;
    o.fill = 4;
    std::string error;
    ASSERT_TRUE(tgt_.start(o, error)) << error;
    const auto& lib = tgt_.library();
    ASSERT_NO_FATAL_FAILURE(start_daemon({"tgt1=" + lib.url, sim("lab1", "slots=20,ie=1")}));

    const auto path = library_path("tgt1");
    EXPECT_EQ(get_as<std::string>(path, library_iface, "State"), "online");
    EXPECT_EQ(get_as<uint32_t>(path, library_iface, "Slots"), 20u);
    EXPECT_EQ(get_as<uint32_t>(path, library_iface, "FreeSlots"), 16u);

    auto [job, job_path] = inject(library_guid("tgt1"), inject_start, {},
                                  {{"timeout", sdbus::Variant(uint32_t{120})}});
    wait_state(job_path, [](uint32_t s) { return s == lm_waiting; });
    ASSERT_TRUE(tgt_.insert(lib.ie_first, "TGT001L8", &error)) << error;
    EXPECT_EQ(wait_final(job_path), lm_passed)
        << get_as<std::string>(job_path, job_iface, "ErrorMessage");
    EXPECT_EQ(get_as<uint32_t>(job_path, job_iface, "MediaMoved"), 1u);
    EXPECT_EQ(get_as<uint32_t>(path, library_iface, "FreeSlots"), 15u);

    using Medium = sdbus::Struct<std::string, std::string, std::string, uint16_t, uint32_t>;
    std::vector<Medium> media;
    proxy(path)->callMethod("ListMedia").onInterface(library_iface).storeResultsTo(media);
    bool found = false;
    for (const auto& m : media)
        found = found || (std::get<1>(m) == "TGT001L8" && std::get<2>(m) == "in-library");
    EXPECT_TRUE(found);
    // ListElements from tgt's element status: 20 storage slots, the port empty again, and the
    // cartridge at the one slot ListMedia names.
    using Element = sdbus::Struct<uint16_t, std::string, bool, std::string, std::string>;
    std::vector<Element> elements;
    proxy(path)->callMethod("ListElements").onInterface(library_iface).storeResultsTo(elements);
    size_t storage = 0, holding = 0;
    for (const auto& e : elements) {
        storage += std::get<1>(e) == "storage" ? 1u : 0u;
        if (std::get<0>(e) == lib.ie_first) {
            EXPECT_EQ(std::get<1>(e), "port");
            EXPECT_FALSE(std::get<2>(e));
        }
        if (std::get<4>(e) == "TGT001L8") {
            ++holding;
            EXPECT_EQ(std::get<1>(e), "storage");
            EXPECT_TRUE(std::get<2>(e));
            for (const auto& m : media) {
                if (std::get<1>(m) == "TGT001L8") {
                    EXPECT_EQ(std::get<0>(e), std::get<3>(m));
                }
            }
        }
    }
    EXPECT_EQ(storage, 20u);
    EXPECT_EQ(holding, 1u);
    // The sim library next to it was never disturbed.
    EXPECT_EQ(get_as<uint32_t>(library_path("lab1"), library_iface, "FreeSlots"), 20u);
}

} // namespace
} // namespace ntms::bustest
