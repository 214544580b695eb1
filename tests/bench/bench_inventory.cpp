// Benchmark (not a test): start-up inventory of a tgt library of 64,535 slots through the whole
// core (Changer chunked reads, reconciliation, media records in SQLite) against a baseline run in
// the same process: one bare READ ELEMENT STATUS of every slot plus a bare SQLite bulk insert of
// the same rows. Prints both times, the ratio and peak RSS.
//
//   meson test -C build --benchmark --suite bench -v bench_inventory
//   SLOTS=10000 FILL=500 build/tests/bench/bench_inventory
#include "daemon/events.hpp"
#include "sgio/cdb.hpp"
#include "sgio/element_status.hpp"
#include "sgio/iscsi_transport.hpp"
#include "tests/domain.hpp"
#include "tgt_fixture.hpp"

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

// One READ ELEMENT STATUS of all storage elements, then every row into SQLite in one transaction.
double baseline(const std::string& url, const std::string& db_path, unsigned first, unsigned slots,
                size_t& rows) {
    auto t = sgio::IscsiTransport::open(url);
    if (!t) {
        fmt::print(stderr, "baseline: {}\n", t.error().message);
        std::exit(1);
    }
    std::vector<uint8_t> buf(0xFFFFFF);
    // The first command of a session gets a unit attention; clear it before timing.
    auto tur = sgio::cdb::test_unit_ready();
    (void)(*t)->execute(tur.span(), sgio::Direction::None, {}, std::chrono::seconds(10));

    const auto t0 = Clock::now();
    auto c = sgio::cdb::read_element_status(
        sgio::ElementType::Storage, static_cast<uint16_t>(first), static_cast<uint16_t>(slots),
        true, false, static_cast<uint32_t>(buf.size()));
    auto r = (*t)->execute(c.span(), sgio::Direction::FromDevice, buf, std::chrono::seconds(60));
    if (!r || !r->good()) {
        fmt::print(stderr, "baseline: READ ELEMENT STATUS failed\n");
        std::exit(1);
    }
    auto report = sgio::parse_element_status(std::span(buf).first(r->transferred));
    sqlite3* db = nullptr;
    sqlite3_open(db_path.c_str(), &db);
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 "CREATE TABLE media(id TEXT PRIMARY KEY, element INTEGER, barcode TEXT);",
                 nullptr, nullptr, nullptr);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO media VALUES (?, ?, ?)", -1, &st, nullptr);
    rows = 0;
    for (const auto& e : report->elements) {
        if (!e.full)
            continue; // the same rows ntmsd records: one per cartridge
        const std::string id = fmt::format("{:036}", e.address);
        sqlite3_bind_text(st, 1, id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, e.address);
        sqlite3_bind_text(st, 3, e.primary_tag.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_step(st);
        sqlite3_reset(st);
        ++rows;
    }
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return ms_since(t0);
}

} // namespace

int main() {
    if (auto why = peer::TgtHarness::missing_tools(); !why.empty()) {
        fmt::print("bench_inventory: skipped: {}\n", why);
        return 0;
    }
    const unsigned slots = env_or("SLOTS", 64535);
    const unsigned fill = env_or("FILL", 5000);
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

    ntms::DaemonConfig cfg;
    cfg.database = (dir / "ntmsd.db").string();
    cfg.discover = false;
    ntms::LibraryConfig lc;
    lc.name = "big";
    lc.device = lib.url;
    cfg.libraries = {lc};
    Waiter w;
    const auto t0 = Clock::now();
    double ours_ms = 0;
    uint32_t seen = 0;
    {
        ntms::test::Domain m(cfg, w);
        m.start();
        const auto id = *m.find_library("big");
        w.wait([&] {
            auto s = m.library(id, ntms::Caller::root());
            // Online with every slot counted, or given up on (offline for another reason).
            return s && (s->online() ? s->slots == slots : s->state != ntms::LibraryState::Reading);
        });
        ours_ms = ms_since(t0);
        seen = m.library(id, ntms::Caller::root())->slots;
    }
    // Peak RSS so far: the harness plus the whole inventory, before the baseline allocates its
    // 16 MiB transfer buffer.
    const long rss_ntmsd = peak_rss_kib();
    size_t rows = 0;
    const double base_ms =
        baseline(lib.url, (dir / "baseline.db").string(), lib.storage_first, slots, rows);
    const long rss_peak = peak_rss_kib();
    tgt.stop();
    std::filesystem::remove_all(dir);

    fmt::print("bench_inventory: slots {} (seen {}), barcodes {}\n", slots, seen, fill);
    fmt::print("  baseline  bare READ ELEMENT STATUS + SQLite bulk insert of {} rows: {:9.1f} ms\n",
               rows, base_ms);
    fmt::print("  ntmsd     inventory (chunked reads, reconciliation, media records): {:9.1f} ms\n",
               ours_ms);
    fmt::print("p1_first_inventory_{}: {:.2f} x ({:.0f} ms / {:.0f} ms)\n", slots,
               ours_ms / base_ms, ours_ms, base_ms);
    fmt::print("  peak RSS  after ntmsd inventory {} KiB, after baseline {} KiB\n", rss_ntmsd,
               rss_peak);
    return seen == slots ? 0 : 1;
}
