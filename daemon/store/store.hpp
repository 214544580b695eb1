// The SQLite store: schema with migrations (PRAGMA user_version), WAL, synchronous=FULL, foreign
// keys, busy timeout. Every call is one transaction; a call returning success is durable.
// SQLITE_FULL -> ERROR_DATABASE_FULL, anything else -> ERROR_DATABASE_FAILURE, with the SQLite
// message. Not thread-safe: each thread opens its own Store on the same file (WAL allows it).
// A Store reads through its own connection (query_only) and writes through the file's one
// writer (writer.hpp), which commits the writes of concurrent Stores together: no connection of
// the process ever waits for another's write lock. The first Store of a file checks it
// (quick_check) and migrates its schema; the others of the same file do not again.
// The Stores of one path share a DatabaseFile, which writes the file back should it be deleted or
// replaced while they have it open (database_file.hpp).
#pragma once

#include "daemon/model.hpp"
#include "daemon/status.hpp"
#include "daemon/store/database_file.hpp"

#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

struct sqlite3;

namespace ntms {
class StatementCache;
class Writer;
namespace store_sql {
struct Sql;
}
} // namespace ntms

namespace ntms {

struct StoreOptions {
    std::optional<int64_t> max_page_count; // for tests of a full database
    int busy_timeout_ms = 5000;
    // WAL pages after which the writer's checkpointer copies them into the database (SQLite's
    // own automatic threshold); at 8 times as many the writer's commit checkpoints itself.
    int checkpoint_pages = 1000;
};

// What a check of the whole database found (Store::check_database): nothing when ok.
struct DatabaseCheck {
    bool ok = true;
    std::vector<std::string> problems; // SQLite's findings, one a line
};

// The connection's settings as SQLite reports them, for diagnostics and tests.
struct StoreSettings {
    std::string journal_mode; // "wal"
    int64_t synchronous = 0;  // 2 = FULL
    bool foreign_keys = false;
    int64_t busy_timeout_ms = 0;
    int64_t max_page_count = 0;
    int64_t user_version = 0;
};

class Store {
public:
    static Expected<std::unique_ptr<Store>> open(const std::string& path,
                                                 StoreOptions options = {});
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    static constexpr int schema_version = 5;
    // PRAGMA application_id of our files ('NTMS'): tells them from other SQLite databases.
    static constexpr int64_t application_id = 0x4e544d53;
    // The script that takes a database from version - 1 to version (1 .. schema_version), run in
    // one transaction by open(); nullptr for any other version. Tests build the databases of
    // earlier versions with it.
    static const char* migration(int version);
    const std::string& path() const { return path_; }
    Expected<StoreSettings> settings();
    // The file this Store belongs to, with the other Stores of its path.
    DatabaseFile& file() const { return *file_; }

    // An online backup: a consistent copy of the whole database, written through SQLite's backup
    // API into dest (an empty file, or none) while other connections go on writing; durable when
    // this returns.
    Expected<void> copy_to(const std::string& dest);

    // The whole database checked: PRAGMA integrity_check (every page, index and constraint), then
    // foreign_key_check, over one snapshot (a read transaction; writers go on). Reads every page:
    // for the keeper's thread, never the bus thread (store_check.cpp).
    Expected<DatabaseCheck> check_database();

    // Libraries: the GUID is created once per identity and kept forever.
    Expected<LibraryRecord> upsert_library(const std::string& identity, const std::string& name,
                                           const std::string& device);
    Expected<std::optional<LibraryRecord>> get_library(const Guid& id);
    Expected<std::vector<LibraryRecord>> list_libraries();
    Expected<void> set_library_enabled(const Guid& id, bool enabled);

    // Jobs.
    Expected<void> insert_job(const JobRecord& job);
    Expected<void> update_job(const JobRecord& job); // whole row by id
    // With its media and drives (JobRecord::media, JobRecord::drives).
    Expected<std::optional<JobRecord>> get_job(const Guid& id);
    // Fills the job's media and drives from the history rows it wrote.
    Expected<void> read_job_lists(JobRecord& job);
    // Newest first; library null = all. Their media and drives are not read (left empty).
    Expected<std::vector<JobRecord>> list_jobs(const std::optional<Guid>& library = {});
    // Oldest first, with their media and drives.
    Expected<std::vector<JobRecord>> jobs_in_states(const std::vector<JobState>& states);

    // Media.
    Expected<std::vector<MediumRecord>> list_media(const Guid& library);
    Expected<std::optional<MediumRecord>> medium_at(const Guid& library, uint16_t element);
    Expected<std::optional<MediumRecord>> get_medium(const Guid& id);
    Expected<void> put_medium(const MediumRecord& medium, const std::optional<MediumMove>& history);
    // Many put_medium() in order, in one transaction: all or none (an inventory's records).
    using MediumChange = std::pair<MediumRecord, std::optional<MediumMove>>;
    Expected<void> put_media(const std::vector<MediumChange>& changes);
    Expected<std::vector<MediumMove>> history(const Guid& medium);
    // The history rows a job wrote (the cartridges it moved), oldest first.
    Expected<std::vector<MediumMove>> moves_of_job(const Guid& job);

    // Moves: record_intent before MOVE MEDIUM; complete_move after it succeeded applies, in one
    // transaction, the medium's new place, its history row, the job's media_moved + 1 and the
    // intent's deletion; drop_intent when the move did not happen (dropping an intent that is
    // already gone succeeds). complete_move of an intent that is not pending changes nothing and
    // fails with ERROR_OBJECT_NOT_FOUND, so a move is never counted twice.
    Expected<int64_t> record_intent(const MoveIntent& intent);
    Expected<void> complete_move(const MoveIntent& intent, const MediumRecord& medium);
    Expected<void> drop_intent(int64_t id);
    Expected<std::vector<MoveIntent>> pending_intents(const Guid& library);

    // Eject (store_eject.cpp). The latest Gone medium of this barcode in any library: the one an
    // inject of the barcode brings back. The queued or running jobs that are to eject medium
    // (from its "eject-requested" history rows).
    Expected<std::optional<MediumRecord>> outside_medium(const std::string& barcode);
    Expected<std::vector<Guid>> open_ejects_of(const Guid& medium);
    // The media a job was asked to move or has moved (its history rows), in the order recorded.
    Expected<std::vector<Guid>> media_of_job(const Guid& job);

    // Mount (store_mount.cpp). The media of the library that a mount job put into a drive and
    // that are still there: their last history row that is no request says "mount" (in use) or
    // "dismount-deferred" (released, the cartridge still in the drive) and names their element.
    struct Mounted {
        Guid medium;
        uint16_t drive = 0;
        std::optional<uint16_t> home; // where the mount took it from
        Guid job;                     // the mount job
        bool released = false;        // dismounted with NTMS_DISMOUNT_DEFERRED
    };
    Expected<std::vector<Mounted>> mounted_media(const Guid& library);
    // The same for the given drive elements only, in their order: one indexed lookup a drive,
    // where the form above reads the history of every medium in the library (a restart over
    // 10,000 slots spent most of its reconciliation there).
    Expected<std::vector<Mounted>> mounted_media(const Guid& library,
                                                 const std::vector<uint16_t>& drives);
    // The queued or running jobs that are to move medium (any "...-requested" row of it).
    Expected<std::vector<Guid>> open_jobs_of(const Guid& medium);
    // Cleaning (store_mount.cpp): per medium of the library that a CLEANDRIVE job ever loaded
    // into a drive, how many times ("cleandrive" history rows). Media never loaded are absent.
    Expected<std::map<Guid, uint32_t>> cleanings(const Guid& library);

    // Operator requests.
    Expected<void> insert_oprequest(const OpRequestRecord& r);
    Expected<void> update_oprequest(const OpRequestRecord& r);
    Expected<std::optional<OpRequestRecord>> get_oprequest(const Guid& id);
    Expected<std::vector<OpRequestRecord>> list_oprequests();

    // Transactions the writer of this Store's file has committed so far: every write of ntmsd
    // to the file goes through that writer, so an unchanged count means unchanged records (the
    // port watcher relies on it).
    uint64_t write_transactions() const;
    // Checkpoints of the WAL (see writer.hpp): made beside the writer, finished by a commit (the
    // pages written while the checkpointer copied), and made by a commit at the bound.
    struct Checkpoints {
        uint64_t background = 0;
        uint64_t finished = 0;
        uint64_t inline_ = 0;
    };
    Checkpoints checkpoints() const;

    // Runs fn inside one transaction; rolls back when fn fails. Calls of this Store (or of any
    // other) inside fn join the transaction (as savepoints). fn runs on the writer's connection,
    // on this thread or the writer's (Writer::submit), possibly beside other callers' writes: it
    // must not wait for anything a caller of the writer holds.
    template <typename Fn> Expected<void> transaction(Fn&& fn);

private:
    friend class DatabaseFile;
    friend class Writer;

    // The writer's own Store: it writes itself, with its prepared statements kept.
    static Expected<std::unique_ptr<Store>> open_writer(const std::string& path,
                                                        StoreOptions options);
    static Expected<std::unique_ptr<Store>> open_as(const std::string& path, StoreOptions options,
                                                    bool writer);
    // The settings of this Store's role, on a new connection.
    Expected<void> configure();
    // The connection of this call: the writer's on a thread that is writing a transaction (the
    // writer's, or a caller's that writes in its stead), else this Store's.
    sqlite3* conn() const;
    Expected<void> transaction_of(const std::function<Expected<void>()>& body);

    Store(std::string path, sqlite3* db, std::shared_ptr<DatabaseFile> file, StoreOptions options);
    // A configured connection on path, and the file it has open.
    static Expected<sqlite3*> connect(const std::string& path, const StoreOptions& options,
                                      FileId& id);
    Expected<void> check_integrity();
    Expected<void> migrate();
    Expected<void> run_migrations();
    // For DatabaseFile, with the gate held: the copy and the connection's data version (which
    // changes when another connection commits), then the move to a new file at the path.
    Expected<void> copy_unlocked(const std::string& dest);
    Expected<int64_t> data_version_unlocked();
    void disconnect() noexcept;
    Expected<FileId> reconnect();
    Expected<void> exec(const char* sql, const char* what);
    // A BEGIN, SAVEPOINT, RELEASE...: an SQLite result code.
    int exec_level(const store_sql::Sql& sql);
    Expected<int64_t> pragma_integer(const store_sql::Sql& pragma);
    Status sqlite_error(const char* what, int rc) const;
    Expected<void> begin(const char* what = "transaction");
    Expected<void> begin_read(const char* what);
    Expected<void> open_level(const char* what, const store_sql::Sql& sql);
    Expected<void> commit(const char* what = "transaction");
    void rollback();
    // One public call: a transaction (a read transaction when !write) around fn, which returns
    // Expected<T>; no exception leaves it.
    template <typename T, typename Fn> Expected<T> run(const char* what, bool write, Fn&& fn);

    std::string path_;
    sqlite3* db_ = nullptr;   // null once a reopen failed: every call then reports broken_
    uint64_t connection_ = 1; // counts the connections db_ has been (a rescue opens another)
    std::shared_ptr<DatabaseFile> file_;
    StoreOptions options_;
    Status broken_;
    int depth_ = 0; // open begin() levels; levels below the outermost are savepoints
    std::shared_ptr<Writer> writer_;        // null: this Store writes itself (the writer's own)
    std::unique_ptr<StatementCache> cache_; // the writer's own Store only
    bool reader_ = false;                   // query_only once set up
};

template <typename Fn> Expected<void> Store::transaction(Fn&& fn) {
    // fn's exception is the caller's: the transaction is rolled back, then it is thrown here.
    std::exception_ptr thrown;
    const std::function<Expected<void>()> body = [&]() -> Expected<void> {
        try {
            return fn();
        } catch (...) {
            thrown = std::current_exception();
            return Status{win32::InvalidState, "the transaction's function threw"};
        }
    };
    auto r = transaction_of(body);
    if (thrown)
        std::rethrow_exception(thrown);
    return r;
}

} // namespace ntms
