// The one writer of a database file in the process. Every Store sends its writes here; they are
// run on the writer's own connection, those that arrived together in one transaction (BEGIN
// IMMEDIATE ... COMMIT, each call inside it a savepoint of its own, so that a failed call undoes
// only itself), and each caller is answered once the transaction is durable. The writer is a
// strand, not only a thread: a caller that finds nobody writing writes what is waiting itself,
// on its own thread, and the writer's thread writes what comes while a transaction is being
// written. Either way one thread at a time uses the connection. One
// write connection means no connection of ntmsd waits for another's write lock: 64 libraries
// recording their first inventories at once share commits instead of timing out on each other.
// Readers keep their own connections (WAL: they never wait for the writer).
//
// Checkpoints are mostly not the writer's. SQLite's automatic checkpoint runs in the commit that
// takes the WAL past 1,000 pages: that commit waited for the pages to be copied and the database
// file synced (8 to 20 ms, where a job's row takes 0.3: the slowest InjectMedia calls in
// bench_dbus). The writer's WAL hook wakes a thread of its own instead, which checkpoints
// (PASSIVE: it never waits for the writer or a reader, nor they for it) on a connection of its
// own. It cannot finish alone while the writer commits meanwhile, and SQLite starts the WAL over
// only at a transaction that begins with every page copied: so the first commit after its run
// copies the few pages written during it (a PASSIVE checkpoint on the writer's connection), and
// the WAL starts over at the next. Left to the checkpointer, a busy writer's WAL grew to the bound
// below (32 MB), and the commit that reached it copied them all: 289 ms once in bench_dbus.
// Should the WAL still reach 8 times the threshold (a checkpointer that cannot keep up, or a
// reader that keeps the WAL from starting over), the writer checkpoints in its commit as SQLite
// would have.
//
// On the writer's thread, every call of any Store uses the writer's connection (so that a
// transaction's reads see its own writes); its prepared statements are kept for the life of the
// connection (StatementCache).
#pragma once

#include "daemon/status.hpp"
#include "daemon/store/sql.hpp"
#include "daemon/store/store.hpp"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace ntms {

// Prepared statements of one connection, by their entry in the table of statements (sql.hpp): a
// slot each, found without hashing the text. A statement in use is not handed out twice: a nested
// use of the same entry prepares a copy that is finalized after it.
class StatementCache {
public:
    explicit StatementCache(sqlite3* db) : db_(db) {}
    ~StatementCache() { clear(); }
    StatementCache(const StatementCache&) = delete;
    StatementCache& operator=(const StatementCache&) = delete;

    sqlite3* db() const { return db_; }
    // A prepared statement for sql (nullptr with rc set when it cannot be prepared), and
    // whether it belongs to the cache (then give it back with release(), else finalize it).
    sqlite3_stmt* take(const store_sql::Sql& sql, int& rc, bool& cached);
    void release(uint16_t id, sqlite3_stmt* stmt) noexcept;
    // Finalizes every statement (before the connection closes); the cache is then for db.
    void reset(sqlite3* db) noexcept;

private:
    void clear() noexcept;
    struct Slot {
        sqlite3_stmt* stmt = nullptr;
        bool busy = false;
    };
    sqlite3* db_;
    std::array<Slot, store_sql::id::count> slots_{};
};

namespace store_detail {
// The writer's Store when the calling thread is a writer's thread, else null.
Store* writer_here() noexcept;
// The cache of the calling thread's writer connection, or null.
StatementCache* cache_here() noexcept;
} // namespace store_detail

class Writer {
public:
    // The writer of file for connections with these options, started on first use.
    static Expected<std::shared_ptr<Writer>> of(const std::shared_ptr<DatabaseFile>& file,
                                                const StoreOptions& options);
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // Runs fn on the writer's connection inside a transaction with whatever else is waiting
    // (on this thread when nobody is writing, else on the writer's thread); returns fn's result
    // once the transaction committed (or the commit's error). fn may run on another caller's
    // thread: it must not wait for another thread that may be waiting for this writer, nor take
    // a lock that a caller of submit may hold.
    Expected<void> submit(const char* what, const std::function<Expected<void>()>& fn);

    Store& store() { return *store_; }
    const StoreOptions& options() const { return options_; }
    // The WAL pages at which a commit wakes the checkpointer (StoreOptions::checkpoint_pages).
    int checkpoint_threshold() const { return std::max(options_.checkpoint_pages, 1); }
    // Transactions committed, for tests of batching.
    uint64_t commits() const;
    // Checkpoints made by the checkpointer's thread, finished by a commit after its run, and made
    // by a commit at the bound (Store::Checkpoints).
    using Checkpoints = Store::Checkpoints;
    Checkpoints checkpoints() const;
    // How many times StoreOptions::checkpoint_pages make the writer checkpoint in its commit.
    static constexpr int inline_checkpoint_factor = 8;

private:
    struct Task {
        const char* what;
        const std::function<Expected<void>()>* fn;
        Expected<void> result;
        bool done = false;
    };

    Writer(std::unique_ptr<Store> store, StoreOptions options);
    void run();
    // Writes every call waiting, in transactions (batch), on the calling thread: the writer's, or
    // a caller's that found nobody writing. Called and returns with lock held.
    void drain(std::unique_lock<std::mutex>& lock);
    // One transaction of the tasks in order; those that ran (and have their result) are moved
    // to ran, those left for the next one stay. Whether it committed.
    bool batch(std::deque<Task*>& tasks, std::deque<Task*>& ran);
    // SQLite's WAL hook on the writer's connection, called after each commit.
    static int wal_hook(void* self, sqlite3* db, const char* name, int frames);
    void checkpointer();

    std::unique_ptr<Store> store_;
    StoreOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable wake_, finished_;
    std::deque<Task*> queue_;
    bool writing_ = false; // a thread (the writer's or a caller's) is writing a transaction
    bool stopping_ = false;
    uint64_t commits_ = 0;
    // Where the WAL is in its cycle, as the writer's commits see it: filling up to the threshold,
    // being copied by the checkpointer, copied (the writer finished it; the next transaction
    // starts the WAL over).
    enum class Cycle { Filling, Copying, Copied };
    Cycle cycle_ = Cycle::Filling;
    int copied_at_ = 0;   // the WAL's pages when the writer finished copying them
    int last_frames_ = 0; // the WAL's pages after the last commit
    uint64_t hooked_ = 0; // the Store's connection the WAL hook is on (another after a rescue)
    std::thread thread_;

    mutable std::mutex checkpoint_mutex_;
    std::condition_variable checkpoint_wake_;
    bool checkpoint_wanted_ = false;
    uint64_t checkpoint_asked_ = 0; // the checkpointer's runs asked for, and ended
    uint64_t checkpoint_done_ = 0;
    bool checkpoint_stopping_ = false;
    Checkpoints checkpoints_;
    std::thread checkpoint_thread_;
};

} // namespace ntms
