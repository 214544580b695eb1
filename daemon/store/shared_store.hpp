// The connection that the bus thread, the registry and the job ledger share: one Store behind one
// mutex, each use one short transaction. Library workers open their own connections (WAL lets
// them). A database that cannot be opened is remembered, not fatal: every use then reports why.
//
// The database is opened (checked, brought to the current schema) on a thread of its own, and every
// use below waits until that is done: start-up opens and reads the libraries' devices meanwhile. A
// restart's quick_check of a 66 MB catalogue takes 159 ms, a first start's new file 4 ms, and the
// devices their own time; neither waits for the other.
#pragma once

#include "daemon/store/store.hpp"

#include <mutex>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

namespace ntms {

class SharedStore {
public:
    explicit SharedStore(std::string path, StoreOptions options = {}) : path_(std::move(path)) {
        try {
            opener_ = std::thread([this, options] { open(options); });
        } catch (const std::system_error&) {
            open(options); // no thread to spare: opened here
        }
    }
    ~SharedStore() { wait(); }
    SharedStore(const SharedStore&) = delete;
    SharedStore& operator=(const SharedStore&) = delete;

    const std::string& path() const { return path_; }
    // Success, or the error every use reports.
    const Status& status() const {
        wait();
        return status_;
    }
    bool usable() const {
        wait();
        return db_ != nullptr;
    }

    // Runs fn(Store&) under the lock; fn returns an Expected, and so does with(). Without a
    // database fn is not called and the database's error is returned.
    template <typename Fn> auto with(Fn&& fn) -> decltype(fn(std::declval<Store&>())) {
        wait();
        if (!db_)
            return status_;
        std::lock_guard lock(mutex_);
        return fn(*db_);
    }

private:
    void open(const StoreOptions& options) noexcept {
        try {
            auto db = Store::open(path_, options);
            if (db)
                db_ = std::move(db).value();
            else
                status_ = db.error();
        } catch (const std::bad_alloc&) {
            status_ = fail(win32::NotEnoughMemory,
                           "database " + path_ + " cannot be opened: out of memory");
        } catch (...) {
            status_ = fail(win32::DatabaseFailure, "database " + path_ + " cannot be opened");
        }
    }
    // Until the opening thread is done; then at once. Any thread.
    void wait() const {
        std::call_once(opened_, [this] {
            if (opener_.joinable())
                opener_.join();
        });
    }

    std::string path_;
    Status status_;
    std::mutex mutex_;
    std::unique_ptr<Store> db_;
    mutable std::once_flag opened_;
    mutable std::thread opener_; // last: it sets the members above
};

} // namespace ntms
