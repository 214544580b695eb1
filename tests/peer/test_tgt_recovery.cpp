// A library whose iSCSI target goes away comes back without a restart of ntmsd: tgtd restarted
// (its changer state reset), stopped (SIGSTOP) while idle and while a job runs, and its session
// logged out. Each time the library says why it is offline, is online again within 30 s of the
// target returning, its catalogue is what the device then says, and an inject works.
#include "daemon/store/store.hpp"
#include "tgt_domain.hpp"

#include <cstdio>
#include <gtest/gtest.h>
#include <map>
#include <optional>
#include <string>
#include <thread>

using namespace ntms;
using namespace std::chrono_literals;
using sgio::ElementType;

namespace {

using Clock = std::chrono::steady_clock;

// The promise of ntmsd(8), OFFLINE LIBRARIES; the retry cadence of these tests is well inside it.
constexpr auto back_within = 30s;

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

// For what no event announces (a row in the database).
bool poll_until(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!pred()) {
        if (Clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(50ms);
    }
    return true;
}

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

class TgtRecovery : public peer::TgtDomainTest {
protected:
    // Short command time-out and idle check, quick first retries: the knobs of ntmsd.conf(5).
    DaemonConfig config() override {
        DaemonConfig cfg = TgtDomainTest::config();
        LibraryConfig& lib = cfg.libraries.front();
        lib.command_timeout_sec = 3;
        lib.check_interval_sec = 1;
        lib.retry_first_ms = 500;
        lib.retry_max_sec = 5;
        if (with_sim_) {
            LibraryConfig sim;
            sim.name = "sim";
            sim.device = "sim:other,slots=10,ie=1,fill=2";
            cfg.libraries.push_back(sim);
        }
        return cfg;
    }

    LibrarySnapshot snap(const Guid& id) {
        auto s = manager_->library(id, Caller::root());
        EXPECT_TRUE(s) << s.error().message;
        return s ? *s : LibrarySnapshot{};
    }
    LibrarySnapshot snap() { return snap(lib()); }
    bool wait_snap(const std::function<bool(const LibrarySnapshot&)>& pred,
                   std::chrono::milliseconds limit) {
        return events_.wait_until([&] { return pred(snap()); }, limit);
    }

    // Waits until the library is offline; its reason.
    std::string wait_offline(std::chrono::milliseconds limit = 30s) {
        EXPECT_TRUE(wait_snap([](const LibrarySnapshot& s) { return !s.online(); }, limit))
            << "still online";
        return snap().offline_reason;
    }

    // The device is back since `back`: the library is online within 30 s. The seconds it took.
    double wait_online_since(Clock::time_point back) {
        EXPECT_TRUE(wait_snap([](const LibrarySnapshot& s) { return s.online(); }, 40s))
            << snap().offline_reason;
        const double took = seconds_since(back);
        EXPECT_LE(took, std::chrono::duration<double>(back_within).count());
        RecordProperty("online_again_after_ms", static_cast<int>(took * 1000));
        std::printf("    online again %.2f s after the device returned\n", took);
        return took;
    }

    // The catalogue is the device: every full storage slot recorded with its barcode, every empty
    // one free, and no cartridge recorded in a slot the device says is empty.
    void expect_catalogue_matches_device() {
        auto db = Store::open(config().database);
        ASSERT_TRUE(db);
        auto media = (*db)->list_media(lib());
        ASSERT_TRUE(media);
        std::map<uint16_t, std::string> recorded;
        for (const auto& m : *media)
            if (m.state == MediumState::InLibrary && m.element)
                recorded[*m.element] = m.barcode;
        uint32_t empty = 0;
        for (const auto& e : device(ElementType::Storage)) {
            if (e.full) {
                EXPECT_EQ(recorded.count(e.address), 1u)
                    << e.primary_tag << " in slot " << e.address << " is not in the catalogue";
                EXPECT_EQ(recorded[e.address], e.primary_tag) << "slot " << e.address;
            } else {
                ++empty;
                EXPECT_EQ(recorded.count(e.address), 0u)
                    << "the catalogue has " << recorded[e.address] << " in empty slot "
                    << e.address;
            }
        }
        EXPECT_EQ(snap().free_slots, empty);
    }

    // START, the operator puts `barcode` in the port, the job imports it.
    void inject_one(const std::string& barcode) {
        auto job = manager_->inject(lib().str(), 0, {}, {}, Caller::root());
        ASSERT_TRUE(job) << job.error().message;
        events_.wait_job(*job, [](const JobRecord& j) { return j.state == JobState::Waiting; });
        ASSERT_TRUE(harness_.insert(harness_.library().ie_first, barcode));
        const JobRecord done =
            events_.wait_job(*job, [](const JobRecord& j) { return is_final(j.state); });
        EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
        EXPECT_EQ(done.media_moved, 1u);
    }

    bool with_sim_ = false;
};

} // namespace

// tgtd dies while an inject waits at the port, with another queued behind it, and comes back with
// the cartridges it was started with: the running job fails offline, the queued one waits for the
// library and runs once it is back, and the cartridge imported before the restart, gone from the
// device with the old tgtd's memory, is gone from the catalogue too.
TEST_F(TgtRecovery, ARestartedTargetIsReadAgainAndTheQueuedJobRuns) {
    start_tgt(1);
    ASSERT_TRUE(start_manager());
    inject_one("PRE001");
    const uint32_t free_before = snap().free_slots;
    auto first = manager_->inject(lib().str(), 0, {}, {}, Caller::root());
    ASSERT_TRUE(first) << first.error().message;
    events_.wait_job(*first, [](const JobRecord& j) { return j.state == JobState::Waiting; });
    auto second = manager_->inject(lib().str(), 0, {}, {}, Caller::root());
    ASSERT_TRUE(second) << second.error().message;

    std::string error;
    ASSERT_TRUE(harness_.down(&error)) << error;
    const JobRecord failed = events_.wait_job(
        *first, [](const JobRecord& j) { return is_final(j.state); }, 30s);
    EXPECT_EQ(failed.state, JobState::Failed);
    EXPECT_EQ(failed.error, win32::LibraryOffline) << failed.error_message;
    const std::string reason = wait_offline();
    EXPECT_TRUE(contains(reason, harness_.library().url)) << reason;
    EXPECT_TRUE(contains(reason, "refused")) << reason;
    // Several retries fail meanwhile (0.5, 1 s apart); the queued job is not failed with them.
    ASSERT_TRUE(wait_snap(
        [](const LibrarySnapshot& s) { return contains(s.offline_reason, "next retry at"); }, 10s))
        << snap().offline_reason;
    std::this_thread::sleep_for(2s);
    EXPECT_EQ(events_.wait_job(*second, [](const JobRecord&) { return true; }).state, JobState::Queued);

    ASSERT_TRUE(harness_.up(&error)) << error;
    wait_online_since(Clock::now());
    events_.wait_job(
        *second, [](const JobRecord& j) { return j.state == JobState::Waiting; }, 30s);
    expect_catalogue_matches_device();
    EXPECT_EQ(snap().free_slots, free_before + 1); // PRE001 went with the old tgtd's memory

    ASSERT_TRUE(harness_.insert(harness_.library().ie_first, "AFTER1"));
    const JobRecord done =
        events_.wait_job(*second, [](const JobRecord& j) { return is_final(j.state); });
    EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
    EXPECT_EQ(done.media_moved, 1u);
    expect_catalogue_matches_device();
}

// tgt's designator is made from the target and LUN numbers, so only the serial number tells the
// changer that answers after a restart from the one before.
TEST_F(TgtRecovery, AnotherChangerAtTheSameUrlIsNotTakenForTheLibrary) {
    start_tgt(1);
    ASSERT_TRUE(start_manager());
    const Guid id = lib();
    const std::string serial = snap().serial;
    ASSERT_FALSE(serial.empty());
    auto db = Store::open(config().database);
    ASSERT_TRUE(db);
    const auto media_before = (*db)->list_media(id);
    ASSERT_TRUE(media_before);

    std::string error;
    ASSERT_TRUE(harness_.down(&error)) << error;
    wait_offline();
    ASSERT_TRUE(harness_.up(&error, std::string("OTHER1"))) << error;
    ASSERT_TRUE(wait_snap(
        [](const LibrarySnapshot& s) { return contains(s.offline_reason, "another changer"); },
        40s))
        << snap().offline_reason;
    EXPECT_TRUE(contains(snap().offline_reason, "OTHER1")) << snap().offline_reason;
    EXPECT_FALSE(snap().online());
    auto refused = manager_->inject(id.str(), 0, {}, {}, Caller::root());
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, win32::LibraryOffline);
    const auto media_meanwhile = (*db)->list_media(id);
    ASSERT_TRUE(media_meanwhile);
    EXPECT_EQ(media_meanwhile->size(), media_before->size());

    // Its own changer returns: the same library, under the same GUID.
    ASSERT_TRUE(harness_.down(&error)) << error;
    ASSERT_TRUE(harness_.up(&error, std::string())) << error;
    wait_online_since(Clock::now());
    EXPECT_EQ(lib(), id);
    EXPECT_EQ(snap().serial, serial);
    inject_one("OWN001");
}

// SIGSTOP: the target's sockets stay open and nothing answers. Idle, the library's check times
// out; during a job, the job's next command does. Meanwhile another library works and calls are
// answered; after SIGCONT the library is back, and a job queued behind the failed one runs.
TEST_F(TgtRecovery, AStalledTargetTimesOutAndTheLibraryComesBack) {
    with_sim_ = true;
    start_tgt(1);
    ASSERT_TRUE(start_manager());
    const Guid sim = *manager_->find_library("sim");
    ASSERT_TRUE(events_.wait_until([&] { return snap(sim).online(); }));

    // Idle.
    ASSERT_TRUE(harness_.stall());
    const std::string reason = wait_offline();
    EXPECT_TRUE(contains(reason, "timed out")) << reason;
    {
        const auto t = Clock::now();
        auto refused = manager_->inject(lib().str(), 0, {}, {}, Caller::root());
        ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error().code, win32::LibraryOffline);
        EXPECT_LT(seconds_since(t), 1.0) << "a call on the stalled library waited for it";
        InjectOptions quick;
        quick.timeout_sec = 1;
        auto other = manager_->inject(sim.str(), 0, {}, quick, Caller::root());
        ASSERT_TRUE(other) << other.error().message;
        const JobRecord end = events_.wait_job(
            *other, [](const JobRecord& j) { return is_final(j.state); }, 20s);
        EXPECT_EQ(end.state, JobState::Passed) << end.error_message;
    }
    ASSERT_TRUE(harness_.resume());
    wait_online_since(Clock::now());
    expect_catalogue_matches_device();

    // While a job waits at the port, with another queued behind it.
    auto first = manager_->inject(lib().str(), 0, {}, {}, Caller::root());
    ASSERT_TRUE(first) << first.error().message;
    events_.wait_job(*first, [](const JobRecord& j) { return j.state == JobState::Waiting; });
    auto second = manager_->inject(lib().str(), 0, {}, {}, Caller::root());
    ASSERT_TRUE(second) << second.error().message;
    ASSERT_TRUE(harness_.stall());
    const JobRecord failed = events_.wait_job(
        *first, [](const JobRecord& j) { return is_final(j.state); }, 30s);
    EXPECT_EQ(failed.state, JobState::Failed);
    EXPECT_EQ(failed.error, win32::LibraryOffline) << failed.error_message;
    EXPECT_TRUE(contains(failed.error_message, "timed out")) << failed.error_message;
    EXPECT_FALSE(snap().online());
    // The queued job waits for its library instead of failing with it.
    EXPECT_EQ(events_.wait_job(*second, [](const JobRecord&) { return true; }).state, JobState::Queued);
    ASSERT_TRUE(harness_.resume());
    wait_online_since(Clock::now());
    events_.wait_job(
        *second, [](const JobRecord& j) { return j.state == JobState::Waiting; }, 30s);
    ASSERT_TRUE(harness_.insert(harness_.library().ie_first, "STALL1"));
    const JobRecord done =
        events_.wait_job(*second, [](const JobRecord& j) { return is_final(j.state); });
    EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
    EXPECT_EQ(done.media_moved, 1u);
    expect_catalogue_matches_device();
}

// The target logs the session out. First it refuses the new login too (the initiator unbound),
// so the library is offline until it is admitted again; then it only drops the session, and the
// library logs in again by itself. Each time it reads the device again: a cartridge put straight
// into a slot while it was logged out is in the catalogue afterwards.
TEST_F(TgtRecovery, ALoggedOutSessionLogsInAgainAndTheDeviceIsReadAgain) {
    start_tgt(1);
    ASSERT_TRUE(start_manager());
    ASSERT_GE(harness_.sessions(), 1);

    std::string error;
    ASSERT_TRUE(harness_.bind(false, &error)) << error;
    ASSERT_TRUE(harness_.drop_sessions(&error)) << error;
    const std::string reason = wait_offline();
    EXPECT_TRUE(contains(reason, "login")) << reason;
    ASSERT_TRUE(
        harness_.place(ElementType::Storage, harness_.library().storage_first + 10, "LOST01"));
    ASSERT_TRUE(harness_.bind(true, &error)) << error;
    wait_online_since(Clock::now());
    EXPECT_GE(harness_.sessions(), 1);
    expect_catalogue_matches_device();
    inject_one("RELOG1");

    // Logged out while idle, and admitted again at once: no outage to speak of, but what it read
    // over the old session is read again over the new one.
    const uint16_t slot = harness_.library().storage_first + 11;
    ASSERT_TRUE(harness_.place(ElementType::Storage, slot, "LOST02"));
    const auto dropped = Clock::now();
    ASSERT_TRUE(harness_.drop_sessions(&error)) << error;
    auto db = Store::open(config().database);
    ASSERT_TRUE(db);
    ASSERT_TRUE(poll_until(
        [&] {
            auto m = (*db)->medium_at(lib(), slot);
            return m && *m && (*m)->barcode == "LOST02";
        },
        40s))
        << "LOST02 never read";
    EXPECT_LE(seconds_since(dropped), 30.0);
    std::printf("    read again %.2f s after the session was dropped\n", seconds_since(dropped));
    EXPECT_TRUE(snap().online()) << snap().offline_reason;
    EXPECT_GE(harness_.sessions(), 1);
    expect_catalogue_matches_device();
    inject_one("RELOG2");
}
