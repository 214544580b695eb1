// The SQLite store: the connection's set-up, transactions, settings and the libraries.
#include "daemon/store/statement.hpp"
#include "daemon/store/unique_fd.hpp"
#include "daemon/store/writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <iterator>
#include <limits>
#include <mutex>
#include <new>
#include <sqlite3.h>
#include <string_view>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>
#include <utility>

namespace ntms {

using namespace store_detail;

namespace {

struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Handle = std::unique_ptr<sqlite3, Closer>;

Expected<void> exec_on(sqlite3* db, const std::string& path, const char* sql, const char* what) {
    if (const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr); rc != SQLITE_OK)
        return db_error(db, path, what, rc);
    return {};
}

Status symlink_refused(const std::string& path) {
    return fail(win32::DatabaseFailure,
                fmt::format("database {} is a symbolic link; ntmsd does not follow links to "
                            "its database: name the file itself",
                            path));
}

// How every connection is opened. NOMUTEX: SQLite does not lock the connection around each call
// (a lock and an unlock for every bind, step and column read: 3 % of a 64 x 10,000 first start),
// because no connection of ntmsd is used by two threads at once. The writer's is its thread's;
// a library worker's is its thread's; the manager's is used under SharedStore's lock; the
// checkpointer's is its thread's; a copy's is the copying call's. A rescue, which closes and
// opens them all, holds the file's gate (DatabaseFile) that each of them is used inside.
constexpr int open_flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXRESCODE |
                           SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;

// Once, before the process's first connection: SQLite's count of its own memory is off. It
// takes a process-wide lock around every allocation SQLite makes, which all connections share:
// 8 % of a 64 x 10,000 first start. Nothing in ntmsd reads the count (sqlite3_memory_used()
// then answers 0). It can only be set before SQLite initializes itself; when something in the
// process used SQLite first, the count stays on and nothing else changes.
void configure_sqlite() {
    static std::once_flag once;
    std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

} // namespace

Expected<sqlite3*> Store::connect(const std::string& path, const StoreOptions& options,
                                  FileId& id) {
    // The catalogue is a media history: a new file is created 0600 whatever the umask (SQLite
    // gives its -wal and -shm files the database file's mode), and a symbolic link in place of
    // the file is refused rather than followed. The descriptor also names the file SQLite opens.
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, S_IRUSR | S_IWUSR));
    if (!fd && errno == ELOOP)
        return symlink_refused(path);
    if (!fd)
        fd.reset(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    configure_sqlite();
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, open_flags, nullptr);
    Handle handle(raw);
    if (rc == SQLITE_CANTOPEN_SYMLINK)
        return symlink_refused(path);
    if (rc != SQLITE_OK)
        return fail(win32::DatabaseFailure,
                    fmt::format("database {} cannot be opened: {}", path, error_text(raw, rc)));
    sqlite3* db = handle.get();

    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, options.busy_timeout_ms);
    // Refuses writes to the schema by hand (PRAGMA writable_schema and the like).
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, static_cast<int*>(nullptr));

    if (auto r = exec_on(db, path, "PRAGMA foreign_keys = ON", "enable foreign keys"); !r)
        return r.error();
    // The first statement that reads the file: a file that is not a database fails here.
    // SQLite answers SQLITE_BUSY at once, without its busy handler, when two connections change
    // the journal mode of a new file together (one holds the lock the other must upgrade): the
    // change is tried again for as long as the busy timeout allows.
    auto mode = journal_mode(db, path, "set WAL journal mode", store_sql::set_wal);
    for (int waited = 0;
         !mode && (sqlite3_errcode(db) & 0xff) == SQLITE_BUSY && waited < options.busy_timeout_ms;
         waited += 10) {
        sqlite3_sleep(10);
        mode = journal_mode(db, path, "set WAL journal mode", store_sql::set_wal);
    }
    if (!mode)
        return mode.error();
    if (*mode != "wal")
        return fail(
            win32::DatabaseFailure,
            fmt::format("database {}: cannot use WAL journal mode (got \"{}\")", path, *mode));
    if (auto r = exec_on(db, path, "PRAGMA synchronous = FULL", "set synchronous=FULL"); !r)
        return r.error();
    if (options.max_page_count) {
        if (*options.max_page_count <= 0)
            return fail(win32::InvalidParameter,
                        fmt::format("database {}: max_page_count {} must be positive", path,
                                    *options.max_page_count));
        // PRAGMA takes no bound parameters; the value is a number, not text from outside.
        const std::string sql = fmt::format("PRAGMA max_page_count = {}", *options.max_page_count);
        if (auto r = exec_on(db, path, sql.c_str(), "set max_page_count"); !r)
            return r.error();
    }

    // SQLite has read the file by now: the one the path named before it opened is the one it has
    // (the descriptor keeps that inode from being reused), unless the path changed meanwhile.
    struct stat held {
    }, named{};
    if (!fd || fstat(fd.get(), &held) != 0 || lstat(path.c_str(), &named) != 0 ||
        held.st_dev != named.st_dev || held.st_ino != named.st_ino)
        return fail(
            win32::DatabaseFailure,
            fmt::format("database {} was deleted or replaced while it was being opened", path));
    id = FileId{held.st_dev, held.st_ino};
    return handle.release();
}

Expected<std::unique_ptr<Store>> Store::open(const std::string& path, StoreOptions options) {
    return open_as(path, options, false);
}

Expected<std::unique_ptr<Store>> Store::open_writer(const std::string& path, StoreOptions options) {
    return open_as(path, options, true);
}

Expected<std::unique_ptr<Store>> Store::open_as(const std::string& path, StoreOptions options,
                                                bool writer) try {
    auto file = DatabaseFile::of(path);
    // Other Stores of this process have the database open, but the path no longer names their
    // file: it is written back first, so that this one opens the same catalogue as they do.
    if (file->in_use() && !file->entered() && file->check().state != PathState::Ours) {
        if (auto r = file->rescue(nullptr); !r)
            return r.error();
    }
    DatabaseFile::Entry entry(*file); // no rescue while this connection is set up
    FileId id;
    auto db = connect(path, options, id);
    if (!db)
        return db.error();
    // The constructor is private, hence new.
    std::unique_ptr<Store> store(new Store(path, *db, file, options));
    {
        // Once per file, not per connection: quick_check reads the whole file, and 64 library
        // workers opening their connections together each paid for it.
        std::lock_guard setup(file->setup_mutex_);
        if (file->set_up_ != id) {
            if (auto r = store->check_integrity(); !r)
                return r.error();
            if (auto r = store->migrate(); !r)
                return r.error();
            file->set_up_ = id;
        }
    }
    if (writer) {
        store->cache_ = std::make_unique<StatementCache>(store->db_);
    } else {
        auto w = Writer::of(file, options);
        if (!w)
            return w.error();
        store->writer_ = std::move(w).value();
        store->reader_ = true;
    }
    if (auto r = store->configure(); !r)
        return r.error();
    if (!file->attach(store.get(), id))
        return fail(win32::DatabaseFailure,
                    fmt::format("database {} is not the file ntmsd's other connections have "
                                "open: it was replaced while this one was opened",
                                path));
    return store;
} catch (const std::bad_alloc&) {
    return out_of_memory();
}

Expected<void> Store::configure() {
    if (reader_) {
        // A reader's page cache is 256 KiB, not SQLite's 2 MB: there is one a library worker,
        // and each filled its 2 MB reading its library's media at start. bench_startup 64 x
        // 10,000: SQLite's allocations peaked at 147 MB with 2 MB readers, 54 MB with 256 KiB
        // (64 MiB writer both times); start and restart took no longer (the file's pages stay
        // in the kernel's cache).
        if (auto r = exec("PRAGMA cache_size = -256", "set the cache size"); !r)
            return r;
        // Writes go through the writer: this connection refuses any, should one slip by.
        return exec("PRAGMA query_only = 1", "make the connection read-only");
    }
    if (!cache_)
        return {};
    cache_->reset(db_);
    // The writer's page cache from the catalogue's size when the writer opens: the file and half
    // again (room for the pages a batch makes), at least 4 MiB, at most 16 MiB. SQLite allocates
    // the pages as they are read, so a small catalogue costs only its size. 64 libraries x
    // 10,000 slots make a file of about 100 MB from an empty one: with 256 KiB readers, SQLite's
    // allocations peaked at 25 MB with a 4 MiB writer cache, 38 MB with 16 MiB and 54 MB with
    // 32..64 MiB (the bounds until then). Three interleaved runs of each: peak RSS 295..303 MB
    // with the old caches, 208..213 MB with these, first start 6.8..7.1 s against 6.1..6.2 s,
    // restart 1.55..1.71 s against 1.42..1.62 s.
    auto pages = pragma_integer(store_sql::page_count);
    auto page_size = pragma_integer(store_sql::page_size);
    if (!pages || !page_size)
        return pages ? page_size.error() : pages.error();
    const int64_t kib = std::clamp<int64_t>(*pages * *page_size / 1024 * 3 / 2, 4096, 16384);
    const std::string sql = fmt::format("PRAGMA cache_size = -{}", kib);
    if (auto r = exec(sql.c_str(), "set the cache size"); !r)
        return r;
    // Every call is a savepoint inside the writer's transaction: the pages a savepoint would
    // restore are kept in memory, not written to a temporary file page by page (SQLite's
    // default, which cost a write per page per call).
    return exec("PRAGMA temp_store = MEMORY", "keep savepoint journals in memory");
}

sqlite3* Store::conn() const {
    if (Store* w = writer_here())
        return w->db_;
    return db_;
}

uint64_t Store::write_transactions() const {
    return writer_ ? writer_->commits() : 0;
}

Store::Checkpoints Store::checkpoints() const {
    return writer_ ? writer_->checkpoints() : Checkpoints{};
}

Expected<void> Store::transaction_of(const std::function<Expected<void>()>& body) {
    return run<void>("transaction", true, body);
}

Expected<void> Store::check_integrity() {
    Statement check(db_, path_, "check integrity", store_sql::quick_check);
    auto rows = collect(check, [](Statement& s) { return s.text(0); });
    if (!rows)
        return rows.error();
    if (rows->size() != 1 || rows->front() != "ok") {
        // One line for the journal: the first few findings, newlines folded.
        std::string detail;
        for (size_t i = 0; i < rows->size() && i < 3; ++i)
            detail += (i ? "; " : "") + (*rows)[i];
        std::replace(detail.begin(), detail.end(), '\n', ' ');
        return fail(win32::DatabaseFailure,
                    fmt::format("database {} is damaged: quick_check: {}", path_, detail));
    }
    return {};
}

Store::Store(std::string path, sqlite3* db, std::shared_ptr<DatabaseFile> file,
             StoreOptions options)
    : path_(std::move(path)), db_(db), file_(std::move(file)), options_(options) {}

Store::~Store() {
    file_->detach(this);
    if (cache_)
        cache_->reset(nullptr);
    sqlite3_close_v2(db_);
}

void Store::disconnect() noexcept {
    // No statement outlives a call, so the connection closes now, not as a zombie later (which
    // would delete the -wal beside the path after the new file is there). The writer's kept
    // statements go first.
    if (cache_)
        cache_->reset(nullptr);
    if (db_ && sqlite3_close(db_) != SQLITE_OK)
        sqlite3_close_v2(db_);
    db_ = nullptr;
    try {
        broken_ = fail(win32::DatabaseFailure,
                       fmt::format("database {}: the connection was closed to be opened on the "
                                   "file written back, and could not be opened again",
                                   path_));
    } catch (...) {
        broken_ = out_of_memory();
    }
}

Expected<FileId> Store::reconnect() {
    FileId id;
    auto db = connect(path_, options_, id);
    if (!db) {
        broken_ = db.error();
        return db.error();
    }
    db_ = *db;
    ++connection_;
    if (auto r = configure(); !r) {
        disconnect();
        broken_ = r.error();
        return r.error();
    }
    broken_ = {};
    return id;
}

Expected<int64_t> Store::data_version_unlocked() {
    if (!db_)
        return broken_;
    return pragma_integer(store_sql::data_version);
}

Expected<void> Store::copy_to(const std::string& dest) {
    DatabaseFile::Entry entry(*file_); // the connection stays while it is copied from
    return copy_unlocked(dest);
}

Expected<void> Store::copy_unlocked(const std::string& dest) {
    if (!db_)
        return broken_;
    if (depth_ > 0)
        return fail(win32::InvalidState,
                    fmt::format("database {}: no copy inside a transaction", path_));
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(dest.c_str(), &raw, open_flags, nullptr);
    Handle out(raw);
    if (rc != SQLITE_OK)
        return fail(win32::DatabaseFailure,
                    fmt::format("copy of database {}: {} cannot be opened: {}", path_, dest,
                                error_text(raw, rc)));
    sqlite3_busy_timeout(out.get(), options_.busy_timeout_ms);
    sqlite3_backup* backup = sqlite3_backup_init(out.get(), "main", db_, "main");
    if (!backup)
        return db_error(out.get(), dest, "copy the database", sqlite3_errcode(out.get()));
    // Every page in one step, under one read transaction of the source: a consistent snapshot,
    // while writers go on (WAL). SQLITE_BUSY only when something else holds the destination.
    int step = SQLITE_OK;
    for (int tries = 0; tries < 50; ++tries) {
        step = sqlite3_backup_step(backup, -1);
        if (step != SQLITE_BUSY && step != SQLITE_LOCKED)
            break;
        sqlite3_sleep(20);
    }
    const int finish = sqlite3_backup_finish(backup);
    if (step != SQLITE_DONE)
        return db_error(out.get(), dest, "copy the database", step);
    if (finish != SQLITE_OK)
        return db_error(out.get(), dest, "copy the database", finish);
    if (const int closed = sqlite3_close(out.release()); closed != SQLITE_OK)
        return fail(win32::DatabaseFailure, fmt::format("copy of database {} into {}: {}", path_,
                                                        dest, sqlite3_errstr(closed)));
    // SQLite synced its commit; the file's metadata too, before anyone renames it into place.
    UniqueFd written(::open(dest.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!written || fsync(written.get()) != 0)
        return fail(win32::DatabaseFailure,
                    fmt::format("copy of database {}: {} cannot be synced: {}", path_, dest,
                                std::strerror(errno)));
    return {};
}

Expected<void> Store::exec(const char* sql, const char* what) {
    if (const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); rc != SQLITE_OK)
        return sqlite_error(what, rc);
    return {};
}

Expected<int64_t> Store::pragma_integer(const store_sql::Sql& sql) {
    Statement s(db_, path_, sql.text, sql);
    auto row = s.step();
    if (!row)
        return row.error();
    if (!*row)
        return fail(win32::DatabaseFailure,
                    fmt::format("database {}: {}: no value reported", path_, sql.text));
    return s.integer(0);
}

// The writer runs its levels from kept statements (a savepoint per call, thousands per batch);
// other connections, rarely, as text.
int Store::exec_level(const store_sql::Sql& sql) {
    StatementCache* cache = cache_.get();
    if (!cache || cache != cache_here() || cache->db() != db_)
        return sqlite3_exec(db_, sql.text, nullptr, nullptr, nullptr);
    int rc = SQLITE_OK;
    bool kept = false;
    sqlite3_stmt* stmt = cache->take(sql, rc, kept);
    if (!stmt)
        return rc;
    rc = sqlite3_step(stmt);
    if (kept)
        cache->release(sql.id, stmt);
    else
        sqlite3_finalize(stmt);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

Status Store::sqlite_error(const char* what, int rc) const {
    return db_error(db_, path_, what, rc);
}

// Nested levels are savepoints: a call made inside transaction() joins the caller's transaction.
Expected<void> Store::begin(const char* what) {
    return open_level(what, depth_ == 0 ? store_sql::begin_immediate : store_sql::savepoint);
}

// The outermost level holds the file's gate until it ends, so that the file is never swapped
// under a transaction (database_file.hpp).
Expected<void> Store::open_level(const char* what, const store_sql::Sql& sql) {
    if (depth_ == 0) {
        file_->enter();
        if (!db_) {
            file_->leave();
            return broken_;
        }
    }
    if (const int rc = exec_level(sql); rc != SQLITE_OK) {
        Status error = sqlite_error(what, rc);
        if (depth_ == 0)
            file_->leave();
        return error;
    }
    ++depth_;
    return {};
}

// Readers take no write lock: in WAL mode a deferred transaction reads one consistent snapshot
// without waiting for a writer, and works on a full disk.
Expected<void> Store::begin_read(const char* what) {
    return open_level(what, depth_ == 0 ? store_sql::begin_deferred : store_sql::savepoint);
}

Expected<void> Store::commit(const char* what) {
    if (depth_ == 0)
        return {};
    const int rc = exec_level(depth_ == 1 ? store_sql::commit : store_sql::release_savepoint);
    if (rc == SQLITE_OK) {
        if (--depth_ == 0)
            file_->leave();
        return {};
    }
    // A failed COMMIT (a full disk growing the WAL) leaves the transaction open.
    Status error = sqlite_error(what, rc);
    rollback();
    return error;
}

void Store::rollback() {
    if (depth_ == 0)
        return;
    --depth_;
    if (depth_ > 0) {
        exec_level(store_sql::rollback_to_savepoint);
        exec_level(store_sql::release_savepoint);
        return;
    }
    // SQLite may already have rolled back the whole transaction itself (after SQLITE_FULL, an
    // I/O error or SQLITE_NOMEM).
    if (!sqlite3_get_autocommit(db_))
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    file_->leave();
}

Expected<StoreSettings> Store::settings() {
    return run<StoreSettings>("read settings", false, [&]() -> Expected<StoreSettings> {
        StoreSettings st;
        auto mode = journal_mode(db_, path_, "read journal mode", store_sql::journal_mode);
        if (!mode)
            return mode.error();
        st.journal_mode = *mode;
        struct Field {
            const store_sql::Sql& pragma;
            int64_t* out;
        };
        int64_t foreign_keys = 0;
        for (const Field& f : {Field{store_sql::synchronous, &st.synchronous},
                               Field{store_sql::foreign_keys, &foreign_keys},
                               Field{store_sql::busy_timeout, &st.busy_timeout_ms},
                               Field{store_sql::max_page_count, &st.max_page_count},
                               Field{store_sql::user_version, &st.user_version}}) {
            auto v = pragma_integer(f.pragma);
            if (!v)
                return v.error();
            *f.out = *v;
        }
        st.foreign_keys = foreign_keys != 0;
        return st;
    });
}

// ---- Libraries

Expected<LibraryRecord> Store::upsert_library(const std::string& identity, const std::string& name,
                                              const std::string& device) {
    static constexpr const char* what = "record library";
    return run<LibraryRecord>(what, true, [&]() -> Expected<LibraryRecord> {
        if (identity.empty())
            return fail(win32::InvalidParameter, "a library needs an identity");
        // The GUID is only used when the identity is new; a known identity keeps its own.
        Statement s(conn(), path_, what, store_sql::upsert_library);
        s.bind_guid(1, Guid::random());
        s.bind_text(2, identity);
        s.bind_text(3, name);
        s.bind_text(4, device);
        s.bind_int(5, now_usec());
        auto rows = collect(s, read_library);
        if (!rows)
            return rows.error();
        if (rows->size() != 1)
            return fail(win32::DatabaseFailure, fmt::format("database {}: {}: {} rows returned",
                                                            path_, what, rows->size()));
        return std::move(rows->front());
    });
}

Expected<std::optional<LibraryRecord>> Store::get_library(const Guid& id) {
    static constexpr const char* what = "read library";
    return run<std::optional<LibraryRecord>>(
        what, false, [&]() -> Expected<std::optional<LibraryRecord>> {
            Statement s(conn(), path_, what, store_sql::get_library);
            s.bind_guid(1, id);
            return first(s, read_library);
        });
}

Expected<std::vector<LibraryRecord>> Store::list_libraries() {
    static constexpr const char* what = "list libraries";
    return run<std::vector<LibraryRecord>>(
        what, false, [&]() -> Expected<std::vector<LibraryRecord>> {
            Statement s(conn(), path_, what, store_sql::list_libraries);
            return collect(s, read_library);
        });
}

Expected<void> Store::set_library_enabled(const Guid& id, bool enabled) {
    static constexpr const char* what = "enable library";
    return run<void>(what, true, [&]() -> Expected<void> {
        Statement s(conn(), path_, what, store_sql::set_library_enabled);
        s.bind_guid(1, id);
        s.bind_int(2, enabled ? 1 : 0);
        if (auto r = s.run(); !r)
            return r;
        if (s.changes() == 0)
            return fail(win32::ObjectNotFound, fmt::format("no library {}", id.str()));
        return {};
    });
}

} // namespace ntms
