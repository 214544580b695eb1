// The connection that the bus thread, the registry and the job ledger share: one Store behind one
// mutex, each use one short transaction. Library workers open their own connections (WAL lets
// them). A database that cannot be opened is remembered, not fatal: every use then reports why.
#pragma once

#include "daemon/store/store.hpp"

#include <mutex>
#include <string>
#include <utility>

namespace ntms {

class SharedStore {
public:
    explicit SharedStore(std::string path, StoreOptions options = {}) : path_(std::move(path)) {
        auto db = Store::open(path_, options);
        if (db)
            db_ = std::move(db).value();
        else
            status_ = db.error();
    }

    const std::string& path() const { return path_; }
    // Success, or the error every use reports.
    const Status& status() const { return status_; }
    bool usable() const { return db_ != nullptr; }

    // Runs fn(Store&) under the lock; fn returns an Expected, and so does with(). Without a
    // database fn is not called and the database's error is returned.
    template <typename Fn> auto with(Fn&& fn) -> decltype(fn(std::declval<Store&>())) {
        if (!db_)
            return status_;
        std::lock_guard lock(mutex_);
        return fn(*db_);
    }

private:
    std::string path_;
    Status status_;
    std::mutex mutex_;
    std::unique_ptr<Store> db_;
};

} // namespace ntms
