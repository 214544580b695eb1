// Start-up reconciliation: the device's element status is the truth and the media records follow
// it: found, moved, gone, relabelled. Each case changes the device behind a stopped core.
#include "daemon/journal.hpp"
#include "inject_fixture.hpp"
#include "sgio/changer.hpp"

using namespace ntms;
using namespace ntms::test;

namespace {

std::map<std::string, MediumRecord> by_barcode(Store& db, const Guid& lib) {
    std::map<std::string, MediumRecord> out;
    auto media = db.list_media(lib);
    EXPECT_TRUE(media);
    for (const auto& m : *media)
        out[m.barcode] = m;
    return out;
}

} // namespace

class Reconcile : public InjectFixture {
protected:
    // Acts on the device while no core runs, through a private instance on the state file.
    void with_device(const std::function<void(sgio::VirtualChanger&, sgio::Changer&)>& fn) {
        auto cfg = sgio::VirtualChangerConfig::parse(device_spec());
        ASSERT_TRUE(cfg);
        auto vc = sgio::VirtualChanger::open(*cfg);
        ASSERT_TRUE(vc) << vc.error().message;
        sgio::Changer ch(**vc);
        fn(**vc, ch);
    }
    std::string device_spec() { return sim("slots=12,ie=1,fill=3"); }
    void restart() {
        manager_.reset();
        start({library(device_spec())});
    }
};

TEST_F(Reconcile, FirstStartRecordsWhatIsInTheSlots) {
    start({library(device_spec())});
    const Guid lib = lib_id();
    auto media = by_barcode(*open_store(), lib);
    ASSERT_EQ(media.size(), 3u);
    EXPECT_EQ(media["S00001L8"].element, std::optional<uint16_t>(1000));
    EXPECT_EQ(media["S00003L8"].element, std::optional<uint16_t>(1002));
    for (auto& [b, m] : media) {
        EXPECT_EQ(m.state, MediumState::InLibrary) << b;
        auto h = open_store()->history(m.id);
        ASSERT_TRUE(h && h->size() == 1u) << b;
        EXPECT_EQ(h->front().reason, "inventory");
    }
    auto snap = manager_->library(lib, Caller::root());
    EXPECT_EQ(snap->slots, 12u);
    EXPECT_EQ(snap->free_slots, 9u);
}

TEST_F(Reconcile, MovedAddedAndRemovedCartridgesAreFollowed) {
    start({library(device_spec())});
    const Guid lib = lib_id();
    const auto before = by_barcode(*open_store(), lib);
    manager_.reset();

    with_device([](sgio::VirtualChanger& vc, sgio::Changer& ch) {
        ASSERT_TRUE(ch.move(1000, 1007));      // moved by someone else
        ASSERT_TRUE(vc.place(1005, "HAND01")); // put in by hand, door open
        ASSERT_TRUE(ch.move(1001, 100));       // exported...
        ASSERT_TRUE(vc.operator_open_port());
        ASSERT_TRUE(vc.operator_remove(100)); // ...and taken away
        ASSERT_TRUE(vc.operator_close_port());
    });
    restart();
    const auto after = by_barcode(*open_store(), lib);
    ASSERT_TRUE(after.count("S00001L8"));
    EXPECT_EQ(after.at("S00001L8").id, before.at("S00001L8").id) << "the same medium, moved";
    EXPECT_EQ(after.at("S00001L8").element, std::optional<uint16_t>(1007));
    auto h = open_store()->history(after.at("S00001L8").id);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->back().reason, "reconcile");
    EXPECT_EQ(h->back().from, std::optional<uint16_t>(1000));
    EXPECT_EQ(h->back().to, std::optional<uint16_t>(1007));

    ASSERT_TRUE(after.count("HAND01"));
    EXPECT_EQ(after.at("HAND01").element, std::optional<uint16_t>(1005));

    ASSERT_TRUE(after.count("S00002L8"));
    EXPECT_EQ(after.at("S00002L8").state, MediumState::Gone);
    EXPECT_FALSE(after.at("S00002L8").element);

    EXPECT_EQ(after.at("S00003L8").element, std::optional<uint16_t>(1002)) << "untouched";
    auto snap = manager_->library(lib, Caller::root());
    EXPECT_EQ(snap->free_slots, 9u);
}

// A cartridge that left while ntmsd was down is named in the journal by its barcode.
TEST_F(Reconcile, ACartridgeThatLeftIsJournalledByItsBarcode) {
    start({library(device_spec())});
    manager_.reset();
    with_device([](sgio::VirtualChanger& vc, sgio::Changer& ch) {
        ASSERT_TRUE(ch.move(1001, 100));
        ASSERT_TRUE(vc.operator_open_port());
        ASSERT_TRUE(vc.operator_remove(100));
        ASSERT_TRUE(vc.operator_close_port());
    });
    set_log_target_stderr(true);
    testing::internal::CaptureStderr();
    restart();
    manager_.reset(); // its workers' messages are all written
    const std::string out = testing::internal::GetCapturedStderr();
    set_log_target_stderr(false);
    std::string line;
    for (size_t at = 0, end; at < out.size(); at = end + 1) {
        end = out.find('\n', at);
        if (end == std::string::npos)
            end = out.size();
        if (out.substr(at, end - at).find("is no longer in the library") != std::string::npos)
            line = out.substr(at, end - at);
    }
    ASSERT_FALSE(line.empty()) << out;
    EXPECT_NE(line.find("cartridge S00002L8 (last at element 1001) is no longer in the library"),
              std::string::npos)
        << line;
    EXPECT_NE(line.find("NTMS_BARCODE=S00002L8"), std::string::npos) << line;
}

// The buffers of a start's read of every element are not kept by the library's changer: 5,000
// slots take 260 KB of reply and 80 KiB of views, a look at the ports a few hundred bytes.
TEST_F(Reconcile, AStartsFullReadIsNotKeptInMemory) {
    start({library(sim("slots=5000,ie=1,fill=20"))});
    const Guid lib = lib_id();
    EXPECT_EQ(manager_->library(lib, Caller::root())->slots, 5000u);
    manager_->stop(); // no worker reads the device meanwhile
    Library* found = manager_->registry.find(lib);
    ASSERT_NE(found, nullptr);
    ASSERT_NE(found->device().changer(), nullptr);
    EXPECT_LE(found->device().changer()->kept_bytes(), 128u * 1024)
        << found->device().changer()->kept_bytes();
}

TEST_F(Reconcile, SwappedCartridgesKeepTheirIdentities) {
    start({library(device_spec())});
    const Guid lib = lib_id();
    const auto before = by_barcode(*open_store(), lib);
    manager_.reset();
    with_device([](sgio::VirtualChanger&, sgio::Changer& ch) {
        ASSERT_TRUE(ch.move(1000, 1010));
        ASSERT_TRUE(ch.move(1001, 1000));
        ASSERT_TRUE(ch.move(1010, 1001));
    });
    restart();
    const auto after = by_barcode(*open_store(), lib);
    EXPECT_EQ(after.at("S00001L8").element, std::optional<uint16_t>(1001));
    EXPECT_EQ(after.at("S00002L8").element, std::optional<uint16_t>(1000));
    EXPECT_EQ(after.at("S00001L8").id, before.at("S00001L8").id);
    EXPECT_EQ(after.at("S00002L8").id, before.at("S00002L8").id);
}

TEST_F(Reconcile, InterruptedJobsAreReportedAndQueuedOnesRunAfterARestart) {
    start({library(sim("slots=12,ie=1"))});
    auto running = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(running);
    events_.wait_state(*running, JobState::Waiting);
    auto queued = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(queued);
    // A crash: the rows stay as they were. Simulate it by rewriting them behind the core.
    manager_.reset(); // a clean stop ends the running job STOPPED...
    auto db = open_store();
    auto r = *db->get_job(*running);
    r->state = JobState::Waiting; // ...so put it back the way a crash leaves it
    r->time_completed = 0;
    ASSERT_TRUE(db->update_job(*r));
    EXPECT_EQ((*db->get_job(*queued))->state, JobState::Queued);

    start({library(sim("slots=12,ie=1"))});
    auto interrupted = manager_->job(*running);
    ASSERT_TRUE(interrupted);
    EXPECT_EQ(interrupted->state, JobState::Failed);
    EXPECT_EQ(interrupted->error, win32::OperationAborted);
    EXPECT_NE(interrupted->error_message.find("interrupted"), std::string::npos);
    events_.wait_state(*queued, JobState::Waiting);
    ASSERT_TRUE(device().operator_insert(100, "AFTER1"));
    EXPECT_EQ(events_.wait_final(*queued).state, JobState::Passed);
}

// A cartridge that the operator put in the port while ntmsd was not running is listed where it
// waits (state InPort) after the start, and the next inject imports it under that identity.
TEST_F(InjectFixture, ACartridgeFoundInThePortAtStartIsListedAndImportedAsItself) {
    {
        auto cfg = sgio::VirtualChangerConfig::parse(sim("slots=10,ie=1"));
        ASSERT_TRUE(cfg);
        auto vc = sgio::VirtualChanger::open(*cfg);
        ASSERT_TRUE(vc);
        ASSERT_TRUE((*vc)->operator_insert(100, "PORT01L8"));
    }
    start({library(sim("slots=10,ie=1"))});
    auto media = open_store()->list_media(lib_id());
    ASSERT_TRUE(media);
    ASSERT_EQ(media->size(), 1u);
    const MediumRecord found = media->front();
    EXPECT_EQ(found.barcode, "PORT01L8");
    EXPECT_EQ(found.state, MediumState::InPort);
    EXPECT_EQ(found.element, std::optional<uint16_t>(100));
    auto history = open_store()->history(found.id);
    ASSERT_TRUE(history);
    ASSERT_EQ(history->size(), 1u);
    EXPECT_EQ(history->front().reason, "found-in-port");

    auto job = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(job) << job.error().message;
    const JobRecord end = events_.wait_final(*job);
    EXPECT_EQ(end.state, JobState::Passed) << end.error_message;
    EXPECT_EQ(end.media_moved, 1u);
    auto after = open_store()->get_medium(found.id);
    ASSERT_TRUE(after && *after);
    EXPECT_EQ((*after)->state, MediumState::InLibrary);
    EXPECT_EQ((*after)->element, std::optional<uint16_t>(1000));
}
