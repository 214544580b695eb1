// Manager.MoveMedia, the slot-to-slot move of ntms-changer's "transfer", on the virtual changer:
// the job's outcome, the medium's record and history, the catalogue's free slots and the
// device's element status; refusals that change nothing; the device as the truth when the
// catalogue is behind; a SIGKILL during the move.
#include "crash_child.hpp"

#include <gmock/gmock.h>

using namespace ntms;
using namespace ntms::test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

class Move : public InjectFixture {
protected:
    Expected<Guid> move(const std::string& barcode, uint16_t to, MountOptions o = {}) {
        return manager_->move(medium(barcode).id.str(), to, o, Caller::root());
    }
    JobRecord final_of(const Expected<Guid>& job) {
        EXPECT_TRUE(job) << job.error().message;
        if (!job)
            return {};
        return events_.wait_final(*job);
    }
    size_t jobs() { return open_store()->list_jobs()->size(); }
};

TEST_F(Move, TheCartridgeGoesToTheEmptySlotAndItsRecordFollows) {
    start({library(sim("slots=10,ie=1,drives=2,fill=3"))});
    const JobRecord done = final_of(move("S00002L8", 1007));
    EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
    EXPECT_EQ(done.operation, OperationKind::Move);
    EXPECT_EQ(done.media_moved, 1u);
    expect_in_slot("S00002L8", 1007);
    EXPECT_FALSE(device().element(1001)->full);
    EXPECT_EQ(medium("S00002L8").state, MediumState::InLibrary);
    EXPECT_THAT(reasons("S00002L8"), ElementsAre("inventory", "move-requested", "move"));
    auto snap = manager_->library(lib_id(), Caller::root());
    ASSERT_TRUE(snap);
    EXPECT_EQ(snap->free_slots, 7u);
    // The catalogue follows: slot 1001 is free for the next move, 1007 is not.
    EXPECT_EQ(final_of(move("S00001L8", 1001)).state, JobState::Passed);
    auto full = move("S00003L8", 1007);
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code, win32::InvalidState);
}

TEST_F(Move, RefusedCallsChangeNothing) {
    start({library(sim("slots=10,ie=1,drives=2,fill=3"))});
    const size_t before = jobs();
    auto expect_refused = [&](Expected<Guid> r, uint32_t code, const char* says) {
        ASSERT_FALSE(r) << says;
        EXPECT_EQ(r.error().code, code) << r.error().message;
        EXPECT_THAT(r.error().message, HasSubstr(says));
    };
    expect_refused(manager_->move("not-a-guid", 1005, {}, Caller::root()), win32::InvalidParameter,
                   "not a medium GUID");
    expect_refused(manager_->move(Guid::random().str(), 1005, {}, Caller::root()),
                   win32::ObjectNotFound, "no medium");
    expect_refused(move("S00001L8", 1000), win32::InvalidParameter, "in slot 1000 already");
    expect_refused(move("S00001L8", 1001), win32::InvalidState, "slot 1001 is not empty");
    expect_refused(move("S00001L8", 2), win32::InvalidParameter, "not a storage slot");
    expect_refused(move("S00001L8", 100), win32::InvalidParameter, "not a storage slot");
    MountOptions slot_option;
    slot_option.element = 1005;
    expect_refused(move("S00001L8", 1006, slot_option), win32::InvalidParameter, "not an option");
    // A medium in a drive is dismounted, not moved.
    auto mounted = manager_->mount({medium("S00003L8").id.str()}, {}, 0, 0, {}, Caller::root());
    ASSERT_EQ(final_of(mounted).state, JobState::Passed);
    const size_t with_mount = jobs();
    EXPECT_EQ(with_mount, before + 1);
    expect_refused(move("S00003L8", 1005), win32::InvalidState, "DismountMedia");
    EXPECT_EQ(jobs(), with_mount) << "no job was queued by a refused call";
    expect_in_slot("S00001L8", 1000);
    expect_in_slot("S00002L8", 1001);
}

TEST_F(Move, ACartridgeInTheDestinationThatNtmsdDoesNotKnowFailsTheJobBeforeTheRobotMoves) {
    start({library(sim("slots=10,ie=1,drives=2,fill=2"))});
    // Put there behind ntmsd's back: the catalogue still has slot 1006 free.
    ASSERT_TRUE(device().place(1006, "GHOST1L8"));
    const JobRecord done = final_of(move("S00001L8", 1006));
    EXPECT_EQ(done.state, JobState::Failed);
    EXPECT_EQ(done.error, win32::InvalidState);
    EXPECT_THAT(done.error_message, HasSubstr("slot 1006 is not empty (it holds GHOST1L8)"));
    EXPECT_EQ(done.media_moved, 0u);
    expect_in_slot("S00001L8", 1000);
    EXPECT_EQ(device().element(1006)->primary_tag, "GHOST1L8");
}

TEST_F(Move, AKillDuringTheMoveIsSettledFromTheDeviceAtRestart) {
    const LibraryConfig cfg = library(sim("slots=10,ie=1,drives=1,fill=2"));
    const Guid job = run_killed_child(
        db_path_, cfg, after_first_move(),
        [](Domain& d) -> Expected<Guid> {
            auto media = d.media(*d.find_library("lab1"), Caller::root());
            if (!media)
                return media.error();
            for (const auto& m : *media)
                if (m.barcode == "S00002L8")
                    return d.move(m.id.str(), 1008, {}, Caller::root());
            return fail(win32::NotFound, "no S00002L8");
        },
        [](Domain&, Recorder& rec, const Guid& started) { rec.wait_final(started); });
    ASSERT_FALSE(job.is_null());
    start({cfg});
    const JobRecord done = events_.wait_final(job);
    EXPECT_EQ(done.state, JobState::Failed);
    EXPECT_EQ(done.error, win32::OperationAborted);
    EXPECT_THAT(done.error_message, HasSubstr("S00002L8 is at element 1008"));
    expect_in_slot("S00002L8", 1008);
    EXPECT_FALSE(device().element(1001)->full);
    auto snap = manager_->library(lib_id(), Caller::root());
    ASSERT_TRUE(snap);
    EXPECT_EQ(snap->free_slots, 8u);
}

} // namespace
