// The inject flows of the daemon's core against tgt over iSCSI: no IMPEXP, no ACCESS, no
// PREVENT ALLOW, no OPEN/CLOSE IE, no 28h/01h, short replies. The job must work from FULL alone.
// SIGKILL at random instants of an inject on tgt is the kill soak, tests/soak/test_kill_soak.cpp.
#include "daemon/events.hpp"
#include "daemon/store/store.hpp"
#include "sgio/changer.hpp"
#include "sgio/iscsi_transport.hpp"
#include "tests/domain.hpp"
#include "tgt_fixture.hpp"

#include <condition_variable>
#include <filesystem>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <map>
#include <thread>
#include <unistd.h>

using namespace ntms;
using sgio::ElementType;

namespace {

class Recorder : public EventSink {
public:
    void job_added(const JobRecord& j) override { job_changed(j); }
    void job_changed(const JobRecord& j) override {
        {
            std::lock_guard lock(mutex_);
            jobs_[j.id] = j;
        }
        cv_.notify_all();
    }
    void library_changed(const Guid&) override { cv_.notify_all(); }
    JobRecord wait(const Guid& id, const std::function<bool(const JobRecord&)>& pred) {
        std::unique_lock lock(mutex_);
        EXPECT_TRUE(cv_.wait_for(lock, std::chrono::seconds(60),
                                 [&] {
                                     auto it = jobs_.find(id);
                                     return it != jobs_.end() && pred(it->second);
                                 }))
            << "job " << id.str();
        return jobs_[id];
    }
    template <typename P> bool wait_until(P p) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, std::chrono::seconds(60), p);
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::map<Guid, JobRecord> jobs_;
};

class TgtInject : public ::testing::Test {
protected:
    void SetUp() override {
        if (auto why = peer::TgtHarness::missing_tools(); !why.empty())
            GTEST_SKIP() << why;
        dir_ = std::filesystem::temp_directory_path() / fmt::format("ntms-tgt-inject-{}", getpid());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override {
        manager_.reset();
        harness_.stop();
        if (!dir_.empty())
            std::filesystem::remove_all(dir_);
    }

    void start_tgt(unsigned ie, unsigned slots = 20, unsigned fill = 4) {
        peer::TgtOptions o;
        o.ie = ie;
        o.slots = slots;
        o.fill = fill;
        std::string error;
        ASSERT_TRUE(harness_.start(o, error)) << error;
    }

    DaemonConfig config() {
        DaemonConfig cfg;
        cfg.database = (dir_ / "ntmsd.db").string();
        cfg.discover = false;
        LibraryConfig lib;
        lib.name = "tgt";
        lib.device = harness_.library().url;
        lib.poll_interval_ms = 50;
        cfg.libraries = {lib};
        return cfg;
    }

    void start_manager() {
        manager_ = std::make_unique<ntms::test::Domain>(config(), events_);
        manager_->start();
        ASSERT_TRUE(events_.wait_until([&] {
            auto s = manager_->library(*manager_->find_library("tgt"), Caller::root());
            return s && s->online() && s->slots > 0;
        }));
    }

    Guid lib() { return *manager_->find_library("tgt"); }

    // Element status as tgt reports it, through a separate session.
    std::vector<sgio::ElementStatus> device(ElementType t) {
        auto tr = sgio::IscsiTransport::open(harness_.library().url);
        EXPECT_TRUE(tr);
        sgio::Changer ch(**tr);
        auto r = ch.read_status(t);
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : std::vector<sgio::ElementStatus>{};
    }

    std::filesystem::path dir_;
    peer::TgtHarness harness_;
    Recorder events_;
    std::unique_ptr<ntms::test::Domain> manager_;
};

} // namespace

TEST_F(TgtInject, SingleCartridgePortImportsWhenFull) {
    start_tgt(1);
    start_manager();
    auto job = manager_->inject(lib().str(), 0, {}, {}, Caller::root());
    ASSERT_TRUE(job) << job.error().message;
    events_.wait(*job, [](const JobRecord& j) { return j.state == JobState::Waiting; });
    ASSERT_TRUE(harness_.insert(100, "TGTIN1"));
    auto done = events_.wait(*job, [](const JobRecord& j) { return is_final(j.state); });
    EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
    EXPECT_EQ(done.media_moved, 1u);

    auto slots = device(ElementType::Storage);
    auto it = std::find_if(slots.begin(), slots.end(),
                           [](const auto& e) { return e.full && e.primary_tag == "TGTIN1"; });
    ASSERT_NE(it, slots.end());
    auto db = Store::open(config().database);
    ASSERT_TRUE(db);
    auto at = (*db)->medium_at(lib(), it->address);
    ASSERT_TRUE(at && *at);
    EXPECT_EQ((*at)->barcode, "TGTIN1");
    EXPECT_FALSE(device(ElementType::ImportExport).front().full);
}

TEST_F(TgtInject, MagazineWaitsForRetractThenImportsAll) {
    start_tgt(3);
    start_manager();
    auto job = manager_->inject(lib().str(), 3, {}, {}, Caller::root()); // STARTMANY
    ASSERT_TRUE(job);
    events_.wait(*job, [](const JobRecord& j) { return j.state == JobState::Waiting; });
    ASSERT_TRUE(harness_.insert(100, "MAGT1"));
    ASSERT_TRUE(harness_.insert(102, "MAGT2"));
    // tgt never reports the port closed: RETRACT tells the job to look now.
    ASSERT_TRUE(manager_->inject(lib().str(), 2, job->str(), {}, Caller::root()));
    events_.wait(*job, [](const JobRecord& j) {
        return j.media_moved == 2 && j.state == JobState::Waiting;
    });
    ASSERT_TRUE(manager_->inject(lib().str(), 1, job->str(), {}, Caller::root())); // STOP
    auto done = events_.wait(*job, [](const JobRecord& j) { return is_final(j.state); });
    EXPECT_EQ(done.state, JobState::Stopped);
    EXPECT_EQ(done.media_moved, 2u);
    for (const auto& e : device(ElementType::ImportExport))
        EXPECT_FALSE(e.full);
}

TEST_F(TgtInject, TimeoutWithNothingInsertedPasses) {
    start_tgt(1);
    start_manager();
    InjectOptions o;
    o.timeout_sec = 1;
    auto job = manager_->inject(lib().str(), 0, {}, o, Caller::root());
    ASSERT_TRUE(job);
    auto done = events_.wait(*job, [](const JobRecord& j) { return is_final(j.state); });
    EXPECT_EQ(done.state, JobState::Passed);
    EXPECT_EQ(done.media_moved, 0u);
}

// The iSCSI session is dropped by the target while an inject waits (an iSCSI logout): the
// library logs in again without a restart of ntmsd, stays online, and the waiting job imports
// what the operator puts in afterwards.
TEST_F(TgtInject, ADroppedSessionDoesNotStopTheLibrary) {
    start_tgt(1);
    start_manager();
    auto job = manager_->inject(lib().str(), 0, {}, {}, Caller::root());
    ASSERT_TRUE(job) << job.error().message;
    events_.wait(*job, [](const JobRecord& j) { return j.state == JobState::Waiting; });
    ASSERT_TRUE(harness_.drop_sessions());
    std::this_thread::sleep_for(std::chrono::milliseconds(500)); // several polls meanwhile
    auto s = manager_->library(lib(), Caller::root());
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->online()) << s->offline_reason;
    ASSERT_TRUE(harness_.insert(100, "BACK01"));
    auto done = events_.wait(*job, [](const JobRecord& j) { return is_final(j.state); });
    EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
    EXPECT_EQ(done.media_moved, 1u);
}
