#include "daemon/store/keeper.hpp"

#include "daemon/journal.hpp"
#include "daemon/store/store.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <new>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace ntms {

namespace {

using Clock = std::chrono::steady_clock;

Status write_failure(const char* what, int e) {
    return fail(win32::DatabaseFailure,
                fmt::format("the backup cannot be written into the file handed over: {}: {}", what,
                            std::strerror(e)));
}

// Calls done once and keeps its exceptions (there should be none) from the keeper's thread.
void finish(StoreKeeper::Done& done, Expected<BackupReport> outcome) noexcept {
    try {
        done(std::move(outcome));
    } catch (...) {
        log(LOG_ERR, "database backup: the caller could not be told how the backup ended");
    }
}

void finish_check(StoreKeeper::Checked& done, Expected<DatabaseCheck> outcome) noexcept {
    try {
        done(std::move(outcome));
    } catch (...) {
        log(LOG_ERR, "database check: the caller could not be told how the check ended");
    }
}

} // namespace

StoreKeeper::StoreKeeper(std::string path, std::chrono::milliseconds interval)
    : path_(std::move(path)), interval_(interval) {}

StoreKeeper::~StoreKeeper() {
    stop();
}

void StoreKeeper::start() {
    // The file is open before start() returns: a deletion right after it is noticed.
    connect();
    thread_ = std::thread([this] { run(); });
}

void StoreKeeper::connect() {
    if (db_)
        return;
    auto opened = Store::open(path_);
    if (!opened) {
        unopened_ = opened.error();
        return;
    }
    db_ = std::move(opened).value();
    db_->file().remove_leftovers();
}

void StoreKeeper::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

Expected<void> StoreKeeper::backup(UniqueFd file, Done done) try {
    const int flags = fcntl(file.get(), F_GETFL);
    struct stat st {};
    if (flags < 0 || fstat(file.get(), &st) != 0)
        return fail(win32::InvalidParameter, "the backup's file descriptor is not an open file");
    if ((flags & O_ACCMODE) == O_RDONLY)
        return fail(win32::InvalidParameter, "the backup's file is not open for writing");
    if (flags & O_APPEND)
        return fail(win32::InvalidParameter,
                    "the backup's file is open for appending; the backup replaces its content");
    if (!S_ISREG(st.st_mode))
        return fail(win32::InvalidParameter, "the backup's file is not a regular file");
    return queue(Task{std::move(file), std::move(done), {}}, "backup is made");
} catch (const std::bad_alloc&) {
    return fail(win32::NotEnoughMemory, "out of memory");
}

Expected<void> StoreKeeper::check_database(Checked done) try {
    return queue(Task{UniqueFd(), {}, std::move(done)}, "check is made");
} catch (const std::bad_alloc&) {
    return fail(win32::NotEnoughMemory, "out of memory");
}

Expected<void> StoreKeeper::queue(Task task, const char* what) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || !thread_.joinable())
            return fail(win32::OperationAborted, fmt::format("ntmsd is stopping: no {}", what));
        if (tasks_.size() >= max_pending_backups)
            return fail(win32::Busy,
                        fmt::format("{} backups and checks are already waiting; try again later",
                                    tasks_.size()));
        tasks_.push_back(std::move(task));
    }
    wake_.notify_all();
    return {};
}

void StoreKeeper::check_now() {
    std::unique_lock lock(mutex_);
    if (stopping_ || !thread_.joinable())
        return;
    const uint64_t seen = checks_;
    check_asked_ = true;
    wake_.notify_all();
    checked_.wait(lock, [&] { return checks_ != seen || stopping_; });
}

void StoreKeeper::run() {
    auto next = Clock::now() + interval_;
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait_until(lock, next, [&] { return stopping_ || check_asked_ || !tasks_.empty(); });
        if (!tasks_.empty()) {
            Task task = std::move(tasks_.front());
            tasks_.pop_front();
            lock.unlock();
            connect();
            if (task.checked)
                finish_check(task.checked,
                             db_ ? db_->check_database() : Expected<DatabaseCheck>(unopened_));
            else
                finish(task.done,
                       db_ ? write_backup(task.file.get()) : Expected<BackupReport>(unopened_));
            task = Task{};
            lock.lock();
            continue;
        }
        if (stopping_)
            break;
        if (check_asked_ || Clock::now() >= next) {
            check_asked_ = false;
            lock.unlock();
            check();
            lock.lock();
            ++checks_;
            checked_.notify_all();
            next = Clock::now() + interval_;
        }
    }
    lock.unlock();
    // A file deleted within the last interval before a stop is written back all the same.
    check();
    db_.reset();
}

void StoreKeeper::check() {
    connect();
    if (!db_) {
        // Opening writes the file back when other connections have it open; this failed.
        if (DatabaseFile::of(path_)->check().state != PathState::Ours &&
            unopened_.message != last_failure_) {
            journal_database_rescue_failed(path_, unopened_.message);
            last_failure_ = unopened_.message;
        }
        return;
    }
    auto r = db_->file().rescue(db_.get());
    if (!r) {
        if (r.error().message != last_failure_)
            journal_database_rescue_failed(path_, r.error().message);
        last_failure_ = r.error().message;
        return;
    }
    last_failure_.clear(); // rescue() journals what it wrote back
}

Expected<BackupReport> StoreKeeper::write_backup(int file) try {
    auto name = db_->file().make_temporary();
    if (!name)
        return name.error();
    struct Remove {
        std::string name;
        ~Remove() {
            unlink(name.c_str());
            unlink((name + "-journal").c_str());
        }
    } staged{*name};
    // Staged beside the database (disk, not memory, however large it is), then copied into the
    // caller's file: SQLite writes only files it opens itself.
    if (auto r = db_->copy_to(staged.name); !r)
        return r.error();
    UniqueFd in(::open(staged.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in)
        return fail(win32::DatabaseFailure,
                    fmt::format("the backup staged in {} cannot be read: {}", staged.name,
                                std::strerror(errno)));
    std::vector<char> buffer(1 << 20);
    off_t at = 0;
    for (;;) {
        const ssize_t n = read(in.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(win32::DatabaseFailure,
                        fmt::format("the backup staged in {} cannot be read: {}", staged.name,
                                    std::strerror(errno)));
        if (n == 0)
            break;
        for (ssize_t done = 0; done < n;) {
            const ssize_t w = pwrite(file, buffer.data() + done, static_cast<size_t>(n - done), at);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return write_failure("write", errno);
            done += w;
            at += w;
        }
    }
    if (ftruncate(file, at) != 0)
        return write_failure("truncate", errno);
    if (fsync(file) != 0)
        return write_failure("sync", errno);
    return BackupReport{static_cast<int64_t>(at)};
} catch (const std::bad_alloc&) {
    return fail(win32::NotEnoughMemory, "out of memory");
}

} // namespace ntms
