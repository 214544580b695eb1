// The bus thread never waits on a robot: with every library in the middle of a multi-second
// MOVE MEDIUM, 1,000 calls from several client threads are all answered. (No timing assertion:
// a blocked bus thread shows up as failed calls, which time out after sdbus-c++'s 25 s.)
#include "bus_fixture.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <sqlite3.h>
#include <thread>

namespace ntms::bustest {
namespace {

using namespace std::chrono_literals;

// Another process's write lock on ntmsd's database, held from lock() to unlock(): ntmsd's
// commits wait for it, up to their busy timeout (5 s).
class DatabaseLock {
public:
    ~DatabaseLock() { unlock(); }
    void lock(const std::string& path) {
        ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK)
            << sqlite3_errmsg(db_);
    }
    void unlock() {
        if (!db_)
            return;
        EXPECT_EQ(sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db_);
        db_ = nullptr;
    }

private:
    sqlite3* db_ = nullptr;
};

// With `held` locked and `call` sent (it reaches ntmsd first, and its commit waits for the
// lock): `property` is read and gives `expected`, and `call` is not answered meanwhile; then the
// lock goes. A bus thread that had committed the call itself would have answered it before the
// property (having waited out the busy timeout), and its reply would be on its way: a second is
// far more than it takes to arrive, and far less than the busy timeout.
template <typename T>
void expect_answered_first(const std::function<uint32_t()>& property, uint32_t expected,
                           std::future<T>& call, DatabaseLock& held, const char* what) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const uint32_t value = property();
    const bool answered = call.wait_for(std::chrono::seconds(1)) == std::future_status::ready;
    held.unlock();
    EXPECT_EQ(value, expected);
    EXPECT_FALSE(answered) << what << " was answered while its commit could not happen";
}

TEST_F(BusTest, ThousandCallsAnsweredWhileEveryRobotMoves) {
    constexpr int libraries = 4;
    constexpr int threads = 8;
    constexpr int calls_per_thread = 125;
    std::vector<std::string> libs;
    for (int i = 1; i <= libraries; ++i)
        libs.push_back(sim("lab" + std::to_string(i), "slots=20,ie=1,move-ms=8000"));
    ASSERT_NO_FATAL_FAILURE(start_daemon(libs));

    // One inject per library, a cartridge in each port: each worker starts its slow move.
    std::vector<sdbus::ObjectPath> jobs;
    for (int i = 1; i <= libraries; ++i) {
        const std::string name = "lab" + std::to_string(i);
        auto [job, path] = inject(library_guid(name), inject_start);
        wait_state(path, [](uint32_t s) { return s == lm_waiting; });
        ASSERT_NO_FATAL_FAILURE(
            operator_do(name, {"insert", "100", "MOV00" + std::to_string(i) + "L8"}));
        jobs.push_back(path);
    }
    for (const auto& j : jobs)
        wait_state(j, [](uint32_t s) { return s == lm_inprocess; });

    std::map<std::string, std::string> paths;
    for (int i = 1; i <= libraries; ++i)
        paths["lab" + std::to_string(i)] = library_path("lab" + std::to_string(i));

    std::atomic<int> ok{0};
    std::vector<std::string> failures;
    std::mutex failures_mutex;
    std::vector<std::thread> clients;
    for (int t = 0; t < threads; ++t) {
        clients.emplace_back([&, t] {
            auto conn = connect();
            auto manager = sdbus::createProxy(*conn, service, root_path);
            for (int c = 0; c < calls_per_thread; ++c) {
                const std::string name = "lab" + std::to_string((t + c) % libraries + 1);
                try {
                    if (c % 2 == 0) {
                        sdbus::ObjectPath p;
                        manager->callMethod("GetLibrary")
                            .onInterface(manager_iface)
                            .withArguments(name)
                            .storeResultsTo(p);
                    } else {
                        auto lib = sdbus::createProxy(*conn, service, paths.at(name));
                        const char* prop = c % 4 == 1 ? "Ports" : "FreeSlots";
                        const sdbus::Variant v = lib->getProperty(prop).onInterface(library_iface);
                        (void)v;
                    }
                    ++ok;
                } catch (const sdbus::Error& e) {
                    std::lock_guard lock(failures_mutex);
                    failures.push_back(e.getName() + ": " + e.getMessage());
                }
            }
        });
    }
    for (auto& c : clients)
        c.join();
    EXPECT_EQ(ok.load(), threads * calls_per_thread);
    EXPECT_TRUE(failures.empty()) << failures.front();

    int still_moving = 0;
    for (const auto& j : jobs)
        still_moving += job_state(j) == lm_inprocess ? 1 : 0;
    RecordProperty("jobs_still_moving_after_the_calls", still_moving);
    for (const auto& j : jobs)
        EXPECT_EQ(wait_final(j), lm_passed);
}

// A new job's commit waits for the disk (and here for a lock another process holds on the
// database): the bus thread does not. While an InjectMedia cannot be committed, a property read
// is answered and the inject is still waiting for its reply; once the lock goes, the inject is
// answered with its job. (No timing: the order of the two replies is the assertion.)
TEST_F(BusTest, PropertiesAreAnsweredWhileAJobWaitsForItsCommit) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab", "slots=10,ie=1")}));
    const std::string guid = library_guid("lab");
    const std::string lib = library_path("lab");

    DatabaseLock held;
    ASSERT_NO_FATAL_FAILURE(held.lock(database()));

    auto injected = std::async(std::launch::async, [&] {
        auto conn = connect();
        auto manager = sdbus::createProxy(*conn, service, root_path);
        std::string job;
        sdbus::ObjectPath path;
        manager->callMethod("InjectMedia")
            .onInterface(manager_iface)
            .withArguments(guid, inject_start, std::string(), Options{})
            .storeResultsTo(job, path);
        return std::make_pair(job, path);
    });
    expect_answered_first([&] { return get_as<uint32_t>(lib, library_iface, "FreeSlots"); }, 10u,
                          injected, held, "InjectMedia");
    const auto [job, path] = injected.get();
    EXPECT_EQ(job.size(), 36u);
    EXPECT_EQ(wait_state(path, [](uint32_t s) { return s == lm_waiting; }), lm_waiting);
    proxy(path)->callMethod("Cancel").onInterface(job_iface).withArguments(Options{});
    EXPECT_EQ(wait_final(path), lm_stopped);
}

// A Cancel commits the job's end off the bus thread too: while that commit waits for a lock
// another process holds on the database, a property read is answered and the Cancel is still
// waiting for its reply; once the lock goes, the Cancel is answered and the job is CANCELLED.
// (No timing: the order of the two replies is the assertion.)
TEST_F(BusTest, PropertiesAreAnsweredWhileACancelWaitsForItsCommit) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab", "slots=10,ie=1")}));
    const std::string guid = library_guid("lab");
    const std::string lib = library_path("lab");
    // The first inject waits for the operator; the second stays queued behind it.
    auto [first, first_path] = inject(guid, inject_start);
    wait_state(first_path, [](uint32_t s) { return s == lm_waiting; });
    auto [queued, queued_path] = inject(guid, inject_start);
    EXPECT_EQ(get_as<uint32_t>(queued_path, job_iface, "State"), lm_queued);

    DatabaseLock held;
    ASSERT_NO_FATAL_FAILURE(held.lock(database()));
    auto cancelled = std::async(std::launch::async, [&, path = queued_path] {
        auto conn = connect();
        sdbus::createProxy(*conn, service, path)
            ->callMethod("Cancel")
            .onInterface(job_iface)
            .withArguments(Options{});
    });
    expect_answered_first([&] { return get_as<uint32_t>(lib, library_iface, "FreeSlots"); }, 10u,
                          cancelled, held, "Cancel");
    cancelled.get();
    EXPECT_EQ(get_as<uint32_t>(queued_path, job_iface, "State"), lm_cancelled);
    proxy(first_path)->callMethod("Cancel").onInterface(job_iface).withArguments(Options{});
    EXPECT_EQ(wait_final(first_path), lm_stopped);
}

// An operator request answered by no waiting job (a full library's MESSAGE, left after its inject
// ended) is satisfied by a commit of its own, off the bus thread: while another process holds the
// database, a property read is answered and the Satisfy is still waiting for its reply; once the
// lock goes, the Satisfy is answered and the request is COMPLETE. (No timing: the order of the
// two replies is the assertion.)
TEST_F(BusTest, PropertiesAreAnsweredWhileASatisfyWaitsForItsCommit) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab", "slots=3,ie=3,fill=2")}));
    const std::string lib = library_path("lab");
    auto [job, path] = inject_from_port("lab", {"100", "101", "102"});
    ASSERT_FALSE(HasFatalFailure());
    EXPECT_EQ(wait_final(path), lm_passed);
    std::string message; // "library full: remove 2 cartridges ..."
    for (const auto& r : managed_objects("oprequest"))
        if (get_as<uint32_t>(r, oprequest_iface, "Type") == 5u)
            message = r;
    ASSERT_FALSE(message.empty());
    ASSERT_EQ(get_as<uint32_t>(message, oprequest_iface, "State"), 1u); // SUBMITTED

    DatabaseLock held;
    ASSERT_NO_FATAL_FAILURE(held.lock(database()));
    auto satisfied = std::async(std::launch::async, [&, req = message] {
        auto conn = connect();
        sdbus::createProxy(*conn, service, req)->callMethod("Satisfy").onInterface(oprequest_iface);
    });
    expect_answered_first([&] { return get_as<uint32_t>(lib, library_iface, "FreeSlots"); }, 0u,
                          satisfied, held, "Satisfy");
    satisfied.get();
    EXPECT_EQ(get_as<uint32_t>(message, oprequest_iface, "State"), 5u); // COMPLETE
}

// The lists of a library's media and elements are read from the database off the bus thread:
// with several ListElements of a large library and a ListMedia in flight on one connection, a
// property read sent after them on the same connection is answered before the last of them. A
// bus thread that read them itself would handle the messages in the order they came and answer
// the property last. (No timing: the order of the replies is the assertion.) A GetJob of a job
// that is no longer on the bus (it ended before a restart) sent before the property read is read
// after the lists, on the same thread: the property is answered first, where a GetJob that read
// the database on the bus thread would be answered before it.
TEST_F(BusTest, PropertiesAreAnsweredWhileLargeListsAndOldJobsAreRead) {
    const std::vector<std::string> libraries{sim("lab", "slots=30000,ie=1,fill=20000")};
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries));
    const auto [old_job, old_path] = inject(library_guid("lab"), inject_start);
    wait_state(old_path, [](uint32_t s) { return s == lm_waiting; });
    proxy(old_path)->callMethod("Cancel").onInterface(job_iface).withArguments(Options{});
    ASSERT_EQ(wait_final(old_path), lm_stopped);
    ASSERT_NO_FATAL_FAILURE(stop_daemon());
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries));
    const auto jobs = managed_objects("job");
    ASSERT_EQ(std::count(jobs.begin(), jobs.end(), std::string(old_path)), 0)
        << "a finished job is not exported at start";

    const std::string lib = library_path("lab");
    auto conn = connect();
    conn->enterEventLoopAsync();
    auto library = sdbus::createProxy(*conn, service, lib);
    {
        // The loop runs before the calls (see test_bus_inject's signals test).
        std::promise<void> running;
        library->callMethodAsync("Ping")
            .onInterface("org.freedesktop.DBus.Peer")
            .uponReplyInvoke([&](const sdbus::Error*) { running.set_value(); });
        ASSERT_EQ(running.get_future().wait_for(30s), std::future_status::ready);
    }

    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::string> order;
    std::vector<size_t> sizes;
    auto answered = [&](const std::string& what, const sdbus::Error* e, size_t n) {
        std::lock_guard lock(mutex);
        order.push_back(e ? what + " error " + e->getName() : what);
        sizes.push_back(n);
        cv.notify_all();
    };
    using Element = sdbus::Struct<uint16_t, std::string, bool, std::string, std::string>;
    using Medium = sdbus::Struct<std::string, std::string, std::string, uint16_t, uint32_t>;
    constexpr int lists = 4;
    for (int i = 0; i < lists; ++i)
        library->callMethodAsync("ListElements")
            .onInterface(library_iface)
            .uponReplyInvoke([&](const sdbus::Error* e, std::vector<Element> v) {
                answered("ListElements", e, v.size());
            });
    library->callMethodAsync("ListMedia")
        .onInterface(library_iface)
        .uponReplyInvoke([&](const sdbus::Error* e, std::vector<Medium> v) {
            answered("ListMedia", e, v.size());
        });
    auto manager = sdbus::createProxy(*conn, service, root_path);
    manager->callMethodAsync("GetJob")
        .onInterface(manager_iface)
        .withArguments(old_job)
        .uponReplyInvoke([&](const sdbus::Error* e, sdbus::ObjectPath p) {
            answered("GetJob", e, e || p != old_path ? 0 : 1);
        });
    library->callMethodAsync("Get")
        .onInterface("org.freedesktop.DBus.Properties")
        .withArguments(library_iface, std::string("FreeSlots"))
        .uponReplyInvoke([&](const sdbus::Error* e, sdbus::Variant v) {
            answered("FreeSlots", e, e ? 0 : v.get<uint32_t>());
        });

    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, 60s, [&] { return order.size() == lists + 3; }));
    const auto get = std::find(order.begin(), order.end(), "FreeSlots");
    ASSERT_NE(get, order.end()) << "the property read failed: " << ::testing::PrintToString(order);
    EXPECT_LT(get - order.begin(), lists + 2) << ::testing::PrintToString(order);
    const auto job = std::find(order.begin(), order.end(), "GetJob");
    ASSERT_NE(job, order.end()) << "GetJob failed: " << ::testing::PrintToString(order);
    EXPECT_GT(job - order.begin(), get - order.begin()) << ::testing::PrintToString(order);
    for (size_t i = 0; i < order.size(); ++i) {
        if (order[i] == "ListElements")
            EXPECT_EQ(sizes[i], 1u + 2u + 1u + 30000u)
                << "the transport, two drives, the port, the slots";
        else if (order[i] == "ListMedia")
            EXPECT_EQ(sizes[i], 20000u);
        else if (order[i] == "FreeSlots")
            EXPECT_EQ(sizes[i], 10000u);
        else if (order[i] == "GetJob")
            EXPECT_EQ(sizes[i], 1u) << "GetJob answers the job's path";
        else
            ADD_FAILURE() << order[i];
    }
    conn->leaveEventLoop();
}

// A job's Media is the job's own list, not a query on the bus thread. An eject names its medium
// from the moment it is queued; an inject names the cartridge it imported once it has. Then the
// jobs' history rows are deleted behind ntmsd's back (another connection): both still name their
// media. A property read from the database would now be empty.
TEST_F(BusTest, JobMediaIsKeptByTheJobNotReadFromTheDatabase) {
    using Strings = std::vector<std::string>;
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab", "slots=10,ie=1,fill=2")}));
    const std::string lib = library_path("lab");

    const std::string ejected = medium_guid(lib, "S00002L8");
    ASSERT_EQ(ejected.size(), 36u);
    auto call = busctl({"call", service, root_path, manager_iface, "EjectMedia", "susa{sv}",
                        ejected, "0", "", "0"});
    ASSERT_EQ(call.status, 0) << call.err;
    const std::string eject_guid = quoted(call.out, 0);
    const sdbus::ObjectPath eject_job(quoted(call.out, 1));
    EXPECT_EQ(get_as<Strings>(eject_job, job_iface, "Media"), Strings{ejected});
    wait_state(eject_job, [](uint32_t s) { return s == lm_waiting; });
    ASSERT_NO_FATAL_FAILURE(operator_do("lab", {"remove", "100"}));
    ASSERT_EQ(wait_final(eject_job), lm_passed);
    EXPECT_EQ(get_as<Strings>(eject_job, job_iface, "Media"), Strings{ejected});

    auto [inject_guid, inject_job] = inject(library_guid("lab"), inject_start);
    EXPECT_EQ(get_as<Strings>(inject_job, job_iface, "Media"), Strings{});
    wait_state(inject_job, [](uint32_t s) { return s == lm_waiting; });
    ASSERT_NO_FATAL_FAILURE(operator_do("lab", {"insert", "100", "NEW001L8"}));
    ASSERT_EQ(wait_final(inject_job), lm_passed);
    const std::string imported = medium_guid(lib, "NEW001L8");
    ASSERT_EQ(imported.size(), 36u);
    EXPECT_EQ(get_as<Strings>(inject_job, job_iface, "Media"), Strings{imported});

    // The rows the old property read are gone.
    ASSERT_GE(erase_history_of({inject_guid, eject_guid}), 2);
    EXPECT_EQ(get_as<Strings>(eject_job, job_iface, "Media"), Strings{ejected});
    EXPECT_EQ(get_as<Strings>(inject_job, job_iface, "Media"), Strings{imported});
}

} // namespace
} // namespace ntms::bustest
