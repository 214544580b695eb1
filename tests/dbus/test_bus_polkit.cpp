// polkit as the authority for the rights no group of ntmsd.conf gives: a real polkitd on the
// private bus (see polkit_harness.hpp) with the shipped org.ntms.ntms1.policy and the test's rules,
// the real ntmsd, callers run as nobody under setpriv. Needs root and Debian's polkitd.
#include "bus_fixture.hpp"
#include "polkit_harness.hpp"

#include <grp.h>
#include <iostream>
#include <sstream>

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
