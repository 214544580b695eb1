// polkit as the authority for the rights no group of ntmsd.conf gives: a real polkitd on the
// private bus (see polkit_harness.hpp) with the shipped org.ntms.ntms1.policy and the test's rules,
// the real ntmsd, callers run as nobody under setpriv. Needs root and Debian's polkitd.
#include "bus_fixture.hpp"
#include "polkit_harness.hpp"

#include <grp.h>
#include <iostream>
#include <pwd.h>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace ntms::bustest {
namespace {

using namespace std::chrono_literals;

constexpr const char* access_denied = "org.ntms.Ntms1.Error.AccessDenied";

// A rules.d file that grants one action to one user on one library (polkit details "library").
std::string grant(const std::string& action, const std::string& user, const std::string& library) {
    return "polkit.addRule(function(action, subject) {\n"
           "    if (action.id == \"" +
           action + "\" && subject.user == \"" + user +
           "\" &&\n        action.lookup(\"library\") == \"" + library +
           "\")\n        return polkit.Result.YES;\n});\n";
}

struct Outcome {
    std::string error; // "" on success
    std::vector<std::string> lines;
};

// ntms-dbus-call's output: "ok" and the results, or "error NAME" and the message.
Outcome outcome(const CommandResult& r) {
    Outcome o;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);)
        o.lines.push_back(line);
    if (r.status != 0)
        o.error = !o.lines.empty() && o.lines[0].rfind("error ", 0) == 0
                      ? o.lines[0].substr(6)
                      : "unexpected output: " + r.out + r.err;
    return o;
}

std::string message(const Outcome& o) {
    return o.lines.size() > 1 ? o.lines[1] : std::string();
}

// A system user for one test, unless it exists already (then it is left as it is).
class TempUser {
public:
    explicit TempUser(std::string name) : name_(std::move(name)) {
        if (getpwnam(name_.c_str()))
            return;
        const auto r = run_command({"useradd", "--system", "--no-create-home", "--no-user-group",
                                    "--gid", "nogroup", "--shell", "/usr/sbin/nologin", name_});
        if (r.status != 0)
            throw std::runtime_error("useradd failed: " + r.err);
        created_ = true;
    }
    ~TempUser() {
        if (created_)
            run_command({"userdel", name_});
    }
    TempUser(const TempUser&) = delete;
    TempUser& operator=(const TempUser&) = delete;

private:
    std::string name_;
    bool created_ = false;
};

// A bus connection held open by a child process running as nobody: a subject for polkit.
class NobodysConnection {
public:
    explicit NobodysConnection(const std::string& address) {
        int fds[2];
        if (pipe(fds) != 0)
            throw std::runtime_error("pipe failed");
        pid_ = fork();
        if (pid_ == 0) {
            close(fds[0]);
            if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
                _exit(1);
            try {
                auto conn = sdbus::createSessionBusConnectionWithAddress(address);
                const std::string line = conn->getUniqueName() + "\n";
                if (write(fds[1], line.data(), line.size()) != static_cast<ssize_t>(line.size()))
                    _exit(1);
                pause();
            } catch (...) {
            }
            _exit(1);
        }
        close(fds[1]);
        char c = 0;
        while (read(fds[0], &c, 1) == 1 && c != '\n')
            name_ += c;
        close(fds[0]);
        if (pid_ < 0 || name_.empty())
            throw std::runtime_error("no connection as nobody");
    }
    ~NobodysConnection() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    NobodysConnection(const NobodysConnection&) = delete;
    NobodysConnection& operator=(const NobodysConnection&) = delete;
    const std::string& name() const { return name_; }

private:
    pid_t pid_ = -1;
    std::string name_;
};

class BusPolkit : public BusTest {
protected:
    void SetUp() override {
        if (auto why = PrivatePolkit::unavailable())
            GTEST_SKIP() << *why;
        dir_ = std::make_unique<TempDir>("polkit");
        bus_ = std::make_unique<PrivateBus>(dir_->path(), env_path("NTMS_DBUS_POLICY"),
                                            polkit_bus_policy);
    }
    void TearDown() override {
        polkit_.reset();
        if (HasFailure() && dir_)
            std::cerr << "---- polkitd log ----\n" << read_file(dir_->file("polkitd.log"));
        BusTest::TearDown();
    }
    void start_polkit(const std::map<std::string, std::string>& rules) {
        polkit_ = std::make_unique<PrivatePolkit>(dir_->path(), bus_->address(),
                                                  env_path("NTMS_POLKIT_POLICY"), rules);
    }

    std::unique_ptr<PrivatePolkit> polkit_;
    const As nobody{As::Nobody};
};

TEST_F(BusPolkit, NoGroupAndNoRuleIsDenied) {
    ASSERT_NO_FATAL_FAILURE(start_polkit({}));
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=20,ie=1")}));
    const std::string lab1 = library_guid("lab1");

    auto inject = outcome(dbus_call({"inject", lab1, "0", ""}, nobody));
    EXPECT_EQ(inject.error, access_denied);
    EXPECT_NE(message(inject).find("lacks CONTROL access to library lab1; polkit does not "
                                   "authorize org.ntms.ntms1.control"),
              std::string::npos)
        << message(inject);
    // USE is granted by any of the three actions: all were asked.
    auto media =
        outcome(dbus_call({"call", library_path("lab1"), library_iface, "ListMedia"}, nobody));
    EXPECT_EQ(media.error, access_denied);
    EXPECT_NE(message(media).find("polkit authorizes none of org.ntms.ntms1.use, "
                                  "org.ntms.ntms1.modify, org.ntms.ntms1.control"),
              std::string::npos)
        << message(media);
    EXPECT_TRUE(managed_objects("job").empty());
}

TEST_F(BusPolkit, RuleGrantingControlAdmitsItsLibraryOnly) {
    ASSERT_NO_FATAL_FAILURE(
        start_polkit({{"50-ntms.rules", grant("org.ntms.ntms1.control", "nobody", "lab1")}}));
    ASSERT_NO_FATAL_FAILURE(
        start_daemon({sim("lab1", "slots=20,ie=1"), sim("lab2", "slots=20,ie=1")}));
    const std::string lab1 = library_guid("lab1");

    auto started = outcome(dbus_call({"inject", lab1, "0", "", "application=s:polkit"}, nobody));
    ASSERT_EQ(started.error, "") << message(started);
    ASSERT_EQ(started.lines.size(), 3u);
    const sdbus::ObjectPath job_path(started.lines[2]);
    EXPECT_EQ(get_as<uint32_t>(job_path, job_iface, "StartedByUID"), 65534u);
    wait_state(job_path, [](uint32_t s) { return s == lm_waiting; });
    // CONTROL implies USE.
    EXPECT_EQ(outcome(dbus_call({"call", library_path("lab1"), library_iface, "ListMedia"}, nobody))
                  .error,
              "");
    // The job's insert request is answered by the same right.
    std::vector<std::string> requests;
    for (const auto deadline = std::chrono::steady_clock::now() + 30s;
         requests.empty() && std::chrono::steady_clock::now() < deadline;)
        requests = managed_objects("oprequest");
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(outcome(dbus_call({"call", requests[0], oprequest_iface, "Satisfy"}, nobody)).error,
              "");
    EXPECT_EQ(wait_final(job_path), lm_passed);

    // The rule names lab1: lab2 stays closed.
    auto other = outcome(dbus_call({"inject", library_guid("lab2"), "0", ""}, nobody));
    EXPECT_EQ(other.error, access_denied);
    EXPECT_NE(message(other).find("polkit does not authorize org.ntms.ntms1.control"),
              std::string::npos)
        << message(other);
}

TEST_F(BusPolkit, RuleGrantingUseListsMediaButMovesNothing) {
    ASSERT_NO_FATAL_FAILURE(
        start_polkit({{"50-ntms.rules", grant("org.ntms.ntms1.use", "nobody", "lab1")}}));
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=20,ie=1")}));
    EXPECT_EQ(outcome(dbus_call({"call", library_path("lab1"), library_iface, "ListMedia"}, nobody))
                  .error,
              "");
    EXPECT_EQ(outcome(dbus_call({"inject", library_guid("lab1"), "0", ""}, nobody)).error,
              access_denied);
    EXPECT_TRUE(managed_objects("job").empty());
}

// ntmsd runs as user ntmsd, not root: the shipped actions name it as their owner, which is what
// lets it ask polkit about another user's caller and pass details. Another system user may not.
TEST_F(BusPolkit, TheDaemonsUserMayAskAboutOtherCallers) {
    const TempUser user("ntmsd");
    ASSERT_NO_FATAL_FAILURE(start_polkit({}));
    const NobodysConnection subject(bus_->address());
    auto ask_as = [&](const std::string& who) {
        return run_command({"setpriv",
                            "--reuid=" + who,
                            "--regid=nogroup",
                            "--clear-groups",
                            "busctl",
                            "--address=" + bus_->address(),
                            "call",
                            "org.freedesktop.PolicyKit1",
                            "/org/freedesktop/PolicyKit1/Authority",
                            "org.freedesktop.PolicyKit1.Authority",
                            "CheckAuthorization",
                            "(sa{sv})sa{ss}us",
                            "system-bus-name",
                            "1",
                            "name",
                            "s",
                            subject.name(),
                            "org.ntms.ntms1.control",
                            "1",
                            "library",
                            "lab1",
                            "0",
                            ""});
    };
    const auto by_ntmsd = ask_as("ntmsd");
    EXPECT_EQ(by_ntmsd.status, 0) << by_ntmsd.err;
    EXPECT_EQ(by_ntmsd.out, "(bba{ss}) false false 1 \"library\" \"lab1\"\n") << by_ntmsd.err;
    const auto by_other = ask_as("daemon");
    EXPECT_NE(by_other.status, 0);
    EXPECT_NE(by_other.err.find("Only trusted callers"), std::string::npos) << by_other.err;
}

// ntmsd asks without user interaction: a rule that wants an administrator to authenticate is a
// refusal that says so.
TEST_F(BusPolkit, RuleAskingForAuthenticationRefuses) {
    ASSERT_NO_FATAL_FAILURE(start_polkit({{"50-ntms.rules", R"(
polkit.addRule(function(action, subject) {
    if (action.id == "org.ntms.ntms1.control" && subject.user == "nobody")
        return polkit.Result.AUTH_ADMIN;
});
)"}}));
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=20,ie=1")}));
    auto inject = outcome(dbus_call({"inject", library_guid("lab1"), "0", ""}, nobody));
    EXPECT_EQ(inject.error, access_denied);
    EXPECT_NE(message(inject).find("polkit would authorize org.ntms.ntms1.control only after an "
                                   "authentication, which ntmsd does not ask for"),
              std::string::npos)
        << message(inject);
    EXPECT_TRUE(managed_objects("job").empty());
}

// A polkitd that takes calls and never answers: the refusal comes within the budget (3 s), the
// next caller is refused without asking, and a member of a configured group is never held up:
// the group decides without polkit.
TEST_F(BusPolkit, UnansweringPolkitIsBoundedAndGroupsDecideWithoutIt) {
    const group* tape = getgrnam("tape");
    if (!tape)
        GTEST_SKIP() << "no group tape";
    ASSERT_NO_FATAL_FAILURE(
        start_polkit({{"50-ntms.rules", grant("org.ntms.ntms1.control", "nobody", "lab1")}}));
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=20,ie=1")}));
    const std::string lab1 = library_guid("lab1");
    polkit_->pause();

    auto timed = [&](const std::vector<std::string>& args, As who) {
        const auto t0 = std::chrono::steady_clock::now();
        Outcome o = outcome(dbus_call(args, who));
        return std::make_pair(o, std::chrono::steady_clock::now() - t0);
    };
    const As member{As::NobodyWithGroup, tape->gr_gid};
    auto [by_member, member_took] = timed({"inject", lab1, "0", ""}, member);
    EXPECT_EQ(by_member.error, "") << message(by_member);
    EXPECT_LT(member_took, 2s);

    auto [first, first_took] = timed({"inject", lab1, "0", ""}, nobody);
    EXPECT_EQ(first.error, access_denied);
    EXPECT_NE(message(first).find("polkit did not answer within 3000 ms"), std::string::npos)
        << message(first);
    EXPECT_GE(first_took, 3s);
    EXPECT_LT(first_took, 10s);

    auto [second, second_took] = timed({"inject", lab1, "0", ""}, nobody);
    EXPECT_EQ(second.error, access_denied);
    EXPECT_NE(message(second).find("polkit was not asked"), std::string::npos) << message(second);
    EXPECT_LT(second_took, 2s);
    EXPECT_EQ(managed_objects("job").size(), 1u);
}

} // namespace
} // namespace ntms::bustest
