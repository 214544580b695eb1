// Benchmark (not a test): the cost of ntmsd's D-Bus face against a trivial sdbus-c++ method served
// on the same private bus in the same run. Measured, one synchronous client call at a time:
//   echo         Echo(s) -> s of an sdbus-c++ object in this process: the bus round trip alone
//   property     Properties.Get of Library.FreeSlots (credentials check, snapshot copy)
//   GetLibrary   Manager.GetLibrary by name
//   InjectMedia  a START queued behind a waiting one (parameter checks, one SQLite transaction
//                with synchronous=FULL, a job object exported with InterfacesAdded and JobNew)
//   fsync        a 4 KiB write and fsync of a file next to the database: one durable commit
//   EchoDurable  Echo whose server writes and fsyncs 4 KiB before it answers: the least any
//                D-Bus call answered once something is durable can cost (no database, no job)
//   commit       a bare SQLite commit of one row in a table shaped as ntmsd's jobs, with WAL
//                and synchronous=FULL as ntmsd's: the least a durable InjectMedia costs
// Rounds interleave the kinds so that drift hits all alike; figures are over all rounds. Prints
// p50/p99 latency, calls/s and the ratio of each p50 to echo's.
// Then P3 under the goal's load: MOVERS libraries (64 as in the goal) each with a robot in the
// middle of a long MOVE MEDIUM (an inject of a cartridge the simulated operator put in the port);
// meanwhile property reads and echo calls are counted for LOAD_MS each, alternately. Then, for
// information and not as a goal, a harder load: the same robots moving and a client thread
// sending InjectMedia to them all the time. The P3 lines:
//   P3 InjectMedia p99: InjectMedia p99 / (echo p50 + fsync p50)              goal <= 2
//   P3 property reads idle: property calls/s / echo calls/s                   goal >= 0.9
//   P3 property reads while N robots move: the same while the robots move     goal >= 0.9
//   (information) the same while the robots move and a client injects without pause
//
//   meson test -C build --benchmark --suite bench -v dbus
//   ROUNDS=10 CALLS=2000 MOVERS=64 LOAD_MS=3000 build/tests/bench/bench_dbus
#include "bus_harness.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <fmt/format.h>
#include <functional>
#include <map>
#include <sdbus-c++/sdbus-c++.h>
#include <sqlite3.h>
#include <stdexcept>
#include <thread>
#include <unistd.h>

using Clock = std::chrono::steady_clock;
using namespace ntms::bustest;

namespace {

constexpr const char* echo_name = "org.ntms.BenchEcho";

unsigned env_or(const char* name, unsigned fallback) {
    const char* v = std::getenv(name);
    return v ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : fallback;
}

struct Series {
    std::vector<double> us; // per call
    double total_s = 0;
};

void measure(Series& s, unsigned calls, const std::function<void()>& call) {
    const auto t0 = Clock::now();
    for (unsigned i = 0; i < calls; ++i) {
        const auto a = Clock::now();
        call();
        s.us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
    }
    s.total_s += std::chrono::duration<double>(Clock::now() - t0).count();
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

// Calls per second of `call` over `ms` milliseconds.
double rate(unsigned ms, const std::function<void()>& call) {
    const auto t0 = Clock::now();
    const auto until = t0 + std::chrono::milliseconds(ms);
    unsigned n = 0;
    while (Clock::now() < until) {
        call();
        ++n;
    }
    return n / std::chrono::duration<double>(Clock::now() - t0).count();
}

// One durable write of a small file: what a commit with synchronous=FULL costs at least.
class Fsync {
public:
    explicit Fsync(const std::string& path)
        : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) {
        if (fd_ < 0)
            throw std::runtime_error("cannot create " + path);
    }
    ~Fsync() { ::close(fd_); }
    void operator()() {
        char page[4096] = {};
        page[0] = static_cast<char>(++n_);
        if (::pwrite(fd_, page, sizeof page, 0) != static_cast<ssize_t>(sizeof page) ||
            ::fsync(fd_) != 0)
            throw std::runtime_error("write and fsync failed");
    }

private:
    int fd_;
    unsigned n_ = 0;
};

// One durable SQLite commit of a job's row, as ntmsd's connections make it (WAL,
// synchronous=FULL) into a table shaped as its jobs: the least that an InjectMedia answered once
// its job is durable costs. The WAL's frames are 4,120 bytes each (a page and its header), so a
// commit writes across block boundaries and syncs more than fsync's single 4 KiB block.
class Commit {
public:
    explicit Commit(const std::string& path) {
        if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK ||
            sqlite3_exec(db_,
                         "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                         "CREATE TABLE jobs (id TEXT PRIMARY KEY, library TEXT NOT NULL, "
                         "state INTEGER NOT NULL, queued INTEGER NOT NULL, application TEXT);"
                         "CREATE INDEX jobs_library ON jobs (library, state);",
                         nullptr, nullptr, nullptr) != SQLITE_OK ||
            sqlite3_prepare_v2(db_, "INSERT INTO jobs VALUES (?, ?, 0, ?, 'bench')", -1, &insert_,
                               nullptr) != SQLITE_OK)
            throw std::runtime_error("cannot create " + path + ": " + sqlite3_errmsg(db_));
    }
    ~Commit() {
        sqlite3_finalize(insert_);
        sqlite3_close(db_);
    }
    void operator()() {
        ++n_;
        const std::string id = fmt::format("{:08x}-0000-4000-8000-{:012x}", n_ * 2654435761u, n_);
        sqlite3_bind_text(insert_, 1, id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert_, 2, "00000000-0000-4000-8000-000000000001", -1, SQLITE_STATIC);
        sqlite3_bind_int64(insert_, 3, static_cast<sqlite3_int64>(n_));
        const int rc = sqlite3_step(insert_);
        sqlite3_reset(insert_);
        if (rc != SQLITE_DONE)
            throw std::runtime_error(std::string("commit failed: ") + sqlite3_errmsg(db_));
    }

private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* insert_ = nullptr;
    unsigned n_ = 0;
};

std::string state_of(sdbus::IConnection& conn, const sdbus::ObjectPath& job) {
    auto p = sdbus::createProxy(conn, "org.ntms.Ntms1", job);
    return std::to_string(
        p->getProperty("State").onInterface("org.ntms.Ntms1.Job").get<uint32_t>());
}

bool wait_job_state(sdbus::IConnection& conn, const sdbus::ObjectPath& job, uint32_t want) {
    for (int i = 0; i < 3000; ++i) {
        if (state_of(conn, job) == std::to_string(want))
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

} // namespace

int main() {
    const unsigned rounds = env_or("ROUNDS", 5);
    const unsigned calls = env_or("CALLS", 1000);
    const unsigned injects = env_or("INJECTS", 200);  // per round: each one is a durable job
    const unsigned movers = env_or("MOVERS", 64);     // libraries whose robot moves under load
    const unsigned load_ms = env_or("LOAD_MS", 2000); // per kind and load phase

    try {
        TempDir dir("bench-dbus");
        PrivateBus bus(dir.path(), env_path("NTMS_DBUS_POLICY"),
                       fmt::format("<policy user=\"root\"><allow own=\"{0}\"/>"
                                   "<allow send_destination=\"{0}\"/></policy>",
                                   echo_name));
        // The movers' robots keep moving through both load phases, however long the movers take
        // to start (each one's move begins once its cartridge is in).
        const unsigned move_ms = 4 * load_ms + 1000 * movers + 10000;
        std::vector<std::string> args{"--database", dir.file("ntmsd.db"), "--library",
                                      "lab1=sim:lab1,state=" + dir.file("lab1.state") +
                                          ",slots=50,ie=1"};
        for (unsigned i = 1; i <= movers; ++i) {
            const std::string name = fmt::format("m{}", i);
            args.insert(args.end(),
                        {"--library", fmt::format("{0}=sim:{0},state={1},slots=20,ie=1,"
                                                  "move-ms={2}",
                                                  name, dir.file(name + ".state"), move_ms)});
        }
        Ntmsd ntmsd(bus.address(), args, dir.file("ntmsd.log"));
        std::string why;
        if (!ntmsd.wait_for_name(why)) {
            fmt::print(stderr, "bench_dbus: {}\n{}", why, read_file(dir.file("ntmsd.log")));
            return 1;
        }

        // The baseline service: one trivial method on its own connection and event loop thread,
        // and the same with a durable write before the answer.
        Fsync durable_file(dir.file("echo-durable.probe")); // outlives the event loop below
        auto echo_conn = sdbus::createSessionBusConnectionWithAddress(bus.address());
        auto echo = sdbus::createObject(*echo_conn, "/org/ntms/Bench");
        echo->registerMethod("Echo")
            .onInterface("org.ntms.Bench")
            .implementedAs([](const std::string& s) { return s; });
        echo->registerMethod("EchoDurable")
            .onInterface("org.ntms.Bench")
            .implementedAs([&durable_file](const std::string& s) {
                try {
                    durable_file();
                } catch (const std::exception& e) {
                    throw sdbus::Error("org.ntms.Bench.Failed", e.what());
                }
                return s;
            });
        echo->finishRegistration();
        echo_conn->requestName(echo_name);
        echo_conn->enterEventLoopAsync();

        auto conn = sdbus::createSessionBusConnectionWithAddress(bus.address());
        auto manager = sdbus::createProxy(*conn, "org.ntms.Ntms1", "/org/ntms/Ntms1");
        auto echo_proxy = sdbus::createProxy(*conn, echo_name, "/org/ntms/Bench");
        // Wait for every library's inventory: InjectMedia needs free slots known, and the rounds
        // are not to share the machine with the movers' start.
        const auto inventoried = [&](const std::string& name) {
            sdbus::ObjectPath path;
            for (int i = 0; i < 3000; ++i) {
                manager->callMethod("GetLibrary")
                    .onInterface("org.ntms.Ntms1.Manager")
                    .withArguments(name)
                    .storeResultsTo(path);
                auto l = sdbus::createProxy(*conn, "org.ntms.Ntms1", path);
                if (l->getProperty("Slots").onInterface("org.ntms.Ntms1.Library").get<uint32_t>() >
                    0)
                    return path;
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            throw std::runtime_error(name + ": no inventory after 30 s");
        };
        const sdbus::ObjectPath lib_path = inventoried("lab1");
        for (unsigned i = 1; i <= movers; ++i)
            (void)inventoried(fmt::format("m{}", i));
        auto library = sdbus::createProxy(*conn, "org.ntms.Ntms1", lib_path);
        const std::string guid =
            library->getProperty("Id").onInterface("org.ntms.Ntms1.Library").get<std::string>();
        const std::map<std::string, sdbus::Variant> options{
            {"timeout", sdbus::Variant(uint32_t{3600})}};

        std::map<std::string, Series> series;
        std::vector<sdbus::ObjectPath> queued; // the rounds' and the injector's jobs, to cancel
        const std::string text = "0123456789abcdef0123456789abcdef";
        // One call of the baseline service's method, Echo or EchoDurable.
        const auto call_echo = [&](const char* method) {
            std::string out;
            echo_proxy->callMethod(method)
                .onInterface("org.ntms.Bench")
                .withArguments(text)
                .storeResultsTo(out);
        };
        Fsync fsync_file(dir.file("fsync.probe"));
        Commit commit(dir.file("commit.probe.db"));
        for (unsigned r = 0; r < rounds; ++r) {
            measure(series["fsync"], injects, [&] { fsync_file(); });
            measure(series["commit"], injects, [&] { commit(); });
            measure(series["echo"], calls, [&] { call_echo("Echo"); });
            measure(series["EchoDurable"], injects, [&] { call_echo("EchoDurable"); });
            measure(series["property"], calls, [&] {
                const sdbus::Variant v =
                    library->getProperty("FreeSlots").onInterface("org.ntms.Ntms1.Library");
                (void)v;
            });
            measure(series["GetLibrary"], calls, [&] {
                sdbus::ObjectPath p;
                manager->callMethod("GetLibrary")
                    .onInterface("org.ntms.Ntms1.Manager")
                    .withArguments(std::string("lab1"))
                    .storeResultsTo(p);
            });
            measure(series["InjectMedia"], injects, [&] {
                std::string job;
                sdbus::ObjectPath path;
                manager->callMethod("InjectMedia")
                    .onInterface("org.ntms.Ntms1.Manager")
                    .withArguments(guid, uint32_t{0}, std::string(), options)
                    .storeResultsTo(job, path);
                queued.push_back(path);
            });
        }
        auto echo_call = [&] { call_echo("Echo"); };
        auto property_call = [&] {
            const sdbus::Variant v =
                library->getProperty("FreeSlots").onInterface("org.ntms.Ntms1.Library");
            (void)v;
        };
        const double echo_idle = rate(load_ms, echo_call);
        const double property_idle = rate(load_ms, property_call);

        // Load: every mover's robot in a long move, then a client injecting all the time.
        std::vector<std::string> mover_guids;
        std::vector<sdbus::ObjectPath> mover_jobs;
        for (unsigned i = 1; i <= movers; ++i) {
            const std::string name = fmt::format("m{}", i);
            sdbus::ObjectPath p;
            manager->callMethod("GetLibrary")
                .onInterface("org.ntms.Ntms1.Manager")
                .withArguments(name)
                .storeResultsTo(p);
            auto l = sdbus::createProxy(*conn, "org.ntms.Ntms1", p);
            mover_guids.push_back(
                l->getProperty("Id").onInterface("org.ntms.Ntms1.Library").get<std::string>());
            std::string job;
            sdbus::ObjectPath job_path;
            manager->callMethod("InjectMedia")
                .onInterface("org.ntms.Ntms1.Manager")
                .withArguments(mover_guids.back(), uint32_t{0}, std::string(), options)
                .storeResultsTo(job, job_path);
            if (!wait_job_state(*conn, job_path, 5)) // WAITING: the operator is asked
                throw std::runtime_error(name + ": the inject does not wait for a cartridge");
            const auto put = run_command({env_path("NTMS_SIM"), dir.file(name + ".state"), "insert",
                                          "100", fmt::format("MOV{:03}L8", i)});
            if (put.status != 0)
                throw std::runtime_error(name + ": ntms-sim insert failed: " + put.err);
            if (!wait_job_state(*conn, job_path, 1)) // INPROCESS: the robot moves
                throw std::runtime_error(name + ": the inject does not move the cartridge");
            mover_jobs.push_back(job_path);
        }
        // A stopping ntmsd lets its running moves finish (no SCSI command is abandoned): the
        // last robot stops moving before this.
        const auto moves_end = Clock::now() + std::chrono::milliseconds(move_ms);
        // The goal's load: the robots move, nothing else happens.
        double echo_moving = rate(load_ms / 2, echo_call);
        const double property_moving = rate(load_ms, property_call);
        echo_moving = (echo_moving + rate(load_ms / 2, echo_call)) / 2;

        std::atomic<bool> loading{true};
        std::atomic<unsigned> loaded_injects{0}, refused{0};
        std::vector<sdbus::ObjectPath> injected; // the injector's own until it is joined
        std::thread injector([&] {
            auto c = sdbus::createSessionBusConnectionWithAddress(bus.address());
            auto m = sdbus::createProxy(*c, "org.ntms.Ntms1", "/org/ntms/Ntms1");
            std::vector<std::string> targets = mover_guids;
            targets.push_back(guid);
            for (size_t n = 0; loading; ++n) {
                try {
                    std::string job;
                    sdbus::ObjectPath path;
                    m->callMethod("InjectMedia")
                        .onInterface("org.ntms.Ntms1.Manager")
                        .withArguments(targets[n % targets.size()], uint32_t{0}, std::string(),
                                       options)
                        .storeResultsTo(job, path);
                    injected.push_back(path);
                    ++loaded_injects;
                } catch (const sdbus::Error&) {
                    ++refused; // a full queue (MaxQueuedJobs=) answers Busy: still a call
                }
            }
        });
        double echo_loaded = 0, property_loaded = 0;
        try {
            echo_loaded = rate(load_ms / 2, echo_call);
            property_loaded = rate(load_ms, property_call);
            echo_loaded = (echo_loaded + rate(load_ms / 2, echo_call)) / 2;
        } catch (...) {
            loading = false;
            injector.join();
            throw;
        }
        loading = false;
        injector.join();
        unsigned still_moving = 0; // the load held to the end: robots in their move
        for (const auto& j : mover_jobs)
            still_moving += state_of(*conn, j) == "1" ? 1u : 0u;

        // For information: the queued jobs cancelled, their objects stay on the bus for the
        // retention (an hour), as a busy day's ended jobs do; property reads against echo then.
        queued.insert(queued.end(), injected.begin(), injected.end());
        for (const auto& path : queued)
            sdbus::createProxy(*conn, "org.ntms.Ntms1", path)
                ->callMethod("Cancel")
                .onInterface("org.ntms.Ntms1.Job")
                .withArguments(std::map<std::string, sdbus::Variant>{});
        double echo_ended = rate(load_ms / 2, echo_call);
        const double property_ended = rate(load_ms, property_call);
        echo_ended = (echo_ended + rate(load_ms / 2, echo_call)) / 2;
        echo_conn->leaveEventLoop();

        const double echo_p50 = percentile(series["echo"].us, 0.5);
        fmt::print("bench_dbus: {} rounds; {} calls per kind and round ({} InjectMedia)\n", rounds,
                   calls, injects);
        fmt::print("  {:<12} {:>10} {:>10} {:>10} {:>12}\n", "call", "p50 us", "p99 us", "calls/s",
                   "p50/echo");
        for (const char* kind :
             {"echo", "fsync", "commit", "EchoDurable", "property", "GetLibrary", "InjectMedia"}) {
            const auto& s = series[kind];
            const double p50 = percentile(s.us, 0.5);
            fmt::print("  {:<12} {:>10.1f} {:>10.1f} {:>10.0f} {:>12.2f}\n", kind, p50,
                       percentile(s.us, 0.99), static_cast<double>(s.us.size()) / s.total_s,
                       p50 / echo_p50);
        }
        const double budget = echo_p50 + percentile(series["fsync"].us, 0.5);
        const double inject_p99 = percentile(series["InjectMedia"].us, 0.99);
        fmt::print("P3 InjectMedia p99: {:.2f} x ({:.0f} us / (echo {:.0f} + fsync {:.0f} us))\n",
                   inject_p99 / budget, inject_p99, echo_p50, budget - echo_p50);
        // Not a goal: the same p99 against the least an InjectMedia can cost on this disk.
        const double floor = echo_p50 + percentile(series["commit"].us, 0.5);
        fmt::print("  InjectMedia p99 against echo + one SQLite commit: {:.2f} x ({:.0f} us / "
                   "(echo {:.0f} + commit {:.0f} us))\n",
                   inject_p99 / floor, inject_p99, echo_p50, floor - echo_p50);
        // Not a goal: what the goal's budget leaves for any durable call on this machine.
        const double durable_p99 = percentile(series["EchoDurable"].us, 0.99);
        fmt::print("  the least durable call (EchoDurable) against the same: p99 {:.2f} x "
                   "({:.0f} us / (echo {:.0f} + fsync {:.0f} us)); a bare commit's p99 {:.2f} x\n",
                   durable_p99 / budget, durable_p99, echo_p50, budget - echo_p50,
                   percentile(series["commit"].us, 0.99) / budget);
        fmt::print("P3 property reads idle: {:.2f} x ({:.0f} / {:.0f} echo calls/s)\n",
                   property_idle / echo_idle, property_idle, echo_idle);
        fmt::print(
            "P3 property reads while {} robots move: {:.2f} x ({:.0f} / {:.0f} echo calls/s; "
            "{} of {} robots moving to the end)\n",
            movers, property_moving / echo_moving, property_moving, echo_moving, still_moving,
            movers);
        // Not a goal: a harder load than the goal's.
        fmt::print("  property reads while the robots move and a client injects without pause: "
                   "{:.2f} x ({:.0f} / {:.0f} echo calls/s; {} InjectMedia answered, {} refused "
                   "meanwhile)\n",
                   property_loaded / echo_loaded, property_loaded, echo_loaded,
                   loaded_injects.load(), refused.load());
        fmt::print("  property reads with {} ended jobs kept on the bus: {:.2f} x ({:.0f} / {:.0f} "
                   "echo calls/s)\n",
                   queued.size(), property_ended / echo_ended, property_ended, echo_ended);
        // Stopped while the robots still move: ntmsd exits once their moves end.
        const auto moving_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::max(moves_end - Clock::now(), Clock::duration::zero()));
        const int status = ntmsd.stop(moving_ms + std::chrono::seconds(30));
        if (status != 0)
            fmt::print(stderr, "bench_dbus: ntmsd exited with status {}\n", status);
        return status == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "bench_dbus: {}\n", e.what());
        return 1;
    }
}
