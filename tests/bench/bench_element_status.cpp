// Benchmark (not a test), P6: READ ELEMENT STATUS of every storage slot parsed through the stack
// (Changer::for_each_element: chunked requests, the reply parsed in place) against the bare
// transport call (one READ ELEMENT STATUS of every slot, nothing parsed), both on the same
// in-memory virtual changer in the same process, rounds interleaved, medians compared. Also the
// stack's other two forms (for_each_status: each element decoded into one reused ElementStatus;
// read_status: every element kept) and the bytes per slot the parsed reply costs. Prints
// `p6_read_element_status_N: ratio x (stack / bare)`; exits non-zero only when it cannot measure.
//
//   build/tests/bench/bench_element_status            # 64,535 slots, every one full, 20 rounds
//   NTMS_BENCH_SLOTS=1000 NTMS_BENCH_ROUNDS=3 build/tests/bench/bench_element_status
#include "sgio/cdb.hpp"
#include "sgio/changer.hpp"
#include "sgio/element_status.hpp"
#include "sgio/virtual_changer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <functional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

unsigned env_or(const char* name, unsigned fallback) {
    const char* v = std::getenv(name);
    return v ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : fallback;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Way {
    const char* what;
    std::function<size_t()> read; // elements seen (full ones), 0 on failure
    std::vector<double> ms;
};

} // namespace

int main() {
    const unsigned slots = env_or("NTMS_BENCH_SLOTS", 64535);
    const unsigned rounds = std::max(1u, env_or("NTMS_BENCH_ROUNDS", 20));
    auto cfg = sgio::VirtualChangerConfig::parse(fmt::format("sim:p6,slots={},fill={}", slots, slots));
    if (!cfg) {
        fmt::print(stderr, "bench_element_status: {}\n", cfg.error().message);
        return 1;
    }
    auto vc = sgio::VirtualChanger::open(*cfg);
    if (!vc) {
        fmt::print(stderr, "bench_element_status: {}\n", vc.error().message);
        return 1;
    }
    sgio::VirtualChanger& dev = **vc;
    sgio::Changer changer(dev);
    // The same stack asked for every slot in one command (the transfer sized for the reply).
    sgio::ChangerOptions one_request;
    one_request.max_elements_per_request = static_cast<uint16_t>(slots);
    one_request.max_transfer = 16 + 128u * slots;
    sgio::Changer single(dev, one_request);

    // Bare: one command for every slot into one buffer kept across rounds.
    const uint32_t allocation = 16 + 64u * slots;
    std::vector<uint8_t> buffer(allocation);
    const auto cdb = sgio::cdb::read_element_status(sgio::ElementType::Storage,
                                                    cfg->storage_first,
                                                    static_cast<uint16_t>(slots), true, false,
                                                    allocation);
    size_t reply_bytes = 0;
    auto bare = [&]() -> size_t {
        auto r = dev.execute(cdb.span(), sgio::Direction::FromDevice, buffer,
                             std::chrono::seconds(60));
        if (!r || !r->good())
            return 0;
        reply_bytes = r->transferred;
        return slots; // not parsed: what the device was asked for
    };
    auto views = [&]() -> size_t {
        size_t full = 0, tag_bytes = 0;
        auto r = changer.for_each_element(sgio::ElementType::Storage,
                                          [&](const sgio::ElementView& e) {
                                              full += e.full();
                                              tag_bytes += e.primary_tag().size();
                                          });
        return r && tag_bytes == 8u * full ? full : 0;
    };
    auto views_single = [&]() -> size_t {
        size_t full = 0;
        auto r = single.for_each_element(sgio::ElementType::Storage,
                                         [&](const sgio::ElementView& e) { full += e.full(); });
        return r ? full : 0;
    };
    auto decoded = [&]() -> size_t {
        size_t full = 0;
        auto r = changer.for_each_status(sgio::ElementType::Storage,
                                         [&](const sgio::ElementStatus& e) { full += e.full; });
        return r ? full : 0;
    };
    auto kept = [&]() -> size_t {
        auto r = changer.read_status(sgio::ElementType::Storage);
        return r ? static_cast<size_t>(std::count_if(r->begin(), r->end(),
                                                     [](const auto& e) { return e.full; }))
                 : 0;
    };
    std::vector<Way> ways = {{"bare transport call, one READ ELEMENT STATUS", bare, {}},
                             {"stack: for_each_element (views over the reply)", views, {}},
                             {"stack: for_each_element, one request per read", views_single, {}},
                             {"stack: for_each_status (one reused ElementStatus)", decoded, {}},
                             {"stack: read_status (every ElementStatus kept)", kept, {}}};
    // One untimed round: the element map, capabilities and buffers are set up first.
    for (auto& w : ways) {
        if (w.read() != slots) {
            fmt::print(stderr, "bench_element_status: {}: not every slot seen\n", w.what);
            return 1;
        }
    }
    for (unsigned round = 0; round < rounds; ++round) {
        for (auto& w : ways) {
            const auto t0 = Clock::now();
            if (w.read() != slots) {
                fmt::print(stderr, "bench_element_status: {}: failed\n", w.what);
                return 1;
            }
            w.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        }
    }
    fmt::print("bench_element_status: {} slots, all full, {} rounds, reply {} bytes ({:.1f} per "
               "slot)\n",
               slots, rounds, reply_bytes, static_cast<double>(reply_bytes) / slots);
    for (const auto& w : ways)
        fmt::print("  {:<52} median {:8.3f} ms\n", w.what, median(w.ms));
    fmt::print("  per slot: {} bytes of view + its descriptor; decoded ElementStatus {} bytes + "
               "its strings' heap\n",
               sizeof(sgio::ElementView), sizeof(sgio::ElementStatus));
    const double base = median(ways[0].ms), ours = median(ways[1].ms);
    fmt::print("p6_read_element_status_{}: {:.2f} x ({:.3f} ms / {:.3f} ms)\n", slots, ours / base,
               ours, base);
    fmt::print("p6_read_element_status_one_request_{}: {:.2f} x ({:.3f} ms / {:.3f} ms)\n",
               slots, median(ways[2].ms) / base, median(ways[2].ms), base);
    fmt::print("p6_read_element_status_decoded_{}: {:.2f} x ({:.3f} ms / {:.3f} ms)\n", slots,
               median(ways[3].ms) / base, median(ways[3].ms), base);
    return 0;
}
