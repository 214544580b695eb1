// A library that goes offline comes back by itself: its worker opens the device again with a
// capped backoff, reads it, and is online without a restart; a different changer at the same
// path is not taken for it.
#include "daemon/library/worker.hpp"
#include "inject_fixture.hpp"

using namespace ntms;
using namespace ntms::test;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

} // namespace

class Recovery : public InjectFixture {
protected:
    LibrarySnapshot snap() { return *manager_->library(lib_id(), Caller::root()); }
    bool wait_snap(const std::function<bool(const LibrarySnapshot&)>& pred,
                   std::chrono::milliseconds limit) {
        return events_.wait_until([&] { return pred(snap()); }, limit);
    }
    // The device vanishes under the library and cannot be opened again; a job finds out.
    void lose_the_device() {
        unplugged_ = true;
        device().inject_fault({std::nullopt, 1000000, sgio::Fault::Kind::Vanish, 0, 0, 0, 0});
        auto job = inject("lab1", InjectAction::Start);
        ASSERT_TRUE(job) << job.error().message;
        const JobRecord end = events_.wait_final(*job);
        EXPECT_EQ(end.state, JobState::Failed);
        EXPECT_EQ(end.error, win32::LibraryOffline) << end.error_message;
        EXPECT_FALSE(snap().online());
    }
};

TEST_F(Recovery, OfflineLibraryRetriesAndComesBackWithoutARestart) {
    start({library(sim("slots=10,ie=1,fill=2"))});
    lose_the_device();
    // It says when it tries again, tries (and fails while the device is absent), and says so.
    ASSERT_TRUE(wait_snap(
        [](const LibrarySnapshot& s) {
            return !s.online() && contains(s.offline_reason, "no such device") &&
                   contains(s.offline_reason, "next retry at") && s.next_retry > 0;
        },
        10s))
        << snap().offline_reason;
    // An inject meanwhile is refused as offline, and changes nothing.
    auto refused = inject("lab1", InjectAction::Start);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, win32::LibraryOffline);

    // The device is back: online within the backoff (the first retries are 1.5 and 3 s apart),
    // with the cartridges it holds, and an inject works again.
    const auto back = std::chrono::steady_clock::now();
    unplugged_ = false;
    ASSERT_TRUE(wait_snap([](const LibrarySnapshot& s) { return s.online(); }, 15s))
        << snap().offline_reason;
    EXPECT_LE(std::chrono::steady_clock::now() - back,
              std::chrono::milliseconds(LibraryConfig{}.retry_first_ms) * 2 + 2s);
    EXPECT_EQ(snap().next_retry, 0);
    EXPECT_EQ(snap().free_slots, 8u);
    auto job = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(job) << job.error().message;
    events_.wait_state(*job, JobState::Waiting);
    ASSERT_TRUE(device().operator_insert(100, "BACK01L8"));
    const JobRecord end = events_.wait_final(*job);
    EXPECT_EQ(end.state, JobState::Passed) << end.error_message;
    EXPECT_EQ(end.media_moved, 1u);
}

TEST_F(Recovery, AnotherChangerAtTheSamePathIsNotTakenForTheLibrary) {
    start({library(sim("slots=10,ie=1"))});
    lose_the_device();
    {
        std::lock_guard lock(devices_mutex_);
        impostor_ = "IMPOSTOR01";
    }
    unplugged_ = false;
    ASSERT_TRUE(wait_snap(
        [](const LibrarySnapshot& s) {
            return contains(s.offline_reason, "now answers as another changer") &&
                   contains(s.offline_reason, "IMPOSTOR01");
        },
        10s))
        << snap().offline_reason;
    EXPECT_FALSE(snap().online());
    // Its own changer returns: it is online again, under the same GUID.
    const Guid id = lib_id();
    {
        std::lock_guard lock(devices_mutex_);
        impostor_.clear();
    }
    ASSERT_TRUE(wait_snap([](const LibrarySnapshot& s) { return s.online(); }, 40s))
        << snap().offline_reason;
    EXPECT_EQ(lib_id(), id);
}

TEST_F(Recovery, ALibraryAbsentAtStartComesOnlineWhenItsDeviceAppears) {
    unplugged_ = true;
    start({library(sim("slots=10,ie=1"))});
    EXPECT_FALSE(snap().online());
    unplugged_ = false;
    ASSERT_TRUE(wait_snap([](const LibrarySnapshot& s) { return s.online(); }, 15s))
        << snap().offline_reason;
    EXPECT_EQ(snap().slots, 10u);
}
