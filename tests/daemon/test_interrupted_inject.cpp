// The port after a crash: a child process runs an inject of two cartridges from a magazine and is
// killed with SIGKILL at each step of it (while the port waits, before and after each MOVE MEDIUM,
// at the confirming read). After a restart on the same database and device the job is over,
// FAILED with ERROR_OPERATION_ABORTED, and its record accounts for every cartridge: how many it
// imported (and which), which are still in the port (listed there as InPort), and nothing is lost
// or counted twice. The next inject imports what was left, under the same identities.
#include "crash_child.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ntms;
using namespace ntms::test;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

constexpr uint8_t move_medium = 0xA5;
constexpr uint8_t read_element_status = 0xB8;

class InterruptedInject : public InjectFixture {
protected:
    std::string spec() { return sim("slots=10,ie=2"); }

    // The operator's cartridges, in the magazine before the job starts.
    void fill_port() {
        auto vc = sgio::VirtualChanger::open(*sgio::VirtualChangerConfig::parse(spec()));
        ASSERT_TRUE(vc) << vc.error().message;
        ASSERT_TRUE((*vc)->operator_insert(100, "IA0001L8"));
        ASSERT_TRUE((*vc)->operator_insert(101, "IA0002L8"));
    }

    // Runs in the child: START, then RETRACT once it waits (the magazine is in); dies at `at`, or
    // by itself while the job waits when `at` has no opcode. Returns the job's GUID.
    Guid run_child(const CrashPoint& at) {
        return run_killed_child(
            db_path_, library(spec()), at,
            [](Domain& d) {
                return d.inject(d.find_library("lab1")->str(), 0, {}, {}, Caller::root());
            },
            [&at](Domain& d, Recorder& rec, const Guid& job) {
                rec.wait_state(job, JobState::Waiting);
                if (at.opcode == 0)
                    raise(SIGKILL);
                (void)d.inject(d.find_library("lab1")->str(), 2, job.str(), {}, Caller::root());
                rec.wait_final(job);
            });
    }

    // Every cartridge on the device is recorded once, where it is; none is recorded elsewhere.
    void expect_catalogue_matches_device(const std::string& when) {
        auto media = open_store()->list_media(lib_id());
        ASSERT_TRUE(media);
        std::map<std::string, std::vector<MediumRecord>> by_barcode;
        for (const auto& m : *media)
            if (m.state != MediumState::Gone)
                by_barcode[m.barcode].push_back(m);
        auto vc = sgio::VirtualChanger::open(*sgio::VirtualChangerConfig::parse(spec()));
        ASSERT_TRUE(vc);
        size_t on_device = 0;
        for (auto type : {sgio::ElementType::Storage, sgio::ElementType::ImportExport,
                          sgio::ElementType::DataTransfer, sgio::ElementType::Transport}) {
            for (const auto& e : (*vc)->elements(type)) {
                if (!e.full)
                    continue;
                ++on_device;
                const auto& recs = by_barcode[e.primary_tag];
                ASSERT_EQ(recs.size(), 1u) << when << ": " << e.primary_tag;
                EXPECT_EQ(recs.front().element, std::optional<uint16_t>(e.address))
                    << when << ": " << e.primary_tag;
                EXPECT_EQ(recs.front().state, type == sgio::ElementType::ImportExport
                                                  ? MediumState::InPort
                                                  : MediumState::InLibrary)
                    << when << ": " << e.primary_tag;
            }
        }
        size_t recorded = 0;
        for (const auto& [barcode, recs] : by_barcode)
            recorded += recs.size();
        EXPECT_EQ(recorded, on_device) << when;
    }

    void crash_and_restart(const CrashPoint& at) {
        SCOPED_TRACE(at.name);
        fill_port();
        const Guid job = run_child(at);
        if (HasFailure())
            return;
        start({library(spec())});
        // By the time the library is online, the job is over and says what it left.
        auto end = manager_->job(job);
        ASSERT_TRUE(end);
        EXPECT_EQ(end->state, JobState::Failed);
        EXPECT_EQ(end->error, win32::OperationAborted);
        EXPECT_EQ(end->media_moved, at.imported);
        EXPECT_EQ(events_.ends(job), 1u) << "its end is announced once";
        const std::string& msg = end->error_message;
        EXPECT_THAT(msg, HasSubstr("interrupted: ntmsd stopped while the job was running"));
        EXPECT_THAT(msg, HasSubstr(fmt::format("{} cartridge{} imported before", at.imported,
                                               at.imported == 1 ? "" : "s")));
        const std::vector<std::pair<std::string, uint16_t>> cartridges = {{"IA0001L8", 100},
                                                                          {"IA0002L8", 101}};
        for (size_t i = 0; i < cartridges.size(); ++i) {
            const auto& [barcode, element] = cartridges[i];
            const std::string in_port = fmt::format("{} at element {}", barcode, element);
            if (i < at.imported) {
                EXPECT_THAT(msg, HasSubstr(fmt::format("{} to slot {}", barcode, 1000 + i)));
                EXPECT_THAT(msg, Not(HasSubstr(in_port)));
            } else {
                EXPECT_THAT(msg, HasSubstr(in_port));
            }
        }
        if (at.imported == cartridges.size())
            EXPECT_THAT(msg, HasSubstr("no cartridge left in port 100"));
        else
            EXPECT_THAT(
                msg, HasSubstr(fmt::format("{} still in port 100",
                                           cartridges.size() - at.imported == 1 ? "1 cartridge"
                                                                                : "2 cartridges")));
        expect_catalogue_matches_device("after the restart");
        // Nothing of it is left running, and the port is allowed again for the operator.
        auto open = open_store()->jobs_in_states({JobState::InProcess, JobState::Waiting});
        ASSERT_TRUE(open);
        EXPECT_TRUE(open->empty());
        EXPECT_FALSE(device().prevented());

        // The next inject imports what was left, as the media the list already has.
        auto before = open_store()->list_media(lib_id());
        ASSERT_TRUE(before);
        std::map<std::string, Guid> ids;
        for (const auto& m : *before)
            ids[m.barcode] = m.id;
        auto next = inject("lab1", InjectAction::Start);
        ASSERT_TRUE(next) << next.error().message;
        events_.wait_state(*next, JobState::Waiting);
        ASSERT_TRUE(inject("lab1", InjectAction::Retract, next->str()));
        const JobRecord done = events_.wait_final(*next);
        EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
        EXPECT_EQ(done.media_moved, cartridges.size() - at.imported);
        auto after = open_store()->list_media(lib_id());
        ASSERT_TRUE(after);
        EXPECT_EQ(after->size(), before->size()) << "no medium record was added";
        for (const auto& m : *after) {
            EXPECT_EQ(m.state, MediumState::InLibrary) << m.barcode;
            EXPECT_EQ(m.id, ids[m.barcode]) << m.barcode << " kept its identity";
        }
        expect_catalogue_matches_device("after the next inject");
    }
};

} // namespace

TEST_F(InterruptedInject, KilledWhileThePortWaits) {
    crash_and_restart({"while waiting", 0, 0, false, 0, 0});
}

TEST_F(InterruptedInject, KilledBeforeTheFirstMove) {
    crash_and_restart({"before the first move", move_medium, 1, false, 0, 0});
}

TEST_F(InterruptedInject, KilledAfterTheFirstMoveBeforeItsCommit) {
    crash_and_restart({"after the first move", move_medium, 1, true, 0, 1});
}

TEST_F(InterruptedInject, KilledBeforeTheSecondMove) {
    crash_and_restart({"before the second move", move_medium, 2, false, 0, 1});
}

TEST_F(InterruptedInject, KilledAfterTheSecondMoveBeforeItsCommit) {
    crash_and_restart({"after the second move", move_medium, 2, true, 0, 2});
}

// The second cartridge has arrived and the job has read it there, but not recorded it.
TEST_F(InterruptedInject, KilledAfterTheReadThatConfirmsTheSecondMove) {
    crash_and_restart({"after the confirming read", move_medium, 2, true, read_element_status, 2});
}

// The device cannot be read at the restart: the job still ends, with what the database knows,
// and says that the port is read when the library is back.
TEST_F(InterruptedInject, EndsWhenTheDeviceIsAbsentAtTheRestart) {
    fill_port();
    const Guid job = run_child({"after the first move", move_medium, 1, true, 0, 1});
    ASSERT_FALSE(HasFailure());
    unplugged_ = true;
    start({library(spec())});
    ASSERT_TRUE(events_.wait_until([&] {
        auto j = manager_->job(job);
        return j && is_final(j->state);
    }));
    auto end = manager_->job(job);
    EXPECT_EQ(end->state, JobState::Failed);
    EXPECT_EQ(end->error, win32::OperationAborted);
    EXPECT_THAT(end->error_message, HasSubstr("0 cartridges imported before, 1 move in flight"));
    EXPECT_THAT(end->error_message, HasSubstr("its port could not be read"));
    // The move in flight is settled when the device is back, and the cartridges are all there.
    unplugged_ = false;
    ASSERT_TRUE(
        events_.wait_until([&] { return manager_->library(lib_id(), Caller::root())->online(); },
                           std::chrono::seconds(15)));
    expect_catalogue_matches_device("after the device came back");
    auto settled = open_store()->get_job(job);
    ASSERT_TRUE(settled && *settled);
    EXPECT_EQ((*settled)->media_moved, 1u) << "the move in flight was counted when it was settled";
}
