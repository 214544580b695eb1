// A drive's home slot and the unload of its tape before the robot takes the cartridge out, on the
// virtual changer: the home is the slot each mount took its cartridge from (whatever the order of
// the mounts, and after a restart), else the changer's source address; a changer that refuses to
// take a cartridge out of a drive that still holds its tape fails the dismount with a message that
// says so and changes nothing; a known tape device of the drive is asked to unload first.
#include "daemon/library/drives.hpp"
#include "daemon/library/tape_unload.hpp"
#include "inject_fixture.hpp"
#include "sgio/changer.hpp"

#include <fstream>
#include <gmock/gmock.h>

using namespace ntms;
using namespace ntms::test;
using ::testing::HasSubstr;

namespace {

class DriveHome : public InjectFixture {
protected:
    JobRecord finish(const Expected<Guid>& job) {
        EXPECT_TRUE(job) << job.error().message;
        return job ? events_.wait_final(*job) : JobRecord{};
    }
    JobRecord mount(const std::string& barcode, uint16_t drive) {
        return finish(manager_->mount({medium(barcode).id.str()}, {drive_id(lib_id(), drive).str()},
                                      0x10, 0, MountOptions{}, Caller::root()));
    }
    JobRecord dismount(const std::string& barcode) {
        return finish(
            manager_->dismount({medium(barcode).id.str()}, 0, MountOptions{}, Caller::root()));
    }
    DriveState drive(uint16_t element) {
        auto snap = manager_->library(lib_id(), Caller::root());
        EXPECT_TRUE(snap);
        if (snap)
            for (const auto& d : snap->drive_list)
                if (d.element == element)
                    return d;
        ADD_FAILURE() << "no drive " << element;
        return {};
    }
    // The changer refuses the next MOVE MEDIUM as a drive that has not unloaded its tape does.
    void refuse_next_move(uint8_t asc, uint8_t ascq) {
        sgio::Fault f;
        f.opcode = 0xA5; // MOVE MEDIUM
        f.count = 1;
        f.key = 0x05; // ILLEGAL REQUEST
        f.asc = asc;
        f.ascq = ascq;
        device().inject_fault(f);
    }
};

TEST_F(DriveHome, EachDriveKnowsTheSlotItsMountTookTheCartridgeFrom) {
    const std::string spec = sim("slots=10,ie=1,drives=2,fill=4");
    start({library(spec)});
    // Descending order: the second drive is loaded from the lower slot.
    ASSERT_EQ(mount("S00004L8", 2).state, JobState::Passed);
    ASSERT_EQ(mount("S00002L8", 3).state, JobState::Passed);
    EXPECT_EQ(drive(2).home, 1003);
    EXPECT_EQ(drive(3).home, 1001);

    // After a restart the mount's record decides, not the changer's source address: the changer
    // forgets it here (a power cycle of a real library does the same).
    manager_.reset();
    {
        auto cfg = sgio::VirtualChangerConfig::parse(spec);
        ASSERT_TRUE(cfg);
        auto vc = sgio::VirtualChanger::open(*cfg);
        ASSERT_TRUE(vc);
        sgio::Changer ch(**vc);
        // Out to a spare slot and back: the drive's source address is now that slot.
        ASSERT_TRUE(ch.move(2, 1009));
        ASSERT_TRUE(ch.move(1009, 2));
        EXPECT_EQ((*vc)->element(2)->source, 1009);
    }
    start({library(spec)});
    EXPECT_EQ(drive(2).home, 1003) << "the history, not the changer's word";
    EXPECT_EQ(drive(3).home, 1001);

    ASSERT_EQ(dismount("S00004L8").state, JobState::Passed);
    EXPECT_EQ(medium("S00004L8").element, std::optional<uint16_t>(1003)) << "back home";
    EXPECT_EQ(drive(2).home, 0) << "an empty drive has no home";
}

TEST_F(DriveHome, ACartridgeNoMountPutThereHasTheChangersSourceAsHome) {
    const std::string spec = sim("slots=10,ie=1,drives=2,fill=4");
    {
        auto cfg = sgio::VirtualChangerConfig::parse(spec);
        ASSERT_TRUE(cfg);
        auto vc = sgio::VirtualChanger::open(*cfg);
        ASSERT_TRUE(vc);
        sgio::Changer ch(**vc);
        ASSERT_TRUE(ch.move(1002, 3));
    }
    start({library(spec)});
    EXPECT_TRUE(drive(3).full);
    EXPECT_FALSE(drive(3).in_use);
    EXPECT_EQ(drive(3).home, 1002);
    EXPECT_EQ(drive(2).home, 0);
}

TEST_F(DriveHome, SourceEmptyFromAFullDriveIsAlsoTheTapeStillLoaded) {
    start({library(sim("slots=10,ie=1,drives=1,fill=3"))});
    ASSERT_EQ(mount("S00001L8", 2).state, JobState::Passed);
    refuse_next_move(0x3B, 0x0E);
    const JobRecord refused = dismount("S00001L8");
    EXPECT_EQ(refused.error, win32::MediumNotAccessible) << refused.error_message;
    EXPECT_THAT(refused.error_message, HasSubstr("still holds the tape of S00001L8"));
}

// What takes a mounted cartridge out of its drive: a dismount, or an eject with FORCE, which
// takes it out of its drive the same way.
enum class TakeOut { Dismount, ForcedEject };

class DriveRefusal : public DriveHome, public ::testing::WithParamInterface<TakeOut> {
protected:
    JobRecord take_out(const std::string& barcode) {
        if (GetParam() == TakeOut::Dismount)
            return dismount(barcode);
        return finish(manager_->eject(medium(barcode).id.str(), 3, {}, {}, Caller::root()));
    }
};

TEST_P(DriveRefusal, ADriveThatHoldsItsTapeFailsClearlyAndNothingChanges) {
    start({library(sim("slots=10,ie=1,drives=2,fill=3"))});
    ASSERT_EQ(mount("S00002L8", 2).state, JobState::Passed);
    refuse_next_move(0x53, 0x03); // medium removal prevented by data transfer element
    const JobRecord refused = take_out("S00002L8");
    EXPECT_EQ(refused.state, JobState::Failed);
    EXPECT_EQ(refused.error, win32::MediumNotAccessible) << refused.error_message;
    EXPECT_THAT(refused.error_message, HasSubstr("drive element 2 still holds the tape"));
    EXPECT_THAT(refused.error_message, HasSubstr("no tape device"));
    EXPECT_THAT(refused.error_message, HasSubstr("DriveDevices="));
    // Nothing changed: the cartridge is in the drive, which is still in use, nothing went to the
    // port, and no intent stays.
    EXPECT_EQ(device().element(2)->primary_tag, "S00002L8");
    EXPECT_FALSE(device().element(100)->full);
    EXPECT_EQ(medium("S00002L8").element, std::optional<uint16_t>(2));
    EXPECT_TRUE(drive(2).in_use) << "still mounted";
    EXPECT_EQ(drive(2).home, 1001);
    EXPECT_TRUE(open_store()->pending_intents(lib_id())->empty());

    // Once unloaded (here: the changer takes it), the dismount goes through.
    ASSERT_EQ(dismount("S00002L8").state, JobState::Passed);
    EXPECT_EQ(medium("S00002L8").element, std::optional<uint16_t>(1001));
}

INSTANTIATE_TEST_SUITE_P(DriveHome, DriveRefusal,
                         ::testing::Values(TakeOut::Dismount, TakeOut::ForcedEject),
                         [](const auto& p) {
                             return p.param == TakeOut::Dismount ? "Dismount" : "ForcedEject";
                         });

// The drive's tape device is asked to unload before the move. A path that is no tape device
// cannot (ENOTTY): the move is tried anyway, and when the changer refuses it, the message says
// what the unload answered.
TEST_F(DriveHome, AKnownTapeDeviceIsAskedToUnloadFirst) {
    const auto fake = dir_ / "nst0";
    std::ofstream(fake) << "not a tape\n";
    LibraryConfig lib = library(sim("slots=10,ie=1,drives=1,fill=3"));
    lib.drive_devices = {{0, fake.string()}};
    start({lib});
    EXPECT_EQ(drive(2).device, fake.string());
    ASSERT_EQ(mount("S00001L8", 2).state, JobState::Passed);
    refuse_next_move(0x53, 0x02);
    const JobRecord refused = dismount("S00001L8");
    EXPECT_EQ(refused.error, win32::MediumNotAccessible) << refused.error_message;
    EXPECT_THAT(refused.error_message,
                HasSubstr(fake.string() + ": MTOFFL: Inappropriate ioctl for device"));
    // A changer that unloads the drive itself takes the cartridge although the unload failed.
    ASSERT_EQ(dismount("S00001L8").state, JobState::Passed);
    EXPECT_EQ(medium("S00001L8").element, std::optional<uint16_t>(1000));
}

TEST(TapeUnload, SaysWhatTheDeviceAnswered) {
    EXPECT_FALSE(unload_tape("").tried);
    const TapeUnload missing = unload_tape("/dev/nst-ntms-test-absent");
    EXPECT_TRUE(missing.tried);
    EXPECT_FALSE(missing.done);
    EXPECT_EQ(missing.message, "/dev/nst-ntms-test-absent: No such file or directory");
    const TapeUnload not_tape = unload_tape("/dev/null");
    EXPECT_FALSE(not_tape.done);
    EXPECT_EQ(not_tape.message, "/dev/null: MTOFFL: Inappropriate ioctl for device");
}

TEST(TapeUnload, WhichRefusalsMeanTheTapeIsStillLoaded) {
    auto refusal = [](uint8_t asc, uint8_t ascq) {
        sgio::Error e;
        e.code = sgio::Errc::CheckCondition;
        e.sense.valid = true;
        e.sense.key = 0x05;
        e.sense.asc = asc;
        e.sense.ascq = ascq;
        return refused_as_not_unloaded(e);
    };
    EXPECT_TRUE(refusal(0x53, 0x03));
    EXPECT_TRUE(refusal(0x53, 0x02));
    EXPECT_TRUE(refusal(0x53, 0x00));
    EXPECT_TRUE(refusal(0x3B, 0x0E));
    EXPECT_FALSE(refusal(0x3B, 0x0D)) << "destination full is another matter";
    EXPECT_FALSE(refusal(0x04, 0x18));
    sgio::Error timeout;
    timeout.code = sgio::Errc::Timeout;
    EXPECT_FALSE(refused_as_not_unloaded(timeout));
}

} // namespace
