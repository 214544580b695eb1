// Clients come and go, the daemon restarts: jobs are not disturbed by a vanishing client, and
// their history survives in SQLite, from where GetJob exports finished jobs again.
#include "bus_fixture.hpp"

#include <fstream>
#include <thread>

namespace ntms::bustest {
namespace {

using namespace std::chrono_literals;

class BusLifecycle : public BusTest {
protected:
    std::vector<std::string> libraries() { return {sim("lab1", "slots=20,ie=1")}; }
    sdbus::ObjectPath get_job(const std::string& id) {
        sdbus::ObjectPath p;
        proxy(root_path)
            ->callMethod("GetJob")
            .onInterface(manager_iface)
            .withArguments(id)
            .storeResultsTo(p);
        return p;
    }
};

TEST_F(BusLifecycle, ClientDisconnectDuringAJobDoesNotDisturbIt) {
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries()));
    const std::string lab1 = library_guid("lab1");
    // A watcher that dies without saying goodbye.
    Process monitor({"busctl", "--address=" + bus_->address(), "monitor", service}, {},
                    dir_->file("monitor.log"));

    std::string job;
    sdbus::ObjectPath path;
    {
        auto conn = connect();
        auto manager = sdbus::createProxy(*conn, service, root_path);
        manager->callMethod("InjectMedia")
            .onInterface(manager_iface)
            .withArguments(lab1, inject_start, std::string(), Options{})
            .storeResultsTo(job, path);
    } // the caller's connection closes here
    wait_state(path, [](uint32_t s) { return s == lm_waiting; });
    monitor.kill_now();
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(job_state(path), lm_waiting);

    ASSERT_NO_FATAL_FAILURE(operator_do("lab1", {"insert", "100", "DIS001L8"}));
    EXPECT_EQ(wait_final(path), lm_passed);
    EXPECT_EQ(get_as<uint32_t>(path, job_iface, "MediaMoved"), 1u);
    EXPECT_TRUE(ntmsd_->running());
}

// ntmsd takes its name only once its libraries have been read: the first call a client makes
// after the name appears finds the slots counted, and an inject is not refused as "full". A large
// library makes the first inventory long enough to be seen if it were not waited for.
TEST_F(BusLifecycle, TheFirstCallAfterTheNameAppearsFindsTheLibraryInventoried) {
    const std::string conf = dir_->file("ntmsd.conf");
    {
        std::ofstream c(conf);
        c << "[Daemon]\n";
    }
    ntmsd_ = std::make_unique<Ntmsd>(
        bus_->address(),
        std::vector<std::string>{"--config", conf, "--database", database(), "--library",
                                 sim("big", "slots=30000,ie=1,fill=2000")},
        dir_->file("ntmsd.log"));
    std::string why;
    ASSERT_TRUE(ntmsd_->wait_for_name(why)) << why;

    std::vector<sdbus::ObjectPath> paths;
    proxy(root_path)->callMethod("ListLibraries").onInterface(manager_iface).storeResultsTo(paths);
    ASSERT_EQ(paths.size(), 1u);
    EXPECT_EQ(get_as<std::string>(paths[0], library_iface, "State"), "online");
    EXPECT_EQ(get_as<uint32_t>(paths[0], library_iface, "Slots"), 30000u);
    EXPECT_EQ(get_as<uint32_t>(paths[0], library_iface, "FreeSlots"), 28000u);
    const std::string big = get_as<std::string>(paths[0], library_iface, "Id");
    EXPECT_EQ(error_of([&] { inject(big, inject_start); }), "") << last_message_;
}

TEST_F(BusLifecycle, RestartKeepsHistoryAndGetJobExportsFinishedJobsAgain) {
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries()));
    const std::string lab1 = library_guid("lab1");
    auto [done, done_path] = inject(lab1, inject_start);
    wait_state(done_path, [](uint32_t s) { return s == lm_waiting; });
    ASSERT_NO_FATAL_FAILURE(operator_do("lab1", {"insert", "100", "RST001L8"}));
    ASSERT_EQ(wait_final(done_path), lm_passed);
    auto [running, running_path] = inject(lab1, inject_start);
    wait_state(running_path, [](uint32_t s) { return s == lm_waiting; });
    auto [queued, queued_path] = inject(lab1, inject_start);
    ASSERT_EQ(job_state(queued_path), lm_queued);

    // SIGTERM: the waiting inject is stopped, the queued one stays queued for the next start.
    ASSERT_NO_FATAL_FAILURE(stop_daemon());
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries()));
    EXPECT_EQ(library_guid("lab1"), lab1) << "a library keeps its GUID";

    // Open work is on the bus from the start; finished jobs are not, until asked for.
    auto on_bus = managed_objects("job");
    ASSERT_EQ(on_bus.size(), 1u);
    EXPECT_EQ(on_bus[0], queued_path);
    const auto again = get_job(done);
    EXPECT_EQ(again, done_path);
    EXPECT_EQ(job_state(again), lm_passed);
    EXPECT_EQ(get_as<uint32_t>(again, job_iface, "MediaMoved"), 1u);
    EXPECT_EQ(get_as<sdbus::ObjectPath>(again, job_iface, "Library"), library_path("lab1"));
    EXPECT_EQ(job_state(get_job(running)), lm_stopped);
    EXPECT_EQ(managed_objects("job").size(), 3u);

    // The queued job runs now.
    wait_state(queued_path, [](uint32_t s) { return s == lm_waiting; });
    proxy(queued_path)->callMethod("Cancel").onInterface(job_iface).withArguments(Options{});
    EXPECT_EQ(wait_final(queued_path), lm_stopped);
}

TEST_F(BusLifecycle, AJobInterruptedByAKillIsReportedFailedAfterTheRestart) {
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries()));
    const std::string lab1 = library_guid("lab1");
    auto [job, path] = inject(lab1, inject_start);
    wait_state(path, [](uint32_t s) { return s == lm_waiting; });
    client_.reset();
    ntmsd_->kill_now();
    ntmsd_.reset();

    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries()));
    const auto p = get_job(job);
    EXPECT_EQ(job_state(p), lm_failed);
    EXPECT_EQ(get_as<uint32_t>(p, job_iface, "Error"), 995u); // ERROR_OPERATION_ABORTED
    EXPECT_FALSE(get_as<std::string>(p, job_iface, "ErrorMessage").empty());
}

TEST_F(BusLifecycle, ASecondDaemonCannotTakeTheNameAndLeavesTheFirstAlone) {
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries()));
    Ntmsd second(bus_->address(),
                 {"--database", dir_->file("second.db"), "--library",
                  "other=sim:other,state=" + state_file("other") + ",slots=4,ie=1"},
                 dir_->file("second.log"));
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (second.running() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    EXPECT_FALSE(second.running());
    EXPECT_EQ(second.stop(), 1);
    EXPECT_NE(read_file(dir_->file("second.log")).find("fatal"), std::string::npos)
        << read_file(dir_->file("second.log"));
    EXPECT_EQ(library_guid("lab1").size(), 36u);
}

TEST_F(BusLifecycle, TheBusGoingAwayStopsTheDaemonWithAnError) {
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries()));
    client_.reset();
    bus_->stop();
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (ntmsd_->running() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    EXPECT_FALSE(ntmsd_->running());
    EXPECT_EQ(ntmsd_->stop(), 1);
    EXPECT_NE(read_file(dir_->file("ntmsd.log")).find("bus connection failed"), std::string::npos);
    ntmsd_.reset();
}

} // namespace
} // namespace ntms::bustest
