// Manager.MountMedia and DismountMedia over the real bus, with busctl as the client: a medium
// found in ListMedia is mounted (Job.Drives names the drive, the Drive object says "inuse"), an
// eject of it is refused, it is dismounted into the slot asked for, and the mount job still names
// its drive without its history; the errors of bad calls.
#include "bus_fixture.hpp"

#include <regex>
#include <thread>

namespace ntms::bustest {
namespace {

using namespace std::chrono_literals;


class BusMount : public BusTest {
protected:
    // The drive object at this element address.
    std::string drive_at(const std::string& library, uint16_t element) {
        for (const auto& p : get_as<std::vector<sdbus::ObjectPath>>(library_path(library),
                                                                    library_iface, "DrivePaths"))
            if (get_as<uint16_t>(p, drive_iface, "Element") == element)
                return p;
        ADD_FAILURE() << "no drive at " << element;
        return {};
    }
    std::string drive_state(const std::string& path) {
        return get_as<std::string>(path, drive_iface, "State");
    }
};

TEST_F(BusMount, BusctlMountsAndDismountsAMedium) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=10,ie=1,drives=2,fill=3")}));
    const std::string lib_path = library_path("lab1");
    const std::string guid = medium_guid(lib_path, "S00002L8");
    ASSERT_EQ(guid.size(), 36u);
    const std::string drive = drive_at("lab1", 3);
    const std::string drive_guid = get_as<std::string>(drive, drive_iface, "Id");
    EXPECT_EQ(drive_state(drive), "empty");

    auto call = busctl({"call", service, root_path, manager_iface, "MountMedia", "asasuia{sv}", "1",
                        guid, "1", drive_guid, "16", "7", "1", "application", "s", "busctl"});
    ASSERT_EQ(call.status, 0) << call.err;
    const std::string job_path = quoted(call.out, 1);
    ASSERT_EQ(job_path.rfind("/org/ntms/Ntms1/job/", 0), 0u) << call.out;
    wait_busctl_state(job_path, "u 2"); // PASSED
    auto props = busctl({"get-property", service, job_path, job_iface, "Operation", "MediaMoved",
                         "Drives", "Media", "Application"});
    EXPECT_EQ(props.out, "s \"mount\"\nu 1\nas 1 \"" + drive_guid + "\"\nas 1 \"" + guid +
                             "\"\ns \"busctl\"\n")
        << props.err;
    EXPECT_EQ(drive_state(drive), "inuse");
    EXPECT_EQ(get_as<std::string>(drive, drive_iface, "Medium"), guid);
    EXPECT_EQ(get_as<std::string>(drive, drive_iface, "Barcode"), "S00002L8");
    EXPECT_EQ(get_as<uint16_t>(drive, drive_iface, "HomeSlot"), 1001)
        << "the slot the mount took it from";

    // A mounted medium is not ejected without FORCE.
    const std::string refused = error_of([&] {
        std::string job;
        sdbus::ObjectPath path;
        proxy(root_path)
            ->callMethod("EjectMedia")
            .onInterface(manager_iface)
            .withArguments(guid, uint32_t{0}, std::string(), Options{})
            .storeResultsTo(job, path);
    });
    EXPECT_EQ(refused, "org.ntms.Ntms1.Error.UnableToEjectMountedMedia") << last_message_;

    auto off = busctl({"call", service, root_path, manager_iface, "DismountMedia", "asua{sv}", "1",
                       guid, "2", "1", "element", "q", "1007"});
    ASSERT_EQ(off.status, 0) << off.err;
    const std::string off_path = quoted(off.out, 1);
    wait_busctl_state(off_path, "u 2");
    EXPECT_EQ(drive_state(drive), "empty");
    EXPECT_EQ(get_as<uint16_t>(drive, drive_iface, "HomeSlot"), 0) << "an empty drive has none";
    auto listed = busctl({"call", service, lib_path, library_iface, "ListMedia"}).out;
    EXPECT_NE(listed.find("\"" + guid + "\" \"S00002L8\" \"in-library\" 1007"), std::string::npos)
        << listed;
    auto drives = busctl({"get-property", service, off_path, job_iface, "Drives", "Operation"});
    EXPECT_EQ(drives.out, "as 0\ns \"dismount\"\n");

    // The mount job keeps its drive: with its history rows deleted behind ntmsd's back, the
    // property still names it (one read from the database would now be empty).
    const std::string mount_job = quoted(call.out, 0);
    ASSERT_GE(erase_history_of({mount_job}), 2); // mount-requested, mount
    EXPECT_EQ(get_as<std::vector<std::string>>(job_path, job_iface, "Drives"),
              std::vector<std::string>{drive_guid});
}

TEST_F(BusMount, BadCallsAnswerTheirErrorsAndChangeNothing) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=10,ie=1,drives=1,fill=2")}));
    const std::string lib_path = library_path("lab1");
    const std::string guid = medium_guid(lib_path, "S00001L8");
    const std::string before = busctl({"call", service, lib_path, library_iface, "ListMedia"}).out;
    const std::string unknown = "0badc0de-0000-4000-8000-000000000001";
    using Strings = std::vector<std::string>;
    // The error's name, through the generic proxy (busctl prints only the message).
    auto mount = [&](Strings media, Strings drives, uint32_t flags, int32_t priority,
                     Options options) {
        return error_of([&] {
            std::string job;
            sdbus::ObjectPath path;
            proxy(root_path)
                ->callMethod("MountMedia")
                .onInterface(manager_iface)
                .withArguments(media, drives, flags, priority, options)
                .storeResultsTo(job, path);
        });
    };
    auto dismount = [&](Strings media, uint32_t flags, Options options) {
        return error_of([&] {
            std::string job;
            sdbus::ObjectPath path;
            proxy(root_path)
                ->callMethod("DismountMedia")
                .onInterface(manager_iface)
                .withArguments(media, flags, options)
                .storeResultsTo(job, path);
        });
    };
    const std::string prefix = "org.ntms.Ntms1.Error.";
    EXPECT_EQ(mount({}, {}, 0, 0, {}), prefix + "InvalidParameter");
    EXPECT_EQ(mount({"S00001L8"}, {}, 0, 0, {}), prefix + "InvalidParameter");
    EXPECT_EQ(mount({guid}, {}, 0, 16, {}), prefix + "InvalidParameter");
    EXPECT_EQ(mount({guid}, {}, 0x10, 0, {}), prefix + "InvalidParameter");
    EXPECT_EQ(mount({guid}, {}, 0, 0, {{"port", sdbus::Variant(uint32_t{100})}}),
              prefix + "InvalidParameter");
    EXPECT_NE(last_message_.find("unknown option 'port'"), std::string::npos) << last_message_;
    EXPECT_EQ(mount({guid}, {}, 0, 0, {{"timeout", sdbus::Variant(std::string("x"))}}),
              prefix + "InvalidParameter");
    EXPECT_EQ(mount({guid}, {"nonsense"}, 0x10, 0, {}), prefix + "InvalidDrive");
    EXPECT_EQ(mount({guid}, {unknown}, 0x10, 0, {}), prefix + "InvalidDrive");
    EXPECT_EQ(mount({unknown}, {}, 0, 0, {}), prefix + "ObjectNotFound");
    EXPECT_EQ(dismount({guid}, 0, {}), prefix + "InvalidState");
    EXPECT_EQ(dismount({guid}, 3, {}), prefix + "InvalidParameter");
    EXPECT_EQ(dismount({guid}, 0, {{"element", sdbus::Variant(uint32_t{1005})}}),
              prefix + "InvalidParameter");
    EXPECT_EQ(busctl({"call", service, lib_path, library_iface, "ListMedia"}).out, before);
    EXPECT_TRUE(managed_objects("job").empty());
}

} // namespace
} // namespace ntms::bustest
