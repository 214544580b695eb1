// The real ntmsd and udev on the machine the tests run on: with discovery on (the default) it lists
// the changers udev has (the type-8 sg nodes of sysfs), listens for hot-plug on a netlink uevent
// socket, and serves as usual; with Discover=no or --no-discover it does neither. The other D-Bus
// tests run ntmsd with --no-discover, so that no changer of the machine joins them. Adding and
// removing a real changer needs a kernel with SCSI: the system test in a QEMU guest does that.
#include "bus_fixture.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace ntms::bustest {
namespace {

namespace fs = std::filesystem;

constexpr int netlink_kobject_uevent = 15;

// Type-8 sg nodes as sysfs has them.
size_t changers_in_sysfs() {
    size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/sys/class/scsi_generic", ec)) {
        std::ifstream type(e.path() / "device" / "type");
        std::string t;
        if (type && std::getline(type, t) && t == "8")
            ++n;
    }
    return n;
}

// ntmsd's start-up record of what udev listed.
std::string listed(size_t n) {
    return "udev lists " + std::to_string(n) + " medium changer" + (n == 1 ? "" : "s");
}

// The netlink sockets of a process, by protocol: its descriptors' socket inodes looked up in
// /proc/net/netlink.
std::multiset<int> netlink_protocols(pid_t pid) {
    std::set<std::string> inodes;
    for (const auto& fd : fs::directory_iterator(fs::path("/proc") / std::to_string(pid) / "fd")) {
        std::error_code ec;
        const std::string target = fs::read_symlink(fd.path(), ec).string();
        if (!ec && target.rfind("socket:[", 0) == 0)
            inodes.insert(target.substr(8, target.size() - 9));
    }
    std::multiset<int> out;
    std::ifstream table("/proc/net/netlink");
    std::string line;
    std::getline(table, line); // header
    while (std::getline(table, line)) {
        std::istringstream row(line);
        std::string sk, eth, port, groups, rmem, wmem, dump, locks, drops, inode;
        row >> sk >> eth >> port >> groups >> rmem >> wmem >> dump >> locks >> drops >> inode;
        if (inodes.count(inode))
            out.insert(std::stoi(eth));
    }
    return out;
}

class BusDiscovery : public BusTest {
protected:
    void SetUp() override {
        BusTest::SetUp();
        discover_ = true;
    }
    std::vector<std::string> libraries() { return {sim("lab1", "slots=10,ie=1")}; }
    std::string log() { return read_file(dir_->file("ntmsd.log")); }
    size_t library_count() {
        std::vector<sdbus::ObjectPath> paths;
        proxy(root_path)
            ->callMethod("ListLibraries")
            .onInterface(manager_iface)
            .storeResultsTo(paths);
        return paths.size();
    }
    bool follows_udev() {
        return netlink_protocols(ntmsd_->pid()).count(netlink_kobject_uevent) > 0;
    }
};

TEST_F(BusDiscovery, OnByDefaultListsWhatUdevHasAndListensForHotplug) {
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries()));
    const size_t expected = fs::exists("/run/udev/control") ? changers_in_sysfs() : 0;
    // The name is served before discovery starts following udev; "started with" ends the start.
    std::string text = log();
    for (int i = 0; i < 300 && text.find(" started with ") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        text = log();
    }
    EXPECT_NE(text.find(listed(expected)), std::string::npos) << text;
    EXPECT_NE(text.find("following medium changers added and removed through udev"),
              std::string::npos)
        << text;
    EXPECT_TRUE(follows_udev()) << "no NETLINK_KOBJECT_UEVENT socket in ntmsd";
    EXPECT_EQ(library_count(), 1 + expected);

    // Serving as usual: an inject on the configured library.
    auto [job, path] = inject(library_guid("lab1"), inject_start);
    wait_state(path, [](uint32_t s) { return s == lm_waiting; });
    ASSERT_NO_FATAL_FAILURE(operator_do("lab1", {"insert", "100", "UDV001L8"}));
    EXPECT_EQ(wait_final(path), lm_passed);
}

TEST_F(BusDiscovery, DiscoverNoInTheConfigurationListsNothingAndDoesNotListen) {
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries(), "Discover=no\n"));
    const std::string text = log();
    EXPECT_NE(text.find("discovery is off"), std::string::npos) << text;
    EXPECT_EQ(text.find("udev lists"), std::string::npos) << text;
    EXPECT_FALSE(follows_udev());
    EXPECT_EQ(library_count(), 1u);
}

TEST_F(BusDiscovery, NoDiscoverOnTheCommandLineOverridesTheConfiguration) {
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries(), "Discover=yes\n", {"--no-discover"}));
    EXPECT_NE(log().find("discovery is off"), std::string::npos) << log();
    EXPECT_FALSE(follows_udev());
}

} // namespace
} // namespace ntms::bustest
