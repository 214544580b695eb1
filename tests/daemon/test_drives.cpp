// Drives on the virtual changer: what each data-transfer element holds and who it is, read with the
// element status; their GUIDs across a restart; a cartridge moved into a drive behind ntmsd's back
// found by the next inventory.
#include "daemon/library/drives.hpp"
#include "daemon/operations/inventory.hpp"
#include "inject_fixture.hpp"
#include "sgio/changer.hpp"

#include <fmt/format.h>

using namespace ntms;
using namespace ntms::test;

namespace {

constexpr uint32_t NTMS_INVENTORY_FAST = 1;

class DriveFixture : public InjectFixture {
protected:
    std::vector<DriveState> drives(const std::string& name = "lab1") {
        auto s = manager_->library(lib_id(name), Caller::root());
        EXPECT_TRUE(s);
        return s ? s->drive_list : std::vector<DriveState>{};
    }
    std::optional<MediumRecord> medium(const std::string& barcode) {
        auto media = open_store()->list_media(lib_id());
        EXPECT_TRUE(media);
        for (const auto& m : media ? *media : std::vector<MediumRecord>{})
            if (m.barcode == barcode)
                return m;
        return std::nullopt;
    }
    void move_behind_back(uint16_t from, uint16_t to) {
        sgio::Changer ch(device());
        auto r = ch.move(from, to);
        ASSERT_TRUE(r) << r.error().message;
    }
    void inventory() {
        auto job = manager_->inventory(lib_id(), NTMS_INVENTORY_FAST, "test", Caller::root());
        ASSERT_TRUE(job) << job.error().message;
        auto done = events_.wait_final(*job);
        ASSERT_EQ(done.state, JobState::Passed) << done.error_message;
    }
};

} // namespace

TEST(DriveIdentity, T10VendorIdentificationIsVendorProductSerial) {
    sgio::ElementStatus e;
    e.identifier = "IBM     ULT3580-TD5     1013000394";
    e.identifier_type = 1;
    const auto d = sgio::drive_identity(e);
    EXPECT_EQ(d.vendor, "IBM");
    EXPECT_EQ(d.product, "ULT3580-TD5");
    EXPECT_EQ(d.serial, "1013000394");
}

TEST(DriveIdentity, AnyOtherIdentifierIsTheSerialAlone) {
    sgio::ElementStatus e;
    e.identifier = "beaf13";
    e.identifier_type = 0;
    const auto d = sgio::drive_identity(e);
    EXPECT_EQ(d.serial, "beaf13");
    EXPECT_EQ(d.vendor, "");
    EXPECT_EQ(d.product, "");
    e.identifier.clear();
    EXPECT_EQ(sgio::drive_identity(e).serial, "");
}

TEST(DriveId, DependsOnLibraryAndElementOnly) {
    const Guid a = Guid::random(), b = Guid::random();
    EXPECT_EQ(drive_id(a, 2), drive_id(a, 2));
    EXPECT_NE(drive_id(a, 2), drive_id(a, 3));
    EXPECT_NE(drive_id(a, 2), drive_id(b, 2));
    EXPECT_NE(drive_id(a, 2), a);
    EXPECT_EQ(drive_id(a, 2).bytes[6] >> 4, 8) << "version 8";
    EXPECT_EQ(drive_type_id("IBM", "ULT3580-TD5"), drive_type_id("IBM", "ULT3580-TD5"));
    EXPECT_NE(drive_type_id("IBM", "ULT3580-TD5"), drive_type_id("IBM", "ULT3580-TD6"));
}

TEST_F(DriveFixture, EachDataTransferElementIsADriveWithItsIdentity) {
    start({library(sim("slots=10,ie=1,drives=3,fill=4"))});
    const auto snap = manager_->library(lib_id(), Caller::root());
    ASSERT_TRUE(snap);
    const auto list = drives();
    ASSERT_EQ(list.size(), 3u);
    ASSERT_EQ(snap->drives, 3u);
    for (uint32_t i = 0; i < 3; ++i) {
        const auto& d = list[i];
        EXPECT_EQ(d.number, i);
        EXPECT_EQ(d.element, 2 + i) << "the virtual changer's drives start at address 2";
        EXPECT_EQ(d.id, drive_id(lib_id(), d.element));
        EXPECT_FALSE(d.full);
        EXPECT_TRUE(d.medium.is_null());
        EXPECT_EQ(d.barcode, "");
        EXPECT_EQ(d.vendor, snap->vendor) << "the changer's vendor names its drives";
        EXPECT_EQ(d.product, "VIRTUAL-DRIVE");
        ASSERT_EQ(d.serial.size(), 10u) << d.serial;
        EXPECT_EQ(d.serial.substr(8), fmt::format("{:02}", i + 1));
    }
    EXPECT_EQ(list[0].serial.substr(0, 8), list[2].serial.substr(0, 8));
}

TEST_F(DriveFixture, MoveIntoADriveBehindItsBackIsFoundByTheInventory) {
    start({library(sim("slots=10,ie=1,drives=2,fill=4"))});
    const auto s1 = medium("S00001L8");
    ASSERT_TRUE(s1);
    move_behind_back(1000, 3); // S00001L8 into the second drive
    inventory();
    const auto list = drives();
    ASSERT_EQ(list.size(), 2u);
    EXPECT_FALSE(list[0].full);
    EXPECT_TRUE(list[1].full);
    EXPECT_EQ(list[1].barcode, "S00001L8");
    EXPECT_EQ(list[1].medium, s1->id) << "the cartridge keeps its identity in the drive";
    const auto moved = medium("S00001L8");
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->element, std::optional<uint16_t>(3));

    move_behind_back(3, 1000); // and back
    inventory();
    const auto back = drives();
    ASSERT_EQ(back.size(), 2u);
    EXPECT_FALSE(back[1].full);
    EXPECT_TRUE(back[1].medium.is_null());
    EXPECT_EQ(back[1].barcode, "");
}

TEST_F(DriveFixture, DriveGuidsAndContentsSurviveARestart) {
    const auto cfg = library(sim("slots=10,ie=1,drives=2,fill=4"));
    start({cfg});
    move_behind_back(1001, 2); // S00002L8 into the first drive
    inventory();
    const auto before = drives();
    ASSERT_EQ(before.size(), 2u);
    ASSERT_TRUE(before[0].full);
    manager_.reset();

    start({cfg});
    const auto after = drives();
    ASSERT_EQ(after.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(after[i].id, before[i].id);
        EXPECT_EQ(after[i].element, before[i].element);
        EXPECT_EQ(after[i].serial, before[i].serial);
    }
    EXPECT_TRUE(after[0].full);
    EXPECT_EQ(after[0].barcode, "S00002L8");
    EXPECT_EQ(after[0].medium, before[0].medium);
}

TEST_F(DriveFixture, ALibraryWithoutDrivesHasNone) {
    start({library(sim("slots=10,ie=1,drives=0,fill=2"))});
    EXPECT_TRUE(drives().empty());
}
