// InventoryNtmsLibrary against tgt over iSCSI: tgt's INITIALIZE ELEMENT STATUS answers GOOD and
// does nothing, so what the inventory finds is what READ ELEMENT STATUS reports. Slots are changed
// behind ntmsd's back with tgtadm and with MOVE MEDIUM from another iSCSI session.
#include "daemon/store/store.hpp"
#include "tgt_domain.hpp"

#include <gtest/gtest.h>

using namespace ntms;
using sgio::ElementType;

namespace {

class TgtInventory : public peer::TgtDomainTest {
protected:
    // MOVE MEDIUM through a session of its own, as another program would.
    void move_elsewhere(uint16_t from, uint16_t to) {
        auto tr = sgio::IscsiTransport::open(harness_.library().url);
        ASSERT_TRUE(tr) << tr.error().message;
        sgio::Changer ch(**tr);
        auto r = ch.move(from, to);
        ASSERT_TRUE(r) << r.error().message;
    }
    std::vector<MediumRecord> media() {
        auto db = Store::open(config().database);
        EXPECT_TRUE(db);
        auto m = (*db)->list_media(lib());
        EXPECT_TRUE(m);
        return m ? *m : std::vector<MediumRecord>{};
    }
    static std::optional<MediumRecord> with(const std::vector<MediumRecord>& media,
                                            const std::string& barcode) {
        for (const auto& m : media)
            if (m.barcode == barcode)
                return m;
        return std::nullopt;
    }
};

} // namespace

TEST_F(TgtInventory, InventoryAfterSlotsChangedBehindNtmsdsBack) {
    start_tgt(1, 20, 4);
    ASSERT_TRUE(start_manager());
    const uint16_t first = harness_.library().storage_first;
    const uint16_t port = harness_.library().ie_first;
    const auto before = media();
    ASSERT_EQ(before.size(), 4u);
    const auto s2 = with(before, "S00002L8");
    const auto s3 = with(before, "S00003L8");
    ASSERT_TRUE(s2 && s3);

    move_elsewhere(static_cast<uint16_t>(first + 1), static_cast<uint16_t>(first + 10));
    move_elsewhere(static_cast<uint16_t>(first + 2), port);
    ASSERT_TRUE(harness_.remove(port)); // tgtadm clear_slot: taken out
    std::string error;
    ASSERT_TRUE(
        harness_.place(ElementType::Storage, static_cast<uint16_t>(first + 15), "TGTNEW1", &error))
        << error;

    auto job = manager_->inventory(lib(), 1, "test", Caller::root()); // FAST
    ASSERT_TRUE(job) << job.error().message;
    auto done = events_.wait_job(*job, [](const JobRecord& j) { return is_final(j.state); });
    EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
    EXPECT_EQ(done.error_message,
              "inventory: 1 new, 1 moved, 1 no longer in the library, 0 updated");

    const auto after = media();
    auto moved = with(after, "S00002L8");
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->id, s2->id);
    EXPECT_EQ(moved->element, std::optional<uint16_t>(first + 10));
    auto gone = with(after, "S00003L8");
    ASSERT_TRUE(gone);
    EXPECT_EQ(gone->id, s3->id);
    EXPECT_EQ(gone->state, MediumState::Gone);
    auto fresh = with(after, "TGTNEW1");
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->element, std::optional<uint16_t>(first + 15));

    // The catalogue equals the device: every full slot has its record there, and no more.
    size_t full = 0;
    for (const auto& e : device(ElementType::Storage)) {
        if (!e.full)
            continue;
        ++full;
        auto m = with(after, e.primary_tag);
        ASSERT_TRUE(m) << e.primary_tag;
        EXPECT_EQ(m->element, std::optional<uint16_t>(e.address));
    }
    size_t in_library = 0;
    for (const auto& m : after)
        in_library += m.state == MediumState::InLibrary ? 1 : 0;
    EXPECT_EQ(in_library, full);
    auto snap = manager_->library(lib(), Caller::root());
    ASSERT_TRUE(snap);
    EXPECT_EQ(snap->free_slots, 20u - full);
}

TEST_F(TgtInventory, DefaultInventoryWorksWithoutInitializeWithRange) {
    // tgt answers INITIALIZE ELEMENT STATUS (WITH RANGE) GOOD: DEFAULT passes and changes nothing.
    start_tgt(1, 20, 4);
    ASSERT_TRUE(start_manager());
    auto job = manager_->inventory(lib(), 3, "test", Caller::root());
    ASSERT_TRUE(job) << job.error().message;
    auto done = events_.wait_job(*job, [](const JobRecord& j) { return is_final(j.state); });
    EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
    EXPECT_EQ(done.error_message,
              "inventory: 0 new, 0 moved, 0 no longer in the library, 0 updated");
    EXPECT_EQ(media().size(), 4u);
}

namespace {

// The port watcher looks every second.
class TgtWatcher : public TgtInventory {
protected:
    DaemonConfig config() override {
        DaemonConfig cfg = TgtInventory::config();
        cfg.libraries.front().check_interval_sec = 1;
        return cfg;
    }
};

} // namespace

TEST_F(TgtWatcher, SeesACartridgePutIntoThePortWithTgtadm) {
    start_tgt(1, 20, 4);
    ASSERT_TRUE(start_manager());
    const uint16_t port = harness_.library().ie_first;
    ASSERT_TRUE(harness_.insert(port, "TGTPORT1"));
    // tgt sets no IMPEXP and sends no unit attention: the watcher works from FULL alone.
    ASSERT_TRUE(events_.wait_until([&] { return with(media(), "TGTPORT1").has_value(); }));
    auto m = with(media(), "TGTPORT1");
    EXPECT_EQ(m->state, MediumState::InPort);
    EXPECT_EQ(m->element, std::optional<uint16_t>(port));
    auto req = events_.wait_opreq([](const OpRequestRecord& r) {
        return r.message.find("TGTPORT1 waits in port element") != std::string::npos;
    });
    EXPECT_TRUE(req);

    ASSERT_TRUE(harness_.remove(port));
    ASSERT_TRUE(events_.wait_until([&] {
        auto g = with(media(), "TGTPORT1");
        return g && g->state == MediumState::Gone;
    }));
}

TEST_F(TgtInventory, DoorOnADoorlessLibraryIsResourceNotPresent) {
    // tgt has no PREVENT ALLOW MEDIUM REMOVAL: with Door=auto, no door ntmsd could release.
    start_tgt(1, 20, 4);
    ASSERT_TRUE(start_manager());
    auto snap = manager_->library(lib(), Caller::root());
    ASSERT_TRUE(snap);
    EXPECT_FALSE(snap->door);
    auto r = manager_->access_door(lib(), 1, "test", Caller::root());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::ResourceNotPresent) << r.error().message;
}
