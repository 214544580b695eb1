// The inject flows of the daemon's core against tgt over iSCSI: no IMPEXP, no ACCESS, no
// PREVENT ALLOW, no OPEN/CLOSE IE, no 28h/01h, short replies. The job must work from FULL alone,
// and survive SIGKILL at random instants with every cartridge recorded exactly once.
#include "daemon/store/store.hpp"
#include "tgt_domain.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <map>
#include <random>
#include <signal.h>
#include <sys/wait.h>
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

TEST_F(TgtInject, SigkillAtRandomInstantsLosesNoCartridge) {
    start_tgt(2, 120, 0);
    const auto cfg = config();
    std::mt19937 rng(4242);
    std::uniform_int_distribution<int> delay(0, 150);
    int serial = 0;
    constexpr int rounds = 50;
    for (int i = 0; i < rounds; ++i) {
        for (uint16_t a = 100; a < 102; ++a)
            ASSERT_TRUE(harness_.insert(a, fmt::format("KT{:04d}", ++serial)));
        const pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            Recorder rec;
            {
                ntms::test::Domain m(cfg, rec);
                m.start();
                rec.wait_until([&] {
                    auto s = m.library(*m.find_library("tgt"), Caller::root());
                    return s && s->online() && s->slots > 0;
                });
                const auto id = m.find_library("tgt")->str();
                if (auto job = m.inject(id, 0, {}, {}, Caller::root())) {
                    rec.wait(*job, [](const JobRecord& j) { return j.state == JobState::Waiting; });
                    (void)m.inject(id, 2, job->str(), {}, Caller::root());
                    rec.wait(*job, [](const JobRecord& j) { return is_final(j.state); });
                }
            }
            _exit(0);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(delay(rng)));
        kill(pid, SIGKILL);
        int status = 0;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);

        start_manager(); // reconciles on its worker before anything else
        const Guid id = lib();
        auto db = Store::open(cfg.database);
        ASSERT_TRUE(db);
        ASSERT_TRUE(events_.wait_until([&] { return (*db)->pending_intents(id)->empty(); }));
        manager_.reset();
        std::map<uint16_t, std::string> recorded;
        std::map<std::string, int> count;
        auto media = (*db)->list_media(id);
        ASSERT_TRUE(media);
        for (const auto& m : *media) {
            if (m.state != MediumState::InLibrary || !m.element)
                continue;
            recorded[*m.element] = m.barcode;
            ++count[m.barcode];
        }
        for (const auto& e : device(ElementType::Storage)) {
            if (e.full) {
                ASSERT_TRUE(recorded.count(e.address))
                    << "round " << i << ": " << e.primary_tag << " in slot " << e.address
                    << " not recorded";
                EXPECT_EQ(recorded[e.address], e.primary_tag);
            } else {
                EXPECT_FALSE(recorded.count(e.address)) << "round " << i << ": slot " << e.address;
            }
        }
        for (const auto& [b, n] : count)
            EXPECT_EQ(n, 1) << b;
        if (HasFailure())
            break;
    }
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
