// Real processes for the D-Bus tests and the benchmark: a private system-like dbus-daemon whose
// configuration includes the shipped policy file, the built ntmsd on it, and short commands
// (busctl, ntms-sim, setpriv) run to completion. Every process started here is stopped by its
// owner's destructor, also when a test fails half-way.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ntms::bustest {

// A path handed in by meson through the environment; throws when it is missing.
std::string env_path(const char* name);

struct CommandResult {
    int status = -1; // exit status, or 128 + signal
    std::string out, err;
};

// Runs argv (argv[0] searched in PATH) to completion with its output captured; killed after limit.
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds limit = std::chrono::seconds(60));

// A long-running child with stdout and stderr appended to log_path.
class Process {
public:
    Process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
            const std::string& log_path);
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    bool running();
    // SIGTERM, then SIGKILL after grace; the exit status (128 + signal when killed).
    int stop(std::chrono::milliseconds grace = std::chrono::seconds(30));
    void kill_now(); // SIGKILL, reaped

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

// A temporary directory (0755 so that unprivileged clients reach the bus socket), removed at the
// end.
class TempDir {
public:
    explicit TempDir(const std::string& tag);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

// dbus-daemon with a system-bus configuration (the default policy of Debian's system.conf) that
// includes the policy file under test. Listens on DIR/bus.sock.
class PrivateBus {
public:
    // extra_policy: more <policy> elements, for a benchmark's own baseline service.
    PrivateBus(const std::filesystem::path& dir, const std::string& policy_file,
               const std::string& extra_policy = {});
    ~PrivateBus();
    const std::string& address() const { return address_; }
    void stop();

private:
    std::string address_;
    std::optional<Process> daemon_;
};

// The built ntmsd, on the given bus, with the given arguments after --log-stderr and (unless
// udev is asked for) --no-discover.
class Ntmsd {
public:
    Ntmsd(const std::string& bus_address, const std::vector<std::string>& args,
          const std::string& log_path, bool discover = false);
    ~Ntmsd();
    // Waits until org.ntms.Ntms1 has an owner; false (with the reason) when ntmsd exited or the
    // limit passed.
    bool wait_for_name(std::string& why,
                       std::chrono::milliseconds limit = std::chrono::seconds(30));
    int stop(std::chrono::milliseconds grace = std::chrono::seconds(30)) {
        return process_.stop(grace);
    }
    void kill_now() { process_.kill_now(); }
    bool running() { return process_.running(); }
    pid_t pid() const { return process_.pid(); }

private:
    std::string address_;
    Process process_;
};

std::string read_file(const std::string& path);

} // namespace ntms::bustest
