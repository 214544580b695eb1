#include "daemon/store/writer.hpp"

#include "daemon/journal.hpp"
#include "daemon/store/statement.hpp"

#include <algorithm>
#include <exception>
#include <fmt/format.h>
#include <new>
#include <sqlite3.h>

namespace ntms {

namespace {

thread_local Store* this_writer = nullptr;
thread_local StatementCache* this_cache = nullptr;

bool same_options(const StoreOptions& a, const StoreOptions& b) {
    return a.max_page_count == b.max_page_count && a.busy_timeout_ms == b.busy_timeout_ms &&
           a.checkpoint_pages == b.checkpoint_pages;
}

} // namespace

namespace store_detail {

Store* writer_here() noexcept {
    return this_writer;
}

StatementCache* cache_here() noexcept {
    return this_cache;
}

} // namespace store_detail

// ---- StatementCache

sqlite3_stmt* StatementCache::take(const store_sql::Sql& sql, int& rc, bool& cached) {
    rc = SQLITE_OK;
    Slot& slot = slots_[sql.id];
    if (slot.stmt && !slot.busy) {
        slot.busy = true;
        cached = true;
        return slot.stmt;
    }
    sqlite3_stmt* stmt = nullptr;
    if (slot.stmt) { // in use further up this call: a copy of its own
        cached = false;
        rc = sqlite3_prepare_v2(db_, sql.text, -1, &stmt, nullptr);
        return stmt;
    }
    rc = sqlite3_prepare_v3(db_, sql.text, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK || !stmt) {
        slot = Slot{};
        cached = false;
        return stmt;
    }
    slot.stmt = stmt;
    slot.busy = true;
    cached = true;
    return stmt;
}

void StatementCache::release(uint16_t id, sqlite3_stmt* stmt) noexcept {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (id < slots_.size() && slots_[id].stmt == stmt) {
        slots_[id].busy = false;
        return;
    }
    sqlite3_finalize(stmt); // the cache was cleared meanwhile
}

void StatementCache::clear() noexcept {
    for (auto& slot : slots_) {
        sqlite3_finalize(slot.stmt);
        slot = Slot{};
    }
}

void StatementCache::reset(sqlite3* db) noexcept {
    clear();
    db_ = db;
}

// ---- Writer

Expected<std::shared_ptr<Writer>> Writer::of(const std::shared_ptr<DatabaseFile>& file,
                                             const StoreOptions& options) try {
    std::lock_guard lock(file->writers_mutex_);
    auto& writers = file->writers_;
    for (auto it = writers.begin(); it != writers.end();) {
        auto w = it->lock();
        if (!w) {
            it = writers.erase(it);
            continue;
        }
        if (same_options(w->options(), options))
            return w;
        ++it;
    }
    auto store = Store::open_writer(file->path(), options);
    if (!store)
        return store.error();
    std::shared_ptr<Writer> w(new Writer(std::move(store).value(), options));
    writers.push_back(w);
    return w;
} catch (const std::bad_alloc&) {
    return store_detail::out_of_memory();
} catch (const std::system_error& e) {
    return fail(win32::DatabaseFailure,
                fmt::format("the database's writer cannot be started: {}", e.what()));
}

Writer::Writer(std::unique_ptr<Store> store, StoreOptions options)
    : store_(std::move(store)), options_(options) {
    checkpoint_thread_ = std::thread([this] { checkpointer(); });
    try {
        thread_ = std::thread([this] { run(); });
    } catch (...) {
        {
            std::lock_guard lock(checkpoint_mutex_);
            checkpoint_stopping_ = true;
        }
        checkpoint_wake_.notify_all();
        checkpoint_thread_.join();
        throw;
    }
}

Writer::~Writer() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
    {
        std::lock_guard lock(checkpoint_mutex_);
        checkpoint_stopping_ = true;
    }
    checkpoint_wake_.notify_all();
    if (checkpoint_thread_.joinable())
        checkpoint_thread_.join();
}

Writer::Checkpoints Writer::checkpoints() const {
    std::lock_guard lock(checkpoint_mutex_);
    return checkpoints_;
}

int Writer::wal_hook(void* self, sqlite3* db, const char*, int frames) {
    auto* w = static_cast<Writer*>(self);
    const int threshold = w->checkpoint_threshold();
    if (frames < w->last_frames_) // the WAL was started over
        w->cycle_ = Cycle::Filling;
    // Copied, but not started over (a reader was still on the old pages): another round.
    if (w->cycle_ == Cycle::Copied && frames >= w->copied_at_ + threshold)
        w->cycle_ = Cycle::Filling;
    w->last_frames_ = frames;
    // PASSIVE: a checkpointer that holds the lock makes it fail at once; the next commit tries
    // again.
    const auto inline_checkpoint = [&](uint64_t Checkpoints::*count) {
        if (sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) !=
            SQLITE_OK)
            return false;
        std::lock_guard lock(w->checkpoint_mutex_);
        ++(w->checkpoints_.*count);
        return true;
    };
    if (frames >= inline_checkpoint_factor * threshold) {
        // The checkpointer has not kept up: this commit copies what is left, as SQLite would.
        inline_checkpoint(&Checkpoints::inline_);
        return SQLITE_OK;
    }
    if (frames < threshold)
        return SQLITE_OK;
    if (w->cycle_ == Cycle::Filling) {
        {
            std::lock_guard lock(w->checkpoint_mutex_);
            w->checkpoint_wanted_ = true;
            w->checkpoint_asked_ = w->checkpoint_done_ + 1;
        }
        w->checkpoint_wake_.notify_one();
        w->cycle_ = Cycle::Copying;
        return SQLITE_OK;
    }
    if (w->cycle_ == Cycle::Copying) {
        // Once the checkpointer has copied the pages it was woken for, this commit copies the
        // few written meanwhile: with every page copied when the writer next begins, SQLite
        // starts the WAL over. The checkpointer alone never catches up with a writer that
        // commits while it copies, and the WAL would grow to the bound above.
        bool copied;
        {
            std::lock_guard lock(w->checkpoint_mutex_);
            copied = w->checkpoint_done_ >= w->checkpoint_asked_ && !w->checkpoint_wanted_;
        }
        if (copied && inline_checkpoint(&Checkpoints::finished)) {
            w->cycle_ = Cycle::Copied;
            w->copied_at_ = frames;
        }
    }
    return SQLITE_OK;
}

void Writer::checkpointer() {
    // Its own connection, opened on first need: a database that never reaches the threshold
    // (every test, a small library) costs no connection. It is a Store of the file, so that a
    // rescue closes and opens it with the others.
    std::unique_ptr<Store> own;
    bool said = false;
    std::unique_lock lock(checkpoint_mutex_);
    for (;;) {
        checkpoint_wake_.wait(lock, [&] { return checkpoint_stopping_ || checkpoint_wanted_; });
        if (checkpoint_stopping_)
            break;
        checkpoint_wanted_ = false;
        lock.unlock();
        std::string failure;
        try {
            if (!own) {
                auto opened = Store::open_writer(store_->path(), options_);
                if (opened)
                    own = std::move(opened).value();
                else
                    failure = opened.error().message;
            }
            if (own) {
                DatabaseFile::Entry entry(*own->file_); // no rescue while it copies
                const int rc = own->db_ ? sqlite3_wal_checkpoint_v2(own->db_, nullptr,
                                                                    SQLITE_CHECKPOINT_PASSIVE,
                                                                    nullptr, nullptr)
                                        : SQLITE_MISUSE;
                if (rc == SQLITE_OK) {
                    std::lock_guard counted(checkpoint_mutex_);
                    ++checkpoints_.background;
                    said = false;
                } else if (rc != SQLITE_BUSY) {
                    failure = own->db_ ? sqlite3_errmsg(own->db_) : "its connection is closed";
                }
            }
        } catch (const std::exception& e) {
            failure = e.what();
        }
        // Said once until a checkpoint succeeds again: the writer's bound keeps the WAL from
        // growing meanwhile.
        if (!failure.empty() && !said) {
            said = true;
            try {
                log(LOG_WARNING,
                    fmt::format("database {}: the WAL cannot be checkpointed in the background: "
                                "{}; commits will checkpoint it once it has {} pages",
                                store_->path(), failure,
                                inline_checkpoint_factor * checkpoint_threshold()));
            } catch (...) {
            }
        }
        lock.lock();
        ++checkpoint_done_; // done or failed: the writer's next commit copies what is left
    }
    lock.unlock();
    own.reset();
}

uint64_t Writer::commits() const {
    std::lock_guard lock(mutex_);
    return commits_;
}

Expected<void> Writer::submit(const char* what, const std::function<Expected<void>()>& fn) {
    Task task{what, &fn, {}, false};
    std::unique_lock lock(mutex_);
    if (stopping_)
        return fail(win32::DatabaseFailure,
                    fmt::format("database {}: {}: the writer has stopped", store_->path(), what));
    queue_.push_back(&task);
    if (writing_) {
        // A transaction is being written: this call goes into the next one, which the writer's
        // thread writes once that one is done.
        wake_.notify_one();
        finished_.wait(lock, [&] { return task.done; });
        return std::move(task.result);
    }
    // Nobody is writing: this thread writes what is waiting, its own call among it, as the
    // writer's thread would have, and the call is spared two hand-overs between threads. In
    // bench_dbus an InjectMedia's job row took 21 to 22 us beyond SQLite's own commit at the
    // median (33 to 51 at the 90th percentile), where it took 48 to 58 (74 to 90) with every
    // write handed to the writer's thread. Calls that come meanwhile are left to that thread.
    drain(lock);
    if (!queue_.empty())
        wake_.notify_one();
    return std::move(task.result);
}

void Writer::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return !writing_ && (stopping_ || !queue_.empty()); });
        if (queue_.empty())
            break; // stopping, and nothing is left to write
        drain(lock);
    }
}

void Writer::drain(std::unique_lock<std::mutex>& lock) {
    // While this thread writes, every Store's call on it uses the writer's connection (the
    // writer's thread keeps them so anyway).
    Store* const was = this_writer;
    StatementCache* const was_cache = this_cache;
    this_writer = store_.get();
    this_cache = store_->cache_.get();
    writing_ = true;
    std::deque<Task*> tasks;
    tasks.swap(queue_);
    lock.unlock();
    while (!tasks.empty()) {
        std::deque<Task*> ran;
        bool committed = false;
        bool out_of_memory = false;
        try {
            committed = batch(tasks, ran);
        } catch (const std::bad_alloc&) {
            // No memory to go on with: the transaction is undone, and every call of it and
            // after it fails (none is left waiting).
            while (store_->depth_ > 0)
                store_->rollback();
            out_of_memory = true;
            for (auto* list : {&ran, &tasks})
                for (Task* t : *list)
                    t->result = store_detail::out_of_memory();
        }
        lock.lock();
        if (committed)
            ++commits_;
        for (Task* t : ran)
            t->done = true;
        if (out_of_memory) {
            for (Task* t : tasks)
                t->done = true;
            tasks.clear();
        }
        finished_.notify_all();
        lock.unlock();
    }
    lock.lock();
    writing_ = false;
    this_writer = was;
    this_cache = was_cache;
}

bool Writer::batch(std::deque<Task*>& tasks, std::deque<Task*>& ran) {
    Store& s = *store_;
    if (auto b = s.begin("write"); !b) {
        for (Task* t : tasks)
            t->result = b.error();
        ran.swap(tasks);
        return false;
    }
    // Only inside the transaction, which holds the file's gate: the keeper's rescue of a deleted
    // file gives the Store a new connection under that gate (ThreadSanitizer saw the connection
    // read here, before begin(), while a rescue replaced it).
    if (s.connection_ != hooked_) {
        // This connection's commits wake the checkpointer instead of checkpointing themselves.
        sqlite3_wal_hook(s.db_, &Writer::wal_hook, this);
        hooked_ = s.connection_;
    }
    while (!tasks.empty()) {
        Task* t = tasks.front();
        tasks.pop_front();
        ran.push_back(t);
        try {
            t->result = (*t->fn)(); // a savepoint of its own (Store::run below the batch's level)
        } catch (const std::bad_alloc&) {
            t->result = store_detail::out_of_memory();
        } catch (const std::exception& e) {
            t->result = Status{win32::DatabaseFailure, e.what()};
        }
        if (s.db_ && sqlite3_get_autocommit(s.db_)) {
            // SQLite ended the transaction itself (a full disk, an I/O error): what the calls
            // before wrote is undone with it. They fail with its cause; the calls not yet run
            // stay in tasks for the next transaction.
            Status cause = t->result ? Status{win32::DatabaseFailure,
                                              fmt::format("database {}: the transaction was "
                                                          "rolled back by SQLite",
                                                          s.path())}
                                     : t->result.error();
            for (Task* r : ran)
                r->result = cause;
            s.rollback();
            return false;
        }
    }
    if (auto c = s.commit("write"); !c) {
        for (Task* t : ran)
            t->result = c.error();
        return false;
    }
    return true;
}

} // namespace ntms
