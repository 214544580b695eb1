// The database's keeper: a thread of its own, never the bus thread, with its own connection. Every
// check interval it looks whether the database path still names the file ntmsd has open; when the
// file was deleted or replaced it writes the catalogue back (DatabaseFile::rescue) and says so in
// the journal. It also writes the online backups callers ask for into the files they hand over,
// and checks the whole database when asked (integrity_check, off the bus thread).
#pragma once

#include "daemon/status.hpp"
#include "daemon/store/store.hpp"
#include "daemon/store/unique_fd.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace ntms {

class Store;

struct BackupReport {
    int64_t bytes = 0; // size of the backup written
};

class StoreKeeper {
public:
    using Done = std::function<void(Expected<BackupReport>)>;
    using Checked = std::function<void(Expected<DatabaseCheck>)>;
    // Backups and checks waiting at once; more are refused with ERROR_BUSY.
    static constexpr size_t max_pending_backups = 4;

    StoreKeeper(std::string path, std::chrono::milliseconds interval);
    ~StoreKeeper();
    StoreKeeper(const StoreKeeper&) = delete;
    StoreKeeper& operator=(const StoreKeeper&) = delete;

    void start();
    // Checks the path once more, ends the backups still waiting (ERROR_OPERATION_ABORTED) and
    // joins the thread.
    void stop();

    // Queues an online backup of the whole database into file: a regular file open for writing
    // (not for appending), whose content is replaced by the backup and synced. done is called
    // once, from the keeper's thread, unless backup() returns an error (then nothing was queued
    // and file was not touched).
    Expected<void> backup(UniqueFd file, Done done);
    // Queues a check of the whole database (Store::check_database); done is called once, from the
    // keeper's thread, unless this returns an error (then nothing was queued).
    Expected<void> check_database(Checked done);

    // Runs a check now and returns once it is done (tests, and nothing else, need this).
    void check_now();

private:
    struct Task {
        UniqueFd file;
        Done done;       // a backup into file
        Checked checked; // or, when set, a check
    };
    Expected<void> queue(Task task, const char* what);

    void run();
    // The keeper's connection, when it can be had (the daemon reports an unusable database).
    void connect();
    void check();
    Expected<BackupReport> write_backup(int file);

    const std::string path_;
    const std::chrono::milliseconds interval_;
    // Opened by start(), then the thread's alone.
    std::unique_ptr<Store> db_;
    Status unopened_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_, checked_;
    std::deque<Task> tasks_;
    bool stopping_ = false;
    bool check_asked_ = false;
    uint64_t checks_ = 0;
    std::string last_failure_; // journalled once, not at every interval
};

} // namespace ntms
