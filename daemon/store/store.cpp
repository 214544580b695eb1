// The SQLite store: the connection's set-up, transactions, and the statements behind each call.
#include "daemon/store/store.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <iterator>
#include <limits>
#include <new>
#include <sqlite3.h>
#include <string_view>
#include <tuple>
#include <utility>

namespace ntms {

namespace {

// Short enough for the small-string buffer: building it does not allocate.
Status out_of_memory() {
    return Status{win32::NotEnoughMemory, "out of memory"};
}

// The connection's message when it still describes rc, else SQLite's text for the code.
const char* error_text(sqlite3* db, int rc) {
    if (db && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff))
        return sqlite3_errmsg(db);
    return sqlite3_errstr(rc);
}

// SQLITE_FULL arrives as a primary or an extended code, from a statement or from COMMIT.
Status db_error(sqlite3* db, const std::string& path, std::string_view what, int rc) noexcept {
    try {
        const char* msg = error_text(db, rc);
        switch (rc & 0xff) {
        case SQLITE_FULL:
            return fail(win32::DatabaseFull,
                        fmt::format("database full: {}: {} ({})", what, msg, path));
        case SQLITE_NOMEM:
            return out_of_memory();
        default:
            return fail(win32::DatabaseFailure,
                        fmt::format("database {}: {}: {}", path, what, msg));
        }
    } catch (...) {
        return out_of_memory();
    }
}

// SQLITE_TRANSIENT without its old-style cast: SQLite copies the bound text.
sqlite3_destructor_type transient() {
    return reinterpret_cast<sqlite3_destructor_type>(static_cast<intptr_t>(-1));
}

// One prepared statement. The first failure (prepare, bind, or a value read back that does not
// fit its field) sticks and is what step() and status() report, so call sites stay linear.
class Statement {
public:
    Statement(sqlite3* db, const std::string& path, const char* what, const char* sql)
        : db_(db), path_(path), what_(what) {
        if (const int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt_, nullptr); rc != SQLITE_OK)
            error_ = db_error(db_, path_, what_, rc);
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    void bind_int(int i, int64_t v) {
        if (stmt_)
            check_bind(sqlite3_bind_int64(stmt_, i, v));
    }
    void bind_null(int i) {
        if (stmt_)
            check_bind(sqlite3_bind_null(stmt_, i));
    }
    void bind_text(int i, std::string_view v) {
        if (stmt_)
            check_bind(sqlite3_bind_text64(stmt_, i, v.empty() ? "" : v.data(), v.size(),
                                           transient(), SQLITE_UTF8));
    }
    void bind_optional_text(int i, const std::string& v) { // "" is stored as NULL
        if (v.empty())
            bind_null(i);
        else
            bind_text(i, v);
    }
    void bind_guid(int i, const Guid& g) { // the null GUID is stored as NULL
        if (g.is_null())
            bind_null(i);
        else
            bind_text(i, g.str());
    }
    void bind_element(int i, std::optional<uint16_t> e) {
        if (e)
            bind_int(i, *e);
        else
            bind_null(i);
    }

    // true: a row is ready; false: done.
    Expected<bool> step() {
        if (!error_.ok())
            return error_;
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW)
            return true;
        if (rc == SQLITE_DONE)
            return false;
        error_ = db_error(db_, path_, what_, rc);
        return error_;
    }
    Expected<void> run() {
        for (;;) {
            auto row = step();
            if (!row)
                return row.error();
            if (!*row)
                return {};
        }
    }
    int64_t changes() const { return sqlite3_changes64(db_); }

    bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
    std::string text(int col) {
        const unsigned char* p = sqlite3_column_text(stmt_, col);
        if (!p) {
            if (sqlite3_errcode(db_) == SQLITE_NOMEM && error_.ok())
                error_ = out_of_memory();
            return {};
        }
        return std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
    }
    Guid guid(int col) {
        if (is_null(col))
            return Guid{};
        auto g = Guid::parse(text(col));
        if (!g) {
            bad_value(col, "malformed GUID");
            return Guid{};
        }
        return *g;
    }
    uint32_t u32(int col) {
        const int64_t v = integer(col);
        if (v < 0 || v > std::numeric_limits<uint32_t>::max()) {
            bad_value(col, "value out of range");
            return 0;
        }
        return static_cast<uint32_t>(v);
    }
    std::optional<uint16_t> element(int col) {
        if (is_null(col))
            return std::nullopt;
        const int64_t v = integer(col);
        if (v < 0 || v > std::numeric_limits<uint16_t>::max()) {
            bad_value(col, "element address out of range");
            return std::nullopt;
        }
        return static_cast<uint16_t>(v);
    }
    template <typename E> E enumerated(int col, E last) {
        const uint32_t v = u32(col);
        if (v > static_cast<uint32_t>(last)) {
            bad_value(col, "unknown value");
            return E{};
        }
        return static_cast<E>(v);
    }

    // After reading a row: whether every value fitted.
    Expected<void> status() const {
        if (!error_.ok())
            return error_;
        return {};
    }

private:
    void check_bind(int rc) {
        if (rc != SQLITE_OK && error_.ok())
            error_ = db_error(db_, path_, what_, rc);
    }
    void bad_value(int col, const char* why) {
        if (error_.ok())
            error_ = fail(win32::DatabaseFailure,
                          fmt::format("database {}: {}: {} in column {}", path_, what_, why,
                                      sqlite3_column_name(stmt_, col)));
    }

    sqlite3* db_;
    const std::string& path_;
    const char* what_;
    sqlite3_stmt* stmt_ = nullptr;
    Status error_;
};

template <typename Read>
auto collect(Statement& s, Read read) -> Expected<std::vector<decltype(read(s))>> {
    std::vector<decltype(read(s))> out;
    for (;;) {
        auto row = s.step();
        if (!row)
            return row.error();
        if (!*row)
            return out;
        out.push_back(read(s));
        if (auto st = s.status(); !st)
            return st.error();
    }
}

template <typename Read>
auto first(Statement& s, Read read) -> Expected<std::optional<decltype(read(s))>> {
    using T = decltype(read(s));
    auto row = s.step();
    if (!row)
        return row.error();
    if (!*row)
        return std::optional<T>{};
    T value = read(s);
    if (auto st = s.status(); !st)
        return st.error();
    return std::optional<T>(std::move(value));
}

LibraryRecord read_library(Statement& s) {
    LibraryRecord r;
    r.id = s.guid(0);
    r.identity = s.text(1);
    r.name = s.text(2);
    r.device = s.text(3);
    r.enabled = s.integer(4) != 0;
    r.created = s.integer(5);
    return r;
}

// Column order of every job SELECT and of bind_job's parameters.
JobRecord read_job(Statement& s) {
    JobRecord j;
    j.id = s.guid(0);
    j.library = s.guid(1);
    j.operation = operation_from_name(s.text(2)).value_or(OperationKind::Inject);
    j.action = s.enumerated(3, InjectAction::StartMany);
    j.state = s.enumerated(4, JobState::Stopped);
    j.error = s.u32(5);
    j.error_message = s.text(6);
    j.time_queued = s.integer(7);
    j.time_started = s.integer(8);
    j.time_completed = s.integer(9);
    j.application = s.text(10);
    j.uid = s.u32(11);
    j.media_moved = s.u32(12);
    j.timeout_sec = s.u32(13);
    j.port = s.element(14);
    j.priority = static_cast<int32_t>(s.integer(15));
    return j;
}

void bind_job(Statement& s, const JobRecord& j) {
    s.bind_guid(1, j.id);
    s.bind_guid(2, j.library);
    s.bind_text(3, operation_name(j.operation));
    s.bind_int(4, static_cast<uint32_t>(j.action));
    s.bind_int(5, static_cast<uint32_t>(j.state));
    s.bind_int(6, j.error);
    s.bind_text(7, j.error_message);
    s.bind_int(8, j.time_queued);
    s.bind_int(9, j.time_started);
    s.bind_int(10, j.time_completed);
    s.bind_text(11, j.application);
    s.bind_int(12, j.uid);
    s.bind_int(13, j.media_moved);
    s.bind_int(14, j.timeout_sec);
    s.bind_element(15, j.port);
    s.bind_int(16, j.priority);
}

MediumRecord read_medium(Statement& s) {
    MediumRecord m;
    m.id = s.guid(0);
    m.library = s.guid(1);
    m.barcode = s.text(2);
    m.element = s.element(3);
    m.state = s.enumerated(4, MediumState::Gone);
    m.updated = s.integer(5);
    return m;
}

MediumMove read_move(Statement& s) {
    MediumMove h;
    h.medium = s.guid(0);
    h.job = s.guid(1);
    h.from = s.element(2);
    h.to = s.element(3);
    h.time = s.integer(4);
    h.reason = s.text(5);
    return h;
}

MoveIntent read_intent(Statement& s) {
    MoveIntent in;
    in.id = s.integer(0);
    in.job = s.guid(1);
    in.library = s.guid(2);
    in.medium = s.guid(3);
    in.barcode = s.text(4);
    in.source = s.element(5).value_or(0);
    in.destination = s.element(6).value_or(0);
    in.created = s.integer(7);
    return in;
}

OpRequestRecord read_oprequest(Statement& s) {
    OpRequestRecord r;
    r.id = s.guid(0);
    r.type = s.enumerated(1, OpRequestType::Message);
    r.state = s.enumerated(2, OpRequestState::Complete);
    r.message = s.text(3);
    r.library = s.guid(4);
    r.job = s.guid(5);
    r.submitted = s.integer(6);
    r.changed = s.integer(7);
    return r;
}

void bind_oprequest(Statement& s, const OpRequestRecord& r) {
    s.bind_guid(1, r.id);
    s.bind_int(2, static_cast<uint32_t>(r.type));
    s.bind_int(3, static_cast<uint32_t>(r.state));
    s.bind_text(4, r.message);
    s.bind_guid(5, r.library);
    s.bind_guid(6, r.job);
    s.bind_int(7, r.submitted);
    s.bind_int(8, r.changed);
}

Expected<void> write_medium(sqlite3* db, const std::string& path, const char* what,
                            const MediumRecord& m) {
    Statement s(db, path, what,
                "INSERT INTO media (guid, library, barcode, element, state, updated) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                "ON CONFLICT (guid) DO UPDATE SET library = excluded.library, "
                "barcode = excluded.barcode, element = excluded.element, state = excluded.state, "
                "updated = excluded.updated");
    s.bind_guid(1, m.id);
    s.bind_guid(2, m.library);
    s.bind_optional_text(3, m.barcode);
    s.bind_element(4, m.element);
    s.bind_int(5, static_cast<uint32_t>(m.state));
    s.bind_int(6, m.updated);
    return s.run();
}

Expected<void> write_history(sqlite3* db, const std::string& path, const char* what,
                             const MediumMove& h) {
    Statement s(db, path, what,
                "INSERT INTO media_history (medium, job, from_element, to_element, time, reason) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    s.bind_guid(1, h.medium);
    s.bind_guid(2, h.job);
    s.bind_element(3, h.from);
    s.bind_element(4, h.to);
    s.bind_int(5, h.time);
    s.bind_text(6, h.reason);
    return s.run();
}

Expected<std::string> journal_mode(sqlite3* db, const std::string& path, const char* what,
                                   const char* sql) {
    Statement s(db, path, what, sql);
    auto row = s.step();
    if (!row)
        return row.error();
    if (!*row)
        return fail(win32::DatabaseFailure,
                    fmt::format("database {}: {}: no journal mode reported", path, what));
    return s.text(0);
}

} // namespace

template <typename T, typename Fn> Expected<T> Store::run(const char* what, bool write, Fn&& fn) {
    const int entry = depth_;
    try {
        if (auto b = write ? begin(what) : begin_read(what); !b)
            return b.error();
        Expected<T> r = fn();
        if (!r) {
            rollback();
            return r;
        }
        if (auto c = commit(what); !c)
            return c.error();
        return r;
    } catch (const std::bad_alloc&) {
        while (depth_ > entry)
            rollback();
        return out_of_memory();
    } catch (const std::exception& e) {
        while (depth_ > entry)
            rollback();
        try {
            return fail(win32::DatabaseFailure,
                        fmt::format("database {}: {}: {}", path_, what, e.what()));
        } catch (...) {
            return out_of_memory();
        }
    }
}

Expected<std::unique_ptr<Store>> Store::open(const std::string& path, StoreOptions options) try {
    struct Closer {
        void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
    };
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(
        path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXRESCODE,
        nullptr);
    std::unique_ptr<sqlite3, Closer> handle(raw);
    if (rc != SQLITE_OK)
        return fail(win32::DatabaseFailure,
                    fmt::format("database {} cannot be opened: {}", path, error_text(raw, rc)));
    // The constructor is private, hence new; the handle is handed over only once it is owned.
    std::unique_ptr<Store> store(new Store(path, handle.get()));
    handle.release();
    sqlite3* db = store->db_;

    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, options.busy_timeout_ms);
    // Refuses writes to the schema by hand (PRAGMA writable_schema and the like).
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, static_cast<int*>(nullptr));

    if (auto r = store->exec("PRAGMA foreign_keys = ON", "enable foreign keys"); !r)
        return r.error();
    // The first statement that reads the file: a file that is not a database fails here.
    auto mode = journal_mode(db, store->path_, "set WAL journal mode", "PRAGMA journal_mode = WAL");
    if (!mode)
        return mode.error();
    if (*mode != "wal")
        return fail(
            win32::DatabaseFailure,
            fmt::format("database {}: cannot use WAL journal mode (got \"{}\")", path, *mode));
    if (auto r = store->exec("PRAGMA synchronous = FULL", "set synchronous=FULL"); !r)
        return r.error();
    if (options.max_page_count) {
        if (*options.max_page_count <= 0)
            return fail(win32::InvalidParameter,
                        fmt::format("database {}: max_page_count {} must be positive", path,
                                    *options.max_page_count));
        // PRAGMA takes no bound parameters; the value is a number, not text from outside.
        const std::string sql = fmt::format("PRAGMA max_page_count = {}", *options.max_page_count);
        if (auto r = store->exec(sql.c_str(), "set max_page_count"); !r)
            return r.error();
    }

    {
        Statement check(db, store->path_, "check integrity", "PRAGMA quick_check");
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
                        fmt::format("database {} is damaged: quick_check: {}", path, detail));
        }
    }

    if (auto r = store->migrate(); !r)
        return r.error();
    return store;
} catch (const std::bad_alloc&) {
    return out_of_memory();
}

Store::~Store() {
    sqlite3_close_v2(db_);
}

Expected<void> Store::exec(const char* sql, const char* what) {
    if (const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); rc != SQLITE_OK)
        return sqlite_error(what, rc);
    return {};
}

Expected<int64_t> Store::pragma_integer(const char* name) {
    // name is one of ours, never text from outside.
    const std::string sql = fmt::format("PRAGMA {}", name);
    Statement s(db_, path_, sql.c_str(), sql.c_str());
    auto row = s.step();
    if (!row)
        return row.error();
    if (!*row)
        return fail(win32::DatabaseFailure,
                    fmt::format("database {}: {}: no value reported", path_, sql));
    return s.integer(0);
}

Status Store::sqlite_error(const char* what, int rc) const {
    return db_error(db_, path_, what, rc);
}

// Nested levels are savepoints: a call made inside transaction() joins the caller's transaction.
Expected<void> Store::begin(const char* what) {
    const char* sql = depth_ == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT nested";
    if (const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); rc != SQLITE_OK)
        return sqlite_error(what, rc);
    ++depth_;
    return {};
}

// Readers take no write lock: in WAL mode a deferred transaction reads one consistent snapshot
// without waiting for a writer, and works on a full disk.
Expected<void> Store::begin_read(const char* what) {
    const char* sql = depth_ == 0 ? "BEGIN" : "SAVEPOINT nested";
    if (const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); rc != SQLITE_OK)
        return sqlite_error(what, rc);
    ++depth_;
    return {};
}

Expected<void> Store::commit(const char* what) {
    if (depth_ == 0)
        return {};
    const char* sql = depth_ == 1 ? "COMMIT" : "RELEASE nested";
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) {
        --depth_;
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
        sqlite3_exec(db_, "ROLLBACK TO nested", nullptr, nullptr, nullptr);
        sqlite3_exec(db_, "RELEASE nested", nullptr, nullptr, nullptr);
        return;
    }
    // SQLite may already have rolled back the whole transaction itself (after SQLITE_FULL, an
    // I/O error or SQLITE_NOMEM).
    if (!sqlite3_get_autocommit(db_))
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Expected<StoreSettings> Store::settings() {
    return run<StoreSettings>("read settings", false, [&]() -> Expected<StoreSettings> {
        StoreSettings st;
        auto mode = journal_mode(db_, path_, "read journal mode", "PRAGMA journal_mode");
        if (!mode)
            return mode.error();
        st.journal_mode = *mode;
        struct Field {
            const char* name;
            int64_t* out;
        };
        int64_t foreign_keys = 0;
        for (const Field& f :
             {Field{"synchronous", &st.synchronous}, Field{"foreign_keys", &foreign_keys},
              Field{"busy_timeout", &st.busy_timeout_ms},
              Field{"max_page_count", &st.max_page_count},
              Field{"user_version", &st.user_version}}) {
            auto v = pragma_integer(f.name);
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
        Statement s(db_, path_, what,
                    "INSERT INTO libraries (guid, identity, name, device, enabled, created) "
                    "VALUES (?1, ?2, ?3, ?4, 1, ?5) "
                    "ON CONFLICT (identity) DO UPDATE SET name = excluded.name, "
                    "device = excluded.device "
                    "RETURNING guid, identity, name, device, enabled, created");
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
            Statement s(db_, path_, what,
                        "SELECT guid, identity, name, device, enabled, created FROM libraries "
                        "WHERE guid = ?1");
            s.bind_guid(1, id);
            return first(s, read_library);
        });
}

Expected<std::vector<LibraryRecord>> Store::list_libraries() {
    static constexpr const char* what = "list libraries";
    return run<std::vector<LibraryRecord>>(
        what, false, [&]() -> Expected<std::vector<LibraryRecord>> {
            Statement s(db_, path_, what,
                        "SELECT guid, identity, name, device, enabled, created FROM libraries "
                        "ORDER BY created, rowid");
            return collect(s, read_library);
        });
}

Expected<void> Store::set_library_enabled(const Guid& id, bool enabled) {
    static constexpr const char* what = "enable library";
    return run<void>(what, true, [&]() -> Expected<void> {
        Statement s(db_, path_, what, "UPDATE libraries SET enabled = ?2 WHERE guid = ?1");
        s.bind_guid(1, id);
        s.bind_int(2, enabled ? 1 : 0);
        if (auto r = s.run(); !r)
            return r;
        if (s.changes() == 0)
            return fail(win32::ObjectNotFound, fmt::format("no library {}", id.str()));
        return {};
    });
}

// ---- Jobs

Expected<void> Store::insert_job(const JobRecord& job) {
    static constexpr const char* what = "insert job";
    return run<void>(what, true, [&]() -> Expected<void> {
        Statement s(
            db_, path_, what,
            "INSERT INTO jobs (guid, library, operation, action, state, error, "
            "error_message, time_queued, time_started, time_completed, application, uid, "
            "media_moved, timeout_sec, port, priority) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
        bind_job(s, job);
        return s.run();
    });
}

Expected<void> Store::update_job(const JobRecord& job) {
    static constexpr const char* what = "update job";
    return run<void>(what, true, [&]() -> Expected<void> {
        Statement s(db_, path_, what,
                    "UPDATE jobs SET library = ?2, operation = ?3, action = ?4, state = ?5, "
                    "error = ?6, error_message = ?7, time_queued = ?8, time_started = ?9, "
                    "time_completed = ?10, application = ?11, uid = ?12, media_moved = ?13, "
                    "timeout_sec = ?14, port = ?15, priority = ?16 WHERE guid = ?1");
        bind_job(s, job);
        if (auto r = s.run(); !r)
            return r;
        if (s.changes() == 0)
            return fail(win32::ObjectNotFound, fmt::format("no job {}", job.id.str()));
        return {};
    });
}

Expected<std::optional<JobRecord>> Store::get_job(const Guid& id) {
    static constexpr const char* what = "read job";
    return run<std::optional<JobRecord>>(what, false, [&]() -> Expected<std::optional<JobRecord>> {
        Statement s(db_, path_, what,
                    "SELECT guid, library, operation, action, state, error, error_message, "
                    "time_queued, time_started, time_completed, application, uid, media_moved, "
                    "timeout_sec, port, priority FROM jobs WHERE guid = ?1");
        s.bind_guid(1, id);
        return first(s, read_job);
    });
}

Expected<std::vector<JobRecord>> Store::list_jobs(const std::optional<Guid>& library) {
    static constexpr const char* what = "list jobs";
    return run<std::vector<JobRecord>>(what, false, [&]() -> Expected<std::vector<JobRecord>> {
        if (!library) {
            Statement s(db_, path_, what,
                        "SELECT guid, library, operation, action, state, error, error_message, "
                        "time_queued, time_started, time_completed, application, uid, "
                        "media_moved, timeout_sec, port, priority FROM jobs "
                        "ORDER BY time_queued DESC, rowid DESC");
            return collect(s, read_job);
        }
        Statement s(db_, path_, what,
                    "SELECT guid, library, operation, action, state, error, error_message, "
                    "time_queued, time_started, time_completed, application, uid, media_moved, "
                    "timeout_sec, port, priority FROM jobs WHERE library = ?1 "
                    "ORDER BY time_queued DESC, rowid DESC");
        s.bind_guid(1, *library);
        return collect(s, read_job);
    });
}

Expected<std::vector<JobRecord>> Store::jobs_in_states(const std::vector<JobState>& states) {
    static constexpr const char* what = "list jobs by state";
    return run<std::vector<JobRecord>>(what, false, [&]() -> Expected<std::vector<JobRecord>> {
        std::vector<JobState> wanted = states;
        std::sort(wanted.begin(), wanted.end());
        wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
        // One indexed query per state (a handful at most), merged in queue order.
        struct Row {
            int64_t queued;
            int64_t rowid;
            JobRecord job;
        };
        std::vector<Row> rows;
        for (JobState state : wanted) {
            Statement s(
                db_, path_, what,
                "SELECT guid, library, operation, action, state, error, error_message, "
                "time_queued, time_started, time_completed, application, uid, "
                "media_moved, timeout_sec, port, priority, rowid FROM jobs WHERE state = ?1");
            s.bind_int(1, static_cast<uint32_t>(state));
            auto part = collect(s, [](Statement& st) {
                JobRecord j = read_job(st);
                return Row{j.time_queued, st.integer(16), std::move(j)};
            });
            if (!part)
                return part.error();
            std::move(part->begin(), part->end(), std::back_inserter(rows));
        }
        std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
            return std::tie(a.queued, a.rowid) < std::tie(b.queued, b.rowid);
        });
        std::vector<JobRecord> out;
        out.reserve(rows.size());
        for (auto& r : rows)
            out.push_back(std::move(r.job));
        return out;
    });
}

// ---- Media

Expected<std::vector<MediumRecord>> Store::list_media(const Guid& library) {
    static constexpr const char* what = "list media";
    return run<std::vector<MediumRecord>>(
        what, false, [&]() -> Expected<std::vector<MediumRecord>> {
            Statement s(db_, path_, what,
                        "SELECT guid, library, barcode, element, state, updated FROM media "
                        "WHERE library = ?1 ORDER BY element IS NULL, element, rowid");
            s.bind_guid(1, library);
            return collect(s, read_medium);
        });
}

Expected<std::optional<MediumRecord>> Store::medium_at(const Guid& library, uint16_t element) {
    static constexpr const char* what = "read medium at element";
    return run<std::optional<MediumRecord>>(
        what, false, [&]() -> Expected<std::optional<MediumRecord>> {
            Statement s(db_, path_, what,
                        "SELECT guid, library, barcode, element, state, updated FROM media "
                        "WHERE library = ?1 AND element = ?2");
            s.bind_guid(1, library);
            s.bind_int(2, element);
            return first(s, read_medium);
        });
}

Expected<std::optional<MediumRecord>> Store::get_medium(const Guid& id) {
    static constexpr const char* what = "read medium";
    return run<std::optional<MediumRecord>>(
        what, false, [&]() -> Expected<std::optional<MediumRecord>> {
            Statement s(db_, path_, what,
                        "SELECT guid, library, barcode, element, state, updated FROM media "
                        "WHERE guid = ?1");
            s.bind_guid(1, id);
            return first(s, read_medium);
        });
}

Expected<void> Store::put_medium(const MediumRecord& medium,
                                 const std::optional<MediumMove>& history) {
    static constexpr const char* what = "record medium";
    return run<void>(what, true, [&]() -> Expected<void> {
        if (history && !history->medium.is_null() && history->medium != medium.id)
            return fail(win32::InvalidParameter,
                        fmt::format("history row of medium {} given with medium {}",
                                    history->medium.str(), medium.id.str()));
        if (auto r = write_medium(db_, path_, what, medium); !r)
            return r;
        if (!history)
            return {};
        MediumMove h = *history;
        h.medium = medium.id;
        return write_history(db_, path_, what, h);
    });
}

Expected<std::vector<MediumMove>> Store::history(const Guid& medium) {
    static constexpr const char* what = "read medium history";
    return run<std::vector<MediumMove>>(what, false, [&]() -> Expected<std::vector<MediumMove>> {
        Statement s(db_, path_, what,
                    "SELECT medium, job, from_element, to_element, time, reason "
                    "FROM media_history WHERE medium = ?1 ORDER BY time, id");
        s.bind_guid(1, medium);
        return collect(s, read_move);
    });
}

// ---- Moves

Expected<int64_t> Store::record_intent(const MoveIntent& intent) {
    static constexpr const char* what = "record move intent";
    return run<int64_t>(what, true, [&]() -> Expected<int64_t> {
        Statement s(db_, path_, what,
                    "INSERT INTO move_intents (job, library, medium, barcode, source, "
                    "destination, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        s.bind_guid(1, intent.job);
        s.bind_guid(2, intent.library);
        s.bind_guid(3, intent.medium);
        s.bind_optional_text(4, intent.barcode);
        s.bind_int(5, intent.source);
        s.bind_int(6, intent.destination);
        s.bind_int(7, intent.created);
        if (auto r = s.run(); !r)
            return r.error();
        return sqlite3_last_insert_rowid(db_);
    });
}

Expected<void> Store::complete_move(const MoveIntent& intent, const MediumRecord& medium) {
    static constexpr const char* what = "complete move";
    return run<void>(what, true, [&]() -> Expected<void> {
        if (medium.id != intent.medium || medium.library != intent.library)
            return fail(win32::InvalidParameter,
                        fmt::format("move intent {} is for medium {} of library {}, not {} of {}",
                                    intent.id, intent.medium.str(), intent.library.str(),
                                    medium.id.str(), medium.library.str()));
        // The job's count first, so that a failure in any later step is seen to undo it too.
        {
            Statement s(db_, path_, what,
                        "UPDATE jobs SET media_moved = media_moved + 1 WHERE guid = ?1");
            s.bind_guid(1, intent.job);
            if (auto r = s.run(); !r)
                return r;
            if (s.changes() != 1)
                return fail(win32::ObjectNotFound,
                            fmt::format("complete move: no job {}", intent.job.str()));
        }
        if (auto r = write_medium(db_, path_, what, medium); !r)
            return r;
        MediumMove h;
        h.medium = medium.id;
        h.job = intent.job;
        h.from = intent.source;
        h.to = intent.destination;
        h.time = medium.updated != 0 ? medium.updated : now_usec();
        h.reason = "inject";
        if (auto r = write_history(db_, path_, what, h); !r)
            return r;
        // Only the intent as recorded: a stale or altered copy must not complete a move.
        Statement s(db_, path_, what,
                    "DELETE FROM move_intents WHERE id = ?1 AND job = ?2 AND medium = ?3 AND "
                    "source = ?4 AND destination = ?5");
        s.bind_int(1, intent.id);
        s.bind_guid(2, intent.job);
        s.bind_guid(3, intent.medium);
        s.bind_int(4, intent.source);
        s.bind_int(5, intent.destination);
        if (auto r = s.run(); !r)
            return r;
        if (s.changes() != 1)
            return fail(win32::ObjectNotFound,
                        fmt::format("move intent {} ({} -> {} of job {}) is not pending", intent.id,
                                    intent.source, intent.destination, intent.job.str()));
        return {};
    });
}

Expected<void> Store::drop_intent(int64_t id) {
    static constexpr const char* what = "drop move intent";
    return run<void>(what, true, [&]() -> Expected<void> {
        Statement s(db_, path_, what, "DELETE FROM move_intents WHERE id = ?1");
        s.bind_int(1, id);
        return s.run();
    });
}

Expected<std::vector<MoveIntent>> Store::pending_intents(const Guid& library) {
    static constexpr const char* what = "list move intents";
    return run<std::vector<MoveIntent>>(what, false, [&]() -> Expected<std::vector<MoveIntent>> {
        Statement s(db_, path_, what,
                    "SELECT id, job, library, medium, barcode, source, destination, created "
                    "FROM move_intents WHERE library = ?1 ORDER BY id");
        s.bind_guid(1, library);
        return collect(s, read_intent);
    });
}

// ---- Operator requests

Expected<void> Store::insert_oprequest(const OpRequestRecord& r) {
    static constexpr const char* what = "insert operator request";
    return run<void>(what, true, [&]() -> Expected<void> {
        Statement s(db_, path_, what,
                    "INSERT INTO oprequests (guid, type, state, message, library, job, submitted, "
                    "changed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        bind_oprequest(s, r);
        return s.run();
    });
}

Expected<void> Store::update_oprequest(const OpRequestRecord& r) {
    static constexpr const char* what = "update operator request";
    return run<void>(what, true, [&]() -> Expected<void> {
        Statement s(db_, path_, what,
                    "UPDATE oprequests SET type = ?2, state = ?3, message = ?4, library = ?5, "
                    "job = ?6, submitted = ?7, changed = ?8 WHERE guid = ?1");
        bind_oprequest(s, r);
        if (auto u = s.run(); !u)
            return u;
        if (s.changes() == 0)
            return fail(win32::ObjectNotFound, fmt::format("no operator request {}", r.id.str()));
        return {};
    });
}

Expected<std::optional<OpRequestRecord>> Store::get_oprequest(const Guid& id) {
    static constexpr const char* what = "read operator request";
    return run<std::optional<OpRequestRecord>>(
        what, false, [&]() -> Expected<std::optional<OpRequestRecord>> {
            Statement s(db_, path_, what,
                        "SELECT guid, type, state, message, library, job, submitted, changed "
                        "FROM oprequests WHERE guid = ?1");
            s.bind_guid(1, id);
            return first(s, read_oprequest);
        });
}

Expected<std::vector<OpRequestRecord>> Store::list_oprequests() {
    static constexpr const char* what = "list operator requests";
    return run<std::vector<OpRequestRecord>>(
        what, false, [&]() -> Expected<std::vector<OpRequestRecord>> {
            Statement s(db_, path_, what,
                        "SELECT guid, type, state, message, library, job, submitted, changed "
                        "FROM oprequests ORDER BY submitted, rowid");
            return collect(s, read_oprequest);
        });
}

} // namespace ntms
