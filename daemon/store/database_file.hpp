// The database file as this process holds it. Every Store open on one path belongs to one
// DatabaseFile, which knows the file they have open (its device and inode) and tells whether the
// path still names it. When it does not (the file was deleted, or another file was put in its
// place), rescue() writes the catalogue back to the path and moves every connection over to it.
//
// Why every connection at once: SQLite finds a database's -wal and -shm files by the database's
// name. A connection left on the old file would go on writing into a file nobody will read again,
// and when closed would delete the -wal and -shm beside the path, by then the new file's. So
// rescue() waits until no transaction runs in the process (the gate: each transaction holds it
// shared), closes every connection on the old file, and opens each again on the path.
#pragma once

#include "daemon/status.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ntms {

class Store;
class Writer;

struct FileId {
    dev_t dev = 0;
    ino_t ino = 0;
    bool operator==(const FileId&) const = default;
};

enum class PathState { Ours, Missing, Other };

struct PathCheck {
    PathState state = PathState::Ours;
    std::string what; // for messages: "no file", "another file (inode 1234)", ...
};

// What rescue() found and did.
struct Rescue {
    PathState found = PathState::Missing; // Missing or Other
    std::string what;                     // PathCheck::what
    std::string aside;                    // where the other file now is (Other only)
    int64_t bytes = 0;                    // size of the catalogue written back
};

class DatabaseFile {
public:
    // The one object of this path in the process, made on first use.
    static std::shared_ptr<DatabaseFile> of(const std::string& path);

    explicit DatabaseFile(std::string path) : path_(std::move(path)) {}
    DatabaseFile(const DatabaseFile&) = delete;
    DatabaseFile& operator=(const DatabaseFile&) = delete;

    const std::string& path() const { return path_; }

    // The gate, held shared for the length of every transaction. A thread may enter again.
    void enter();
    void leave() noexcept;
    bool entered() const; // by the calling thread

    class Entry {
    public:
        explicit Entry(DatabaseFile& f) : f_(f) { f_.enter(); }
        ~Entry() { f_.leave(); }
        Entry(const Entry&) = delete;
        Entry& operator=(const Entry&) = delete;

    private:
        DatabaseFile& f_;
    };

    // A Store that has opened the file id joins (the gate entered); false when the others have
    // another file open, which then must not be used alongside them.
    bool attach(Store* s, const FileId& id);
    void detach(Store* s) noexcept;
    // Some Store has the file open.
    bool in_use() const;

    // Whether the path still names the file the Stores have open (Ours when none is open, or
    // when the path cannot be looked at: only a file seen gone or different is acted on).
    PathCheck check() const;

    // When the path no longer names the open file: writes the catalogue back to it and returns
    // what was there (also said in the journal); nullopt when the path was fine. A file found in
    // its place is never overwritten: it is renamed to PATH.replaced-DATE first. own: an idle Store
    // of the calling thread on this file, to copy from before the gate closes, so that transactions
    // elsewhere wait only for the files to be swapped (null: the copy is made with the gate
    // closed). Not from inside a transaction. On failure nothing changed: the Stores go on with the
    // old file.
    Expected<std::optional<Rescue>> rescue(Store* own);

    // What the database takes on disk now, in bytes (stat(2) of the path and of its -wal file;
    // 0 for a file that is not there). Cheap: for monitoring, from any thread.
    struct DiskSize {
        int64_t database = 0;
        int64_t wal = 0;
    };
    DiskSize disk_size() const;

    // A new empty file beside the database, 0600, named PATH.tmp-XXXXXX; its name.
    Expected<std::string> make_temporary() const;
    // Removes the temporary files (and their -journal) an ntmsd killed meanwhile left behind.
    void remove_leftovers() const;

private:
    friend class Store;
    friend class Writer;
    PathCheck check_locked() const;

    // The first Store of a file checks and migrates it, the others of that file do not again.
    std::mutex setup_mutex_;
    std::optional<FileId> set_up_;
    // The writers of the file (one per set of StoreOptions; the daemon has one).
    std::mutex writers_mutex_;
    std::vector<std::weak_ptr<Writer>> writers_;

    const std::string path_;
    std::shared_mutex gate_;
    mutable std::mutex mutex_; // stores_ and id_
    std::vector<Store*> stores_;
    std::optional<FileId> id_;
};

} // namespace ntms
