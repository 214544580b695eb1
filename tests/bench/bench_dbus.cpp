// Benchmark (not a test): the cost of ntmsd's D-Bus face against a trivial sdbus-c++ method served
// on the same private bus in the same run. Measured, one synchronous client call at a time:
//   echo         Echo(s) -> s of an sdbus-c++ object in this process: the bus round trip alone
//   property     Properties.Get of Library.FreeSlots (credentials check, snapshot copy)
//   GetLibrary   Manager.GetLibrary by name
//   InjectMedia  a START queued behind a waiting one (parameter checks, one SQLite transaction
//                with synchronous=FULL, a job object exported with InterfacesAdded and JobNew)
// Rounds interleave the kinds so that drift hits all alike; figures are over all rounds. Prints
// p50/p99 latency, calls/s and the ratio of each p50 to echo's.
//
//   meson test -C build --benchmark --suite bench -v dbus
//   ROUNDS=10 CALLS=2000 build/tests/bench/bench_dbus
#include "bus_harness.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <functional>
#include <map>
#include <sdbus-c++/sdbus-c++.h>
#include <thread>

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

} // namespace

int main() {
    const unsigned rounds = env_or("ROUNDS", 5);
    const unsigned calls = env_or("CALLS", 1000);
    const unsigned injects = env_or("INJECTS", 200); // per round: each one is a durable job

    try {
        TempDir dir("bench-dbus");
        PrivateBus bus(dir.path(), env_path("NTMS_DBUS_POLICY"),
                       fmt::format("<policy user=\"root\"><allow own=\"{0}\"/>"
                                   "<allow send_destination=\"{0}\"/></policy>",
                                   echo_name));
        Ntmsd ntmsd(bus.address(),
                    {"--database", dir.file("ntmsd.db"), "--library",
                     "lab1=sim:lab1,state=" + dir.file("lab1.state") + ",slots=50,ie=1"},
                    dir.file("ntmsd.log"));
        std::string why;
        if (!ntmsd.wait_for_name(why)) {
            fmt::print(stderr, "bench_dbus: {}\n{}", why, read_file(dir.file("ntmsd.log")));
            return 1;
        }

        // The baseline service: one trivial method on its own connection and event loop thread.
        auto echo_conn = sdbus::createSessionBusConnectionWithAddress(bus.address());
        auto echo = sdbus::createObject(*echo_conn, "/org/ntms/Bench");
        echo->registerMethod("Echo")
            .onInterface("org.ntms.Bench")
            .implementedAs([](const std::string& s) { return s; });
        echo->finishRegistration();
        echo_conn->requestName(echo_name);
        echo_conn->enterEventLoopAsync();

        auto conn = sdbus::createSessionBusConnectionWithAddress(bus.address());
        auto manager = sdbus::createProxy(*conn, "org.ntms.Ntms1", "/org/ntms/Ntms1");
        auto echo_proxy = sdbus::createProxy(*conn, echo_name, "/org/ntms/Bench");
        sdbus::ObjectPath lib_path;
        // Wait for the inventory: InjectMedia needs free slots known.
        for (int i = 0; i < 3000; ++i) {
            manager->callMethod("GetLibrary")
                .onInterface("org.ntms.Ntms1.Manager")
                .withArguments(std::string("lab1"))
                .storeResultsTo(lib_path);
            auto l = sdbus::createProxy(*conn, "org.ntms.Ntms1", lib_path);
            if (l->getProperty("Slots").onInterface("org.ntms.Ntms1.Library").get<uint32_t>() > 0)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        auto library = sdbus::createProxy(*conn, "org.ntms.Ntms1", lib_path);
        const std::string guid =
            library->getProperty("Id").onInterface("org.ntms.Ntms1.Library").get<std::string>();
        const std::map<std::string, sdbus::Variant> options{
            {"timeout", sdbus::Variant(uint32_t{3600})}};

        std::map<std::string, Series> series;
        const std::string text = "0123456789abcdef0123456789abcdef";
        for (unsigned r = 0; r < rounds; ++r) {
            measure(series["echo"], calls, [&] {
                std::string out;
                echo_proxy->callMethod("Echo")
                    .onInterface("org.ntms.Bench")
                    .withArguments(text)
                    .storeResultsTo(out);
            });
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
            });
        }
        echo_conn->leaveEventLoop();

        const double echo_p50 = percentile(series["echo"].us, 0.5);
        fmt::print("bench_dbus: {} rounds; {} calls per kind and round ({} InjectMedia)\n", rounds,
                   calls, injects);
        fmt::print("  {:<12} {:>10} {:>10} {:>10} {:>12}\n", "call", "p50 us", "p99 us", "calls/s",
                   "p50/echo");
        for (const char* kind : {"echo", "property", "GetLibrary", "InjectMedia"}) {
            const auto& s = series[kind];
            const double p50 = percentile(s.us, 0.5);
            fmt::print("  {:<12} {:>10.1f} {:>10.1f} {:>10.0f} {:>12.2f}\n", kind, p50,
                       percentile(s.us, 0.99), static_cast<double>(s.us.size()) / s.total_s,
                       p50 / echo_p50);
        }
        return ntmsd.stop() == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "bench_dbus: {}\n", e.what());
        return 1;
    }
}
