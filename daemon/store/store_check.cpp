// The store: the whole database checked on demand (Manager.CheckDatabase, ntmsctl check-database).
// The short quick_check runs once per file when it is first opened (store.cpp); this one reads
// every page, index and reference, so it runs only when asked, on the keeper's thread.
#include "daemon/store/statement.hpp"

#include <string>

namespace ntms {

using namespace store_detail;

namespace {

// The most lines of each check that are reported (SQLite's integrity_check stops at 100 too).
constexpr size_t max_lines = 100;

} // namespace

Expected<DatabaseCheck> Store::check_database() {
    static constexpr const char* what = "check the database";
    // One read transaction: both checks see the same snapshot, while the writer goes on.
    return run<DatabaseCheck>(what, false, [&]() -> Expected<DatabaseCheck> {
        DatabaseCheck c;
        Statement integrity(conn(), path_, what, store_sql::integrity_check);
        for (;;) {
            auto row = integrity.step();
            if (!row)
                return row.error();
            if (!*row)
                break;
            std::string line = integrity.text(0);
            if (line != "ok" && c.problems.size() < max_lines)
                c.problems.push_back("integrity_check: " + line);
        }
        // Rows: table, rowid (NULL for a WITHOUT ROWID table), parent table, foreign key index.
        Statement references(conn(), path_, what, store_sql::foreign_key_check);
        size_t found = 0;
        for (;;) {
            auto row = references.step();
            if (!row)
                return row.error();
            if (!*row)
                break;
            if (found++ < max_lines)
                c.problems.push_back(fmt::format(
                    "foreign_key_check: row {} of {} refers to a row of {} that does not exist",
                    references.is_null(1) ? std::string("?")
                                          : std::to_string(references.integer(1)),
                    references.text(0), references.text(2)));
        }
        if (found > max_lines)
            c.problems.push_back(fmt::format("foreign_key_check: {} more rows like these",
                                             found - max_lines));
        if (auto st = integrity.status(); !st)
            return st.error();
        if (auto st = references.status(); !st)
            return st.error();
        c.ok = c.problems.empty();
        return c;
    });
}

} // namespace ntms
