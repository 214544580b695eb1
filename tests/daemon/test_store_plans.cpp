// Every statement the store prepares (daemon/store/sql.hpp, the only place a Statement's SQL can
// come from) is planned by SQLite against the schema the store creates: a lookup must find its
// rows through an index (SEARCH), never by reading a whole table (SCAN). A new query without its
// index fails here.
#include "daemon/store/sql.hpp"
#include "daemon/store/store.hpp"
#include "tests/daemon/must.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace ntms {
namespace {

using store_sql::Plan;
using store_sql::Sql;

class StorePlans : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("ntms-plans-" + std::to_string(getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        path_ = (dir_ / "ntmsd.db").string();
        // The store creates the schema and its indexes.
        store_ = test::must(Store::open(path_), "open store");
        ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    }
    void TearDown() override {
        sqlite3_close_v2(db_);
        store_.reset();
        fs::remove_all(dir_);
    }

    // The plan's lines (EXPLAIN QUERY PLAN's detail column), or the prepare error as one line.
    std::vector<std::string> plan(const std::string& sql) {
        std::vector<std::string> lines;
        sqlite3_stmt* st = nullptr;
        const std::string explain = "EXPLAIN QUERY PLAN " + sql;
        if (sqlite3_prepare_v2(db_, explain.c_str(), -1, &st, nullptr) != SQLITE_OK) {
            lines.push_back(std::string("prepare failed: ") + sqlite3_errmsg(db_));
            return lines;
        }
        while (sqlite3_step(st) == SQLITE_ROW)
            lines.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 3)));
        sqlite3_finalize(st);
        return lines;
    }

    // What is wrong with the plan of a lookup: empty when it is right.
    std::string lookup_problem(const std::string& sql) {
        const auto lines = plan(sql);
        std::string all;
        bool search = false;
        for (const auto& l : lines) {
            all += "\n    " + l;
            if (l.rfind("prepare failed", 0) == 0)
                return l;
            // "SCAN t", "SCAN t USING INDEX i", "SCAN t USING COVERING INDEX i": a whole table.
            // "SCAN CONSTANT ROW", "SCAN 64 CONSTANT ROWS": a VALUES list, no table.
            if (l.rfind("SCAN ", 0) == 0 && l.find("CONSTANT ROW") == std::string::npos)
                return "reads a whole table:" + all;
            if (l.rfind("SEARCH ", 0) == 0)
                search = true;
        }
        // An INSERT has no plan of its own; anything else must find its rows by a key.
        if (!search && sql.rfind("INSERT", 0) != 0)
            return "no indexed search in its plan:" + all;
        return {};
    }

    fs::path dir_;
    std::string path_;
    std::unique_ptr<Store> store_;
    sqlite3* db_ = nullptr;
};

TEST_F(StorePlans, EveryLookupFindsItsRowsThroughAnIndex) {
    size_t lookups = 0, listings = 0;
    for (const Sql& s : store_sql::all) {
        SCOPED_TRACE(s.name);
        switch (s.plan) {
        case Plan::Lookup:
            ++lookups;
            EXPECT_EQ(lookup_problem(s.text), "") << s.text;
            break;
        case Plan::Listing: {
            ++listings;
            // A listing reads its table once, in the order an index gives when it can: it
            // prepares, and sorts no more than its ORDER BY asks.
            const auto lines = plan(s.text);
            ASSERT_FALSE(lines.empty());
            EXPECT_NE(lines.front().rfind("SCAN ", 0), std::string::npos) << lines.front();
            break;
        }
        case Plan::Control: {
            sqlite3_stmt* st = nullptr;
            EXPECT_EQ(sqlite3_prepare_v2(db_, s.text, -1, &st, nullptr), SQLITE_OK)
                << s.text << ": " << sqlite3_errmsg(db_);
            sqlite3_finalize(st);
            break;
        }
        }
    }
    // The table holds the daemon's queries, most of them lookups.
    EXPECT_GT(lookups, 25u);
    EXPECT_LE(listings, 3u);
}

// The check itself: a query on a column without an index is caught, and an index makes it pass.
TEST_F(StorePlans, AnUnindexedLookupIsCaught) {
    const std::string by_updated = "SELECT guid FROM media WHERE updated = ?1";
    EXPECT_NE(lookup_problem(by_updated).find("reads a whole table"), std::string::npos);
    const std::string job_by_application = "UPDATE jobs SET state = 1 WHERE application = ?1";
    EXPECT_NE(lookup_problem(job_by_application).find("reads a whole table"), std::string::npos);
    EXPECT_EQ(lookup_problem("SELECT guid FROM media WHERE guid = ?1"), "");
}

// A database of the same schema version made before the index existed gets it when it is opened,
// and its version stays what it was.
TEST_F(StorePlans, ADatabaseWithoutTheIndexGetsItWhenOpened) {
    auto count = [&](const char* sql) {
        sqlite3_stmt* st = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db_, sql, -1, &st, nullptr), SQLITE_OK);
        const int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
        sqlite3_finalize(st);
        return n;
    };
    constexpr const char* has_index =
        "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'media_gone_barcode'";
    ASSERT_EQ(count(has_index), 1);
    store_.reset();
    sqlite3_close_v2(db_);
    ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db_, "DROP INDEX media_gone_barcode", nullptr, nullptr, nullptr),
              SQLITE_OK);
    ASSERT_EQ(count(has_index), 0);
    EXPECT_NE(lookup_problem(store_sql::outside_medium.text).find("reads a whole table"),
              std::string::npos);

    store_ = test::must(Store::open(path_), "reopen store");
    EXPECT_EQ(count(has_index), 1);
    EXPECT_EQ(count("PRAGMA user_version"), Store::schema_version);
    EXPECT_EQ(lookup_problem(store_sql::outside_medium.text), "");
}

// Every name of the table is one entry; a copy of an entry is not one (a Statement refuses it).
TEST_F(StorePlans, OnlyTheTableIsTheTable) {
    for (const Sql& s : store_sql::all)
        EXPECT_TRUE(store_sql::in_table(s)) << s.name;
    const Sql copy = store_sql::get_job;
    EXPECT_FALSE(store_sql::in_table(copy));
    EXPECT_TRUE(store_sql::in_table(store_sql::get_job));
}

} // namespace
} // namespace ntms
