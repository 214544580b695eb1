// Schema versions and the migration runner. A database is at version N when PRAGMA user_version
// is N; each migration takes it from the previous version to its own, inside one transaction.
#include "daemon/store/sql.hpp"
#include "daemon/store/store.hpp"

#include <fmt/format.h>
#include <memory>
#include <sqlite3.h>

namespace ntms {

namespace {

// Version 1. GUIDs are their 36-character lowercase text. Element addresses and enums are
// range-checked so that a bad value is refused when written rather than misread later. Foreign
// keys restrict deletion by default: nothing disappears silently.
constexpr const char* schema_v1 = R"sql(
CREATE TABLE libraries (
    guid TEXT PRIMARY KEY NOT NULL CHECK (length(guid) = 36 AND guid = lower(guid)),
    identity TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    device TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created INTEGER NOT NULL
) STRICT;

CREATE TABLE media (
    guid TEXT PRIMARY KEY NOT NULL CHECK (length(guid) = 36 AND guid = lower(guid)),
    library TEXT NOT NULL REFERENCES libraries (guid),
    barcode TEXT,
    element INTEGER CHECK (element BETWEEN 0 AND 65535),
    state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 3),
    updated INTEGER NOT NULL
) STRICT;
CREATE INDEX media_library ON media (library);
-- Two media can never occupy one element.
CREATE UNIQUE INDEX media_element ON media (library, element) WHERE element IS NOT NULL;

CREATE TABLE jobs (
    guid TEXT PRIMARY KEY NOT NULL CHECK (length(guid) = 36 AND guid = lower(guid)),
    library TEXT NOT NULL REFERENCES libraries (guid),
    operation TEXT NOT NULL,
    action INTEGER NOT NULL CHECK (action BETWEEN 0 AND 3),
    state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 8),
    error INTEGER NOT NULL DEFAULT 0 CHECK (error BETWEEN 0 AND 4294967295),
    error_message TEXT NOT NULL DEFAULT '',
    time_queued INTEGER NOT NULL,
    time_started INTEGER NOT NULL DEFAULT 0,
    time_completed INTEGER NOT NULL DEFAULT 0,
    application TEXT NOT NULL DEFAULT '',
    uid INTEGER NOT NULL CHECK (uid BETWEEN 0 AND 4294967295),
    media_moved INTEGER NOT NULL DEFAULT 0 CHECK (media_moved BETWEEN 0 AND 4294967295),
    timeout_sec INTEGER NOT NULL DEFAULT 0 CHECK (timeout_sec BETWEEN 0 AND 4294967295),
    port INTEGER CHECK (port BETWEEN 0 AND 65535)
) STRICT;
CREATE INDEX jobs_queued ON jobs (time_queued);
CREATE INDEX jobs_library ON jobs (library, time_queued);
CREATE INDEX jobs_state ON jobs (state, time_queued);

CREATE TABLE media_history (
    id INTEGER PRIMARY KEY,
    medium TEXT NOT NULL REFERENCES media (guid),
    job TEXT REFERENCES jobs (guid) ON DELETE SET NULL,
    from_element INTEGER CHECK (from_element BETWEEN 0 AND 65535),
    to_element INTEGER CHECK (to_element BETWEEN 0 AND 65535),
    time INTEGER NOT NULL,
    reason TEXT NOT NULL
) STRICT;
CREATE INDEX media_history_medium ON media_history (medium, time);
CREATE INDEX media_history_job ON media_history (job);

-- AUTOINCREMENT: an intent id is never reused, so a stale id cannot drop a newer intent. The
-- medium has no foreign key: its record is created when the move completes.
CREATE TABLE move_intents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job TEXT NOT NULL REFERENCES jobs (guid),
    library TEXT NOT NULL REFERENCES libraries (guid),
    medium TEXT NOT NULL CHECK (length(medium) = 36 AND medium = lower(medium)),
    barcode TEXT,
    source INTEGER NOT NULL CHECK (source BETWEEN 0 AND 65535),
    destination INTEGER NOT NULL CHECK (destination BETWEEN 0 AND 65535),
    created INTEGER NOT NULL
) STRICT;
CREATE INDEX move_intents_library ON move_intents (library);
CREATE INDEX move_intents_job ON move_intents (job);

CREATE TABLE oprequests (
    guid TEXT PRIMARY KEY NOT NULL CHECK (length(guid) = 36 AND guid = lower(guid)),
    type INTEGER NOT NULL CHECK (type BETWEEN 0 AND 5),
    state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 5),
    message TEXT NOT NULL,
    library TEXT REFERENCES libraries (guid),
    job TEXT REFERENCES jobs (guid) ON DELETE SET NULL,
    submitted INTEGER NOT NULL,
    changed INTEGER NOT NULL
) STRICT;
CREATE INDEX oprequests_submitted ON oprequests (submitted);
CREATE INDEX oprequests_library ON oprequests (library);
CREATE INDEX oprequests_job ON oprequests (job);
)sql";

// Version 2. Jobs of every operation kind share one queue per library, ordered by RSM's
// NTMS_PRIORITY_* (-15 lowest .. 15 highest), then by time.
constexpr const char* schema_v2 = R"sql(
ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN -15 AND 15);
)sql";

// Version 3. A medium keeps the time it was first recorded (RSM's Created); "updated" is its
// Modified. Media recorded before are given their first history row's time, else "updated".
constexpr const char* schema_v3 = R"sql(
ALTER TABLE media ADD COLUMN created INTEGER NOT NULL DEFAULT 0;
UPDATE media SET created = coalesce(
    (SELECT min(h.time) FROM media_history h WHERE h.medium = media.guid), updated);
)sql";

// Version 4. A medium is keyed by an integer, its GUID a unique column, and a history row names
// its medium by that integer: the rows that grow with a library's slots carry 8 bytes where they
// carried 36, and an inventory's history rows enter their index in order instead of at random
// places. One unique index on (library, element) finds a library's media and lists them in element
// order, where two did (media_element, partial, and media_library_order): NULLs are distinct in a
// UNIQUE index, so any number of media may still have no element. The tables are
// rebuilt, keeping every rowid; a history row whose medium does not exist (possible only if
// written with foreign keys off) fails the migration, which then changes nothing.
constexpr const char* schema_v4 = R"sql(
CREATE TABLE media_v4 (
    id INTEGER PRIMARY KEY,
    guid TEXT NOT NULL UNIQUE CHECK (length(guid) = 36 AND guid = lower(guid)),
    library TEXT NOT NULL REFERENCES libraries (guid),
    barcode TEXT,
    element INTEGER CHECK (element BETWEEN 0 AND 65535),
    state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 3),
    updated INTEGER NOT NULL,
    created INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO media_v4 (id, guid, library, barcode, element, state, updated, created)
    SELECT rowid, guid, library, barcode, element, state, updated, created FROM media;
CREATE TABLE media_history_v4 (
    id INTEGER PRIMARY KEY,
    medium INTEGER NOT NULL REFERENCES media_v4 (id),
    job TEXT REFERENCES jobs (guid) ON DELETE SET NULL,
    from_element INTEGER CHECK (from_element BETWEEN 0 AND 65535),
    to_element INTEGER CHECK (to_element BETWEEN 0 AND 65535),
    time INTEGER NOT NULL,
    reason TEXT NOT NULL
) STRICT;
INSERT INTO media_history_v4 (id, medium, job, from_element, to_element, time, reason)
    SELECT h.id, m.rowid, h.job, h.from_element, h.to_element, h.time, h.reason
    FROM media_history h LEFT JOIN media m ON m.guid = h.medium;
DROP TABLE media_history;
DROP TABLE media;
-- Renaming media_v4 renames it in media_history_v4's foreign key too.
ALTER TABLE media_v4 RENAME TO media;
ALTER TABLE media_history_v4 RENAME TO media_history;
CREATE UNIQUE INDEX media_element ON media (library, element);
CREATE INDEX media_history_medium ON media_history (medium, time);
-- Only the rows a job wrote: an inventory's rows (no job) cost it nothing.
CREATE INDEX media_history_job ON media_history (job) WHERE job IS NOT NULL;
)sql";

// Version 5. A library is keyed by an integer, its GUID a unique column, and a medium names its
// library by that integer: a medium's row and its entry in media_element carry 8 bytes where they
// carried 36 (bench_startup's 64 libraries x 10,000 slots: a 66 MB file where it was 90 MB). Jobs,
// move intents and operator requests, which do not grow with the slots, still name their library by
// its GUID, now a unique column of the rebuilt table. Every library keeps its rowid as its key; a
// medium whose library does not exist (possible only if written with foreign keys off) fails the
// migration, which then changes nothing. Run with foreign keys off (see migrate()): with them on,
// dropping the old libraries would delete, or be refused by, the rows that refer to it.
constexpr const char* schema_v5 = R"sql(
CREATE TABLE libraries_v5 (
    id INTEGER PRIMARY KEY,
    guid TEXT NOT NULL UNIQUE CHECK (length(guid) = 36 AND guid = lower(guid)),
    identity TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    device TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created INTEGER NOT NULL
) STRICT;
INSERT INTO libraries_v5 (id, guid, identity, name, device, enabled, created)
    SELECT rowid, guid, identity, name, device, enabled, created FROM libraries;
CREATE TABLE media_v5 (
    id INTEGER PRIMARY KEY,
    guid TEXT NOT NULL UNIQUE CHECK (length(guid) = 36 AND guid = lower(guid)),
    library INTEGER NOT NULL REFERENCES libraries_v5 (id),
    barcode TEXT,
    element INTEGER CHECK (element BETWEEN 0 AND 65535),
    state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 3),
    updated INTEGER NOT NULL,
    created INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO media_v5 (id, guid, library, barcode, element, state, updated, created)
    SELECT m.id, m.guid, l.id, m.barcode, m.element, m.state, m.updated, m.created
    FROM media m LEFT JOIN libraries_v5 l ON l.guid = m.library;
DROP TABLE media;
DROP TABLE libraries;
-- Renaming libraries_v5 renames it in media_v5's foreign key too; the other tables' keys name
-- "libraries" and find the new table by that name.
ALTER TABLE libraries_v5 RENAME TO libraries;
ALTER TABLE media_v5 RENAME TO media;
CREATE UNIQUE INDEX media_element ON media (library, element);
)sql";

// The schema at Store::schema_version, written in one piece: a new file is given it directly
// rather than by the migrations (1 to 5 rebuild media twice and rename three tables, each rename
// reparsing the whole schema): 1.8 ms where they took 5.3, in a bare SQLite program on this
// machine's disk. The same tables, columns in the same order, constraints and indexes as the
// migrations leave, which tests/daemon/test_store.cpp checks (NewFileHasTheMigratedSchema); a
// new version changes both this and appends its migration.
constexpr const char* schema_current = R"sql(
CREATE TABLE libraries (
    id INTEGER PRIMARY KEY,
    guid TEXT NOT NULL UNIQUE CHECK (length(guid) = 36 AND guid = lower(guid)),
    identity TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    device TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created INTEGER NOT NULL
) STRICT;

CREATE TABLE media (
    id INTEGER PRIMARY KEY,
    guid TEXT NOT NULL UNIQUE CHECK (length(guid) = 36 AND guid = lower(guid)),
    library INTEGER NOT NULL REFERENCES libraries (id),
    barcode TEXT,
    element INTEGER CHECK (element BETWEEN 0 AND 65535),
    state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 3),
    updated INTEGER NOT NULL,
    created INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX media_element ON media (library, element);

CREATE TABLE jobs (
    guid TEXT PRIMARY KEY NOT NULL CHECK (length(guid) = 36 AND guid = lower(guid)),
    library TEXT NOT NULL REFERENCES libraries (guid),
    operation TEXT NOT NULL,
    action INTEGER NOT NULL CHECK (action BETWEEN 0 AND 3),
    state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 8),
    error INTEGER NOT NULL DEFAULT 0 CHECK (error BETWEEN 0 AND 4294967295),
    error_message TEXT NOT NULL DEFAULT '',
    time_queued INTEGER NOT NULL,
    time_started INTEGER NOT NULL DEFAULT 0,
    time_completed INTEGER NOT NULL DEFAULT 0,
    application TEXT NOT NULL DEFAULT '',
    uid INTEGER NOT NULL CHECK (uid BETWEEN 0 AND 4294967295),
    media_moved INTEGER NOT NULL DEFAULT 0 CHECK (media_moved BETWEEN 0 AND 4294967295),
    timeout_sec INTEGER NOT NULL DEFAULT 0 CHECK (timeout_sec BETWEEN 0 AND 4294967295),
    port INTEGER CHECK (port BETWEEN 0 AND 65535),
    priority INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN -15 AND 15)
) STRICT;
CREATE INDEX jobs_queued ON jobs (time_queued);
CREATE INDEX jobs_library ON jobs (library, time_queued);
CREATE INDEX jobs_state ON jobs (state, time_queued);

CREATE TABLE media_history (
    id INTEGER PRIMARY KEY,
    medium INTEGER NOT NULL REFERENCES media (id),
    job TEXT REFERENCES jobs (guid) ON DELETE SET NULL,
    from_element INTEGER CHECK (from_element BETWEEN 0 AND 65535),
    to_element INTEGER CHECK (to_element BETWEEN 0 AND 65535),
    time INTEGER NOT NULL,
    reason TEXT NOT NULL
) STRICT;
CREATE INDEX media_history_medium ON media_history (medium, time);
CREATE INDEX media_history_job ON media_history (job) WHERE job IS NOT NULL;

CREATE TABLE move_intents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job TEXT NOT NULL REFERENCES jobs (guid),
    library TEXT NOT NULL REFERENCES libraries (guid),
    medium TEXT NOT NULL CHECK (length(medium) = 36 AND medium = lower(medium)),
    barcode TEXT,
    source INTEGER NOT NULL CHECK (source BETWEEN 0 AND 65535),
    destination INTEGER NOT NULL CHECK (destination BETWEEN 0 AND 65535),
    created INTEGER NOT NULL
) STRICT;
CREATE INDEX move_intents_library ON move_intents (library);
CREATE INDEX move_intents_job ON move_intents (job);

CREATE TABLE oprequests (
    guid TEXT PRIMARY KEY NOT NULL CHECK (length(guid) = 36 AND guid = lower(guid)),
    type INTEGER NOT NULL CHECK (type BETWEEN 0 AND 5),
    state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 5),
    message TEXT NOT NULL,
    library TEXT REFERENCES libraries (guid),
    job TEXT REFERENCES jobs (guid) ON DELETE SET NULL,
    submitted INTEGER NOT NULL,
    changed INTEGER NOT NULL
) STRICT;
CREATE INDEX oprequests_submitted ON oprequests (submitted);
CREATE INDEX oprequests_library ON oprequests (library);
CREATE INDEX oprequests_job ON oprequests (job);
)sql";

// Indexes that change no table and need no schema version: created when the file is first opened
// by this ntmsd if they are not there yet (a no-op afterwards), so that a database of an older
// ntmsd of the same schema version gets them too. One per query of the daemon that would otherwise
// read a whole table (tests/daemon/test_store_plans.cpp runs EXPLAIN QUERY PLAN over them all).
constexpr const char* indexes = R"sql(
-- outside_medium: the Gone (3) medium of a barcode, asked by every inject of a labelled
-- cartridge. Only Gone media are in it: an inventory's new records (InLibrary) cost it nothing.
CREATE INDEX IF NOT EXISTS media_gone_barcode ON media (barcode) WHERE state = 3;
)sql";

struct Migration {
    int version;
    const char* sql;
};

// In order; version N+1 is appended here, never edited into an earlier entry. Migrations run with
// foreign keys off (migrate()): one that rebuilds a table carries every reference over itself,
// and fails where one would dangle (versions 4 and 5 by a NOT NULL column filled by a join).
constexpr Migration migrations[] = {
    {1, schema_v1}, {2, schema_v2}, {3, schema_v3}, {4, schema_v4}, {5, schema_v5},
};

constexpr bool in_order() {
    int previous = 0;
    for (const auto& m : migrations) {
        if (m.version != previous + 1)
            return false;
        previous = m.version;
    }
    return previous == Store::schema_version;
}
static_assert(in_order(), "migrations must run 1, 2, ... up to Store::schema_version");

} // namespace

const char* Store::migration(int version) {
    for (const auto& m : migrations)
        if (m.version == version)
            return m.sql;
    return nullptr;
}

Expected<void> Store::migrate() {
    // Off for the migrations, which may rebuild a table that others refer to (SQLite's own
    // procedure for changing a table: the setting is ignored inside a transaction), and on again
    // whatever they did. They carry every reference over by their joins.
    if (auto r = exec("PRAGMA foreign_keys = OFF", "migrate: switch foreign keys off"); !r)
        return r;
    auto migrated = run_migrations();
    if (auto r = exec("PRAGMA foreign_keys = ON", "enable foreign keys"); !r)
        return r;
    return migrated;
}

Expected<void> Store::run_migrations() {
    return transaction([&]() -> Expected<void> {
        auto version = pragma_integer(store_sql::user_version);
        if (!version)
            return version.error();
        auto app = pragma_integer(store_sql::application_id);
        if (!app)
            return app.error();
        if (*version > schema_version)
            return fail(win32::DatabaseFailure,
                        fmt::format("{}: database schema version {} is newer than this ntmsd "
                                    "supports ({})",
                                    path_, *version, schema_version));
        if (*app != application_id && (*app != 0 || *version != 0))
            return fail(
                win32::DatabaseFailure,
                fmt::format("{}: not an ntmsd database (application_id {:#x})", path_, *app));
        // A new file is given the current schema in one step; an older one its migrations.
        const int64_t from = *version == 0 ? schema_version : *version;
        if (*version == 0) {
            const std::string what = fmt::format("create schema version {}", schema_version);
            if (auto r = exec(schema_current, what.c_str()); !r)
                return r;
            const std::string set = fmt::format("PRAGMA user_version = {}", schema_version);
            if (auto r = exec(set.c_str(), what.c_str()); !r)
                return r;
        }
        for (const auto& m : migrations) {
            if (m.version <= from)
                continue;
            const std::string what = fmt::format("migrate to schema version {}", m.version);
            if (auto r = exec(m.sql, what.c_str()); !r)
                return r;
            // PRAGMA takes no bound parameters; the value is our own constant.
            const std::string set = fmt::format("PRAGMA user_version = {}", m.version);
            if (auto r = exec(set.c_str(), what.c_str()); !r)
                return r;
        }
        if (*app == 0) {
            const std::string set = fmt::format("PRAGMA application_id = {}", application_id);
            if (auto r = exec(set.c_str(), "set the application id"); !r)
                return r;
        }
        return exec(indexes, "create the indexes");
    });
}

} // namespace ntms
