#include "polkit_harness.hpp"

#include <fstream>
#include <sdbus-c++/sdbus-c++.h>
#include <signal.h>
#include <stdexcept>
#include <thread>
#include <unistd.h>

namespace ntms::bustest {

namespace {

using namespace std::chrono_literals;

constexpr const char* polkitd_path = "/usr/lib/polkit-1/polkitd";

// The directories polkitd reads, each hidden behind one of the test's.
const std::map<std::string, std::string> mounted_over{
    {"actions", "/usr/share/polkit-1/actions"},
    {"rules", "/etc/polkit-1/rules.d"},
    {"vendor-rules", "/usr/share/polkit-1/rules.d"},
};

bool has_owner(const std::string& address, const std::string& name) {
    auto conn = sdbus::createSessionBusConnectionWithAddress(address);
    auto bus = sdbus::createProxy(*conn, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    bool has = false;
    bus->callMethod("NameHasOwner")
        .onInterface("org.freedesktop.DBus")
        .withArguments(name)
        .storeResultsTo(has);
    return has;
}

} // namespace

const char* const polkit_bus_policy = R"(
  <policy user="polkitd">
    <allow own="org.freedesktop.PolicyKit1"/>
  </policy>
  <policy context="default">
    <allow send_destination="org.freedesktop.PolicyKit1"/>
  </policy>
)";

std::optional<std::string> PrivatePolkit::unavailable() {
    if (geteuid() != 0)
        return "needs root for a mount namespace";
    if (access(polkitd_path, X_OK) != 0)
        return std::string(polkitd_path) + " is not installed (Debian package polkitd)";
    for (const auto& [ours, theirs] : mounted_over)
        if (!std::filesystem::is_directory(theirs))
            return theirs + " does not exist";
    const auto r = run_command({"unshare", "-m", "--propagation", "private", "true"});
    if (r.status != 0)
        return "unshare -m does not work here: " + r.err;
    return std::nullopt;
}

PrivatePolkit::PrivatePolkit(const std::filesystem::path& dir, const std::string& bus_address,
                             const std::string& policy_file,
                             const std::map<std::string, std::string>& rules) {
    const auto root = dir / "polkit";
    std::string script = "set -e\n";
    for (const auto& [ours, theirs] : mounted_over) {
        std::filesystem::create_directories(root / ours);
        script += "mount --bind '" + (root / ours).string() + "' '" + theirs + "'\n";
    }
    std::filesystem::copy_file(policy_file, root / "actions" / "org.ntms.ntms1.policy");
    for (const auto& [name, text] : rules)
        std::ofstream(root / "rules" / name) << text;
    // polkitd drops to its own user: everything must be readable by others.
    for (const auto& e : std::filesystem::recursive_directory_iterator(root))
        std::filesystem::permissions(e.path(), e.is_directory() ? std::filesystem::perms(0755)
                                                                : std::filesystem::perms(0644));
    std::filesystem::permissions(root, std::filesystem::perms(0755));
    script += std::string("exec ") + polkitd_path + "\n";
    // unshare and sh exec: the child's pid is polkitd's.
    process_.emplace(
        std::vector<std::string>{"unshare", "-m", "--propagation", "private", "sh", "-c", script},
        std::vector<std::string>{"DBUS_SYSTEM_BUS_ADDRESS=" + bus_address},
        (dir / "polkitd.log").string());
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!has_owner(bus_address, "org.freedesktop.PolicyKit1")) {
        if (!process_->running() || std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("polkitd did not start: " +
                                     read_file((dir / "polkitd.log").string()));
        std::this_thread::sleep_for(20ms);
    }
}

PrivatePolkit::~PrivatePolkit() {
    if (process_)
        resume();
}

void PrivatePolkit::pause() {
    ::kill(process_->pid(), SIGSTOP);
}

void PrivatePolkit::resume() {
    ::kill(process_->pid(), SIGCONT);
}

} // namespace ntms::bustest
