// The inject flows of the daemon's core against tgt over iSCSI: no IMPEXP, no ACCESS, no
// PREVENT ALLOW, no OPEN/CLOSE IE, no 28h/01h, short replies. The job must work from FULL alone.
// SIGKILL at random instants of an inject on tgt is the kill soak, tests/soak/test_kill_soak.cpp.
#include "daemon/store/store.hpp"
#include "tgt_domain.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <map>
#include <thread>
#include <unistd.h>

using namespace ntms;
using peer::Recorder;
using sgio::ElementType;

namespace {

class TgtInject : public peer::TgtDomainTest {};

} // namespace

TEST_F(TgtInject, SingleCartridgePortImportsWhenFull) {
    start_tgt(1);
    ASSERT_TRUE(start_manager());
    auto job = manager_->inject(lib().str(), 0, {}, {}, Caller::root());
    ASSERT_TRUE(job) << job.error().message;
    events_.wait_job(*job, [](const JobRecord& j) { return j.state == JobState::Waiting; });
    ASSERT_TRUE(harness_.insert(100, "TGTIN1"));
    auto done = events_.wait_job(*job, [](const JobRecord& j) { return is_final(j.state); });
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
    ASSERT_TRUE(start_manager());
    auto job = manager_->inject(lib().str(), 3, {}, {}, Caller::root()); // STARTMANY
    ASSERT_TRUE(job);
    events_.wait_job(*job, [](const JobRecord& j) { return j.state == JobState::Waiting; });
    ASSERT_TRUE(harness_.insert(100, "MAGT1"));
    ASSERT_TRUE(harness_.insert(102, "MAGT2"));
    // tgt never reports the port closed: RETRACT tells the job to look now.
    ASSERT_TRUE(manager_->inject(lib().str(), 2, job->str(), {}, Caller::root()));
    events_.wait_job(*job, [](const JobRecord& j) {
        return j.media_moved == 2 && j.state == JobState::Waiting;
    });
    ASSERT_TRUE(manager_->inject(lib().str(), 1, job->str(), {}, Caller::root())); // STOP
    auto done = events_.wait_job(*job, [](const JobRecord& j) { return is_final(j.state); });
    EXPECT_EQ(done.state, JobState::Stopped);
    EXPECT_EQ(done.media_moved, 2u);
    for (const auto& e : device(ElementType::ImportExport))
        EXPECT_FALSE(e.full);
}

TEST_F(TgtInject, TimeoutWithNothingInsertedPasses) {
    start_tgt(1);
    ASSERT_TRUE(start_manager());
    InjectOptions o;
    o.timeout_sec = 1;
    auto job = manager_->inject(lib().str(), 0, {}, o, Caller::root());
    ASSERT_TRUE(job);
    auto done = events_.wait_job(*job, [](const JobRecord& j) { return is_final(j.state); });
    EXPECT_EQ(done.state, JobState::Passed);
    EXPECT_EQ(done.media_moved, 0u);
}

// The iSCSI session is dropped by the target while an inject waits (an iSCSI logout): the
// library logs in again without a restart of ntmsd, stays online, and the waiting job imports
// what the operator puts in afterwards.
TEST_F(TgtInject, ADroppedSessionDoesNotStopTheLibrary) {
    start_tgt(1);
    ASSERT_TRUE(start_manager());
    auto job = manager_->inject(lib().str(), 0, {}, {}, Caller::root());
    ASSERT_TRUE(job) << job.error().message;
    events_.wait_job(*job, [](const JobRecord& j) { return j.state == JobState::Waiting; });
    ASSERT_TRUE(harness_.drop_sessions());
    std::this_thread::sleep_for(std::chrono::milliseconds(500)); // several polls meanwhile
    auto s = manager_->library(lib(), Caller::root());
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->online()) << s->offline_reason;
    ASSERT_TRUE(harness_.insert(100, "BACK01"));
    auto done = events_.wait_job(*job, [](const JobRecord& j) { return is_final(j.state); });
    EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
    EXPECT_EQ(done.media_moved, 1u);
}
