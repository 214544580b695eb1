// Drives over the real bus: each data-transfer element of a sim library is an
// org.ntms.Ntms1.Drive object listed by Library.DrivePaths; an inventory after a cartridge was
// moved into a drive behind ntmsd's back shows it loaded with that medium; the drives keep their
// paths across a restart of ntmsd.
#include "bus_fixture.hpp"
#include "sgio/changer.hpp"
#include "sgio/virtual_changer.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>

namespace ntms::bustest {
namespace {

using Medium = sdbus::Struct<std::string, std::string, std::string, uint16_t, uint32_t>;

class BusDrives : public BusTest {
protected:
    std::vector<sdbus::ObjectPath> drive_paths(const std::string& library) {
        return get_as<std::vector<sdbus::ObjectPath>>(library_path(library), library_iface,
                                                      "DrivePaths");
    }
    std::string drive_text(const std::string& path, const char* name) {
        return get_as<std::string>(path, drive_iface, name);
    }
    void move_behind_back(const std::string& library, uint16_t from, uint16_t to) {
        auto cfg = sgio::VirtualChangerConfig::from_state_file(state_file(library));
        ASSERT_TRUE(cfg) << cfg.error().message;
        auto vc = sgio::VirtualChanger::open(*cfg);
        ASSERT_TRUE(vc) << vc.error().message;
        sgio::Changer other(**vc);
        auto moved = other.move(from, to);
        ASSERT_TRUE(moved) << moved.error().message;
    }
    std::string medium_id(const std::string& library, const std::string& barcode) {
        std::vector<Medium> media;
        proxy(library_path(library))
            ->callMethod("ListMedia")
            .onInterface(library_iface)
            .storeResultsTo(media);
        for (const auto& m : media)
            if (m.get<1>() == barcode)
                return m.get<0>();
        return {};
    }
};

TEST_F(BusDrives, EachDriveIsAnObjectWithItsProperties) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=10,ie=1,drives=2,fill=3")}));
    const auto paths = drive_paths("lab1");
    ASSERT_EQ(paths.size(), 2u);
    auto listed = managed_objects("drive");
    std::sort(listed.begin(), listed.end());
    std::vector<std::string> expected(paths.begin(), paths.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(listed, expected) << "the drives are in GetManagedObjects";
    const std::string vendor = get_as<std::string>(library_path("lab1"), library_iface, "Vendor");
    for (uint32_t i = 0; i < 2; ++i) {
        const std::string p = paths[i];
        const std::string id = drive_text(p, "Id");
        std::string hex = id;
        hex.erase(std::remove(hex.begin(), hex.end(), '-'), hex.end());
        EXPECT_EQ(p, "/org/ntms/Ntms1/drive/" + hex);
        EXPECT_EQ(get_as<sdbus::ObjectPath>(p, drive_iface, "Library"), library_path("lab1"));
        EXPECT_EQ(get_as<uint16_t>(p, drive_iface, "Element"), 2 + i);
        EXPECT_EQ(get_as<uint32_t>(p, drive_iface, "Number"), i);
        EXPECT_EQ(drive_text(p, "State"), "empty");
        EXPECT_EQ(drive_text(p, "Medium"), "");
        EXPECT_EQ(drive_text(p, "Barcode"), "");
        EXPECT_EQ(get_as<uint16_t>(p, drive_iface, "HomeSlot"), 0);
        EXPECT_EQ(drive_text(p, "Vendor"), vendor);
        EXPECT_EQ(drive_text(p, "Product"), "VIRTUAL-DRIVE");
        const std::string serial = drive_text(p, "Serial");
        ASSERT_EQ(serial.size(), 10u) << serial;
        EXPECT_EQ(serial.substr(8), i == 0 ? "01" : "02");
        EXPECT_EQ(drive_text(p, "Device"), "");
        EXPECT_EQ(drive_text(p, "DriveType").size(), 36u);
    }
    EXPECT_EQ(drive_text(paths[0], "DriveType"), drive_text(paths[1], "DriveType"))
        << "two drives of one model share their type";
    // busctl, as an administrator would ask.
    auto r = busctl({"get-property", service, std::string(paths[1]), drive_iface, "Number"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "u 1\n");
}

// DriveDevices= of the library's section names a drive's tape device where it cannot be matched
// by serial; the sim's drives match no tape device of this machine, so the others stay empty.
TEST_F(BusDrives, DriveDevicesNamesADrivesTapeDevice) {
    const std::string spec = sim("lab1", "slots=10,ie=1,drives=2,fill=3");
    ASSERT_NO_FATAL_FAILURE(start_daemon(
        {}, "[Library lab1]\nDevice=" + spec.substr(spec.find('=') + 1) +
                "\nDriveDevices=1:/dev/nst9\n"));
    const auto paths = drive_paths("lab1");
    ASSERT_EQ(paths.size(), 2u);
    EXPECT_EQ(drive_text(paths[1], "Device"), "/dev/nst9");
    EXPECT_EQ(drive_text(paths[1], "DeviceById"), "") << "/dev/nst9 is not a link";
    EXPECT_EQ(drive_text(paths[0], "Device"), "");
    EXPECT_EQ(drive_text(paths[0], "DeviceById"), "");
}

TEST_F(BusDrives, InventoryAfterAMoveIntoADriveShowsItLoaded) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=10,ie=1,drives=2,fill=3")}));
    const auto paths = drive_paths("lab1");
    ASSERT_EQ(paths.size(), 2u);
    const std::string s2 = medium_id("lab1", "S00002L8");
    ASSERT_FALSE(s2.empty());
    ASSERT_NO_FATAL_FAILURE(move_behind_back("lab1", 1001, 2));

    // What the drive announces: PropertiesChanged with its new State, Medium and Barcode.
    auto conn = connect();
    std::mutex mutex;
    std::condition_variable cv;
    std::set<std::string> changed_names;
    std::string announced_state;
    auto watch = conn->addMatch(
        "type='signal',sender='org.ntms.Ntms1',interface='org.freedesktop.DBus.Properties',"
        "member='PropertiesChanged',path='" +
            std::string(paths[0]) + "'",
        [&](sdbus::Message& m) {
            std::string iface;
            std::map<std::string, sdbus::Variant> changed;
            m >> iface >> changed;
            std::lock_guard lock(mutex);
            for (const auto& [name, value] : changed) {
                changed_names.insert(iface + "." + name);
                if (name == "State")
                    announced_state = value.get<std::string>();
            }
            cv.notify_all();
        });
    conn->enterEventLoopAsync();

    std::string job;
    sdbus::ObjectPath job_path;
    proxy(library_path("lab1"))
        ->callMethod("Inventory")
        .onInterface(library_iface)
        .withArguments(uint32_t{1})
        .storeResultsTo(job, job_path);
    EXPECT_EQ(wait_final(job_path), lm_passed);
    EXPECT_EQ(drive_text(paths[0], "State"), "loaded");
    EXPECT_EQ(drive_text(paths[0], "Barcode"), "S00002L8");
    EXPECT_EQ(drive_text(paths[0], "Medium"), s2) << "the medium keeps its GUID in the drive";
    // No mount put it there: its home is the source address the changer reports.
    EXPECT_EQ(get_as<uint16_t>(paths[0], drive_iface, "HomeSlot"), 1001);
    EXPECT_EQ(drive_text(paths[1], "State"), "empty");
    {
        std::unique_lock lock(mutex);
        EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(10),
                                [&] { return announced_state == "loaded"; }));
        EXPECT_TRUE(changed_names.count(std::string(drive_iface) + ".Medium"));
        EXPECT_TRUE(changed_names.count(std::string(drive_iface) + ".Barcode"));
        EXPECT_TRUE(changed_names.count(std::string(drive_iface) + ".HomeSlot"));
    }
    conn->leaveEventLoop();

    // The drives keep their objects across a restart, and what they hold.
    ASSERT_NO_FATAL_FAILURE(stop_daemon());
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=10,ie=1,drives=2,fill=3")}));
    EXPECT_EQ(drive_paths("lab1"), paths);
    EXPECT_EQ(drive_text(paths[0], "Medium"), s2);
    EXPECT_EQ(drive_text(paths[0], "State"), "loaded");
    EXPECT_EQ(get_as<uint16_t>(paths[0], drive_iface, "HomeSlot"), 1001);
}

TEST_F(BusDrives, ALibraryWithoutDrivesListsNone) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=10,ie=1,drives=0,fill=1")}));
    EXPECT_TRUE(drive_paths("lab1").empty());
    EXPECT_TRUE(managed_objects("drive").empty());
}

} // namespace
} // namespace ntms::bustest
