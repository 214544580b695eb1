// Manager.EjectMedia over the real bus, with busctl as the client: a medium found in ListMedia is
// ejected, taken out by the operator (ntms-sim), and listed as gone; QUEUE's reply; the errors of
// bad calls, which change nothing.
#include "bus_fixture.hpp"

#include <grp.h>
#include <regex>
#include <thread>
#include <unistd.h>

namespace ntms::bustest {
namespace {

using namespace std::chrono_literals;

class BusEject : public BusTest {
protected:
    std::string list_media(const std::string& lib_path) {
        return busctl({"call", service, lib_path, library_iface, "ListMedia"}).out;
    }
    CommandResult eject(const std::string& medium, const std::string& action,
                        const std::string& job = {}) {
        return busctl({"call", service, root_path, manager_iface, "EjectMedia", "susa{sv}", medium,
                       action, job, "1", "application", "s", "busctl"});
    }
};

TEST_F(BusEject, BusctlEjectsAMediumTheOperatorTakesOut) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=10,ie=2,fill=3")}));
    const std::string lib_path = library_path("lab1");
    const std::string guid = medium_guid(lib_path, "S00002L8");
    ASSERT_EQ(guid.size(), 36u);

    auto call = eject(guid, "0");
    ASSERT_EQ(call.status, 0) << call.err;
    ASSERT_EQ(call.out.rfind("so ", 0), 0u) << call.out;
    const std::string job_path = quoted(call.out, 1);
    ASSERT_EQ(job_path.rfind("/org/ntms/Ntms1/job/", 0), 0u) << call.out;
    auto op = busctl(
        {"get-property", service, job_path, job_iface, "Operation", "Action", "Application"});
    EXPECT_EQ(op.out, "s \"eject\"\nu 0\ns \"busctl\"\n") << op.err;

    wait_busctl_state(job_path, "u 5"); // WAITING: in the port, the operator asked
    EXPECT_NE(list_media(lib_path).find("\"S00002L8\" \"exported\" 100"), std::string::npos);
    ASSERT_NO_FATAL_FAILURE(operator_do("lab1", {"remove", "100"}));
    wait_busctl_state(job_path, "u 2"); // PASSED

    auto moved = busctl({"get-property", service, job_path, job_iface, "MediaMoved", "Error"});
    EXPECT_EQ(moved.out, "u 1\nu 0\n");
    const std::string after = list_media(lib_path);
    EXPECT_NE(after.find("\"" + guid + "\" \"S00002L8\" \"gone\" 0"), std::string::npos) << after;
    auto free = busctl({"get-property", service, lib_path, library_iface, "FreeSlots"});
    EXPECT_EQ(free.out, "u 8\n");

    // QUEUE has no job: the empty GUID and "/".
    const std::string other = medium_guid(lib_path, "S00001L8");
    auto queued = eject(other, "2");
    ASSERT_EQ(queued.status, 0) << queued.err;
    EXPECT_EQ(queued.out, "so \"\" \"/\"\n");
}

TEST_F(BusEject, BadCallsAnswerTheirErrorsAndChangeNothing) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=10,ie=1,fill=2")}));
    const std::string lib_path = library_path("lab1");
    const std::string guid = medium_guid(lib_path, "S00001L8");
    const std::string before = list_media(lib_path);

    struct Case {
        std::string medium, action, job, error;
    };
    const std::string unknown = "0badc0de-0000-4000-8000-000000000001";
    for (const auto& c : std::vector<Case>{
             {guid, "4", "", "org.ntms.Ntms1.Error.InvalidParameter"},
             {guid, "5", "", "org.ntms.Ntms1.Error.InvalidParameter"},
             {guid, "6", "", "org.ntms.Ntms1.Error.InvalidParameter"},
             {"S00001L8", "0", "", "org.ntms.Ntms1.Error.InvalidParameter"},
             {"", "3", "", "org.ntms.Ntms1.Error.InvalidParameter"},
             {unknown, "0", "", "org.ntms.Ntms1.Error.ObjectNotFound"},
             {"", "1", unknown, "org.ntms.Ntms1.Error.InvalidOperation"},
             {"", "1", "nope", "org.ntms.Ntms1.Error.InvalidParameter"},
         }) {
        // The error's name, through the generic proxy (busctl prints only the message).
        const std::string name = error_of([&] {
            std::string job;
            sdbus::ObjectPath path;
            proxy(root_path)
                ->callMethod("EjectMedia")
                .onInterface(manager_iface)
                .withArguments(c.medium, static_cast<uint32_t>(std::stoul(c.action)), c.job,
                               Options{})
                .storeResultsTo(job, path);
        });
        EXPECT_EQ(name, c.error) << c.medium << " " << c.action << ": " << last_message_;
        auto r = eject(c.medium, c.action, c.job);
        EXPECT_NE(r.status, 0) << c.medium << " " << c.action;
        EXPECT_FALSE(r.err.empty());
    }
    // An unknown option is named.
    auto opt = busctl({"call", service, root_path, manager_iface, "EjectMedia", "susa{sv}", guid,
                       "0", "", "1", "colour", "s", "red"});
    EXPECT_NE(opt.err.find("colour"), std::string::npos) << opt.err;
    EXPECT_EQ(list_media(lib_path), before);
    EXPECT_TRUE(managed_objects("job").empty());
}

// The rights of InjectMedia: CONTROL on the medium's library. An outsider is refused with the
// missing right named and nothing moves; a member of the library's CONTROL group (tape by
// default) ejects.
TEST_F(BusEject, EjectNeedsControlOfTheMediumsLibrary) {
    if (geteuid() != 0)
        GTEST_SKIP() << "needs root to run callers as another uid";
    const group* tape = getgrnam("tape");
    if (!tape)
        GTEST_SKIP() << "no group tape";
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=10,ie=1,fill=2")}));
    const std::string lib_path = library_path("lab1");
    const std::string guid = medium_guid(lib_path, "S00001L8");
    const std::string before = list_media(lib_path);

    auto refused = busctl(
        {"call", service, root_path, manager_iface, "EjectMedia", "susa{sv}", guid, "0", "", "0"},
        As{As::Nobody});
    EXPECT_NE(refused.status, 0);
    EXPECT_NE(refused.err.find("lacks CONTROL access to library lab1"), std::string::npos)
        << refused.err;
    EXPECT_EQ(list_media(lib_path), before);
    EXPECT_TRUE(managed_objects("job").empty());

    auto member = busctl(
        {"call", service, root_path, manager_iface, "EjectMedia", "susa{sv}", guid, "0", "", "0"},
        As{As::NobodyWithGroup, tape->gr_gid});
    ASSERT_EQ(member.status, 0) << member.err;
    const std::string job_path = quoted(member.out, 1);
    wait_busctl_state(job_path, "u 5");
    auto uid = busctl({"get-property", service, job_path, job_iface, "StartedByUID"});
    EXPECT_EQ(uid.out, "u 65534\n");
    // An outsider may not stop it either.
    auto stop = busctl({"call", service, root_path, manager_iface, "EjectMedia", "susa{sv}", "",
                        "1", quoted(member.out, 0), "0"},
                       As{As::Nobody});
    EXPECT_NE(stop.status, 0);
    EXPECT_NE(stop.err.find("lacks CONTROL access"), std::string::npos) << stop.err;
    ASSERT_NO_FATAL_FAILURE(operator_do("lab1", {"remove", "100"}));
    wait_busctl_state(job_path, "u 2");
}

} // namespace
} // namespace ntms::bustest
