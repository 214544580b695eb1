// Benchmark (not a test): many libraries starting together on one database (P1b), against a
// baseline measured in the same process: a bare READ ELEMENT STATUS of every library's slots
// plus one bare SQLite bulk insert of all their rows; then the restart over the same database
// against the bare reads plus one indexed read of the stored rows. The libraries are virtual
// changers. Prints `name: ratio x (value / baseline)` lines, and P4: the peak RSS of the
// process, which ran only ntmsd's two starts (the baseline ran in a child), less the simulated
// changers that a real ntmsd does not hold, against the goal of 100 MB; then P2: a third start
// with every library checking its idle device every second, and the CPU time of the next
// NTMS_BENCH_IDLE_SEC (10) seconds as a share of one core, against the goal of 1 %. Exits
// non-zero when a library does not come online with exactly its media.
//
//   meson test -C build --benchmark --suite bench -v startup
//   NTMS_BENCH_LIBRARIES=64 NTMS_BENCH_SLOTS=10000 build/tests/bench/bench_startup
#include "daemon/events.hpp"
#include "daemon/malloc_tuning.hpp"
#include "daemon/store/store.hpp"
#include "sgio/cdb.hpp"
#include "sgio/element_status.hpp"
#include "sgio/virtual_changer.hpp"
#include "tests/domain.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using Clock = std::chrono::steady_clock;

namespace {

unsigned env_or(const char* name, unsigned fallback) {
    const char* v = std::getenv(name);
    return v && *v ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : fallback;
}

long peak_rss_kib() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

// VmRSS now (peak_rss_kib is VmHWM).
long current_rss_kib() {
    FILE* f = std::fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    long kib = 0;
    while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    std::fclose(f);
    return kib;
}

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

uint32_t fill_of(unsigned i, unsigned slots) {
    return slots / 2 + i * 7 % 97;
}

std::string device_of(unsigned i, unsigned slots) {
    return fmt::format("sim:lib{:02},slots={},ie=2,fill={}", i, slots, fill_of(i, slots));
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

struct Row {
    uint16_t address;
    std::string tag;
};

// The virtual changers, opened (not timed: ntmsd's start opens its own).
std::vector<std::unique_ptr<sgio::VirtualChanger>> open_changers(unsigned libraries,
                                                                 unsigned slots) {
    std::vector<std::unique_ptr<sgio::VirtualChanger>> out;
    for (unsigned i = 0; i < libraries; ++i) {
        auto cfg = sgio::VirtualChangerConfig::parse(device_of(i, slots));
        if (!cfg) {
            fmt::print(stderr, "baseline: {}\n", cfg.error().message);
            std::exit(1);
        }
        auto vc = sgio::VirtualChanger::open(*cfg);
        if (!vc) {
            fmt::print(stderr, "baseline: {}\n", vc.error().message);
            std::exit(1);
        }
        auto tur = sgio::cdb::test_unit_ready(); // the first command meets a unit attention
        (void)(*vc)->execute(tur.span(), sgio::Direction::None, {}, std::chrono::seconds(10));
        out.push_back(std::move(vc).value());
    }
    return out;
}

// One bare READ ELEMENT STATUS of every storage element of each library; their full elements.
std::vector<std::vector<Row>> bare_reads(std::vector<std::unique_ptr<sgio::VirtualChanger>>& all,
                                         unsigned slots) {
    std::vector<std::vector<Row>> out;
    std::vector<uint8_t> buf(0xFFFFFF);
    for (auto& vc : all) {
        auto c = sgio::cdb::read_element_status(sgio::ElementType::Storage, 1000,
                                                static_cast<uint16_t>(slots), true, false,
                                                static_cast<uint32_t>(buf.size()));
        auto r = vc->execute(c.span(), sgio::Direction::FromDevice, buf, std::chrono::seconds(60));
        if (!r || !r->good()) {
            fmt::print(stderr, "baseline: READ ELEMENT STATUS failed\n");
            std::exit(1);
        }
        auto report = sgio::parse_element_status(std::span(buf).first(r->transferred));
        if (!report) {
            fmt::print(stderr, "baseline: {}\n", report.error().message);
            std::exit(1);
        }
        std::vector<Row> rows;
        for (const auto& e : report->elements)
            if (e.full)
                rows.push_back(Row{e.address, e.primary_tag});
        out.push_back(std::move(rows));
    }
    return out;
}

sqlite3* open_bare(const std::string& path) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", nullptr, nullptr,
                 nullptr);
    return db;
}

// Every row of every library into SQLite in one transaction, one prepared statement.
size_t bulk_insert(const std::string& path, const std::vector<std::vector<Row>>& all) {
    sqlite3* db = open_bare(path);
    sqlite3_exec(db,
                 "CREATE TABLE media(id TEXT PRIMARY KEY, library INTEGER, element INTEGER, "
                 "barcode TEXT); CREATE INDEX media_library ON media (library);",
                 nullptr, nullptr, nullptr);
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO media VALUES (?, ?, ?, ?)", -1, &st, nullptr);
    size_t rows = 0;
    for (size_t lib = 0; lib < all.size(); ++lib) {
        for (const auto& r : all[lib]) {
            const std::string id = fmt::format("{:08}-{:027}", lib, r.address);
            sqlite3_bind_text(st, 1, id.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 2, static_cast<int64_t>(lib));
            sqlite3_bind_int(st, 3, r.address);
            sqlite3_bind_text(st, 4, r.tag.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_step(st);
            sqlite3_reset(st);
            ++rows;
        }
    }
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return rows;
}

// Every library's rows read back through the index.
size_t indexed_read(const std::string& path, size_t libraries) {
    sqlite3* db = open_bare(path);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT id, element, barcode FROM media WHERE library = ?", -1, &st,
                       nullptr);
    size_t rows = 0;
    for (size_t lib = 0; lib < libraries; ++lib) {
        sqlite3_bind_int64(st, 1, static_cast<int64_t>(lib));
        while (sqlite3_step(st) == SQLITE_ROW)
            ++rows;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rows;
}

// The CPU time this process has used (user and system), in milliseconds.
double cpu_ms() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

// ntmsd's start over the database: until every library is online with its slots counted (or
// given up on). Whether each library has exactly its media recorded. With idle_s > 0 ntmsd is
// then left idle that long, and *idle_cpu_ms is the CPU time it used meanwhile (P2).
bool start(const ntms::DaemonConfig& cfg, unsigned slots, double& ms, double idle_s = 0,
           double* idle_cpu_ms = nullptr) {
    Waiter w;
    const auto t0 = Clock::now();
    ntms::test::Domain d(cfg, w);
    d.start();
    const auto ids = d.libraries();
    w.wait([&] {
        for (const auto& id : ids) {
            auto s = d.library(id, ntms::Caller::root());
            if (!s || (s->online() ? s->slots != slots : s->state == ntms::LibraryState::Reading))
                return false;
        }
        return true;
    });
    ms = ms_since(t0);
    if (idle_s > 0 && idle_cpu_ms) {
        const double before = cpu_ms();
        std::this_thread::sleep_for(std::chrono::duration<double>(idle_s));
        *idle_cpu_ms = cpu_ms() - before;
    }
    auto db = ntms::Store::open(cfg.database);
    if (!db) {
        fmt::print(stderr, "bench_startup: {}\n", db.error().message);
        return false;
    }
    bool exact = ids.size() == cfg.libraries.size();
    for (const auto& id : ids) {
        auto s = d.library(id, ntms::Caller::root());
        auto media = (*db)->list_media(id);
        const unsigned i = static_cast<unsigned>(std::stoul(s->name.substr(3)));
        if (!s->online() || !media || media->size() != fill_of(i, slots)) {
            fmt::print(stderr, "bench_startup: library {} is {} with {} media, not {}\n", s->name,
                       s->online() ? "online" : "offline", media ? media->size() : 0,
                       fill_of(i, slots));
            exact = false;
        }
    }
    return exact && d.workers_alive();
}

void ratio(const char* name, double value, double baseline) {
    fmt::print("{}: {:.2f} x ({:.0f} ms / {:.0f} ms)\n", name, value / baseline, value, baseline);
}

// What the baseline measured, in the child that ran it.
struct Baseline {
    double reads_ms = 0, insert_ms = 0, select_ms = 0;
    size_t inserted = 0, read_back = 0;
    long rss_changers_kib = 0, rss_peak_kib = 0;
};

// The baseline runs in a child process of its own: its buffers and the simulated changers it
// reads are then not in the peak RSS of ntmsd's start, which is P4's measure.
Baseline run_baseline(unsigned libraries, unsigned slots, const std::string& bare_db) {
    int fds[2];
    if (pipe(fds) != 0) {
        std::perror("bench_startup: pipe");
        std::exit(1);
    }
    const pid_t pid = fork();
    if (pid < 0) {
        std::perror("bench_startup: fork");
        std::exit(1);
    }
    if (pid == 0) {
        close(fds[0]);
        Baseline b;
        const long before = current_rss_kib();
        auto changers = open_changers(libraries, slots); // storage from 1000, the default
        b.rss_changers_kib = current_rss_kib() - before;
        auto t0 = Clock::now();
        const auto rows = bare_reads(changers, slots);
        b.reads_ms = ms_since(t0);
        changers.clear();
        t0 = Clock::now();
        b.inserted = bulk_insert(bare_db, rows);
        b.insert_ms = ms_since(t0);
        t0 = Clock::now();
        b.read_back = indexed_read(bare_db, rows.size());
        b.select_ms = ms_since(t0);
        b.rss_peak_kib = peak_rss_kib();
        const bool sent = write(fds[1], &b, sizeof b) == static_cast<ssize_t>(sizeof b);
        _exit(sent ? 0 : 1);
    }
    close(fds[1]);
    Baseline b;
    const bool got = read(fds[0], &b, sizeof b) == static_cast<ssize_t>(sizeof b);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fmt::print(stderr, "bench_startup: the baseline's process failed\n");
        std::exit(1);
    }
    return b;
}

} // namespace

int main() {
    const unsigned libraries = env_or("NTMS_BENCH_LIBRARIES", 64);
    const unsigned slots = env_or("NTMS_BENCH_SLOTS", 10000);
    const auto dir =
        std::filesystem::temp_directory_path() / fmt::format("ntms-bench-start-{}", getpid());
    std::filesystem::create_directories(dir);
    // The baseline is bare code with glibc's defaults; ntmsd's start below is tuned as ntmsd's
    // main() tunes it (the baseline's child is gone, and no thread runs yet).
    const Baseline base = run_baseline(libraries, slots, (dir / "baseline.db").string());
    ntms::tune_malloc();

    ntms::DaemonConfig cfg;
    cfg.database = (dir / "ntmsd.db").string();
    cfg.discover = false;
    for (unsigned i = 0; i < libraries; ++i) {
        ntms::LibraryConfig lc;
        lc.name = fmt::format("lib{:02}", i);
        lc.device = device_of(i, slots);
        cfg.libraries.push_back(lc);
    }
    double first_ms = 0, again_ms = 0;
    const bool first_ok = start(cfg, slots, first_ms);
    const bool again_ok = start(cfg, slots, again_ms);
    const long rss_peak = peak_rss_kib();
    // P2: the same libraries, each checking its idle device every second (TEST UNIT READY and a
    // look at its ports), left alone once online.
    ntms::DaemonConfig idle_cfg = cfg;
    for (auto& lc : idle_cfg.libraries)
        lc.check_interval_sec = 1;
    const double idle_s = env_or("NTMS_BENCH_IDLE_SEC", 10);
    double idle_start_ms = 0, idle_cpu = 0;
    const bool idle_ok = start(idle_cfg, slots, idle_start_ms, idle_s, &idle_cpu);
    std::filesystem::remove_all(dir);

    fmt::print("bench_startup: {} libraries x {} slots, {} cartridges ({} read back)\n", libraries,
               slots, base.inserted, base.read_back);
    fmt::print("  baseline  {} bare READ ELEMENT STATUS {:.0f} ms, bulk insert {:.0f} ms, "
               "indexed read {:.0f} ms (in a process of its own, peak RSS {} KiB)\n",
               libraries, base.reads_ms, base.insert_ms, base.select_ms, base.rss_peak_kib);
    const std::string size = fmt::format("{}x{}", libraries, slots);
    ratio(fmt::format("p1b_first_start_{}", size).c_str(), first_ms,
          base.reads_ms + base.insert_ms);
    ratio(fmt::format("p1b_restart_{}", size).c_str(), again_ms, base.reads_ms + base.select_ms);
    // The simulated changers live in this process, as they do in ntmsd with sim: devices, and
    // not in a real ntmsd's: they are counted apart (their RSS as the baseline opened them).
    const long own = rss_peak - base.rss_changers_kib;
    // SQLite's own count of its memory is off in ntmsd (Store), so it is not printed.
    fmt::print("  peak RSS  {} KiB: the {} simulated changers {} KiB, the rest {} KiB\n", rss_peak,
               libraries, base.rss_changers_kib, own);
    fmt::print("p4_rss_{}: {:.2f} x ({} KiB / goal {} KiB)\n", size,
               static_cast<double>(own) / 102400.0, own, 102400);
    // The simulated changers answer in this process too: their share is counted in.
    const double share = idle_s > 0 ? idle_cpu / (idle_s * 1e3) * 100 : 0;
    fmt::print("p2_idle_{}: {:.2f} x ({:.2f} % of a core / goal 1 %; {:.0f} ms of CPU in {:.0f} s, "
               "{:.0f} us a library a second)\n",
               size, share, share, idle_cpu, idle_s,
               idle_s > 0 ? idle_cpu * 1e3 / (idle_s * libraries) : 0.0);
    if (!first_ok || !again_ok || !idle_ok) {
        fmt::print(stderr, "bench_startup: a library is not online with exactly its media\n");
        return 1;
    }
    return 0;
}
