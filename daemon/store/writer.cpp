#include "daemon/store/writer.hpp"

#include "daemon/journal.hpp"
#include "daemon/store/statement.hpp"

#include <exception>
#include <fmt/format.h>
#include <new>
#include <sqlite3.h>

namespace ntms {

namespace {

thread_local Store* this_writer = nullptr;
thread_local StatementCache* this_cache = nullptr;

bool same_options(const StoreOptions& a, const StoreOptions& b) {
    return a.max_page_count == b.max_page_count && a.busy_timeout_ms == b.busy_timeout_ms;
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
    thread_ = std::thread([this] { run(); });
}

Writer::~Writer() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
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
    wake_.notify_one();
    finished_.wait(lock, [&] { return task.done; });
    return std::move(task.result);
}

void Writer::run() {
    this_writer = store_.get();
    this_cache = store_->cache_.get();
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty())
            break; // stopping, and nothing is left to write
        std::deque<Task*> tasks;
        tasks.swap(queue_);
        lock.unlock();
        while (!tasks.empty()) {
            std::deque<Task*> ran;
            const bool committed = batch(tasks, ran);
            lock.lock();
            if (committed)
                ++commits_;
            for (Task* t : ran)
                t->done = true;
            finished_.notify_all();
            lock.unlock();
        }
        lock.lock();
    }
    this_cache = nullptr;
    this_writer = nullptr;
}

bool Writer::batch(std::deque<Task*>& tasks, std::deque<Task*>& ran) {
    Store& s = *store_;
    if (auto b = s.begin("write"); !b) {
        for (Task* t : tasks)
            t->result = b.error();
        ran.swap(tasks);
        return false;
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
