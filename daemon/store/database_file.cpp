#include "daemon/store/database_file.hpp"

#include "daemon/journal.hpp"
#include "daemon/store/store.hpp"
#include "daemon/store/unique_fd.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <map>
#include <new>
#include <sys/stat.h>
#include <unistd.h>

namespace ntms {

namespace {

// The gates this thread holds, and how often it entered each.
struct Held {
    const DatabaseFile* file;
    int depth;
};
thread_local std::vector<Held> held;

Held* held_by_this_thread(const DatabaseFile* f) {
    auto it = std::find_if(held.begin(), held.end(), [f](const Held& h) { return h.file == f; });
    return it == held.end() ? nullptr : &*it;
}

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos)
        return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string errno_text(int e) {
    return std::strerror(e);
}

// rename(2) that never replaces what is at to; link(2) and unlink(2) on a file system without
// RENAME_NOREPLACE. 0 or an errno value.
int rename_noreplace(const std::string& from, const std::string& to) {
    if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return errno;
    if (link(from.c_str(), to.c_str()) != 0)
        return errno;
    unlink(from.c_str());
    return 0;
}

// The rename of a file into the directory is durable once the directory is synced.
int sync_directory(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd || fsync(fd.get()) != 0)
        return errno;
    return 0;
}

// A temporary copy that is removed (with a -journal SQLite may have left) unless kept.
class Temporary {
public:
    Temporary() = default;
    explicit Temporary(std::string name) : name_(std::move(name)) {}
    ~Temporary() { remove(); }
    Temporary(const Temporary&) = delete;
    Temporary& operator=(const Temporary&) = delete;
    Temporary& operator=(Temporary&& other) noexcept {
        remove();
        name_ = std::exchange(other.name_, {});
        return *this;
    }

    const std::string& name() const { return name_; }
    bool empty() const { return name_.empty(); }
    void keep() { name_.clear(); }
    void remove() noexcept {
        if (name_.empty())
            return;
        unlink(name_.c_str());
        unlink((name_ + "-journal").c_str());
        name_.clear();
    }

private:
    std::string name_;
};

// PATH.replaced-20240131T120000, or with -2, -3... when that exists.
std::string aside_name(const std::string& path, int attempt) {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char stamp[32] = {};
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
    return attempt == 0 ? fmt::format("{}.replaced-{}", path, stamp)
                        : fmt::format("{}.replaced-{}-{}", path, stamp, attempt + 1);
}

// Moves what is at path to a new name beside it; that name.
Expected<std::string> move_aside(const std::string& path) {
    for (int attempt = 0; attempt < 100; ++attempt) {
        const std::string aside = aside_name(path, attempt);
        const int e = rename_noreplace(path, aside);
        if (e == 0)
            return aside;
        if (e != EEXIST)
            return fail(win32::DatabaseFailure,
                        fmt::format("the file now at {} cannot be moved aside to {}: {}", path,
                                    aside, errno_text(e)));
    }
    return fail(win32::DatabaseFailure,
                fmt::format("the file now at {} cannot be moved aside: every name is taken", path));
}

} // namespace

std::shared_ptr<DatabaseFile> DatabaseFile::of(const std::string& path) {
    static std::mutex mutex;
    static std::map<std::string, std::weak_ptr<DatabaseFile>> files;
    std::lock_guard lock(mutex);
    for (auto it = files.begin(); it != files.end();)
        it = it->second.expired() ? files.erase(it) : std::next(it);
    auto& entry = files[path];
    if (auto f = entry.lock())
        return f;
    auto f = std::make_shared<DatabaseFile>(path);
    entry = f;
    return f;
}

void DatabaseFile::enter() {
    if (Held* h = held_by_this_thread(this)) {
        ++h->depth;
        return;
    }
    held.reserve(held.size() + 1); // the only allocation, before the gate is taken
    gate_.lock_shared();
    held.push_back({this, 1});
}

void DatabaseFile::leave() noexcept {
    Held* h = held_by_this_thread(this);
    if (!h || --h->depth > 0)
        return;
    held.erase(held.begin() + (h - held.data()));
    gate_.unlock_shared();
}

bool DatabaseFile::entered() const {
    return held_by_this_thread(this) != nullptr;
}

bool DatabaseFile::attach(Store* s, const FileId& id) {
    std::lock_guard lock(mutex_);
    if (stores_.empty())
        id_ = id;
    else if (id_ != id)
        return false;
    stores_.push_back(s);
    return true;
}

void DatabaseFile::detach(Store* s) noexcept {
    std::lock_guard lock(mutex_);
    stores_.erase(std::remove(stores_.begin(), stores_.end(), s), stores_.end());
    if (stores_.empty())
        id_.reset();
}

bool DatabaseFile::in_use() const {
    std::lock_guard lock(mutex_);
    return !stores_.empty();
}

PathCheck DatabaseFile::check() const {
    std::lock_guard lock(mutex_);
    return check_locked();
}

PathCheck DatabaseFile::check_locked() const {
    if (!id_)
        return {};
    struct stat st {};
    if (lstat(path_.c_str(), &st) != 0) {
        if (errno == ENOENT)
            return {PathState::Missing, "no file"};
        if (errno == ENOTDIR)
            return {PathState::Missing, "no directory"};
        return {}; // not seen gone: nothing to act on
    }
    if (st.st_dev == id_->dev && st.st_ino == id_->ino)
        return {};
    if (S_ISLNK(st.st_mode))
        return {PathState::Other, "a symbolic link"};
    if (!S_ISREG(st.st_mode))
        return {PathState::Other, "something that is not a regular file"};
    return {PathState::Other, fmt::format("another file (inode {})", st.st_ino)};
}

Expected<std::string> DatabaseFile::make_temporary() const {
    std::string name = path_ + ".tmp-XXXXXX";
    // mkostemp: O_CREAT | O_EXCL (so never through a link), mode 0600.
    const int fd = mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0)
        return fail(win32::DatabaseFailure,
                    fmt::format("no temporary file can be made beside database {}: {}", path_,
                                errno_text(errno)));
    fchmod(fd, S_IRUSR | S_IWUSR);
    close(fd);
    return name;
}

void DatabaseFile::remove_leftovers() const {
    const std::string dir = directory_of(path_);
    const std::string prefix = base_of(path_) + ".tmp-";
    DIR* d = opendir(dir.c_str());
    if (!d)
        return;
    std::vector<std::string> names;
    while (const dirent* e = readdir(d)) {
        const std::string name = e->d_name;
        if (name.rfind(prefix, 0) != 0)
            continue;
        const std::string rest = name.substr(prefix.size());
        if (rest.size() == 6 || (rest.size() == 14 && rest.compare(6, 8, "-journal") == 0))
            names.push_back(dir + "/" + name);
    }
    closedir(d);
    for (const auto& n : names)
        unlink(n.c_str());
}

Expected<std::optional<Rescue>> DatabaseFile::rescue(Store* own) try {
    if (entered())
        return fail(
            win32::InvalidState,
            fmt::format("database {} cannot be written back from inside a transaction", path_));
    if (check().state == PathState::Ours)
        return std::optional<Rescue>();

    // The copy, made while everyone else goes on; still current if no other connection commits
    // before the gate is closed.
    Temporary copy;
    std::optional<int64_t> version;
    if (own) {
        Entry entry(*this);
        auto v = own->data_version_unlocked();
        auto name = make_temporary();
        if (v && name) {
            copy = Temporary(std::move(name).value());
            if (own->copy_unlocked(copy.name()))
                version = *v;
            else
                copy.remove();
        }
    }

    std::unique_lock gate(gate_);
    std::lock_guard lock(mutex_);
    PathCheck found = check_locked();
    if (found.state == PathState::Ours || stores_.empty())
        return std::optional<Rescue>(); // put back meanwhile, or nobody has the file open any more
    const bool own_here = own && std::find(stores_.begin(), stores_.end(), own) != stores_.end();
    const auto now = own_here ? own->data_version_unlocked() : Expected<int64_t>(int64_t{-1});
    if (!version || !own_here || !now || *now != *version) {
        auto name = make_temporary();
        if (!name)
            return name.error();
        copy = Temporary(std::move(name).value());
        Store* source = own_here ? own : stores_.front();
        if (auto r = source->copy_unlocked(copy.name()); !r)
            return r.error();
    }
    struct stat st {};
    const int64_t bytes = stat(copy.name().c_str(), &st) == 0 ? st.st_size : 0;

    // Whatever is at the path now is somebody's: moved aside, never overwritten. The rename of
    // the copy does not replace either, should another file appear in between.
    Rescue done{found.state, found.what, {}, bytes};
    for (int attempt = 0;; ++attempt) {
        if (found.state == PathState::Other) {
            auto aside = move_aside(path_);
            if (!aside)
                return aside.error();
            if (done.aside.empty())
                done.aside = *aside;
        }
        const int e = rename_noreplace(copy.name(), path_);
        if (e == 0)
            break;
        if (e != EEXIST || attempt >= 3)
            return fail(win32::DatabaseFailure,
                        fmt::format("the copy of database {} cannot be renamed into place: {}",
                                    path_, errno_text(e)));
        found = {PathState::Other, "another file"};
    }
    copy.keep();
    const int synced = sync_directory(directory_of(path_));

    // Only now, with the copy in place but no connection on it yet, are the old connections
    // closed: their last close removes the old -wal and -shm beside the path.
    for (Store* s : stores_)
        s->disconnect();
    std::optional<FileId> reopened;
    std::string failures;
    for (Store* s : stores_) {
        auto id = s->reconnect();
        if (id && !reopened)
            reopened = *id;
        if (!id && failures.empty())
            failures = id.error().message;
    }
    id_ = reopened;
    if (synced != 0)
        return fail(win32::DatabaseFailure,
                    fmt::format("database {} was written back, but its directory cannot be "
                                "synced: {}",
                                path_, errno_text(synced)));
    if (!failures.empty())
        return fail(win32::DatabaseFailure,
                    fmt::format("database {} was written back, but not every connection could "
                                "open it again: {}",
                                path_, failures));
    // Said here, whoever noticed: the keeper, or a connection opened after the file went.
    journal_database_written_back(path_, done.found == PathState::Other, done.what, done.aside,
                                  done.bytes);
    return std::optional<Rescue>(std::move(done));
} catch (const std::bad_alloc&) {
    return fail(win32::NotEnoughMemory, "out of memory");
}

DatabaseFile::DiskSize DatabaseFile::disk_size() const {
    const auto bytes = [](const std::string& path) -> int64_t {
        struct stat st {};
        return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
    };
    return {bytes(path_), bytes(path_ + "-wal")};
}

} // namespace ntms
