// Benchmark (not a test), P1: ntmsd's start with a tgt library of 64,535 slots through the whole
// core (Changer chunked reads, reconciliation, media records in SQLite), until the library is
// online with every cartridge recorded, against a baseline run in the same process:
//   p1_first_inventory: a new database, against one bare READ ELEMENT STATUS of every slot plus a
//                       bare SQLite bulk insert of the same rows;
//   p1_restart:         the database that start left, against the bare read plus one indexed
//                       read of the stored rows.
// ROUNDS rounds (5) interleave both starts and the baselines; the ratios are of the medians.
// Prints every round, the ratios and peak RSS.
//
//   meson test -C build --benchmark --suite bench -v inventory
//   SLOTS=10000 FILL=500 ROUNDS=3 build/tests/bench/bench_inventory
#include "daemon/events.hpp"
#include "daemon/malloc_tuning.hpp"
#include "sgio/cdb.hpp"
#include "sgio/element_status.hpp"
#include "sgio/iscsi_transport.hpp"
#include "tests/domain.hpp"
#include "tgt_fixture.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

using Clock = std::chrono::steady_clock;

namespace {

unsigned env_or(const char* name, unsigned fallback) {
    const char* v = std::getenv(name);
    return v ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : fallback;
}

long peak_rss_kib() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

class Waiter : public ntms::EventSink {
public:
    void library_changed(const ntms::Guid&) override { cv_.notify_all(); }
    template <typename P> bool wait(P p) {
        std::unique_lock lock(m_);
        return cv_.wait_for(lock, std::chrono::minutes(10), p);
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
};

// One READ ELEMENT STATUS of all storage elements, then every row into SQLite in one transaction
// (first) and read back through an index (restart): the two baselines of P1.
struct Baseline {
    double read_ms = 0, insert_ms = 0, select_ms = 0;
    size_t rows = 0, read_back = 0;
};

Baseline baseline(const std::string& url, const std::string& db_path, unsigned first,
                  unsigned slots) {
    auto t = sgio::IscsiTransport::open(url);
    if (!t) {
        fmt::print(stderr, "baseline: {}\n", t.error().message);
        std::exit(1);
    }
    // The first command of a session gets a unit attention; clear it before timing.
    auto tur = sgio::cdb::test_unit_ready();
    (void)(*t)->execute(tur.span(), sgio::Direction::None, {}, std::chrono::seconds(10));
    // The bare call at its best: the allocation length exactly what the report needs, learned
    // from its header before timing (tgt clears as many bytes as the allocation length asks for).
    std::vector<uint8_t> buf(8);
    auto probe =
        sgio::cdb::read_element_status(sgio::ElementType::Storage, static_cast<uint16_t>(first),
                                       static_cast<uint16_t>(slots), true, false, 8);
    auto head =
        (*t)->execute(probe.span(), sgio::Direction::FromDevice, buf, std::chrono::seconds(60));
    if (!head || !head->good()) {
        fmt::print(stderr, "baseline: READ ELEMENT STATUS of the header failed\n");
        std::exit(1);
    }
    const uint32_t report_bytes = (uint32_t{buf[5]} << 16) | (uint32_t{buf[6]} << 8) | buf[7];
    buf.assign(std::min<uint32_t>(8 + report_bytes, 0xFFFFFF), 0);

    Baseline b;
    auto t0 = Clock::now();
    auto c = sgio::cdb::read_element_status(
        sgio::ElementType::Storage, static_cast<uint16_t>(first), static_cast<uint16_t>(slots),
        true, false, static_cast<uint32_t>(buf.size()));
    auto r = (*t)->execute(c.span(), sgio::Direction::FromDevice, buf, std::chrono::seconds(60));
    if (!r || !r->good()) {
        fmt::print(stderr, "baseline: READ ELEMENT STATUS failed\n");
        std::exit(1);
    }
    // Views over the reply, as ntmsd's own parse: no element copied.
    std::vector<sgio::ElementView> views;
    if (!sgio::parse_element_status_in_place(std::span(buf).first(r->transferred), views)) {
        fmt::print(stderr, "baseline: the READ ELEMENT STATUS reply does not parse\n");
        std::exit(1);
    }
    b.read_ms = ms_since(t0);
    t0 = Clock::now();
    sqlite3* db = nullptr;
    sqlite3_open(db_path.c_str(), &db);
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 "CREATE TABLE media(id TEXT PRIMARY KEY, element INTEGER, barcode TEXT);"
                 "CREATE INDEX media_element ON media (element);",
                 nullptr, nullptr, nullptr);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO media VALUES (?, ?, ?)", -1, &st, nullptr);
    for (const auto& e : views) {
        if (!e.full())
            continue; // the same rows ntmsd records: one per cartridge
        const std::string id = fmt::format("{:036}", e.address());
        const std::string_view tag = e.primary_tag();
        sqlite3_bind_text(st, 1, id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, e.address());
        sqlite3_bind_text(st, 3, tag.data(), static_cast<int>(tag.size()), SQLITE_TRANSIENT);
        sqlite3_step(st);
        sqlite3_reset(st);
        ++b.rows;
    }
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    b.insert_ms = ms_since(t0);

    t0 = Clock::now();
    sqlite3_open(db_path.c_str(), &db);
    sqlite3_prepare_v2(db, "SELECT id, element, barcode FROM media WHERE element >= ?", -1, &st,
                       nullptr);
    sqlite3_bind_int(st, 1, 0);
    while (sqlite3_step(st) == SQLITE_ROW)
        ++b.read_back;
    sqlite3_finalize(st);
    sqlite3_close(db);
    b.select_ms = ms_since(t0);
    return b;
}

// ntmsd's start over the database at cfg.database until the library is online with every slot
// counted: its first inventory when the file is new, a restart when it is not. seen: the slots it
// counted; full: those it holds a cartridge in.
double start(const ntms::DaemonConfig& cfg, unsigned slots, uint32_t& seen, uint32_t& full) {
    Waiter w;
    const auto t0 = Clock::now();
    ntms::test::Domain m(cfg, w);
    m.start();
    const auto id = *m.find_library("big");
    w.wait([&] {
        auto s = m.library(id, ntms::Caller::root());
        // Online with every slot counted, or given up on (offline for another reason).
        return s && (s->online() ? s->slots == slots : s->state != ntms::LibraryState::Reading);
    });
    const double ms = ms_since(t0);
    const auto s = m.library(id, ntms::Caller::root());
    seen = s->slots;
    full = s->slots - s->free_slots;
    return ms;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

} // namespace

int main() {
    if (auto why = peer::TgtHarness::missing_tools(); !why.empty()) {
        fmt::print("bench_inventory: skipped: {}\n", why);
        return 0;
    }
    // malloc as ntmsd's main() sets it, for ntmsd's starts and the baselines alike. With glibc's
    // own, a round's device reply (3.3 MB) came from pages an earlier round had freed and left
    // mapped, or from new ones, as the heap's layout fell: two builds that differed only in the
    // store's SQL read the device at restart in 8 and in 35 ms (0 and 1,918 page faults on this
    // virtual machine, about 10 us each). A restarted ntmsd is a new process: its reply always
    // comes from new pages.
    ntms::tune_malloc();
    const unsigned slots = env_or("SLOTS", 64535);
    const unsigned fill = env_or("FILL", 5000);
    const unsigned rounds = std::max(1u, env_or("ROUNDS", 5));
    const auto dir =
        std::filesystem::temp_directory_path() / fmt::format("ntms-bench-inv-{}", getpid());
    std::filesystem::create_directories(dir);

    peer::TgtHarness tgt;
    peer::TgtOptions o;
    o.slots = slots;
    o.fill = fill;
    o.ie = 4;
    std::string error;
    fmt::print("bench_inventory: starting tgt with {} slots, {} barcodes (filling is slow)...\n",
               slots, fill);
    if (!tgt.start(o, error)) {
        fmt::print(stderr, "bench_inventory: tgt: {}\n", error);
        return 1;
    }
    const auto& lib = tgt.library();

    // Rounds interleave ntmsd's starts and the baseline on the same tgt library (an inventory
    // changes nothing in it), each round with new database files: drift on a shared machine
    // then hits both alike, and the medians are compared.
    std::vector<double> first_ms, again_ms, base_first_ms, base_again_ms;
    long rss_ntmsd = 0;
    bool all_seen = true;
    size_t rows = 0, read_back = 0;
    for (unsigned r = 0; r < rounds; ++r) {
        const auto round_dir = dir / fmt::format("round-{}", r);
        std::filesystem::create_directories(round_dir);
        ntms::DaemonConfig cfg;
        cfg.database = (round_dir / "ntmsd.db").string();
        cfg.discover = false;
        ntms::LibraryConfig lc;
        lc.name = "big";
        lc.device = lib.url;
        cfg.libraries = {lc};
        uint32_t seen_first = 0, seen_again = 0, full_first = 0, full_again = 0;
        first_ms.push_back(start(cfg, slots, seen_first, full_first));
        again_ms.push_back(start(cfg, slots, seen_again, full_again));
        // Peak RSS of the harness and ntmsd's starts, before the baseline allocates its transfer
        // buffer.
        if (r == 0)
            rss_ntmsd = peak_rss_kib();
        const Baseline b =
            baseline(lib.url, (round_dir / "baseline.db").string(), lib.storage_first, slots);
        base_first_ms.push_back(b.read_ms + b.insert_ms);
        base_again_ms.push_back(b.read_ms + b.select_ms);
        rows = b.rows;
        read_back = b.read_back;
        // Both starts counted every slot, and as many cartridges as the bare read found.
        all_seen = all_seen && seen_first == slots && seen_again == slots && full_first == rows &&
                   full_again == rows && read_back == rows;
        fmt::print("  round {}: first start {:.1f} ms (baseline: read {:.1f} + insert {:.1f} ms), "
                   "restart {:.1f} ms (baseline: read {:.1f} + indexed read {:.1f} ms)\n",
                   r + 1, first_ms.back(), b.read_ms, b.insert_ms, again_ms.back(), b.read_ms,
                   b.select_ms);
        std::filesystem::remove_all(round_dir);
    }
    const long rss_peak = peak_rss_kib();
    tgt.stop();
    std::filesystem::remove_all(dir);

    fmt::print("bench_inventory: slots {}, barcodes {}, {} rows inserted and {} read back by the "
               "baseline; medians of {} rounds\n",
               slots, fill, rows, read_back, rounds);
    const double first = median(first_ms), base_first = median(base_first_ms);
    const double again = median(again_ms), base_again = median(base_again_ms);
    fmt::print("p1_first_inventory_{}: {:.2f} x ({:.0f} ms / {:.0f} ms)\n", slots,
               first / base_first, first, base_first);
    fmt::print("p1_restart_{}: {:.2f} x ({:.0f} ms / {:.0f} ms)\n", slots, again / base_again,
               again, base_again);
    fmt::print("  peak RSS  after ntmsd's first round {} KiB, after the baselines {} KiB\n",
               rss_ntmsd, rss_peak);
    if (!all_seen)
        fmt::print(stderr, "bench_inventory: a start did not count every slot and cartridge\n");
    return all_seen ? 0 : 1;
}
