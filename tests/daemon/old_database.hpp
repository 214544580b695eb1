// A database file as an earlier ntmsd left it: the store's own migrations up to that version, run
// on a plain connection with foreign keys on, then rows written in that version's shape. Opening
// it with Store::open() migrates it the way a user's file is migrated.
#pragma once

#include "daemon/store/store.hpp"

#include <sqlite3.h>
#include <stdexcept>
#include <string>

namespace ntms::test {

inline void make_database_at_version(const std::string& path, int version,
                                     const std::string& rows_sql) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
        sqlite3_close_v2(db);
        throw std::runtime_error("cannot create " + path);
    }
    std::string sql = "PRAGMA foreign_keys = ON; BEGIN;";
    for (int v = 1; v <= version; ++v) {
        const char* step = Store::migration(v);
        if (!step) {
            sqlite3_close_v2(db);
            throw std::runtime_error("no migration to version " + std::to_string(v));
        }
        sql += step;
    }
    sql += "PRAGMA user_version = " + std::to_string(version) + ";";
    sql += "PRAGMA application_id = " + std::to_string(Store::application_id) + ";";
    sql += rows_sql;
    sql += ";COMMIT;";
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    const std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close_v2(db);
    if (rc != SQLITE_OK)
        throw std::runtime_error("database at version " + std::to_string(version) + ": " + msg);
}

} // namespace ntms::test
