#include "bus_harness.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sdbus-c++/sdbus-c++.h>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace ntms::bustest {

namespace {

using namespace std::chrono_literals;

// The socket file appears at bind(), before dbus-daemon listens: only a connection says it does.
bool accepts(const std::string& path) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path)
        return false;
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    const bool ok = connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0;
    close(fd);
    return ok;
}

int decode(int status) {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

std::vector<char*> pointers(std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// posix_spawnp with stdout and stderr to the given files (append), stdin from /dev/null.
pid_t spawn(std::vector<std::string> argv, std::vector<std::string> extra_env,
            const std::string& out_path, const std::string& err_path) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        const std::string entry(*e);
        bool overridden = false;
        for (const auto& x : extra_env)
            if (entry.substr(0, entry.find('=') + 1) == x.substr(0, x.find('=') + 1))
                overridden = true;
        if (!overridden)
            env.push_back(entry);
    }
    env.insert(env.end(), extra_env.begin(), extra_env.end());

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    // The test's blocked signals must not leak into the child (ntmsd blocks its own).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);

    auto args = pointers(argv);
    auto envp = pointers(env);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    return pid;
}

std::optional<int> wait_until(pid_t pid, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        int status = 0;
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return decode(status);
        if (r < 0 && errno != EINTR)
            return -1;
        if (std::chrono::steady_clock::now() >= deadline)
            return std::nullopt;
        std::this_thread::sleep_for(10ms);
    }
}

} // namespace

std::string env_path(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v)
        throw std::runtime_error(std::string(name) + " is not set (run the test through meson)");
    return v;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds limit) {
    char out_tmpl[] = "/tmp/ntms-cmd-out-XXXXXX";
    char err_tmpl[] = "/tmp/ntms-cmd-err-XXXXXX";
    const int out_fd = mkstemp(out_tmpl);
    const int err_fd = mkstemp(err_tmpl);
    if (out_fd >= 0)
        close(out_fd);
    if (err_fd >= 0)
        close(err_fd);
    CommandResult r;
    const pid_t pid = spawn(argv, {}, out_tmpl, err_tmpl);
    auto status = wait_until(pid, std::chrono::steady_clock::now() + limit);
    if (!status) {
        ::kill(pid, SIGKILL);
        status = wait_until(pid, std::chrono::steady_clock::now() + 10s);
        r.err = "killed after the time limit\n";
    }
    r.status = status.value_or(-1);
    r.out = read_file(out_tmpl);
    r.err += read_file(err_tmpl);
    unlink(out_tmpl);
    unlink(err_tmpl);
    return r;
}

Process::Process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                 const std::string& log_path)
    : pid_(spawn(argv, extra_env, log_path, log_path)) {}

Process::~Process() {
    stop();
}

bool Process::running() {
    if (status_)
        return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = decode(status);
        return false;
    }
    return true;
}

int Process::stop(std::chrono::milliseconds grace) {
    if (status_)
        return *status_;
    ::kill(pid_, SIGTERM);
    auto s = wait_until(pid_, std::chrono::steady_clock::now() + grace);
    if (!s) {
        ::kill(pid_, SIGKILL);
        s = wait_until(pid_, std::chrono::steady_clock::now() + 10s);
    }
    status_ = s.value_or(-1);
    return *status_;
}

void Process::kill_now() {
    if (status_)
        return;
    ::kill(pid_, SIGKILL);
    status_ = wait_until(pid_, std::chrono::steady_clock::now() + 10s).value_or(-1);
}

TempDir::TempDir(const std::string& tag) {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / ("ntms-" + tag + "-XXXXXX")).string();
    if (!mkdtemp(tmpl.data()))
        throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
    path_ = tmpl;
    chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

PrivateBus::PrivateBus(const std::filesystem::path& dir, const std::string& policy_file,
                       const std::string& extra_policy) {
    const auto socket = (dir / "bus.sock").string();
    const auto config = (dir / "bus.conf").string();
    {
        // The default policy of a Debian system bus: nothing may be owned or called unless a
        // policy file punches a hole, as org.ntms.Ntms1.conf does.
        std::ofstream c(config);
        c << R"(<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=)"
          << socket << R"(</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"
          send_member="UpdateActivationEnvironment"/>
  </policy>
  <include>)"
          << policy_file << R"(</include>
)" << extra_policy
          << R"(
</busconfig>
)";
    }
    if (!std::filesystem::exists(policy_file))
        throw std::runtime_error("policy file " + policy_file + " does not exist");
    daemon_.emplace(std::vector<std::string>{"dbus-daemon", "--config-file=" + config, "--nofork",
                                             "--nopidfile"},
                    std::vector<std::string>{}, (dir / "dbus-daemon.log").string());
    address_ = "unix:path=" + socket;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!accepts(socket)) {
        if (!daemon_->running() || std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("dbus-daemon did not start: " +
                                     read_file((dir / "dbus-daemon.log").string()));
        std::this_thread::sleep_for(10ms);
    }
}

PrivateBus::~PrivateBus() {
    stop();
}

void PrivateBus::stop() {
    if (daemon_)
        daemon_->stop();
}

Ntmsd::Ntmsd(const std::string& bus_address, const std::vector<std::string>& args,
             const std::string& log_path, bool discover)
    : address_(bus_address),
      process_(
          [&] {
              std::vector<std::string> argv{env_path("NTMSD"), "--log-stderr"};
              if (!discover)
                  argv.emplace_back("--no-discover");
              argv.insert(argv.end(), args.begin(), args.end());
              return argv;
          }(),
          {"DBUS_SYSTEM_BUS_ADDRESS=" + bus_address}, log_path) {}

Ntmsd::~Ntmsd() {
    process_.stop();
}

bool Ntmsd::wait_for_name(std::string& why, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    try {
        auto conn = sdbus::createSessionBusConnectionWithAddress(address_);
        auto bus = sdbus::createProxy(*conn, "org.freedesktop.DBus", "/org/freedesktop/DBus");
        for (;;) {
            bool has = false;
            bus->callMethod("NameHasOwner")
                .onInterface("org.freedesktop.DBus")
                .withArguments(std::string("org.ntms.Ntms1"))
                .storeResultsTo(has);
            if (has)
                return true;
            if (!process_.running()) {
                why = "ntmsd exited before it took its name";
                return false;
            }
            if (std::chrono::steady_clock::now() > deadline) {
                why = "ntmsd did not take its name in time";
                return false;
            }
            std::this_thread::sleep_for(20ms);
        }
    } catch (const sdbus::Error& e) {
        why = e.getName() + ": " + e.getMessage();
        return false;
    }
}

} // namespace ntms::bustest
