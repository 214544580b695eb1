// CleanNtmsDrive scenarios on the virtual changer: each asserts the job's outcome, where the
// cleaning cartridge is (database and device), its history and the cleanings it has left.
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

constexpr uint32_t dismount_deferred = 0x01;

class Clean : public InjectFixture {
protected:
    // A library with data cartridges S00001L8.. in the first slots, and the cleaners named
    // placed in slots 1005.. before ntmsd first reads it.
    LibraryConfig cleaning_library(const std::string& options,
                                   const std::vector<std::string>& cleaners,
                                   uint32_t max_cleanings = 50, uint32_t cleaning_time_sec = 0) {
        const std::string spec = sim(options);
        auto vc = sgio::VirtualChanger::open(*sgio::VirtualChangerConfig::parse(spec));
        EXPECT_TRUE(vc);
        for (size_t i = 0; i < cleaners.size(); ++i)
            EXPECT_TRUE((*vc)->place(static_cast<uint16_t>(1005 + i), cleaners[i]));
        LibraryConfig c = library(spec);
        c.max_cleanings = max_cleanings;
        c.cleaning_time_sec = cleaning_time_sec;
        return c;
    }
    // A library of one drive whose sim options add `options`, with CleaningTimeSec= `seconds`:
    // how long the cleaner stayed in the drive for a cleaning job that passed.
    std::chrono::steady_clock::duration cleaning_time(const std::string& options,
                                                      uint32_t seconds) {
        start({cleaning_library("slots=10,ie=1,drives=1,fill=1" +
                                    (options.empty() ? "" : "," + options),
                                {"CLN001L1"}, 50, seconds)});
        auto job = clean(2);
        EXPECT_TRUE(job) << job.error().message;
        if (!job)
            return {};
        events_.wait_job(*job, [](const JobRecord& j) { return j.media_moved == 1; });
        const auto loaded = std::chrono::steady_clock::now();
        const JobRecord done = events_.wait_final(*job);
        const auto took = std::chrono::steady_clock::now() - loaded;
        EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
        expect_in_slot("CLN001L1", 1005);
        return took;
    }
    Expected<Guid> clean(uint16_t drive) {
        return manager_->clean(drive_id(lib_id(), drive).str(), {}, Caller::root());
    }
    JobRecord final_of(const Expected<Guid>& job) {
        EXPECT_TRUE(job) << job.error().message;
        if (!job)
            return {};
        return events_.wait_final(*job);
    }
    std::map<std::string, uint32_t> left() {
        auto l = manager_->cleanings_left(lib_id(), Caller::root());
        EXPECT_TRUE(l) << l.error().message;
        std::map<std::string, uint32_t> out;
        if (l)
            for (const auto& [id, n] : *l)
                out[medium_barcode(id)] = n;
        return out;
    }
    std::string medium_barcode(const Guid& id) {
        auto m = open_store()->get_medium(id);
        return m && *m ? (*m)->barcode : std::string("?");
    }
};

TEST_F(Clean, ACleanerGoesIntoTheDriveAndBackAndItsUsesSurviveARestart) {
    const LibraryConfig cfg =
        cleaning_library("slots=10,ie=1,drives=2,fill=2", {"CLN001L1", "CLN002L1"}, 2);
    start({cfg});
    EXPECT_EQ(left(), (std::map<std::string, uint32_t>{{"CLN001L1", 2}, {"CLN002L1", 2}}));

    const JobRecord first = final_of(clean(2));
    EXPECT_EQ(first.state, JobState::Passed) << first.error_message;
    EXPECT_EQ(first.operation, OperationKind::CleanDrive);
    EXPECT_EQ(first.media_moved, 2u);
    expect_in_slot("CLN001L1", 1005);
    EXPECT_FALSE(device().element(2)->full);
    EXPECT_THAT(reasons("CLN001L1"), ElementsAre("inventory", "cleandrive", "cleaned"));
    EXPECT_EQ(left(), (std::map<std::string, uint32_t>{{"CLN001L1", 1}, {"CLN002L1", 2}}));

    // The most used cleaner first: CLN001L1 again, which is then spent.
    EXPECT_EQ(final_of(clean(3)).state, JobState::Passed);
    EXPECT_EQ(left(), (std::map<std::string, uint32_t>{{"CLN001L1", 0}, {"CLN002L1", 2}}));

    manager_.reset();
    start({cfg});
    EXPECT_EQ(left(), (std::map<std::string, uint32_t>{{"CLN001L1", 0}, {"CLN002L1", 2}}));
    EXPECT_EQ(final_of(clean(2)).state, JobState::Passed);
    EXPECT_EQ(left(), (std::map<std::string, uint32_t>{{"CLN001L1", 0}, {"CLN002L1", 1}}));
    EXPECT_THAT(reasons("CLN002L1"), ElementsAre("inventory", "cleandrive", "cleaned"));
    expect_in_slot("CLN002L1", 1006);
}

TEST_F(Clean, TheCleanerStaysInTheDriveForTheCleaningTimeAndAStopTakesItBack) {
    start({cleaning_library("slots=10,ie=1,drives=1,fill=1", {"CLN001L1"}, 50, 600)});
    auto job = clean(2);
    ASSERT_TRUE(job) << job.error().message;
    events_.wait_job(*job, [](const JobRecord& j) { return j.media_moved == 1; });
    EXPECT_EQ(device().element(2)->primary_tag, "CLN001L1");
    EXPECT_EQ(medium("CLN001L1").element, std::optional<uint16_t>(2));
    auto snap = manager_->library(lib_id(), Caller::root());
    ASSERT_TRUE(snap);
    ASSERT_EQ(snap->drive_list.size(), 1u);
    EXPECT_TRUE(snap->drive_list[0].full);
    EXPECT_EQ(snap->drive_list[0].barcode, "CLN001L1");
    ASSERT_TRUE(manager_->cancel_job(*job, Caller::root()));
    const JobRecord done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Stopped);
    expect_in_slot("CLN001L1", 1005);
    EXPECT_FALSE(device().element(2)->full);
    EXPECT_EQ(left(), (std::map<std::string, uint32_t>{{"CLN001L1", 49}}));
}

TEST_F(Clean, TheJobEndsWhenTheDriveReportsTheCleaningDone) {
    // The drive cleans for 400 ms (ACCESS 0, then 1); CleaningTimeSec= is 600 s. A job that
    // waited the whole time would not end within the wait for it.
    EXPECT_GE(cleaning_time("clean-ms=400", 600), std::chrono::milliseconds(300))
        << "the cleaner was taken back while the drive still held it";
    EXPECT_EQ(left(), (std::map<std::string, uint32_t>{{"CLN001L1", 49}}));
}

TEST_F(Clean, ADriveThatNeverReportsIsGivenTheWholeCleaningTime) {
    // No clean-ms: the drive reports ACCESS 1 all along, as tgt's do.
    EXPECT_GE(cleaning_time("", 1), std::chrono::milliseconds(900));
}

TEST_F(Clean, ACleanerIsNeverMountedForData) {
    start({cleaning_library("slots=10,ie=1,drives=1,fill=1", {"CLN001L1"})});
    const MediumRecord before = medium("CLN001L1");
    auto job = manager_->mount({before.id.str()}, {}, 0, 0, {}, Caller::root());
    ASSERT_FALSE(job);
    EXPECT_EQ(job.error().code, win32::MediaIncompatible);
    EXPECT_THAT(job.error().message, HasSubstr("cleaning cartridge"));
    EXPECT_TRUE(manager_->jobs()->empty());
    EXPECT_THAT(reasons("CLN001L1"), ElementsAre("inventory"));
    expect_in_slot("CLN001L1", 1005);
    EXPECT_FALSE(device().element(2)->full);
}

TEST_F(Clean, ADriveInUseOrLoadedIsNotCleanedAndBadDrivesAreRefused) {
    start({cleaning_library("slots=10,ie=1,drives=1,fill=1", {"CLN001L1"})});
    const Guid data = medium("S00001L8").id;
    const JobRecord mounted = final_of(manager_->mount({data.str()}, {}, 0, 0, {}, Caller::root()));
    ASSERT_EQ(mounted.state, JobState::Passed) << mounted.error_message;

    auto busy = clean(2);
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().code, win32::Busy);
    EXPECT_THAT(busy.error().message, HasSubstr("in use"));

    MountOptions o;
    const JobRecord released =
        final_of(manager_->dismount({data.str()}, dismount_deferred, o, Caller::root()));
    ASSERT_EQ(released.state, JobState::Passed);
    auto loaded = clean(2);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, win32::InvalidState);
    EXPECT_THAT(loaded.error().message, HasSubstr("holds S00001L8"));

    auto not_guid = manager_->clean("drive0", {}, Caller::root());
    ASSERT_FALSE(not_guid);
    EXPECT_EQ(not_guid.error().code, win32::InvalidDrive);
    auto unknown = manager_->clean(drive_id(lib_id(), 77).str(), {}, Caller::root());
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, win32::InvalidDrive);
    MountOptions with_element;
    with_element.element = 1001;
    auto bad_option = manager_->clean(drive_id(lib_id(), 2).str(), with_element, Caller::root());
    ASSERT_FALSE(bad_option);
    EXPECT_EQ(bad_option.error().code, win32::InvalidParameter);
    EXPECT_THAT(reasons("CLN001L1"), ElementsAre("inventory"));
    EXPECT_EQ(left(), (std::map<std::string, uint32_t>{{"CLN001L1", 50}}));
}

TEST_F(Clean, WithoutACleanerLeftTheJobFailsAndSaysWhy) {
    start({cleaning_library("slots=10,ie=1,drives=1,fill=1", {})});
    const JobRecord none = final_of(clean(2));
    EXPECT_EQ(none.state, JobState::Failed);
    EXPECT_EQ(none.error, win32::ResourceNotPresent);
    EXPECT_THAT(none.error_message, HasSubstr("no cleaning cartridge (bar code CLN...)"));
    EXPECT_EQ(none.media_moved, 0u);
    EXPECT_FALSE(device().element(2)->full);
}

TEST_F(Clean, ASpentCleanerIsNeverPicked) {
    start({cleaning_library("slots=10,ie=1,drives=1,fill=1", {"CLN001L1"}, 1)});
    EXPECT_EQ(final_of(clean(2)).state, JobState::Passed);
    const JobRecord spent = final_of(clean(2));
    EXPECT_EQ(spent.state, JobState::Failed);
    EXPECT_EQ(spent.error, win32::CleanerCartridgeSpent);
    EXPECT_THAT(spent.error_message,
                HasSubstr("the cleaning cartridge of library lab1 is spent (MaxCleanings=1)"));
    EXPECT_EQ(spent.media_moved, 0u);
    EXPECT_THAT(reasons("CLN001L1"), ElementsAre("inventory", "cleandrive", "cleaned"));
    expect_in_slot("CLN001L1", 1005);
    EXPECT_EQ(left(), (std::map<std::string, uint32_t>{{"CLN001L1", 0}}));
}

// ntmsd killed once the cleaner is in the drive: at start-up the move is recorded (one use), the
// interrupted job fails and the cleaner goes back to its slot.
TEST_F(Clean, AKillWhileTheCleanerIsInTheDriveBringsItHomeAtRestart) {
    const LibraryConfig cfg =
        cleaning_library("slots=10,ie=1,drives=1,fill=1,move-ms=300", {"CLN001L1"}, 50, 600);
    const Guid job = run_killed_child(
        db_path_, cfg, after_first_move(),
        [](Domain& d) {
            return d.clean(drive_id(*d.find_library("lab1"), 2).str(), {}, Caller::root());
        },
        [](Domain&, Recorder& rec, const Guid& started) { rec.wait_final(started); });
    ASSERT_FALSE(job.is_null());
    {
        auto vc = sgio::VirtualChanger::open(*sgio::VirtualChangerConfig::parse(cfg.device));
        ASSERT_TRUE(vc);
        ASSERT_EQ((*vc)->element(2)->primary_tag, "CLN001L1") << "the cleaner was in the drive";
    }
    start({cfg});
    const JobRecord done = events_.wait_final(job);
    EXPECT_EQ(done.state, JobState::Failed);
    EXPECT_EQ(done.error, win32::OperationAborted);
    EXPECT_THAT(done.error_message, HasSubstr("CLN001L1 was in drive element 2 and is back in "
                                              "slot 1005"));
    expect_in_slot("CLN001L1", 1005);
    EXPECT_FALSE(device().element(2)->full);
    EXPECT_THAT(reasons("CLN001L1"), ElementsAre("inventory", "cleandrive", "cleaned"));
    EXPECT_EQ(left(), (std::map<std::string, uint32_t>{{"CLN001L1", 49}}));
    // The drive is free again.
    auto snap = manager_->library(lib_id(), Caller::root());
    ASSERT_TRUE(snap);
    ASSERT_EQ(snap->drive_list.size(), 1u);
    EXPECT_FALSE(snap->drive_list[0].full);
}

} // namespace
