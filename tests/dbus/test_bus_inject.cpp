// Inject flows over the real bus: busctl as a first-class client, then an sdbus-c++ client that
// follows the signals (JobNew before the reply, PropertiesChanged, Completed, JobRemoved after the
// retention) and a job brought back from the database by GetJob.
#include "bus_fixture.hpp"
#include "org.ntms.Ntms1.Manager.proxy.h"

#include <condition_variable>
#include <future>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

namespace ntms::bustest {
namespace {

using namespace std::chrono_literals;

// The text between the first pair of double quotes of a busctl reply line.
std::string between_quotes(const std::string& s, size_t nth = 0) {
    size_t pos = 0;
    for (size_t i = 0;; ++i) {
        const auto a = s.find('"', pos);
        const auto b = a == std::string::npos ? a : s.find('"', a + 1);
        if (b == std::string::npos)
            return {};
        if (i == nth)
            return s.substr(a + 1, b - a - 1);
        pos = b + 1;
    }
}

bool is_job_path(const std::string& p) {
    return p.rfind("/org/ntms/Ntms1/job/", 0) == 0;
}

class BusInject : public BusTest {
protected:
    // Polls `busctl get-property` until the job's State reads `want`.
    std::string busctl_wait_state(const std::string& job_path, const std::string& want) {
        std::string last;
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (std::chrono::steady_clock::now() < deadline) {
            auto r = busctl({"get-property", service, job_path, job_iface, "State"});
            EXPECT_EQ(r.status, 0) << r.err;
            last = r.out;
            if (last == want + "\n")
                return last;
            std::this_thread::sleep_for(50ms);
        }
        ADD_FAILURE() << job_path << " State is " << last << ", never " << want;
        return last;
    }
};

TEST_F(BusInject, BusctlDrivesAFullInject) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=20,ie=1,move-ms=200")}));

    auto lib = busctl({"call", service, root_path, manager_iface, "GetLibrary", "s", "lab1"});
    ASSERT_EQ(lib.status, 0) << lib.err;
    const std::string lib_path = between_quotes(lib.out);
    ASSERT_EQ(lib_path.rfind("/org/ntms/Ntms1/library/", 0), 0u) << lib.out;
    auto id = busctl({"get-property", service, lib_path, library_iface, "Id"});
    ASSERT_EQ(id.status, 0) << id.err;
    const std::string guid = between_quotes(id.out);
    auto free_before = busctl({"get-property", service, lib_path, library_iface, "FreeSlots"});
    EXPECT_EQ(free_before.out, "u 20\n");

    auto call = busctl({"call", service, root_path, manager_iface, "InjectMedia", "susa{sv}", guid,
                        "0", "", "2", "timeout", "u", "120", "application", "s", "busctl"});
    ASSERT_EQ(call.status, 0) << call.err;
    ASSERT_EQ(call.out.rfind("so ", 0), 0u) << call.out;
    const std::string job = between_quotes(call.out, 0);
    const std::string job_path = between_quotes(call.out, 1);
    EXPECT_EQ(job_path, "/org/ntms/Ntms1/job/" + std::regex_replace(job, std::regex("-"), ""));

    busctl_wait_state(job_path, "u 5"); // WAITING: the port is open to the operator
    ASSERT_NO_FATAL_FAILURE(operator_do("lab1", {"insert", "100", "BUS001L8"}));
    busctl_wait_state(job_path, "u 2"); // PASSED

    auto moved = busctl({"get-property", service, job_path, job_iface, "MediaMoved", "Error",
                         "Application", "Cancelable"});
    EXPECT_EQ(moved.out, "u 1\nu 0\ns \"busctl\"\nb false\n") << moved.err;
    auto free_after = busctl({"get-property", service, lib_path, library_iface, "FreeSlots"});
    EXPECT_EQ(free_after.out, "u 19\n");
    auto media = busctl({"call", service, lib_path, library_iface, "ListMedia"});
    ASSERT_EQ(media.status, 0) << media.err;
    EXPECT_NE(media.out.find("\"BUS001L8\" \"in-library\" 1000"), std::string::npos) << media.out;
}

// A client of the generated proxy, recording the manager's signals on its own event loop.
class ManagerClient final : public sdbus::ProxyInterfaces<org::ntms::Ntms1::Manager_proxy> {
public:
    explicit ManagerClient(sdbus::IConnection& c) : ProxyInterfaces(c, service, root_path) {
        registerProxy();
    }
    ~ManagerClient() { unregisterProxy(); }

    std::vector<std::string> job_new() {
        std::lock_guard lock(mutex_);
        return new_;
    }
    bool wait_removed(const std::string& job, uint32_t& error) {
        std::unique_lock lock(mutex_);
        const bool ok = cv_.wait_for(lock, 30s, [&] { return removed_.count(job) != 0; });
        if (ok)
            error = removed_[job];
        return ok;
    }

private:
    void onJobNew(const std::string& job, const sdbus::ObjectPath& path) override {
        std::lock_guard lock(mutex_);
        new_.push_back(job + " " + path);
        cv_.notify_all();
    }
    void onJobRemoved(const std::string& job, const sdbus::ObjectPath&,
                      const uint32_t& error) override {
        std::lock_guard lock(mutex_);
        removed_[job] = error;
        cv_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::string> new_;
    std::map<std::string, uint32_t> removed_;
};

TEST_F(BusInject, SignalsFollowTheJobAndGetJobBringsItBack) {
    retention_sec_ = 2;
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=20,ie=1,move-ms=100")}));
    const std::string lib = library_guid("lab1");

    auto conn = connect();
    ManagerClient manager(*conn);
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::string> added, removed, completed;
    std::vector<uint32_t> states; // State values seen in PropertiesChanged
    auto om = sdbus::createProxy(*conn, service, root_path);
    om->uponSignal("InterfacesAdded")
        .onInterface("org.freedesktop.DBus.ObjectManager")
        .call([&](const sdbus::ObjectPath& p,
                  const std::map<std::string, std::map<std::string, sdbus::Variant>>&) {
            std::lock_guard lock(mutex);
            if (is_job_path(p)) // the wait's operator request comes and goes too
                added.push_back(p);
            cv.notify_all();
        });
    om->uponSignal("InterfacesRemoved")
        .onInterface("org.freedesktop.DBus.ObjectManager")
        .call([&](const sdbus::ObjectPath& p, const std::vector<std::string>&) {
            std::lock_guard lock(mutex);
            if (is_job_path(p))
                removed.push_back(p);
            cv.notify_all();
        });
    om->finishRegistration();
    auto any_job = conn->addMatch(
        "type='signal',sender='org.ntms.Ntms1',path_namespace='/org/ntms/Ntms1/job'",
        [&](sdbus::Message& m) {
            std::lock_guard lock(mutex);
            if (m.getMemberName() == std::string("Completed")) {
                uint32_t error = 0;
                std::string message;
                m >> error >> message;
                completed.push_back(std::string(m.getPath()) + " " + std::to_string(error));
            } else if (m.getMemberName() == std::string("PropertiesChanged")) {
                std::string iface;
                std::map<std::string, sdbus::Variant> changed;
                m >> iface >> changed;
                if (auto it = changed.find("State"); it != changed.end())
                    states.push_back(it->second.get<uint32_t>());
            }
            cv.notify_all();
        });
    std::set<std::string> library_changes; // properties named in the library's PropertiesChanged
    auto any_library = conn->addMatch(
        "type='signal',sender='org.ntms.Ntms1',interface='org.freedesktop.DBus.Properties',"
        "member='PropertiesChanged',path_namespace='/org/ntms/Ntms1/library'",
        [&](sdbus::Message& m) {
            std::string iface;
            std::map<std::string, sdbus::Variant> changed;
            m >> iface >> changed;
            std::lock_guard lock(mutex);
            for (const auto& [name, value] : changed)
                library_changes.insert(name);
            cv.notify_all();
        });
    conn->enterEventLoopAsync();
    // Calls take the loop's path only once the loop runs (before, sdbus-c++ calls synchronously
    // and queues the signals it reads); an async reply is dispatched by the loop alone.
    {
        std::promise<void> running;
        auto peer = sdbus::createProxy(*conn, service, root_path);
        peer->callMethodAsync("Ping")
            .onInterface("org.freedesktop.DBus.Peer")
            .uponReplyInvoke([&](const sdbus::Error*) { running.set_value(); });
        ASSERT_EQ(running.get_future().wait_for(30s), std::future_status::ready);
    }

    // Subscribed first, then the call on the same connection, whose loop handles messages in
    // order: JobNew and InterfacesAdded arrived before the reply.
    const auto [job, path] = manager.InjectMedia(lib, inject_start, "", {});
    {
        const auto news = manager.job_new();
        ASSERT_EQ(news.size(), 1u);
        EXPECT_EQ(news[0], job + " " + std::string(path));
        std::lock_guard lock(mutex);
        ASSERT_EQ(added.size(), 1u);
        EXPECT_EQ(added[0], path);
    }
    EXPECT_EQ(get_as<std::string>(path, job_iface, "Id"), job);
    EXPECT_EQ(get_as<sdbus::ObjectPath>(path, job_iface, "Library"), library_path("lab1"));
    EXPECT_EQ(get_as<std::string>(path, job_iface, "Operation"), "inject");
    EXPECT_EQ(get_as<uint32_t>(path, job_iface, "StartedByUID"), 0u);
    EXPECT_GT(get_as<uint64_t>(path, job_iface, "TimeQueued"), 0u);

    wait_state(path, [](uint32_t s) { return s == lm_waiting; });
    ASSERT_NO_FATAL_FAILURE(operator_do("lab1", {"insert", "100", "SIG001L8"}));
    {
        std::unique_lock lock(mutex);
        ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return !completed.empty(); }));
        EXPECT_EQ(completed[0], std::string(path) + " 0");
        // PropertiesChanged told the whole story: running, waiting, running, passed.
        ASSERT_FALSE(states.empty());
        EXPECT_EQ(states.back(), lm_passed);
        EXPECT_NE(std::find(states.begin(), states.end(), lm_waiting), states.end());
    }
    EXPECT_EQ(get_as<uint32_t>(path, job_iface, "MediaMoved"), 1u);
    {
        // The library told of its new free-slot count and of its port opening and closing.
        std::unique_lock lock(mutex);
        EXPECT_TRUE(cv.wait_for(lock, 30s, [&] {
            return library_changes.count("FreeSlots") && library_changes.count("Ports");
        }));
    }
    EXPECT_EQ(get_as<uint32_t>(library_path("lab1"), library_iface, "FreeSlots"), 19u);
    EXPECT_GE(get_as<uint64_t>(path, job_iface, "TimeCompleted"),
              get_as<uint64_t>(path, job_iface, "TimeStarted"));

    // After JobRetentionSec the object leaves the bus...
    uint32_t error = 99;
    ASSERT_TRUE(manager.wait_removed(job, error));
    EXPECT_EQ(error, 0u);
    {
        std::lock_guard lock(mutex);
        ASSERT_EQ(removed.size(), 1u);
        EXPECT_EQ(removed[0], path);
    }
    EXPECT_EQ(error_of([&] { job_state(path); }), "org.freedesktop.DBus.Error.UnknownObject");
    EXPECT_TRUE(managed_objects("job").empty());

    // ...and GetJob exports it again from the database, with its result.
    sdbus::ObjectPath again;
    proxy(root_path)
        ->callMethod("GetJob")
        .onInterface(manager_iface)
        .withArguments(job)
        .storeResultsTo(again);
    EXPECT_EQ(again, path);
    EXPECT_EQ(job_state(again), lm_passed);
    EXPECT_EQ(get_as<uint32_t>(again, job_iface, "MediaMoved"), 1u);
    EXPECT_EQ(manager.job_new().size(), 1u) << "a job brought back is not a new job";
    conn->leaveEventLoop();
}

TEST_F(BusInject, StartManyRetractAndStopOnAMagazine) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=20,ie=3")}));
    const std::string lib = library_guid("lab1");
    auto [job, path] =
        inject(lib, inject_startmany, {}, {{"timeout", sdbus::Variant(uint32_t{300})}});
    wait_state(path, [](uint32_t s) { return s == lm_waiting; });
    ASSERT_NO_FATAL_FAILURE(operator_do("lab1", {"insert", "100", "MAG001L8"}));
    ASSERT_NO_FATAL_FAILURE(operator_do("lab1", {"insert", "101", "MAG002L8"}));

    // RETRACT: check the port now. The reply names the same job and object.
    auto [rjob, rpath] = inject(lib, inject_retract, job);
    EXPECT_EQ(rjob, job);
    EXPECT_EQ(rpath, path);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (get_as<uint32_t>(path, job_iface, "MediaMoved") < 2 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    EXPECT_EQ(get_as<uint32_t>(path, job_iface, "MediaMoved"), 2u);
    wait_state(path, [](uint32_t s) { return s == lm_waiting; }); // the next batch

    auto [sjob, spath] = inject(lib, inject_stop, job);
    EXPECT_EQ(sjob, job);
    EXPECT_EQ(wait_final(path), lm_stopped);
    EXPECT_EQ(get_as<uint32_t>(path, job_iface, "Action"), inject_startmany);
    EXPECT_EQ(get_as<uint32_t>(library_path("lab1"), library_iface, "FreeSlots"), 18u);
}

TEST_F(BusInject, CancelEndsAQueuedJobUntouchedAndStopsARunningOne) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=20,ie=1")}));
    const std::string lib = library_guid("lab1");
    auto [first, first_path] = inject(lib, inject_start);
    wait_state(first_path, [](uint32_t s) { return s == lm_waiting; });
    auto [second, second_path] = inject(lib, inject_start);
    EXPECT_EQ(job_state(second_path), lm_queued);
    EXPECT_TRUE(get_as<bool>(second_path, job_iface, "Cancelable"));

    proxy(second_path)->callMethod("Cancel").onInterface(job_iface).withArguments(Options{});
    // The reply comes after the change: no polling needed.
    EXPECT_EQ(job_state(second_path), lm_cancelled);
    EXPECT_EQ(get_as<uint32_t>(second_path, job_iface, "Error"), 1223u); // ERROR_CANCELLED
    EXPECT_FALSE(get_as<bool>(second_path, job_iface, "Cancelable"));
    EXPECT_EQ(get_as<uint64_t>(second_path, job_iface, "TimeStarted"), 0u);

    proxy(first_path)->callMethod("Cancel").onInterface(job_iface).withArguments(Options{});
    EXPECT_EQ(wait_final(first_path), lm_stopped);
}

TEST_F(BusInject, LibraryFullPostsAnOperatorRequestThatCanBeSatisfiedOnce) {
    retention_sec_ = 1;
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=3,ie=3,fill=2")}));
    auto [job, path] = inject_from_port("lab1", {"100", "101", "102"});
    ASSERT_FALSE(HasFatalFailure());
    EXPECT_EQ(wait_final(path), lm_passed);
    EXPECT_EQ(get_as<uint32_t>(path, job_iface, "MediaMoved"), 1u);

    // The wait's own request (NEWMEDIA) ended when the port closed; the MESSAGE one stays open.
    std::vector<std::string> requests;
    for (const auto& r : managed_objects("oprequest")) {
        if (get_as<uint32_t>(r, oprequest_iface, "Type") == 1u)
            EXPECT_EQ(get_as<uint32_t>(r, oprequest_iface, "State"), 5u); // COMPLETE
        else
            requests.push_back(r);
    }
    ASSERT_EQ(requests.size(), 1u);
    const std::string req = requests[0];
    EXPECT_EQ(get_as<uint32_t>(req, oprequest_iface, "Type"), 5u);  // NTMS_OPREQ_MESSAGE
    EXPECT_EQ(get_as<uint32_t>(req, oprequest_iface, "State"), 1u); // SUBMITTED
    EXPECT_NE(get_as<std::string>(req, oprequest_iface, "Message").find("remove 2 cartridges"),
              std::string::npos);
    EXPECT_EQ(get_as<sdbus::ObjectPath>(req, oprequest_iface, "Library"), library_path("lab1"));
    EXPECT_EQ(get_as<sdbus::ObjectPath>(req, oprequest_iface, "Job"), path);
    const std::string id = get_as<std::string>(req, oprequest_iface, "Id");
    sdbus::ObjectPath found;
    proxy(root_path)
        ->callMethod("GetOperatorRequest")
        .onInterface(manager_iface)
        .withArguments(id)
        .storeResultsTo(found);
    EXPECT_EQ(found, req);

    proxy(req)->callMethod("Satisfy").onInterface(oprequest_iface);
    EXPECT_EQ(get_as<uint32_t>(req, oprequest_iface, "State"), 5u); // COMPLETE
    EXPECT_EQ(error_of([&] { proxy(req)->callMethod("Cancel").onInterface(oprequest_iface); }),
              "org.ntms.Ntms1.Error.InvalidState");

    // Answered requests leave the bus after the retention, and come back on request.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!managed_objects("oprequest").empty() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    EXPECT_TRUE(managed_objects("oprequest").empty());
    proxy(root_path)
        ->callMethod("GetOperatorRequest")
        .onInterface(manager_iface)
        .withArguments(id)
        .storeResultsTo(found);
    EXPECT_EQ(get_as<uint32_t>(found, oprequest_iface, "State"), 5u);
}

TEST_F(BusInject, WaitingInjectExportsItsInsertRequestUntilAnswered) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=20,ie=1")}));
    const std::string lib = library_guid("lab1");
    auto conn = connect();
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::string> added; // operator request objects, in order
    std::map<std::string, std::vector<uint32_t>> states;
    auto om = sdbus::createProxy(*conn, service, root_path);
    om->uponSignal("InterfacesAdded")
        .onInterface("org.freedesktop.DBus.ObjectManager")
        .call([&](const sdbus::ObjectPath& p,
                  const std::map<std::string, std::map<std::string, sdbus::Variant>>&) {
            std::lock_guard lock(mutex);
            if (p.rfind("/org/ntms/Ntms1/oprequest/", 0) == 0)
                added.push_back(p);
            cv.notify_all();
        });
    om->finishRegistration();
    auto any_request = conn->addMatch(
        "type='signal',sender='org.ntms.Ntms1',interface='org.freedesktop.DBus.Properties',"
        "member='PropertiesChanged',path_namespace='/org/ntms/Ntms1/oprequest'",
        [&](sdbus::Message& m) {
            std::string iface;
            std::map<std::string, sdbus::Variant> changed;
            m >> iface >> changed;
            std::lock_guard lock(mutex);
            if (auto it = changed.find("State"); it != changed.end())
                states[m.getPath()].push_back(it->second.get<uint32_t>());
            cv.notify_all();
        });
    conn->enterEventLoopAsync();
    {
        std::promise<void> running;
        auto peer = sdbus::createProxy(*conn, service, root_path);
        peer->callMethodAsync("Ping")
            .onInterface("org.freedesktop.DBus.Peer")
            .uponReplyInvoke([&](const sdbus::Error*) { running.set_value(); });
        ASSERT_EQ(running.get_future().wait_for(30s), std::future_status::ready);
    }
    auto wait_added = [&](size_t n) {
        std::unique_lock lock(mutex);
        EXPECT_TRUE(cv.wait_for(lock, 30s, [&] { return added.size() >= n; }))
            << "no InterfacesAdded for request " << n;
        return added.size() >= n ? added[n - 1] : std::string();
    };
    auto wait_signalled = [&](const std::string& req, uint32_t state) {
        std::unique_lock lock(mutex);
        EXPECT_TRUE(cv.wait_for(lock, 30s,
                                [&] {
                                    const auto& v = states[req];
                                    return std::find(v.begin(), v.end(), state) != v.end();
                                }))
            << req << " never signalled State " << state;
    };
    const Options long_wait{{"timeout", sdbus::Variant(uint32_t{300})}};

    // Satisfy = "the cartridges are in": the job checks the port at once and the request is done.
    auto [job, path] = inject(lib, inject_start, {}, long_wait);
    wait_state(path, [](uint32_t s) { return s == lm_waiting; });
    const std::string req = wait_added(1);
    ASSERT_FALSE(req.empty());
    EXPECT_EQ(get_as<uint32_t>(req, oprequest_iface, "Type"), 1u);  // NTMS_OPREQ_NEWMEDIA
    EXPECT_EQ(get_as<uint32_t>(req, oprequest_iface, "State"), 1u); // SUBMITTED
    EXPECT_EQ(get_as<std::string>(req, oprequest_iface, "Message"),
              "library lab1: put cartridges into port 100 (1 element) and close it");
    EXPECT_EQ(get_as<sdbus::ObjectPath>(req, oprequest_iface, "Library"), library_path("lab1"));
    EXPECT_EQ(get_as<sdbus::ObjectPath>(req, oprequest_iface, "Job"), path);
    EXPECT_EQ(job_state(path), lm_waiting);
    proxy(req)->callMethod("Satisfy").onInterface(oprequest_iface);
    EXPECT_EQ(wait_final(path), lm_passed);
    wait_signalled(req, 5u); // COMPLETE
    EXPECT_EQ(get_as<uint32_t>(req, oprequest_iface, "State"), 5u);
    EXPECT_EQ(error_of([&] { proxy(req)->callMethod("Satisfy").onInterface(oprequest_iface); }),
              "org.ntms.Ntms1.Error.InvalidState");

    // Cancel = the operator refuses: the job stops and the request is refused.
    auto [job2, path2] = inject(lib, inject_startmany, {}, long_wait);
    const std::string req2 = wait_added(2);
    ASSERT_FALSE(req2.empty());
    EXPECT_NE(req2, req);
    EXPECT_EQ(get_as<sdbus::ObjectPath>(req2, oprequest_iface, "Job"), path2);
    proxy(req2)->callMethod("Cancel").onInterface(oprequest_iface);
    EXPECT_EQ(wait_final(path2), lm_stopped);
    wait_signalled(req2, 4u); // REFUSED
    EXPECT_EQ(get_as<uint32_t>(req2, oprequest_iface, "State"), 4u);
    conn->leaveEventLoop();
}

TEST_F(BusInject, ListMediaOfALargeLibraryInOneReply) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("big", "slots=20000,ie=1,fill=20000")}));
    using Medium = sdbus::Struct<std::string, std::string, std::string, uint16_t, uint32_t>;
    std::vector<Medium> media;
    proxy(library_path("big"))
        ->callMethod("ListMedia")
        .onInterface(library_iface)
        .storeResultsTo(media);
    ASSERT_EQ(media.size(), 20000u);
    std::set<uint16_t> elements;
    for (const auto& m : media) {
        EXPECT_EQ(std::get<2>(m), "in-library");
        EXPECT_EQ(std::get<4>(m), 0u);
        elements.insert(std::get<3>(m));
    }
    EXPECT_EQ(elements.size(), 20000u);
    EXPECT_EQ(get_as<uint32_t>(library_path("big"), library_iface, "FreeSlots"), 0u);
}

TEST_F(BusInject, ObjectManagerListsLibrariesWithTheirProperties) {
    ASSERT_NO_FATAL_FAILURE(
        start_daemon({sim("lab1", "slots=20,ie=2"), sim("lab2", "slots=10,ie=1")}));
    std::map<sdbus::ObjectPath, std::map<std::string, std::map<std::string, sdbus::Variant>>> all;
    proxy(root_path)
        ->callMethod("GetManagedObjects")
        .onInterface("org.freedesktop.DBus.ObjectManager")
        .storeResultsTo(all);
    // The two libraries and their drives (two each, the virtual changer's default).
    ASSERT_EQ(all.size(), 6u);
    size_t drives = 0;
    for (const auto& [path, ifaces] : all)
        drives += ifaces.count("org.ntms.Ntms1.Drive");
    EXPECT_EQ(drives, 4u);
    const auto& lab1 = all.at(library_path("lab1")).at(library_iface);
    EXPECT_EQ(lab1.at("Name").get<std::string>(), "lab1");
    EXPECT_EQ(lab1.at("State").get<std::string>(), "online");
    EXPECT_EQ(lab1.at("Slots").get<uint32_t>(), 20u);
    EXPECT_TRUE(lab1.at("Enabled").get<bool>());
    using Port = sdbus::Struct<uint16_t, uint16_t, bool, bool, uint16_t>;
    const auto ports = lab1.at("Ports").get<std::vector<Port>>();
    ASSERT_EQ(ports.size(), 1u);
    EXPECT_EQ(std::get<0>(ports[0]), 100u);
    EXPECT_EQ(std::get<1>(ports[0]), 2u); // a magazine of two elements
    std::vector<sdbus::ObjectPath> listed;
    proxy(root_path)->callMethod("ListLibraries").onInterface(manager_iface).storeResultsTo(listed);
    EXPECT_EQ(listed.size(), 2u);
    EXPECT_EQ(get_as<std::string>(root_path, manager_iface, "Version"), NTMS_VERSION);
}

} // namespace
} // namespace ntms::bustest
