// Authorization from the bus's sender credentials: an unprivileged uid reads every property but
// may not act or list media, and changes nothing; a member of a library's CONTROL group may
// inject. No polkitd is on this bus (test_bus_polkit has one). Callers are run under setpriv;
// needs root.
#include "bus_fixture.hpp"
#include "daemon/store/store.hpp"

#include <grp.h>
#include <sstream>
#include <unistd.h>

namespace ntms::bustest {
namespace {

constexpr const char* access_denied = "org.ntms.Ntms1.Error.AccessDenied";

size_t jobs_in_database(const std::string& path) {
    auto store = Store::open(path);
    EXPECT_TRUE(store) << store.error().message;
    auto jobs = (*store)->list_jobs();
    return jobs ? jobs->size() : 0;
}

// A Unix group that exists for the duration of one test.
class TempGroup {
public:
    TempGroup() : name_("ntmsdbus" + std::to_string(getpid())) {
        run_command({"groupdel", name_}); // a leftover of an interrupted run
        const auto r = run_command({"groupadd", name_});
        if (r.status != 0)
            throw std::runtime_error("groupadd failed: " + r.err);
        const group* g = getgrnam(name_.c_str());
        if (!g)
            throw std::runtime_error("group " + name_ + " not found after groupadd");
        gid_ = g->gr_gid;
    }
    ~TempGroup() { run_command({"groupdel", name_}); }
    TempGroup(const TempGroup&) = delete;
    TempGroup& operator=(const TempGroup&) = delete;
    const std::string& name() const { return name_; }
    uint32_t gid() const { return gid_; }

private:
    std::string name_;
    uint32_t gid_ = 0;
};

class BusAccess : public BusTest {
protected:
    void SetUp() override {
        if (geteuid() != 0)
            GTEST_SKIP() << "needs root to run callers as another uid";
        BusTest::SetUp();
    }
    // ntms-dbus-call's error name ("" on success).
    static std::string error_name(const CommandResult& r) {
        if (r.status == 0)
            return {};
        if (r.out.rfind("error ", 0) != 0)
            return "unexpected output: " + r.out + r.err;
        return r.out.substr(6, r.out.find('\n') - 6);
    }
};

TEST_F(BusAccess, UnprivilegedCallerReadsButActsOnNothing) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=20,ie=1")}));
    const As nobody{As::Nobody};
    const std::string lab1 = library_guid("lab1");
    const std::string lab1_path = library_path("lab1");
    auto [job, job_path] = inject(lab1, inject_start); // root's own job
    wait_state(job_path, [](uint32_t s) { return s == lm_waiting; });
    std::vector<std::string> requests; // the waiting inject's insert request, a moment later
    for (const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
         requests.empty() && std::chrono::steady_clock::now() < deadline;)
        requests = managed_objects("oprequest");
    ASSERT_EQ(requests.size(), 1u);
    const size_t jobs_before = jobs_in_database(database());

    // Acting, and the media list (which no signal carries), need a right.
    EXPECT_EQ(error_name(dbus_call({"inject", lab1, "0", ""}, nobody)), access_denied);
    EXPECT_EQ(error_name(dbus_call({"inject", lab1, "1", job}, nobody)), access_denied);
    EXPECT_EQ(error_name(dbus_call({"inject", lab1, "2", job}, nobody)), access_denied);
    EXPECT_EQ(error_name(dbus_call({"cancel", job_path}, nobody)), access_denied);
    EXPECT_EQ(error_name(dbus_call({"call", requests[0], oprequest_iface, "Satisfy"}, nobody)),
              access_denied);
    EXPECT_EQ(error_name(dbus_call({"call", requests[0], oprequest_iface, "Cancel"}, nobody)),
              access_denied);
    EXPECT_EQ(error_name(dbus_call({"call", lab1_path, library_iface, "ListMedia"}, nobody)),
              access_denied);
    EXPECT_EQ(error_name(dbus_call({"call", lab1_path, library_iface, "ListElements"}, nobody)),
              access_denied);
    // What the caller may do is open to it: nothing here, everything for root.
    EXPECT_EQ(busctl({"call", service, lab1_path, library_iface, "CallerAccess"}, nobody).out,
              "u 0\n");
    EXPECT_EQ(busctl({"call", service, lab1_path, library_iface, "CallerAccess"}).out, "u 7\n");

    // What the signals broadcast anyway is readable by every caller the bus policy admits.
    EXPECT_EQ(error_name(dbus_call({"get-library", "lab1"}, nobody)), "");
    EXPECT_EQ(error_name(dbus_call({"get", lab1_path, library_iface, "FreeSlots"}, nobody)), "");
    EXPECT_EQ(error_name(dbus_call({"get", job_path, job_iface, "State"}, nobody)), "");
    EXPECT_EQ(error_name(dbus_call({"get", requests[0], oprequest_iface, "Message"}, nobody)), "");
    EXPECT_EQ(error_name(dbus_call({"get", root_path, manager_iface, "Version"}, nobody)), "");
    auto free_slots =
        busctl({"get-property", service, lab1_path, library_iface, "FreeSlots"}, nobody);
    EXPECT_EQ(free_slots.out, "u 20\n") << free_slots.err;
    auto list = busctl({"call", service, root_path, manager_iface, "ListLibraries"}, nobody);
    EXPECT_EQ(list.status, 0) << list.err;
    EXPECT_EQ(list.out, "ao 1 \"" + lab1_path + "\"\n");
    auto all = busctl(
        {"call", service, root_path, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"},
        nobody);
    EXPECT_EQ(all.status, 0) << all.err;
    EXPECT_NE(all.out.find(job_path), std::string::npos) << all.out;

    // busctl under setpriv: the same refusal; the message names the missing right and polkit,
    // which is not on this bus.
    auto r = busctl(
        {"call", service, root_path, manager_iface, "InjectMedia", "susa{sv}", lab1, "0", "", "0"},
        nobody);
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("uid 65534"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("lacks CONTROL access to library lab1"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("polkit could not be asked about org.ntms.ntms1.control"),
              std::string::npos)
        << r.err;

    // Nothing changed: root's job still waits, no other job exists.
    EXPECT_EQ(job_state(job_path), lm_waiting);
    EXPECT_EQ(jobs_in_database(database()), jobs_before);
    EXPECT_EQ(managed_objects("job").size(), 1u);
    EXPECT_EQ(managed_objects("oprequest").size(), 1u);
    EXPECT_EQ(get_as<uint32_t>(lab1_path, library_iface, "FreeSlots"), 20u);
}

TEST_F(BusAccess, MemberOfTheControlGroupInjects) {
    TempGroup group;
    ASSERT_NO_FATAL_FAILURE(
        start_daemon({}, "[Library lab1]\nDevice=sim:lab1,state=" + state_file("lab1") +
                             ",slots=20,ie=1\nControlGroups=" + group.name() + "\nUseGroups=\n"));
    const As member{As::NobodyWithGroup, group.gid()};
    const std::string lab1 = library_guid("lab1");

    auto started = dbus_call({"inject", lab1, "0", "", "application=s:member"}, member);
    ASSERT_EQ(started.status, 0) << started.out << started.err;
    std::vector<std::string> reply; // "ok", the job's GUID, its path
    std::istringstream in(started.out);
    for (std::string line; std::getline(in, line);)
        reply.push_back(line);
    ASSERT_EQ(reply.size(), 3u) << started.out;
    const std::string job_path = reply[2];
    EXPECT_EQ(get_as<uint32_t>(job_path, job_iface, "StartedByUID"), 65534u);
    EXPECT_EQ(get_as<std::string>(job_path, job_iface, "Application"), "member");
    // CONTROL implies USE: the member reads the library and the job.
    EXPECT_EQ(error_name(dbus_call({"get", library_path("lab1"), library_iface, "Ports"}, member)),
              "");
    auto state = busctl({"get-property", service, job_path, job_iface, "Action"}, member);
    EXPECT_EQ(state.out, "u 0\n") << state.err;
    // busctl as the member queues a second inject behind the first.
    auto second = busctl(
        {"call", service, root_path, manager_iface, "InjectMedia", "susa{sv}", lab1, "0", "", "0"},
        member);
    EXPECT_EQ(second.status, 0) << second.err;
    EXPECT_EQ(managed_objects("job").size(), 2u);
    // CallerAccess tells the member it has CONTROL, and so MODIFY and USE (7).
    EXPECT_EQ(busctl({"call", service, library_path("lab1"), library_iface, "CallerAccess"}, member)
                  .out,
              "u 7\n");
    // The member may stop its job, an outsider may not.
    EXPECT_EQ(error_name(dbus_call({"cancel", job_path}, As{As::Nobody})), access_denied);
    EXPECT_EQ(error_name(dbus_call({"cancel", job_path}, member)), "");
    EXPECT_EQ(wait_final(job_path), lm_stopped);
}

// The bus policy is the gate for reading: with the narrowing that ntmsd(8) shows (a file in
// /etc/dbus-1/system.d, here appended to the bus configuration), an outsider cannot even read a
// property, while root and the admitted group read and act as before.
TEST_F(BusAccess, ANarrowedBusPolicyIsTheGateForReading) {
    const group* tape = getgrnam("tape");
    if (!tape)
        GTEST_SKIP() << "no group tape";
    const std::string narrowed = R"(
  <policy context="default">
    <deny send_destination="org.ntms.Ntms1"/>
    <deny receive_sender="org.ntms.Ntms1"/>
  </policy>
  <policy group="tape">
    <allow send_destination="org.ntms.Ntms1"/>
    <allow receive_sender="org.ntms.Ntms1"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.ntms.Ntms1"/>
    <allow receive_sender="org.ntms.Ntms1"/>
  </policy>
)";
    bus_.reset();
    bus_ = std::make_unique<PrivateBus>(dir_->path(), env_path("NTMS_DBUS_POLICY"), narrowed);
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=20,ie=1")}));
    const std::string lab1_path = library_path("lab1");
    const As member{As::NobodyWithGroup, tape->gr_gid};

    EXPECT_EQ(error_name(dbus_call({"get", lab1_path, library_iface, "FreeSlots"}, As{As::Nobody})),
              "org.freedesktop.DBus.Error.AccessDenied");
    EXPECT_EQ(error_name(dbus_call({"get", lab1_path, library_iface, "FreeSlots"}, member)), "");
    EXPECT_EQ(error_name(dbus_call({"inject", library_guid("lab1"), "0", ""}, member)), "");
}

TEST_F(BusAccess, PolicyLetsOnlyThePrivilegedOwnTheName) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=20,ie=1")}));
    auto r = busctl({"call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                     "org.freedesktop.DBus", "RequestName", "su", "org.ntms.Ntms1", "0"},
                    As{As::Nobody});
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("Access denied"), std::string::npos) << r.err;
}

} // namespace
} // namespace ntms::bustest
