// Every SQL statement the store prepares, in one table. A Statement is made from an entry of this
// table only (statement.hpp refuses any other), so that the test that runs EXPLAIN QUERY PLAN
// over the whole table (tests/daemon/test_store_plans.cpp) sees every query the daemon runs, and
// a new query without its index fails it. The writer keeps its prepared statements by the entry's
// id. Settings (PRAGMA x = value) and the schema are run as text by sqlite3_exec: nothing of
// theirs is prepared and kept.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ntms::store_sql {

enum class Plan : uint8_t {
    Lookup,  // finds its rows by a key: no full scan of any table (a SEARCH)
    Listing, // reads every row of its table by design (a listing): its scan is the point
    Control, // transactions and PRAGMAs: no query plan
};

// The column order of each table's SELECTs is the one its row reader in store_rows.cpp expects.
#define NTMS_JOB_COLUMNS                                                                           \
    "guid, library, operation, action, state, error, error_message, time_queued, time_started, "   \
    "time_completed, application, uid, media_moved, timeout_sec, port, priority"
// A medium's columns as written; it names its library by the library's integer key
// (library_key), and is read back with the library's GUID.
#define NTMS_MEDIUM_COLUMNS "guid, library, barcode, element, state, updated, created"
#define NTMS_MEDIUM_SELECT                                                                         \
    "SELECT m.guid, l.guid, m.barcode, m.element, m.state, m.updated, m.created "                  \
    "FROM media m JOIN libraries l ON l.id = m.library "
// The integer key of the library whose GUID is parameter 1: a statement, and a subquery.
#define NTMS_LIBRARY_KEY "SELECT id FROM libraries WHERE guid = ?1"
#define NTMS_LIBRARY_OF_1 "(" NTMS_LIBRARY_KEY ")"
#define NTMS_LIBRARY_COLUMNS "guid, identity, name, device, enabled, created"
// A history row names its medium by the medium's integer key; read back, by its GUID.
#define NTMS_MOVE_SELECT                                                                           \
    "SELECT m.guid, h.job, h.from_element, h.to_element, h.time, h.reason "                        \
    "FROM media_history h JOIN media m ON m.id = h.medium "
// The integer key of the medium whose GUID is parameter 1, or 2.
#define NTMS_MEDIUM_OF_1 "(SELECT id FROM media WHERE guid = ?1)"
#define NTMS_MEDIUM_OF_2 "(SELECT id FROM media WHERE guid = ?2)"
#define NTMS_OPREQUEST_COLUMNS "guid, type, state, message, library, job, submitted, changed"

// A mounted medium's row (Store::Mounted): the last row of its history that records what
// happened (requests say what is to happen) put it into the drive where it is, and the slot the
// mount took it from.
#define NTMS_MOUNTED_SELECT                                                                        \
    "SELECT m.guid, m.element, h.reason, h.job, "                                                  \
    "(SELECT r.from_element FROM media_history r WHERE r.medium = m.id AND "                       \
    "r.reason = 'mount' ORDER BY r.id DESC LIMIT 1) "                                              \
    "FROM media m JOIN media_history h ON h.id = (SELECT max(x.id) FROM "                          \
    "media_history x WHERE x.medium = m.id AND x.reason NOT LIKE '%-requested') "
#define NTMS_MOUNTED_WHERE                                                                         \
    "h.reason IN ('mount', 'dismount-deferred') AND h.to_element = m.element "

// The VALUES of upsert_media_batch and insert_history_batch: media_batch_rows rows, anonymous
// parameters numbered in order (in rows of n columns, row r's column c is parameter nr + c + 1).
#define NTMS_ROW "(?, ?, ?, ?, ?, ?, ?)"
#define NTMS_TIMES_4(x) x ", " x ", " x ", " x
#define NTMS_TIMES_64(x) NTMS_TIMES_4(NTMS_TIMES_4(NTMS_TIMES_4(x)))
// A history row: the medium (by its GUID), job, from, to, time, reason.
#define NTMS_HISTORY_ROW "((SELECT id FROM media WHERE guid = ?), ?, ?, ?, ?, ?)"
// The same with the medium by its integer key, which upsert_media_batch returns.
#define NTMS_HISTORY_KEYED_ROW "(?, ?, ?, ?, ?, ?)"
#define NTMS_HISTORY_INSERT                                                                        \
    "INSERT INTO media_history (medium, job, from_element, to_element, time, reason) VALUES "
#define NTMS_MEDIUM_UPSERT                                                                         \
    " ON CONFLICT (guid) DO UPDATE SET library = excluded.library, barcode = excluded.barcode, "   \
    "element = excluded.element, state = excluded.state, updated = excluded.updated"

// X(name, plan, text)
#define NTMS_STORE_STATEMENTS(X)                                                                   \
    /* transactions: the writer runs them from its kept statements */                              \
    X(begin_immediate, Control, "BEGIN IMMEDIATE")                                                 \
    X(begin_deferred, Control, "BEGIN")                                                            \
    X(savepoint, Control, "SAVEPOINT nested")                                                      \
    X(release_savepoint, Control, "RELEASE nested")                                                \
    X(rollback_to_savepoint, Control, "ROLLBACK TO nested")                                        \
    X(commit, Control, "COMMIT")                                                                   \
    X(rollback, Control, "ROLLBACK")                                                               \
    /* PRAGMAs read back */                                                                        \
    X(set_wal, Control, "PRAGMA journal_mode = WAL")                                               \
    X(journal_mode, Control, "PRAGMA journal_mode")                                                \
    X(quick_check, Control, "PRAGMA quick_check")                                                  \
    X(integrity_check, Control, "PRAGMA integrity_check")                                          \
    X(foreign_key_check, Control, "PRAGMA foreign_key_check")                                      \
    X(user_version, Control, "PRAGMA user_version")                                                \
    X(application_id, Control, "PRAGMA application_id")                                            \
    X(page_count, Control, "PRAGMA page_count")                                                    \
    X(page_size, Control, "PRAGMA page_size")                                                      \
    X(data_version, Control, "PRAGMA data_version")                                                \
    X(synchronous, Control, "PRAGMA synchronous")                                                  \
    X(foreign_keys, Control, "PRAGMA foreign_keys")                                                \
    X(busy_timeout, Control, "PRAGMA busy_timeout")                                                \
    X(max_page_count, Control, "PRAGMA max_page_count")                                            \
    X(cache_size, Control, "PRAGMA cache_size")                                                    \
    /* libraries */                                                                                \
    X(upsert_library, Lookup,                                                                      \
      "INSERT INTO libraries (guid, identity, name, device, enabled, created) "                    \
      "VALUES (?1, ?2, ?3, ?4, 1, ?5) "                                                            \
      "ON CONFLICT (identity) DO UPDATE SET name = excluded.name, device = excluded.device "       \
      "RETURNING " NTMS_LIBRARY_COLUMNS)                                                           \
    X(get_library, Lookup, "SELECT " NTMS_LIBRARY_COLUMNS " FROM libraries WHERE guid = ?1")       \
    X(list_libraries, Listing,                                                                     \
      "SELECT " NTMS_LIBRARY_COLUMNS " FROM libraries ORDER BY created, rowid")                    \
    X(set_library_enabled, Lookup, "UPDATE libraries SET enabled = ?2 WHERE guid = ?1")            \
    X(library_key, Lookup, NTMS_LIBRARY_KEY)                                                       \
    /* jobs */                                                                                     \
    X(insert_job, Lookup,                                                                          \
      "INSERT INTO jobs (" NTMS_JOB_COLUMNS ") "                                                   \
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)")            \
    X(update_job, Lookup,                                                                          \
      "UPDATE jobs SET library = ?2, operation = ?3, action = ?4, state = ?5, error = ?6, "        \
      "error_message = ?7, time_queued = ?8, time_started = ?9, time_completed = ?10, "            \
      "application = ?11, uid = ?12, media_moved = ?13, timeout_sec = ?14, port = ?15, "           \
      "priority = ?16 WHERE guid = ?1")                                                            \
    X(get_job, Lookup, "SELECT " NTMS_JOB_COLUMNS " FROM jobs WHERE guid = ?1")                    \
    X(list_jobs, Listing,                                                                          \
      "SELECT " NTMS_JOB_COLUMNS " FROM jobs ORDER BY time_queued DESC, rowid DESC")               \
    X(list_jobs_of_library, Lookup,                                                                \
      "SELECT " NTMS_JOB_COLUMNS " FROM jobs WHERE library = ?1 "                                  \
      "ORDER BY time_queued DESC, rowid DESC")                                                     \
    X(jobs_in_state, Lookup, "SELECT " NTMS_JOB_COLUMNS ", rowid FROM jobs WHERE state = ?1")      \
    X(count_moved, Lookup,                                                                         \
      "UPDATE jobs SET media_moved = media_moved + 1 WHERE guid = ?1 RETURNING operation")         \
    /* operator requests */                                                                        \
    X(insert_oprequest, Lookup,                                                                    \
      "INSERT INTO oprequests (" NTMS_OPREQUEST_COLUMNS ") "                                       \
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")                                                   \
    X(update_oprequest, Lookup,                                                                    \
      "UPDATE oprequests SET type = ?2, state = ?3, message = ?4, library = ?5, job = ?6, "        \
      "submitted = ?7, changed = ?8 WHERE guid = ?1")                                              \
    X(get_oprequest, Lookup, "SELECT " NTMS_OPREQUEST_COLUMNS " FROM oprequests WHERE guid = ?1")  \
    X(list_oprequests, Listing,                                                                    \
      "SELECT " NTMS_OPREQUEST_COLUMNS " FROM oprequests ORDER BY submitted, rowid")               \
    /* media */                                                                                    \
    X(list_media, Lookup, NTMS_MEDIUM_SELECT "WHERE l.guid = ?1 ORDER BY m.element, m.rowid")      \
    X(count_media, Lookup, "SELECT count(*) FROM media WHERE library = " NTMS_LIBRARY_OF_1)        \
    X(medium_at, Lookup, NTMS_MEDIUM_SELECT "WHERE l.guid = ?1 AND m.element = ?2")                \
    X(get_medium, Lookup, NTMS_MEDIUM_SELECT "WHERE m.guid = ?1")                                  \
    X(upsert_medium, Lookup,                                                                       \
      "INSERT INTO media (" NTMS_MEDIUM_COLUMNS ") VALUES " NTMS_ROW NTMS_MEDIUM_UPSERT)           \
    /* an inventory's records, 64 a statement; new ones take the keys after the largest */         \
    X(upsert_media_batch, Lookup,                                                                  \
      "INSERT INTO media (" NTMS_MEDIUM_COLUMNS ") VALUES " NTMS_TIMES_64(NTMS_ROW)                \
          NTMS_MEDIUM_UPSERT)                                                                      \
    X(largest_medium_key, Lookup, "SELECT max(id) FROM media")                                     \
    X(outside_medium, Lookup,                                                                      \
      NTMS_MEDIUM_SELECT "WHERE m.barcode = ?1 AND m.state = 3 "                                   \
                         "ORDER BY m.updated DESC, m.rowid DESC LIMIT 1")                          \
    /* media history */                                                                            \
    X(insert_history, Lookup, NTMS_HISTORY_INSERT NTMS_HISTORY_ROW)                                \
    /* an inventory's history rows, 64 a statement, as its records, by the keys they returned */   \
    X(insert_history_batch, Lookup, NTMS_HISTORY_INSERT NTMS_TIMES_64(NTMS_HISTORY_KEYED_ROW))     \
    X(history_of_medium, Lookup, NTMS_MOVE_SELECT "WHERE m.guid = ?1 ORDER BY h.time, h.id")       \
    X(history_of_job, Lookup, NTMS_MOVE_SELECT "WHERE h.job = ?1 ORDER BY h.time, h.id")           \
    X(open_ejects_of, Lookup,                                                                      \
      "SELECT DISTINCT h.job FROM media_history h JOIN jobs j ON j.guid = h.job "                  \
      "WHERE h.medium = " NTMS_MEDIUM_OF_1 " AND h.reason = 'eject-requested' AND "                \
      "j.state IN (?2, ?3, ?4) ORDER BY h.job")                                                    \
    X(media_of_job, Lookup,                                                                        \
      "SELECT m.guid FROM media_history h JOIN media m ON m.id = h.medium WHERE h.job = ?1 "       \
      "GROUP BY h.medium ORDER BY min(h.id)")                                                      \
    /* mounts: which drive a mount put a medium into, and the slot it came from, are in the        \
       medium's history (store_mount.cpp) */                                                       \
    X(mounted_media, Lookup,                                                                       \
      NTMS_MOUNTED_SELECT "WHERE m.library = " NTMS_LIBRARY_OF_1                                   \
                          " AND m.state = ?2 AND m.element IS NOT NULL AND " NTMS_MOUNTED_WHERE    \
                          "ORDER BY m.element")                                                    \
    /* the same for one drive: an indexed lookup, not the history of every medium */               \
    X(mounted_in_drive, Lookup,                                                                    \
      NTMS_MOUNTED_SELECT "WHERE m.library = " NTMS_LIBRARY_OF_1                                   \
                          " AND m.state = ?2 AND m.element = ?3 AND " NTMS_MOUNTED_WHERE)          \
    X(open_jobs_of, Lookup,                                                                        \
      "SELECT DISTINCT h.job FROM media_history h JOIN jobs j ON j.guid = h.job "                  \
      "WHERE h.medium = " NTMS_MEDIUM_OF_1 " AND h.reason LIKE '%-requested' AND "                 \
      "j.state IN (?2, ?3, ?4) ORDER BY h.job")                                                    \
    X(mount_requested_by_job, Lookup,                                                              \
      "SELECT 1 FROM media_history WHERE job = ?1 AND medium = " NTMS_MEDIUM_OF_2 " AND "          \
      "reason = 'mount-requested' LIMIT 1")                                                        \
    /* cleaning: a cleaner's uses are its "cleandrive" rows, its loads into a drive */             \
    X(cleanings_of_library, Lookup,                                                                \
      "SELECT m.guid, count(*) FROM media m JOIN media_history h ON h.medium = m.id "              \
      "WHERE m.library = " NTMS_LIBRARY_OF_1 " AND h.reason = 'cleandrive' GROUP BY m.id")         \
    X(moved_by_job_as, Lookup,                                                                     \
      "SELECT 1 FROM media_history WHERE job = ?1 AND medium = " NTMS_MEDIUM_OF_2 " AND "          \
      "reason = ?3 LIMIT 1")                                                                       \
    /* move intents */                                                                             \
    X(insert_intent, Lookup,                                                                       \
      "INSERT INTO move_intents (job, library, medium, barcode, source, destination, created) "    \
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")                                                       \
    X(complete_intent, Lookup,                                                                     \
      "DELETE FROM move_intents WHERE id = ?1 AND job = ?2 AND medium = ?3 AND source = ?4 AND "   \
      "destination = ?5")                                                                          \
    X(drop_intent, Lookup, "DELETE FROM move_intents WHERE id = ?1")                               \
    X(pending_intents, Lookup,                                                                     \
      "SELECT id, job, library, medium, barcode, source, destination, created "                    \
      "FROM move_intents WHERE library = ?1 ORDER BY id")

// Rows of upsert_media_batch and insert_history_batch. In ntmsd's writer, with its statements
// kept prepared, a first inventory of 5,000 cartridges wrote its records in 9 ms and its history
// rows in 8 ms this way, against 21 and 10 ms one a statement (schema 4). tests/bench/bench_upsert
// compares the raw forms, its prepares included.
inline constexpr size_t media_batch_rows = 64;

struct Sql {
    uint16_t id; // its index in all[]
    Plan plan;
    const char* name;
    const char* text;
};

namespace id {
enum : uint16_t {
#define NTMS_SQL_ID(name, plan, text) name,
    NTMS_STORE_STATEMENTS(NTMS_SQL_ID)
#undef NTMS_SQL_ID
        count
};
} // namespace id

inline constexpr Sql all[] = {
#define NTMS_SQL_ENTRY(name, plan, text) Sql{id::name, Plan::plan, #name, text},
    NTMS_STORE_STATEMENTS(NTMS_SQL_ENTRY)
#undef NTMS_SQL_ENTRY
};
static_assert(sizeof(all) / sizeof(all[0]) == id::count);

// The entries by name: store_sql::get_job is all[id::get_job].
#define NTMS_SQL_REF(name, plan, text) inline constexpr const Sql& name = all[id::name];
NTMS_STORE_STATEMENTS(NTMS_SQL_REF)
#undef NTMS_SQL_REF

// Whether s is an entry of the table (and not a copy made elsewhere).
inline bool in_table(const Sql& s) noexcept {
    return s.id < id::count && &all[s.id] == &s;
}

} // namespace ntms::store_sql
