// Benchmark (not a test): two ways of writing an inventory's media rows into the store's own
// schema, on a real file (WAL, synchronous=FULL as the store sets them), each in one transaction:
//  - per row: the store's upsert (store_sql::upsert_medium), prepared once and executed per row
//    (what the writer does with its kept statements);
//  - multi-row: INSERT ... VALUES (...), (...), ... ON CONFLICT DO UPDATE, BATCH rows a statement
//    (prepared once per batch size, executed once per batch).
// First the rows are new (a first inventory), then every row is updated (a relabelled library).
// Prints `upsert_multirow_B_N: ratio x (multi-row / per row)` lines; below 1 the multi-row form
// is faster.
//
//   build/tests/bench/bench_upsert                      # 64,535 rows, batches of 64 and 512
//   NTMS_BENCH_ROWS=1000 NTMS_BENCH_ROUNDS=1 build/tests/bench/bench_upsert
#include "daemon/guid.hpp"
#include "daemon/store/sql.hpp"
#include "daemon/store/store.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <sqlite3.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

unsigned env_or(const char* name, unsigned fallback) {
    const char* v = std::getenv(name);
    return v ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : fallback;
}

struct Row {
    std::string guid;
    int64_t library; // the library's integer key, as the store binds it
    std::string barcode;
    int element = 0;
};

[[noreturn]] void die(sqlite3* db, const char* what) {
    fmt::print(stderr, "bench_upsert: {}: {}\n", what, sqlite3_errmsg(db));
    std::exit(1);
}

void exec(sqlite3* db, const char* sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
        die(db, sql);
}

// Binds row r as the 7 parameters from `first` (1-based) on.
void bind(sqlite3* db, sqlite3_stmt* st, int first, const Row& r, int64_t now) {
    int rc = sqlite3_bind_text(st, first, r.guid.c_str(), -1, SQLITE_STATIC);
    rc |= sqlite3_bind_int64(st, first + 1, r.library);
    rc |= sqlite3_bind_text(st, first + 2, r.barcode.c_str(), -1, SQLITE_STATIC);
    rc |= sqlite3_bind_int(st, first + 3, r.element);
    rc |= sqlite3_bind_int(st, first + 4, 0);
    rc |= sqlite3_bind_int64(st, first + 5, now);
    rc |= sqlite3_bind_int64(st, first + 6, now);
    if (rc != SQLITE_OK)
        die(db, "bind");
}

double per_row(sqlite3* db, const std::vector<Row>& rows, int64_t now) {
    const auto t0 = Clock::now();
    exec(db, "BEGIN IMMEDIATE");
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db, ntms::store_sql::upsert_medium.text, -1, SQLITE_PREPARE_PERSISTENT,
                           &st, nullptr) != SQLITE_OK)
        die(db, "prepare");
    for (const Row& r : rows) {
        bind(db, st, 1, r, now);
        if (sqlite3_step(st) != SQLITE_DONE)
            die(db, "step");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    exec(db, "COMMIT");
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string multi_sql(size_t n) {
    std::string sql = "INSERT INTO media (guid, library, barcode, element, state, updated, "
                      "created) VALUES ";
    for (size_t i = 0; i < n; ++i)
        sql += fmt::format("{}(?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{})", i ? ", " : "", 7 * i + 1,
                           7 * i + 2, 7 * i + 3, 7 * i + 4, 7 * i + 5, 7 * i + 6, 7 * i + 7);
    // The same conflict clause as the store's upsert.
    sql += " ON CONFLICT (guid) DO UPDATE SET library = excluded.library, "
           "barcode = excluded.barcode, element = excluded.element, state = excluded.state, "
           "updated = excluded.updated";
    return sql;
}

double multi_row(sqlite3* db, const std::vector<Row>& rows, size_t batch, int64_t now) {
    const auto t0 = Clock::now();
    exec(db, "BEGIN IMMEDIATE");
    sqlite3_stmt* full = nullptr;
    const std::string sql = multi_sql(batch);
    if (sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &full, nullptr) !=
        SQLITE_OK)
        die(db, "prepare");
    size_t i = 0;
    for (; i + batch <= rows.size(); i += batch) {
        for (size_t k = 0; k < batch; ++k)
            bind(db, full, static_cast<int>(7 * k + 1), rows[i + k], now);
        if (sqlite3_step(full) != SQLITE_DONE)
            die(db, "step");
        sqlite3_reset(full);
    }
    sqlite3_finalize(full);
    if (i < rows.size()) { // the rest, in one statement of its own size
        sqlite3_stmt* rest = nullptr;
        const std::string tail = multi_sql(rows.size() - i);
        if (sqlite3_prepare_v2(db, tail.c_str(), -1, &rest, nullptr) != SQLITE_OK)
            die(db, "prepare");
        for (size_t k = 0; i + k < rows.size(); ++k)
            bind(db, rest, static_cast<int>(7 * k + 1), rows[i + k], now);
        if (sqlite3_step(rest) != SQLITE_DONE)
            die(db, "step");
        sqlite3_finalize(rest);
    }
    exec(db, "COMMIT");
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// A fresh database with the store's schema, the library row, and a raw connection to it.
sqlite3* fresh(const fs::path& dir, const std::string& name, int64_t& library) {
    const std::string path = (dir / name).string();
    fs::remove(path);
    std::string lib_guid;
    {
        auto store = ntms::Store::open(path);
        if (!store) {
            fmt::print(stderr, "bench_upsert: {}\n", store.error().message);
            std::exit(1);
        }
        auto lib = (*store)->upsert_library("bench:upsert", "bench", "sim:bench");
        if (!lib) {
            fmt::print(stderr, "bench_upsert: {}\n", lib.error().message);
            std::exit(1);
        }
        lib_guid = lib->id.str();
    }
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK)
        die(db, "open");
    exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, ntms::store_sql::library_key.text, -1, &st, nullptr) != SQLITE_OK)
        die(db, "prepare");
    sqlite3_bind_text(st, 1, lib_guid.c_str(), -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        die(db, "library key");
    library = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return db;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

} // namespace

int main() {
    const unsigned n = std::max(1u, env_or("NTMS_BENCH_ROWS", 64535));
    const unsigned rounds = std::max(1u, env_or("NTMS_BENCH_ROUNDS", 3));
    const fs::path dir = fs::temp_directory_path() / fmt::format("ntms-bench-upsert-{}", getpid());
    fs::create_directories(dir);
    const size_t batches[] = {64, 512};
    // Per way: first-insert times and update times, over the rounds.
    std::vector<double> insert_row, update_row;
    std::vector<std::vector<double>> insert_multi(2), update_multi(2);
    for (unsigned round = 0; round < rounds; ++round) {
        for (size_t way = 0; way < 3; ++way) {
            int64_t library = 0;
            sqlite3* db = fresh(dir, fmt::format("w{}.db", way), library);
            std::vector<Row> rows(n);
            for (unsigned i = 0; i < n; ++i)
                rows[i] = Row{ntms::Guid::time_ordered().str(), library,
                              fmt::format("S{:05}L8", i + 1), static_cast<int>(1000 + i)};
            auto run = [&](int64_t now) {
                return way == 0 ? per_row(db, rows, now)
                                : multi_row(db, rows, batches[way - 1], now);
            };
            const double inserted = run(1);
            for (auto& r : rows)
                r.barcode[0] = 'T';
            const double updated = run(2);
            if (way == 0) {
                insert_row.push_back(inserted);
                update_row.push_back(updated);
            } else {
                insert_multi[way - 1].push_back(inserted);
                update_multi[way - 1].push_back(updated);
            }
            sqlite3_stmt* st = nullptr;
            sqlite3_prepare_v2(db, "SELECT count(*) FROM media WHERE barcode LIKE 'T%'", -1, &st,
                               nullptr);
            const bool all = sqlite3_step(st) == SQLITE_ROW &&
                             sqlite3_column_int64(st, 0) == static_cast<int64_t>(n);
            sqlite3_finalize(st);
            sqlite3_close(db);
            if (!all) {
                fmt::print(stderr, "bench_upsert: way {} did not write every row\n", way);
                return 1;
            }
        }
    }
    fs::remove_all(dir);
    fmt::print("bench_upsert: {} rows, {} rounds (medians)\n", n, rounds);
    fmt::print("  per row (kept statement)   insert {:8.1f} ms  update {:8.1f} ms\n",
               median(insert_row), median(update_row));
    for (size_t b = 0; b < 2; ++b) {
        fmt::print("  multi-row, {:3} a statement insert {:8.1f} ms  update {:8.1f} ms\n",
                   batches[b], median(insert_multi[b]), median(update_multi[b]));
        fmt::print("upsert_multirow_insert_{}_{}: {:.2f} x ({:.1f} ms / {:.1f} ms)\n", batches[b],
                   n, median(insert_multi[b]) / median(insert_row), median(insert_multi[b]),
                   median(insert_row));
        fmt::print("upsert_multirow_update_{}_{}: {:.2f} x ({:.1f} ms / {:.1f} ms)\n", batches[b],
                   n, median(update_multi[b]) / median(update_row), median(update_multi[b]),
                   median(update_row));
    }
    return 0;
}
