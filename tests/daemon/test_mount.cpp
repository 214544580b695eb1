// MountNtmsMedia and DismountNtmsMedia scenarios on the virtual changer: each asserts the job's
// outcome, the database rows (the medium's place and history), the catalogue's drives and the
// device's element status.
#include "common/ntms_guid.h"
#include "crash_child.hpp"
#include "daemon/library/drives.hpp"

#include <gmock/gmock.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ntms;
using namespace ntms::test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

constexpr uint32_t mount_error_not_available = 0x04;
constexpr uint32_t dismount_deferred = 0x01;

class Mount : public InjectFixture {
protected:
    Expected<Guid> mount(const std::vector<std::string>& barcodes,
                         const std::vector<uint16_t>& drives = {}, uint32_t flags = 0,
                         std::optional<uint32_t> timeout = std::nullopt) {
        std::vector<std::string> ids, drive_ids;
        for (const auto& b : barcodes)
            ids.push_back(medium(b).id.str());
        for (auto d : drives)
            drive_ids.push_back(drive_id(lib_id(), d).str());
        MountOptions o;
        o.timeout_sec = timeout;
        return manager_->mount(ids, drive_ids, flags, 0, o, Caller::root());
    }
    Expected<Guid> dismount(const std::string& barcode, std::optional<uint16_t> element = {},
                            uint32_t flags = 0) {
        MountOptions o;
        o.element = element;
        return manager_->dismount({medium(barcode).id.str()}, flags, o, Caller::root());
    }
    JobRecord passed(const Expected<Guid>& job) {
        EXPECT_TRUE(job) << job.error().message;
        if (!job)
            return {};
        auto done = events_.wait_final(*job);
        EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
        return done;
    }
    std::vector<std::string> reasons(const Guid& m) {
        std::vector<std::string> out;
        auto h = open_store()->history(m);
        EXPECT_TRUE(h);
        if (h)
            for (const auto& row : *h)
                out.push_back(row.reason);
        return out;
    }
    DriveState drive(uint16_t element) {
        auto snap = manager_->library(lib_id(), Caller::root());
        EXPECT_TRUE(snap);
        if (!snap)
            return {};
        const LibrarySnapshot s = std::move(snap).value();
        for (const auto& d : s.drive_list)
            if (d.element == element)
                return d;
        ADD_FAILURE() << "no drive " << element;
        return {};
    }
    // An inject of `barcode`, put into the port by the operator once the job waits for it.
    JobState inject_through_port(const std::string& barcode) {
        auto in = inject("lab1", InjectAction::Start);
        EXPECT_TRUE(in) << in.error().message;
        if (!in)
            return JobState::Invalid;
        events_.wait_state(*in, JobState::Waiting);
        EXPECT_TRUE(device().operator_insert(100, barcode));
        return events_.wait_final(*in).state;
    }
    void expect_mounted(const std::string& barcode, uint16_t element) {
        EXPECT_EQ(device().element(element)->primary_tag, barcode);
        const MediumRecord m = medium(barcode);
        EXPECT_EQ(m.element, std::optional<uint16_t>(element));
        EXPECT_EQ(m.state, MediumState::InLibrary);
        const DriveState d = drive(element);
        EXPECT_TRUE(d.full);
        EXPECT_TRUE(d.in_use);
        EXPECT_EQ(d.medium, m.id);
        EXPECT_TRUE(open_store()->pending_intents(lib_id())->empty());
    }
};

TEST_F(Mount, AnyFreeDriveTakesTheCartridgeAndTheJobNamesIt) {
    start({library(sim("slots=10,ie=1,drives=2,fill=3"))});
    auto job = mount({"S00002L8"});
    const JobRecord done = passed(job);
    EXPECT_EQ(done.operation, OperationKind::Mount);
    EXPECT_EQ(done.media_moved, 1u);
    expect_mounted("S00002L8", 2);
    EXPECT_FALSE(device().element(1001)->full);
    EXPECT_THAT(reasons(medium("S00002L8").id),
                ElementsAre("inventory", "mount-requested", "mount"));
    // Job.Drives: as the job kept it while it ran, and as read back from its history.
    EXPECT_THAT(Manager::job_drives(done), ElementsAre(drive_id(lib_id(), 2)));
    auto stored = manager_->job(*job);
    ASSERT_TRUE(stored) << stored.error().message;
    EXPECT_THAT(Manager::job_drives(*stored), ElementsAre(drive_id(lib_id(), 2)));
    EXPECT_EQ(manager_->library(lib_id(), Caller::root())->free_slots, 8u);
}

TEST_F(Mount, TheNamedDriveAndTwoMountsForTwoDrives) {
    start({library(sim("slots=10,ie=1,drives=2,fill=3"))});
    auto a = mount({"S00001L8"}, {3});
    auto b = mount({"S00002L8"});
    passed(a);
    passed(b);
    expect_mounted("S00001L8", 3);
    expect_mounted("S00002L8", 2);
    // The store's lookup by drive finds what its reading of the whole library finds.
    auto all = open_store()->mounted_media(lib_id());
    auto by_drive = open_store()->mounted_media(lib_id(), {2, 3});
    ASSERT_TRUE(all && by_drive);
    ASSERT_EQ(all->size(), 2u);
    ASSERT_EQ(by_drive->size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ((*by_drive)[i].medium, (*all)[i].medium);
        EXPECT_EQ((*by_drive)[i].drive, (*all)[i].drive);
        EXPECT_EQ((*by_drive)[i].home, (*all)[i].home);
        EXPECT_EQ((*by_drive)[i].job, (*all)[i].job);
        EXPECT_EQ((*by_drive)[i].released, (*all)[i].released);
    }
    EXPECT_TRUE(open_store()->mounted_media(lib_id(), {3}).value().size() == 1);
    // Both drives held: the next mount that may not wait is refused at once.
    auto c = mount({"S00003L8"}, {}, mount_error_not_available);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, win32::Busy) << c.error().message;
    // A medium already mounted cannot be mounted again.
    auto again = mount({"S00001L8"});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, win32::Busy);
}

TEST_F(Mount, SeveralMediaInOneJob) {
    start({library(sim("slots=10,ie=1,drives=2,fill=3"))});
    auto job = mount({"S00003L8", "S00001L8"});
    const JobRecord done = passed(job);
    EXPECT_EQ(done.media_moved, 2u);
    expect_mounted("S00003L8", 2);
    expect_mounted("S00001L8", 3);
    // In the order of the call, kept and stored alike.
    EXPECT_THAT(Manager::job_drives(done),
                ElementsAre(drive_id(lib_id(), 2), drive_id(lib_id(), 3)));
    EXPECT_THAT(Manager::job_drives(*manager_->job(*job)),
                ElementsAre(drive_id(lib_id(), 2), drive_id(lib_id(), 3)));
}

TEST_F(Mount, ASidesGuidNamesItsMediumAsRsmsMountTakesIt) {
    start({library(sim("slots=10,ie=1,drives=2,fill=3"))});
    auto side_of = [&](const std::string& barcode) {
        Guid side;
        ntms_guid_side(medium(barcode).id.bytes.data(), 0, side.bytes.data());
        return side.str();
    };
    auto job = manager_->mount({side_of("S00002L8")}, {}, 0, 0, {}, Caller::root());
    EXPECT_EQ(passed(job).media_moved, 1u);
    expect_mounted("S00002L8", 2);
    // A medium and its own side name one cartridge: refused.
    auto twice = manager_->mount({medium("S00001L8").id.str(), side_of("S00001L8")}, {}, 0, 0, {},
                                 Caller::root());
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().code, win32::InvalidParameter);
    EXPECT_THAT(twice.error().message, HasSubstr("S00001L8 is named twice"));
    // A GUID that is neither is still no medium.
    auto none = manager_->mount({Guid::random().str()}, {}, 0, 0, {}, Caller::root());
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, win32::ObjectNotFound);
    passed(manager_->dismount({side_of("S00002L8")}, 0, {}, Caller::root()));
    expect_in_slot("S00002L8", 1001);
}

TEST_F(Mount, AMountThatFailsPartWayHoldsNoDrive) {
    start({library(sim("slots=10,ie=1,drives=2,fill=3"))});
    // The first move into a drive is carried out, the second refused.
    sgio::Fault f;
    f.opcode = 0xA5;
    f.after = 1;
    f.key = 0x05;
    f.asc = 0x3B;
    f.ascq = 0x0D; // medium destination element full
    device().inject_fault(f);
    auto job = mount({"S00001L8", "S00002L8"});
    ASSERT_TRUE(job) << job.error().message;
    const JobRecord done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Failed);
    EXPECT_THAT(done.error_message, HasSubstr("S00001L8 went back to slot 1000"));
    expect_in_slot("S00001L8", 1000);
    expect_in_slot("S00002L8", 1001);
    EXPECT_FALSE(drive(2).full);
    EXPECT_FALSE(drive(3).full);
    EXPECT_THAT(reasons(medium("S00001L8").id),
                ElementsAre("inventory", "mount-requested", "mount", "dismount"));
    // Both drives are free for the next mount.
    auto next = mount({"S00003L8", "S00001L8"}, {}, mount_error_not_available);
    passed(next);
    expect_mounted("S00003L8", 2);
    expect_mounted("S00001L8", 3);
}

TEST_F(Mount, AMountQueuedBehindAnInjectRunsAfterIt) {
    start({library(sim("slots=10,ie=1,drives=1,fill=2"))});
    auto in = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(in) << in.error().message;
    events_.wait_state(*in, JobState::Waiting);
    auto m = mount({"S00001L8"});
    ASSERT_TRUE(m) << m.error().message;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(open_store()->get_job(*in).value()->state, JobState::Waiting)
        << "the inject still waits";
    EXPECT_EQ(open_store()->get_job(*m).value()->state, JobState::Queued);
    EXPECT_FALSE(device().element(2)->full);
    ASSERT_TRUE(device().operator_insert(100, "NEW001L8"));
    EXPECT_EQ(events_.wait_final(*in).state, JobState::Passed);
    passed(m);
    expect_mounted("S00001L8", 2);
}

TEST_F(Mount, AnInjectLeavesAMountedCartridgesSlotForItsReturn) {
    start({library(sim("slots=4,ie=1,drives=1,fill=3"))});
    passed(mount({"S00001L8"}));
    expect_mounted("S00001L8", 2);
    // Slots 1000 (S00001L8's home) and 1003 are free: the inject takes 1003.
    EXPECT_EQ(inject_through_port("NEW001L8"), JobState::Passed);
    expect_in_slot("NEW001L8", 1003);
    passed(dismount("S00001L8"));
    expect_in_slot("S00001L8", 1000);
    // With its home the only free slot, an inject takes it: a cartridge needs a place.
    passed(mount({"S00002L8"}));
    EXPECT_EQ(inject_through_port("NEW002L8"), JobState::Passed);
    expect_in_slot("NEW002L8", 1001);
}

TEST_F(Mount, WithoutAFreeDriveItFailsAtOnceTimesOutOrWaitsForTheDismount) {
    start({library(sim("slots=10,ie=1,drives=1,fill=3"))});
    passed(mount({"S00001L8"}));
    // NTMS_MOUNT_ERROR_NOT_AVAILABLE: refused, nothing queued.
    auto busy = mount({"S00002L8"}, {}, mount_error_not_available);
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().code, win32::Busy);
    // A time-out of 1 s: it waits, off the robot, then fails.
    auto late = mount({"S00002L8"}, {}, 0, 1);
    ASSERT_TRUE(late) << late.error().message;
    events_.wait_state(*late, JobState::Waiting);
    const JobRecord timed_out = events_.wait_final(*late);
    EXPECT_EQ(timed_out.state, JobState::Failed);
    EXPECT_EQ(timed_out.error, win32::Timeout);
    EXPECT_THAT(timed_out.error_message, HasSubstr("no free drive"));
    // No time-out: it waits, and another job (the dismount) runs meanwhile and frees the drive.
    auto waits = mount({"S00002L8"});
    ASSERT_TRUE(waits);
    events_.wait_state(*waits, JobState::Waiting);
    passed(dismount("S00001L8"));
    passed(waits);
    expect_mounted("S00002L8", 2);
    expect_in_slot("S00001L8", 1000);
}

// ntmsd stops while a mount waits for a drive: the mount has done nothing, so it waits again
// after the start, as a queued job runs again, and its time-out still counts from its call.
TEST_F(Mount, AMountWaitingForADriveWaitsAgainAfterARestart) {
    const LibraryConfig lab = library(sim("slots=10,ie=1,drives=1,fill=3"));
    start({lab});
    passed(mount({"S00001L8"}));
    auto waits = mount({"S00002L8"});
    auto late = mount({"S00003L8"}, {}, 0, 2);
    ASSERT_TRUE(waits && late);
    events_.wait_state(*waits, JobState::Waiting);
    events_.wait_state(*late, JobState::Waiting);
    manager_.reset();
    start({lab});
    EXPECT_EQ(open_store()->get_job(*waits).value()->state, JobState::Waiting);
    const JobRecord timed_out = events_.wait_final(*late);
    EXPECT_EQ(timed_out.state, JobState::Failed);
    EXPECT_EQ(timed_out.error, win32::Timeout) << timed_out.error_message;
    passed(dismount("S00001L8"));
    passed(waits);
    // Tried at the start and after each job that ended, it said WAITING once, until the drive
    // was free (a state announced again, as a mount announces its drive, is one state).
    std::vector<JobState> states = events_.history(*waits);
    states.erase(std::unique(states.begin(), states.end()), states.end());
    EXPECT_THAT(states, ElementsAre(JobState::Queued, JobState::InProcess, JobState::Waiting,
                                    JobState::InProcess, JobState::Passed));
    expect_mounted("S00002L8", 2);
    expect_in_slot("S00001L8", 1000);
    expect_in_slot("S00003L8", 1002);
}

TEST_F(Mount, CancelOfAWaitingMountEndsIt) {
    start({library(sim("slots=10,ie=1,drives=1,fill=3"))});
    passed(mount({"S00001L8"}));
    auto waits = mount({"S00002L8"});
    ASSERT_TRUE(waits);
    events_.wait_state(*waits, JobState::Waiting);
    ASSERT_TRUE(manager_->cancel_job(*waits, Caller::root()));
    EXPECT_EQ(events_.wait_final(*waits).state, JobState::Cancelled);
    expect_in_slot("S00002L8", 1001);
}

TEST_F(Mount, DismountGoesHomeToTheElementAskedForOrToAFreeSlot) {
    start({library(sim("slots=10,ie=1,drives=2,fill=3,unload-ms=300"))});
    passed(mount({"S00002L8"}));
    const JobRecord home = passed(dismount("S00002L8"));
    EXPECT_EQ(home.operation, OperationKind::Dismount);
    EXPECT_EQ(home.media_moved, 1u);
    EXPECT_GE(home.time_completed - home.time_started, 300'000) << "the drive unloads first";
    expect_in_slot("S00002L8", 1001);
    EXPECT_FALSE(drive(2).full);
    EXPECT_THAT(reasons(medium("S00002L8").id), ElementsAre("inventory", "mount-requested", "mount",
                                                            "dismount-requested", "dismount"));

    passed(mount({"S00002L8"}));
    passed(dismount("S00002L8", 1007));
    expect_in_slot("S00002L8", 1007);
    EXPECT_FALSE(device().element(1001)->full);

    // Its home taken meanwhile (a move asked for it; an inject passes over it): any free slot.
    passed(mount({"S00001L8"}));
    passed(manager_->move(medium("S00003L8").id.str(), 1000, {}, Caller::root()));
    ASSERT_EQ(device().element(1000)->primary_tag, "S00003L8");
    passed(dismount("S00001L8"));
    const MediumRecord m = medium("S00001L8");
    ASSERT_TRUE(m.element);
    EXPECT_NE(*m.element, 1000);
    EXPECT_EQ(device().element(*m.element)->primary_tag, "S00001L8");
}

TEST_F(Mount, ADeferredDismountReleasesTheDriveForTheNextMount) {
    start({library(sim("slots=10,ie=1,drives=1,fill=3"))});
    passed(mount({"S00001L8"}));
    passed(dismount("S00001L8", std::nullopt, dismount_deferred));
    EXPECT_EQ(device().element(2)->primary_tag, "S00001L8") << "it stays in the drive";
    EXPECT_TRUE(drive(2).full);
    EXPECT_FALSE(drive(2).in_use);
    // The next mount takes it home first.
    passed(mount({"S00002L8"}));
    expect_mounted("S00002L8", 2);
    expect_in_slot("S00001L8", 1000);
}

TEST_F(Mount, BadCallsAreRefusedAndChangeNothing) {
    start({library(sim("slots=10,ie=1,drives=1,fill=2"))});
    const std::string a = medium("S00001L8").id.str();
    auto refused = [&](Expected<Guid> r, uint32_t code) {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, code) << r.error().message;
    };
    refused(manager_->mount({}, {}, 0, 0, {}, Caller::root()), win32::InvalidParameter);
    refused(manager_->mount({"nonsense"}, {}, 0, 0, {}, Caller::root()), win32::InvalidParameter);
    refused(manager_->mount({a, a}, {}, 0, 0, {}, Caller::root()), win32::InvalidParameter);
    refused(manager_->mount({a}, {}, 0x100, 0, {}, Caller::root()), win32::InvalidParameter);
    refused(manager_->mount({a}, {}, 0, 16, {}, Caller::root()), win32::InvalidParameter);
    refused(manager_->mount({a}, {}, 0x10, 0, {}, Caller::root()), win32::InvalidParameter);
    refused(manager_->mount({a}, {"nonsense"}, 0, 0, {}, Caller::root()), win32::InvalidDrive);
    refused(manager_->mount({a}, {Guid::random().str()}, 0, 0, {}, Caller::root()),
            win32::InvalidDrive);
    refused(manager_->mount({Guid::random().str()}, {}, 0, 0, {}, Caller::root()),
            win32::ObjectNotFound);
    Caller nobody{1234, 1234, {}, "uid 1234", {}};
    refused(manager_->mount({a}, {}, 0, 0, {}, nobody), win32::AccessDenied);
    // Not in a drive; a slot that is no slot; a full slot.
    refused(dismount("S00001L8"), win32::InvalidState);
    passed(mount({"S00001L8"}));
    refused(dismount("S00001L8", 100), win32::InvalidParameter);
    refused(dismount("S00001L8", 1001), win32::InvalidState);
    refused(dismount("S00001L8", std::nullopt, 3), win32::InvalidParameter);
    expect_mounted("S00001L8", 2);
    EXPECT_EQ(open_store()->list_jobs()->size(), 1u) << "only the mount";
}

TEST_F(Mount, AMountedMediumIsEjectedOnlyWithForce) {
    start({library(sim("slots=10,ie=1,drives=1,fill=2"))});
    passed(mount({"S00001L8"}));
    const Guid m = medium("S00001L8").id;
    auto start_eject = manager_->eject(m.str(), 0, {}, {}, Caller::root());
    ASSERT_FALSE(start_eject);
    EXPECT_EQ(start_eject.error().code, win32::UnableToEjectMountedMedia);
    auto queue = manager_->eject(m.str(), 2, {}, {}, Caller::root());
    ASSERT_FALSE(queue);
    EXPECT_EQ(queue.error().code, win32::UnableToEjectMountedMedia);
    expect_mounted("S00001L8", 2);

    auto force = manager_->eject(m.str(), 3, {}, {}, Caller::root());
    ASSERT_TRUE(force) << force.error().message;
    events_.wait_state(*force, JobState::Waiting);
    EXPECT_EQ(device().element(100)->primary_tag, "S00001L8");
    EXPECT_FALSE(device().element(2)->full);
    EXPECT_FALSE(drive(2).full);
    ASSERT_TRUE(device().operator_remove(100));
    EXPECT_EQ(events_.wait_final(*force).state, JobState::Passed);
    EXPECT_EQ(medium("S00001L8").state, MediumState::Gone);
}

// ntmsd killed at the move into the drive: the intent is resolved at start-up (the cartridge
// is in the drive), the interrupted job fails and the cartridge goes back to its slot.
TEST_F(Mount, AKillAtTheMoveIntoTheDriveLeavesTheCatalogueRight) {
    const std::string spec = sim("slots=10,ie=1,drives=1,fill=2,move-ms=300");
    const Guid job = run_killed_child(
        db_path_, library(spec), after_first_move(),
        [](Domain& d) -> Expected<Guid> {
            auto media = d.media(*d.find_library("lab1"), Caller::root());
            if (!media || media->empty())
                return Status{win32::ObjectNotFound, "no medium to mount"};
            return d.mount({media->front().id.str()}, {}, 0, 0, {}, Caller::root());
        },
        [](Domain&, Recorder& rec, const Guid& started) { rec.wait_final(started); });
    ASSERT_FALSE(job.is_null());
    {
        auto vc = sgio::VirtualChanger::open(*sgio::VirtualChangerConfig::parse(spec));
        ASSERT_TRUE(vc);
        ASSERT_TRUE((*vc)->element(2)->full) << "the cartridge was in the drive at the kill";
        auto db = open_store();
        auto libs = db->list_libraries();
        ASSERT_TRUE(libs && libs->size() == 1);
        EXPECT_EQ(db->pending_intents(libs->front().id)->size(), 1u) << "the intent was recorded";
    }
    start({library(spec)});
    const JobRecord done = events_.wait_final(job);
    EXPECT_EQ(done.state, JobState::Failed);
    EXPECT_EQ(done.error, win32::OperationAborted);
    EXPECT_THAT(done.error_message, HasSubstr("back in slot 1000"));
    expect_in_slot("S00001L8", 1000);
    EXPECT_FALSE(device().element(2)->full);
    EXPECT_FALSE(drive(2).full);
    EXPECT_TRUE(open_store()->pending_intents(lib_id())->empty());
    EXPECT_THAT(reasons(medium("S00001L8").id),
                ElementsAre("inventory", "mount-requested", "mount", "dismount"));
}

} // namespace
