// A session: one bus connection to one host's ntmsd, used by one thread at a time (sdbus-c++
// connections are not thread-safe), and the registry that turns HANDLEs into sessions without
// ever dereferencing a pointer the caller made up. How waits follow the daemon's signals on the
// connection is told in signals.hpp.
#pragma once

#include "common/bus_names.hpp"
#include "handles.hpp"

#include <ntmsapi.h>

#include <sdbus-c++/sdbus-c++.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace ntms::lib {

// ntmsd's bus names, unqualified in the library.
using namespace ntms::bus;

class Wakeup;

// A mutex taken in turn (first come, first served). std::mutex lets the thread that just let go
// take it again at once: a thread calling in a loop could keep a woken waiter off its session
// for seconds.
class TurnMutex {
public:
    void lock() {
        std::unique_lock l(m_);
        const uint64_t mine = next_++;
        turn_.wait(l, [&] { return serving_ == mine; });
    }
    void unlock() {
        {
            std::lock_guard l(m_);
            ++serving_;
        }
        turn_.notify_all();
    }

private:
    std::mutex m_;
    std::condition_variable turn_;
    uint64_t next_ = 0;
    uint64_t serving_ = 0;
};

using Properties = std::map<std::string, sdbus::Variant>;
using ManagedObjects = std::map<sdbus::ObjectPath, std::map<std::string, Properties>>;
// A medium of Library.ListMedia: GUID, barcode, state name, element address, state number.
using Medium = sdbus::Struct<std::string, std::string, std::string, uint16_t, uint32_t>;
// A medium of Library.DescribeMedia: GUID and details ("barcode", "created", "media-type"...).
using MediumDescription = sdbus::Struct<std::string, std::map<std::string, sdbus::Variant>>;
// An element of Library.ListElements: address, kind, full, medium GUID, barcode.
using Element = sdbus::Struct<uint16_t, std::string, bool, std::string, std::string>;

class Session {
public:
    // Connects to the system bus of host ("" = this host) and checks that ntmsd answers.
    // Throws sdbus::Error.
    Session(const std::string& host, std::string application);

    // Held for the length of every call on the connection, through Hold.
    TurnMutex mutex;

    // The mutex, held. Letting go of it first runs the handlers of every message the connection
    // has read meanwhile: a method call reads whatever precedes its reply off the socket, and a
    // signal left in sd-bus's queue would never wake the thread that waits for it.
    class Hold {
    public:
        explicit Hold(Session& s) : s_(s), lock_(s.mutex) {}
        ~Hold() {
            if (lock_.owns_lock())
                s_.dispatch_quietly();
        }
        Hold(const Hold&) = delete;
        Hold& operator=(const Hold&) = delete;
        void release() {
            s_.dispatch_quietly();
            lock_.unlock();
        }
        void acquire() { lock_.lock(); }

    private:
        Session& s_;
        std::unique_lock<TurnMutex> lock_;
    };

    // Signals; all three under the mutex.
    // A match rule, removed when the slot goes; its handler runs in dispatch().
    [[nodiscard]] sdbus::Slot add_match(const std::string& rule, sdbus::message_handler handler);
    // Runs the handlers of every message received so far. Throws sdbus::Error when the
    // connection is broken.
    void dispatch();
    // What to poll(2) on for the connection.
    sdbus::IConnection::PollData poll_data() const;

    // CloseNtmsSession: every wait on the session ends, now and later.
    void close() noexcept;
    bool closed() const noexcept { return closed_; }
    // The wake-ups close() kicks: one per waiting thread or notification.
    void enlist(Wakeup* w);
    void dismiss(Wakeup* w) noexcept;

    const std::string& host() const { return host_; }
    const std::string& application() const { return application_; }
    // The timeout option of the next injects; 0 = the library's InjectTimeout.
    DWORD inject_timeout = 0;

    // Manager methods.
    std::tuple<std::string, sdbus::ObjectPath> inject(const std::string& library, uint32_t action,
                                                      const std::string& job,
                                                      const std::map<std::string, sdbus::Variant>& options);
    std::tuple<std::string, sdbus::ObjectPath> eject(const std::string& media, uint32_t action,
                                                     const std::string& job,
                                                     const std::map<std::string, sdbus::Variant>& options);
    std::tuple<std::string, sdbus::ObjectPath>
    mount(const std::vector<std::string>& media, const std::vector<std::string>& drives,
          uint32_t flags, int32_t priority, const std::map<std::string, sdbus::Variant>& options);
    std::tuple<std::string, sdbus::ObjectPath>
    dismount(const std::vector<std::string>& media, uint32_t flags,
             const std::map<std::string, sdbus::Variant>& options);
    std::tuple<std::string, sdbus::ObjectPath>
    clean(const std::string& drive, const std::map<std::string, sdbus::Variant>& options);
    sdbus::ObjectPath library_path(const std::string& library);
    // A Library method that starts a job, such as Inventory(u) or AccessDoor(u): (job, path).
    std::tuple<std::string, sdbus::ObjectPath> library_job(const sdbus::ObjectPath& library,
                                                           const char* method, uint32_t action);
    std::vector<sdbus::ObjectPath> library_paths();
    sdbus::ObjectPath job_path(const std::string& job);
    sdbus::ObjectPath oprequest_path(const std::string& request);
    // Every object under the root (jobs and requests still on the bus), with their properties.
    ManagedObjects managed_objects();
    // Library.ListMedia of one library.
    std::vector<Medium> list_media(const sdbus::ObjectPath& library);
    // Library.DescribeMedia of one library.
    std::vector<MediumDescription> describe_media(const sdbus::ObjectPath& library);
    // Library.ListElements of one library.
    std::vector<Element> list_elements(const sdbus::ObjectPath& library);
    // All properties of one interface of one object, in one round trip.
    Properties properties(const sdbus::ObjectPath& path, const std::string& interface);

    // Manager.Backup into fd; waits as long as a backup of a large database may take.
    void backup(int fd);
    // Manager.CheckDatabase: whether SQLite found nothing wrong, and what it found.
    std::tuple<bool, std::vector<std::string>> check_database();
    void cancel_job(const sdbus::ObjectPath& path);
    void satisfy_oprequest(const sdbus::ObjectPath& path);
    void cancel_oprequest(const sdbus::ObjectPath& path);

private:
    void dispatch_quietly() noexcept;

    std::string host_;
    std::string application_;
    std::unique_ptr<sdbus::IConnection> bus_;
    std::atomic<bool> closed_{false};
    std::mutex wakeups_mutex_;
    std::set<Wakeup*> wakeups_;
};

// The sessions by handle (handles.hpp: a closed handle stays invalid).
HANDLE register_session(std::shared_ptr<Session> s);
std::shared_ptr<Session> find_session(HANDLE h);
bool unregister_session(HANDLE h);

} // namespace ntms::lib
