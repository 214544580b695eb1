// Drives matched to their tape devices: the serial number of VPD page 0x80 against the changer's
// DVCID serial, DriveDevices= where that does not work, and a change of the tape devices (a udev
// event) reaching a running library's drives. The sysfs and udev side is tested in the QEMU guest
// (tests/system/vm), where the kernel's st driver makes /dev/nst0 for tgt's tape LU.
#include "daemon/config.hpp"
#include "daemon/library/tape_devices.hpp"
#include "inject_fixture.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

using namespace ntms;
using namespace ntms::test;

namespace fs = std::filesystem;

namespace {

std::string page80(const std::string& serial) {
    std::string p = {'\x01', '\x80', '\x00', static_cast<char>(serial.size())};
    return p + serial;
}

DriveState drive(uint32_t number, const std::string& serial) {
    DriveState d;
    d.number = number;
    d.element = static_cast<uint16_t>(2 + number);
    d.serial = serial;
    return d;
}

} // namespace

TEST(UnitSerial, IsTheTextOfPage80Trimmed) {
    EXPECT_EQ(unit_serial_of_page(page80("beaf11")), "beaf11");
    EXPECT_EQ(unit_serial_of_page(page80("  1013000394    ")), "1013000394");
    EXPECT_EQ(unit_serial_of_page(page80("")), "");
}

TEST(UnitSerial, AnythingElseIsNoSerial) {
    EXPECT_EQ(unit_serial_of_page(""), "");
    EXPECT_EQ(unit_serial_of_page(std::string("\x01\x80\x00", 3)), "") << "no length";
    EXPECT_EQ(unit_serial_of_page(page80("beaf11").substr(0, 8)), "") << "cut short";
    std::string other = page80("beaf11");
    other[1] = '\x83';
    EXPECT_EQ(unit_serial_of_page(other), "") << "page 0x83 is not 0x80";
}

TEST(AssignTapeDevices, ADriveGetsTheDeviceWithItsSerial) {
    std::vector<DriveState> drives{drive(0, "beaf11"), drive(1, "beaf12 "), drive(2, "")};
    const std::vector<TapeDevice> tapes{{"/dev/nst1", "/dev/tape/by-id/scsi-b-nst", "beaf12"},
                                        {"/dev/nst0", "/dev/tape/by-id/scsi-a-nst", "beaf11"},
                                        {"/dev/nst2", "", ""}};
    assign_tape_devices(drives, {}, tapes);
    EXPECT_EQ(drives[0].device, "/dev/nst0");
    EXPECT_EQ(drives[0].device_by_id, "/dev/tape/by-id/scsi-a-nst");
    EXPECT_EQ(drives[1].device, "/dev/nst1") << "trailing spaces of the DVCID serial do not count";
    EXPECT_EQ(drives[2].device, "") << "an empty serial matches no device, not one without serial";
    EXPECT_EQ(drives[2].device_by_id, "");
}

TEST(AssignTapeDevices, ASerialTwoDevicesShareMatchesNeither) {
    std::vector<DriveState> drives{drive(0, "SAME")};
    assign_tape_devices(drives, {},
                        {{"/dev/nst0", "", "SAME"}, {"/dev/nst1", "", "SAME"}});
    EXPECT_EQ(drives[0].device, "");
}

TEST(AssignTapeDevices, AGoneDeviceIsForgotten) {
    std::vector<DriveState> drives{drive(0, "beaf11")};
    assign_tape_devices(drives, {}, {{"/dev/nst0", "/dev/tape/by-id/x-nst", "beaf11"}});
    ASSERT_EQ(drives[0].device, "/dev/nst0");
    assign_tape_devices(drives, {}, {});
    EXPECT_EQ(drives[0].device, "");
    EXPECT_EQ(drives[0].device_by_id, "");
}

TEST(AssignTapeDevices, DriveDevicesComeBeforeTheSerial) {
    std::string tmpl = (fs::temp_directory_path() / "ntms-tapes-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    const fs::path dir = tmpl;
    std::ofstream(dir / "nst7") << "";
    fs::create_symlink(dir / "nst7", dir / "by-id-nst");
    std::vector<DriveState> drives{drive(0, "beaf11"), drive(1, ""), drive(2, "beaf13")};
    const std::map<uint32_t, std::string> configured{{0, (dir / "by-id-nst").string()},
                                                     {1, "/dev/nst9"}};
    assign_tape_devices(drives, configured, {{"/dev/nst0", "", "beaf11"},
                                             {"/dev/nst3", "", "beaf13"}});
    EXPECT_EQ(drives[0].device, fs::canonical(dir / "nst7").string()) << "where the link leads";
    EXPECT_EQ(drives[0].device_by_id, (dir / "by-id-nst").string());
    EXPECT_EQ(drives[1].device, "/dev/nst9") << "a path that is no link is the node itself";
    EXPECT_EQ(drives[1].device_by_id, "");
    EXPECT_EQ(drives[2].device, "/dev/nst3") << "drives not named are still matched by serial";
    fs::remove_all(dir);
}

TEST(DriveDevicesKey, NamesDrivesByNumber) {
    DaemonConfig cfg;
    ASSERT_TRUE(apply_config_text(cfg,
                                  "[Library a]\nDevice=/dev/sg1\n"
                                  "DriveDevices=0:/dev/tape/by-id/scsi-X-nst 2:/dev/nst4\n",
                                  "t.conf")
                    .ok());
    ASSERT_EQ(cfg.libraries.size(), 1u);
    const auto& d = cfg.libraries[0].drive_devices;
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d.at(0), "/dev/tape/by-id/scsi-X-nst");
    EXPECT_EQ(d.at(2), "/dev/nst4");
}

TEST(DriveDevicesKey, BadItemsAreRefusedAndChangeNothing) {
    for (const char* bad : {"DriveDevices=/dev/nst0", "DriveDevices=x:/dev/nst0",
                            "DriveDevices=0:nst0", "DriveDevices=0:", "DriveDevices=65536:/dev/nst0",
                            "DriveDevices=1:/dev/nst0 1:/dev/nst1"}) {
        DaemonConfig cfg;
        auto r = apply_config_text(cfg, std::string("[Library a]\nDevice=/dev/sg1\n") + bad + "\n",
                                   "t.conf");
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.error().message.find("DriveDevices="), std::string::npos) << r.error().message;
    }
}

namespace {

class TapeDeviceFixture : public InjectFixture {
protected:
    void TearDown() override {
        tape_directory().replace({});
        InjectFixture::TearDown();
    }
    std::vector<DriveState> drives() {
        auto s = manager_->library(lib_id(), Caller::root());
        EXPECT_TRUE(s);
        return s ? s->drive_list : std::vector<DriveState>{};
    }
    // The virtual changer's drive serials: the same 8 characters for every drive of one changer,
    // then the drive's number from 01.
    std::string serial_of(size_t i) {
        auto list = drives();
        return i < list.size() ? list[i].serial : std::string();
    }
};

} // namespace

TEST_F(TapeDeviceFixture, TheFirstReadingMatchesAndAUdevChangeUpdatesARunningLibrary) {
    const auto cfg = library(sim("slots=10,ie=1,drives=2,fill=2"));
    start({cfg});
    const std::string second = serial_of(1);
    ASSERT_FALSE(second.empty());
    EXPECT_EQ(drives()[1].device, "") << "no tape device listed yet";

    // A tape device appears (udev's add event): the running library's drive gets it.
    tape_directory().replace({{"/dev/nst5", "/dev/tape/by-id/scsi-x-nst", second}});
    manager_->registry.tape_devices_changed();
    ASSERT_TRUE(events_.wait_until([&] { return drives()[1].device == "/dev/nst5"; }));
    EXPECT_EQ(drives()[1].device_by_id, "/dev/tape/by-id/scsi-x-nst");
    EXPECT_EQ(drives()[0].device, "");

    // After a restart the first reading matches it at once.
    manager_.reset();
    start({cfg});
    EXPECT_EQ(drives()[1].device, "/dev/nst5");

    // It is removed (udev's remove event): the drive no longer names it.
    tape_directory().replace({});
    manager_->registry.tape_devices_changed();
    ASSERT_TRUE(events_.wait_until([&] { return drives()[1].device.empty(); }));
}

TEST_F(TapeDeviceFixture, DriveDevicesOfTheLibraryNameADriveWithoutSerial) {
    auto cfg = library(sim("slots=10,ie=1,drives=2,fill=2"));
    cfg.drive_devices = {{0, "/dev/nst8"}};
    start({cfg});
    EXPECT_EQ(drives()[0].device, "/dev/nst8");
    EXPECT_EQ(drives()[1].device, "");
}
