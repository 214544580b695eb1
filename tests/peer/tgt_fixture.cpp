#include "tgt_fixture.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <mutex>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace peer {

namespace {

// tgt lives in /usr/sbin, which an unprivileged PATH may lack.
constexpr const char* sbin_dirs = "/usr/sbin:/sbin";

std::string harness_script() {
    if (const char* env = std::getenv("TGT_HARNESS"); env != nullptr && *env != '\0')
        return env;
#ifdef NTMS_TGT_HARNESS
    return NTMS_TGT_HARNESS;
#else
    return "tests/peer/tgt-harness.sh";
#endif
}

std::string search_path() {
    const char* path = std::getenv("PATH");
    std::string p = path != nullptr ? path : "/usr/bin:/bin";
    return p + ":" + sbin_dirs;
}

bool on_path(const std::string& program) {
    std::stringstream dirs(search_path());
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (dir.empty())
            continue;
        if (::access((dir + "/" + program).c_str(), X_OK) == 0)
            return true;
    }
    return false;
}

// Supervisor pids of running libraries, read by the signal handler: lock-free atomics only.
constexpr size_t max_libraries = 8;
std::array<std::atomic<pid_t>, max_libraries> emergency_pids{};
constexpr std::array<int, 9> fatal_signals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV,
                                              SIGBUS, SIGFPE,  SIGILL, SIGABRT};
std::array<struct sigaction, fatal_signals.size()> previous_actions{};

// Asks each supervisor to stop its tgtd now (it would notice our death within 0.2 s anyway), then
// lets the signal take its previous course.
void on_fatal_signal(int sig) {
    for (auto& pid : emergency_pids) {
        const pid_t p = pid.load();
        if (p > 0)
            ::kill(p, SIGUSR1);
    }
    for (size_t i = 0; i < fatal_signals.size(); ++i)
        if (fatal_signals[i] == sig)
            ::sigaction(sig, &previous_actions[i], nullptr);
    ::raise(sig);
}

// Harnesses still running at exit(), e.g. when a test calls exit() or a static owns one.
std::mutex& live_mutex() {
    static auto* m = new std::mutex;
    return *m;
}
std::vector<TgtHarness*>& live() {
    static auto* v = new std::vector<TgtHarness*>;
    return *v;
}

void stop_all_at_exit() {
    std::vector<TgtHarness*> running;
    {
        std::lock_guard lock(live_mutex());
        running = live();
    }
    for (TgtHarness* h : running)
        h->stop();
}

void install_safety_nets() {
    static std::once_flag once;
    std::call_once(once, [] {
        std::atexit(stop_all_at_exit);
        for (size_t i = 0; i < fatal_signals.size(); ++i) {
            struct sigaction sa {};
            sa.sa_handler = on_fatal_signal;
            sigemptyset(&sa.sa_mask);
            sa.sa_flags = SA_NODEFER;
            ::sigaction(fatal_signals[i], &sa, &previous_actions[i]);
        }
    });
}

template <typename T> T number(const std::map<std::string, std::string>& kv, const char* key) {
    T value{};
    const auto it = kv.find(key);
    if (it != kv.end())
        std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
    return value;
}

} // namespace

TgtHarness::~TgtHarness() {
    stop();
}

std::string TgtHarness::missing_tools() {
    std::string missing;
    for (const char* tool : {"tgtd", "tgtadm", "tgtimg"})
        if (!on_path(tool))
            missing += missing.empty() ? tool : std::string(", ") + tool;
    if (missing.empty())
        return {};
    return missing + " not installed (Debian package tgt)";
}

int TgtHarness::run(const std::vector<std::string>& args, const std::vector<std::string>& env,
                    std::string& output) const {
    output.clear();
    std::vector<std::string> argv_s = {"bash", harness_script()};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<std::string> env_s;
    for (char** e = environ; *e != nullptr; ++e) {
        if (std::strncmp(*e, "PATH=", 5) != 0)
            env_s.emplace_back(*e);
    }
    env_s.push_back("PATH=" + search_path());
    env_s.push_back("TGT_HARNESS_DIR=" + dir_);
    env_s.insert(env_s.end(), env.begin(), env.end());
    std::vector<char*> argv, envp;
    for (auto& s : argv_s)
        argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env_s)
        envp.push_back(s.data());
    envp.push_back(nullptr);

    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
        output = std::string("pipe: ") + std::strerror(errno);
        return -1;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    // Our iSCSI sockets must not live on in tgtadm or in the long-lived supervisor.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, "bash", &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        output = std::string("cannot run bash: ") + std::strerror(rc);
        return -1;
    }
    std::array<char, 4096> buf{};
    for (;;) {
        const ssize_t n = ::read(fds[0], buf.data(), buf.size());
        if (n > 0) {
            output.append(buf.data(), static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The KEY=VALUE lines the harness prints after start and up.
bool TgtHarness::apply_env(const std::string& output) {
    std::map<std::string, std::string> kv;
    std::stringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        const auto eq = line.find('=');
        if (eq != std::string::npos && line.rfind("TGT", 0) == 0)
            kv[line.substr(0, eq)] = line.substr(eq + 1);
    }
    if (kv.count("TGT_URL") == 0)
        return false;
    library_.url = kv["TGT_URL"];
    library_.iqn = kv["TGT_IQN"];
    library_.port = number<uint16_t>(kv, "TGT_PORT");
    library_.control_instance = number<int>(kv, "TGT_CN");
    library_.lun = number<int>(kv, "TGT_LUN");
    library_.tgtd_pid = number<pid_t>(kv, "TGTD_PID");
    library_.supervisor_pid = number<pid_t>(kv, "TGT_SUPERVISOR_PID");
    library_.transport = number<uint16_t>(kv, "TGT_MT");
    library_.drive_first = number<uint16_t>(kv, "TGT_DT_FIRST");
    library_.drives = number<uint16_t>(kv, "TGT_DRIVES");
    library_.ie_first = number<uint16_t>(kv, "TGT_IE_FIRST");
    library_.ie = number<uint16_t>(kv, "TGT_IE");
    library_.storage_first = number<uint16_t>(kv, "TGT_ST_FIRST");
    library_.slots = number<uint16_t>(kv, "TGT_SLOTS");
    library_.fill = number<uint16_t>(kv, "TGT_FILL");
    library_.serial = kv["TGT_SERIAL"];
    return true;
}

bool TgtHarness::start(const TgtOptions& options, std::string& error) {
    if (started_)
        return true;
    install_safety_nets();
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/ntms-tgt-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        error = "mkdtemp " + pattern + ": " + std::strerror(errno);
        return false;
    }
    dir_ = pattern;

    std::string out;
    const int rc =
        run({"start"},
            {"WATCH_PID=" + std::to_string(::getpid()), "TGT_HARNESS_CLEANUP=1",
             "SLOTS=" + std::to_string(options.slots), "DRIVES=" + std::to_string(options.drives),
             "IE=" + std::to_string(options.ie), "FILL=" + std::to_string(options.fill),
             "SERIAL=" + options.serial},
            out);
    if (rc != 0 || !apply_env(out)) {
        error = "tgt-harness.sh start failed (exit " + std::to_string(rc) + "):\n" + out;
        started_ = true; // let stop() clean up whatever was started
        stop();
        return false;
    }
    started_ = true;

    for (size_t i = 0; i < emergency_pids.size(); ++i) {
        pid_t expected = 0;
        if (emergency_pids[i].compare_exchange_strong(expected, library_.supervisor_pid)) {
            slot_ = static_cast<int>(i);
            break;
        }
    }
    std::lock_guard lock(live_mutex());
    live().push_back(this);
    return true;
}

void TgtHarness::stop() {
    if (!started_)
        return;
    std::string out;
    if (run({"stop"}, {}, out) != 0)
        std::fprintf(stderr, "tgt-harness.sh stop: %s\n", out.c_str());
    started_ = false;
    if (slot_ >= 0) {
        emergency_pids[static_cast<size_t>(slot_)].store(0);
        slot_ = -1;
    }
    {
        std::lock_guard lock(live_mutex());
        auto& v = live();
        v.erase(std::remove(v.begin(), v.end(), this), v.end());
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

bool TgtHarness::insert(uint16_t ie_address, const std::string& barcode, std::string* error) {
    std::string out;
    const bool ok = run({"insert", std::to_string(ie_address), barcode}, {}, out) == 0;
    if (!ok && error != nullptr)
        *error = out;
    return ok;
}

bool TgtHarness::remove(uint16_t ie_address, std::string* error) {
    std::string out;
    const bool ok = run({"remove", std::to_string(ie_address)}, {}, out) == 0;
    if (!ok && error != nullptr)
        *error = out;
    return ok;
}

bool TgtHarness::place(sgio::ElementType type, uint16_t address, const std::string& barcode,
                       std::string* error) {
    std::string out;
    const bool ok = run({"place", std::to_string(static_cast<unsigned>(type)),
                         std::to_string(address), barcode},
                        {}, out) == 0;
    if (!ok && error != nullptr)
        *error = out;
    return ok;
}

bool TgtHarness::drop_sessions(std::string* error) {
    std::string out;
    const bool ok = run({"drop-sessions"}, {}, out) == 0;
    if (!ok && error != nullptr)
        *error = out;
    return ok;
}

int TgtHarness::sessions() {
    std::string out;
    if (run({"sessions"}, {}, out) != 0)
        return -1;
    int n = -1;
    std::from_chars(out.data(), out.data() + out.size(), n);
    return n;
}

bool TgtHarness::bind(bool admit, std::string* error) {
    std::string out;
    const bool ok = run({admit ? "bind" : "unbind"}, {}, out) == 0;
    if (!ok && error != nullptr)
        *error = out;
    return ok;
}

bool TgtHarness::down(std::string* error) {
    std::string out;
    const bool ok = run({"down"}, {}, out) == 0;
    if (!ok && error != nullptr)
        *error = out;
    return ok;
}

bool TgtHarness::up(std::string* error, std::optional<std::string> serial) {
    std::string out;
    std::vector<std::string> env;
    if (serial)
        env.push_back("SERIAL=" + *serial);
    const bool ok = run({"up"}, env, out) == 0 && apply_env(out);
    if (!ok && error != nullptr)
        *error = out;
    return ok;
}

bool TgtHarness::stall() {
    return started_ && library_.tgtd_pid > 0 && ::kill(library_.tgtd_pid, SIGSTOP) == 0;
}

bool TgtHarness::resume() {
    return started_ && library_.tgtd_pid > 0 && ::kill(library_.tgtd_pid, SIGCONT) == 0;
}

std::unique_ptr<TgtHarness> TgtTest::harness_;
std::string TgtTest::skip_reason_;
std::string TgtTest::start_error_;

void TgtTest::SetUpTestSuite() {
    skip_reason_ = TgtHarness::missing_tools();
    start_error_.clear();
    if (!skip_reason_.empty())
        return;
    harness_ = std::make_unique<TgtHarness>();
    if (!harness_->start(TgtOptions{}, start_error_) && start_error_.empty())
        start_error_ = "tgt library did not start";
}

void TgtTest::TearDownTestSuite() {
    harness_.reset();
}

void TgtTest::SetUp() {
    if (!skip_reason_.empty())
        GTEST_SKIP() << skip_reason_;
    ASSERT_TRUE(start_error_.empty()) << start_error_;
}

} // namespace peer
