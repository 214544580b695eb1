// The store's internals, shared by its translation units (store.cpp: the connection and
// libraries; store_jobs.cpp: jobs and operator requests; store_media.cpp: media and moves): the
// prepared-statement wrapper, the mapping of SQLite errors to Win32 codes, and the row readers
// and binders in one column order per table.
#pragma once

#include "daemon/store/sql.hpp"
#include "daemon/store/store.hpp"
#include "daemon/store/writer.hpp"

#include <fmt/format.h>
#include <limits>
#include <new>
#include <sqlite3.h>
#include <string_view>
#include <vector>

namespace ntms::store_detail {

// Short enough for the small-string buffer: building it does not allocate.
inline Status out_of_memory() {
    return Status{win32::NotEnoughMemory, "out of memory"};
}

// The connection's message when it still describes rc, else SQLite's text for the code.
inline const char* error_text(sqlite3* db, int rc) {
    if (db && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff))
        return sqlite3_errmsg(db);
    return sqlite3_errstr(rc);
}

// SQLITE_FULL arrives as a primary or an extended code, from a statement or from COMMIT.
inline Status db_error(sqlite3* db, const std::string& path, std::string_view what,
                       int rc) noexcept {
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
inline sqlite3_destructor_type transient() {
    return reinterpret_cast<sqlite3_destructor_type>(static_cast<intptr_t>(-1));
}

// One prepared statement. The first failure (prepare, bind, or a value read back that does not
// fit its field) sticks and is what step() and status() report, so call sites stay linear.
class Statement {
public:
    // sql is an entry of the table in sql.hpp, nothing else: the test of the query plans sees
    // every statement. On the writer's thread, the writer connection's statements are kept
    // prepared.
    Statement(sqlite3* db, const std::string& path, const char* what, const store_sql::Sql& sql)
        : db_(db), path_(path), what_(what), id_(sql.id) {
        if (!store_sql::in_table(sql)) {
            error_ = fail(win32::DatabaseFailure,
                          fmt::format("database {}: {}: a statement that is not in the table of "
                                      "the store's statements",
                                      path_, what_));
            return;
        }
        int rc = SQLITE_OK;
        if (StatementCache* c = cache_here(); c && c->db() == db_) {
            bool kept = false;
            stmt_ = c->take(sql, rc, kept);
            if (kept)
                cache_ = c;
        } else {
            rc = sqlite3_prepare_v2(db_, sql.text, -1, &stmt_, nullptr);
        }
        if (rc != SQLITE_OK)
            error_ = db_error(db_, path_, what_, rc);
    }
    ~Statement() {
        if (cache_)
            cache_->release(id_, stmt_);
        else
            sqlite3_finalize(stmt_);
    }
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
    std::string text(int col) { return std::string(text_view(col)); }
    // The column's text where SQLite holds it: valid until the next step.
    std::string_view text_view(int col) {
        const unsigned char* p = sqlite3_column_text(stmt_, col);
        if (!p) {
            if (sqlite3_errcode(db_) == SQLITE_NOMEM && error_.ok())
                error_ = out_of_memory();
            return {};
        }
        return {reinterpret_cast<const char*>(p),
                static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
    }
    Guid guid(int col) {
        if (is_null(col))
            return Guid{};
        auto g = Guid::parse(text_view(col)); // no copy: a GUID's 36 characters would allocate
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
    uint16_t id_;
    sqlite3_stmt* stmt_ = nullptr;
    StatementCache* cache_ = nullptr; // stmt_ is the cache's
    Status error_;
};

// expected: the rows there will be, when the caller knows (the list is made that long at once).
template <typename Read>
auto collect(Statement& s, Read read, size_t expected = 0)
    -> Expected<std::vector<decltype(read(s))>> {
    std::vector<decltype(read(s))> out;
    out.reserve(expected);
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

// Row readers and binders (store_rows.cpp); each names the column order of its table's SELECTs.
LibraryRecord read_library(Statement& s);
JobRecord read_job(Statement& s);
void bind_job(Statement& s, const JobRecord& j);
MediumRecord read_medium(Statement& s);
MediumMove read_move(Statement& s);
MoveIntent read_intent(Statement& s);
OpRequestRecord read_oprequest(Statement& s);
void bind_oprequest(Statement& s, const OpRequestRecord& r);
// The integer key of a library (store_sql::library_key); DatabaseFailure when it is not recorded,
// as a foreign key would refuse a medium of it.
Expected<int64_t> library_key(sqlite3* db, const std::string& path, const char* what,
                              const Guid& library);
// The 7 parameters of a medium's upsert from `first` on, in NTMS_MEDIUM_COLUMNS order; `library`
// is the key of m.library.
void bind_medium(Statement& s, int first, const MediumRecord& m, int64_t library);
// The 6 parameters of a history row from `first` on (NTMS_HISTORY_ROW); with `medium`, the key
// of h.medium, those of NTMS_HISTORY_KEYED_ROW.
void bind_history(Statement& s, int first, const MediumMove& h,
                  std::optional<int64_t> medium = std::nullopt);
Expected<void> write_medium(sqlite3* db, const std::string& path, const char* what,
                            const MediumRecord& m);
Expected<void> write_history(sqlite3* db, const std::string& path, const char* what,
                             const MediumMove& h);
Expected<std::string> journal_mode(sqlite3* db, const std::string& path, const char* what,
                                   const store_sql::Sql& sql);

} // namespace ntms::store_detail

namespace ntms {

template <typename T, typename Fn> Expected<T> Store::run(const char* what, bool write, Fn&& fn) {
    // On the writer's thread (inside a transaction() or another Store's write): the writer's
    // connection and its transaction, whichever Store is called.
    if (Store* w = store_detail::writer_here(); w && w != this)
        return w->run<T>(what, write, std::forward<Fn>(fn));
    if (write && writer_) {
        // To the writer: fn runs there as a savepoint of a shared transaction, and its result
        // counts once that transaction committed.
        std::optional<Expected<T>> out;
        const std::function<Expected<void>()> task = [&]() -> Expected<void> {
            out.emplace(writer_->store().run<T>(what, true, fn));
            if (!*out)
                return out->error();
            return {};
        };
        auto done = writer_->submit(what, task);
        if (!done)
            return done.error();
        if (!out)
            return Status{win32::DatabaseFailure,
                          fmt::format("database {}: {}: not run by the writer", path_, what)};
        return std::move(*out);
    }
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
        return store_detail::out_of_memory();
    } catch (const std::exception& e) {
        while (depth_ > entry)
            rollback();
        try {
            return fail(win32::DatabaseFailure,
                        fmt::format("database {}: {}: {}", path_, what, e.what()));
        } catch (...) {
            return store_detail::out_of_memory();
        }
    }
}

} // namespace ntms
