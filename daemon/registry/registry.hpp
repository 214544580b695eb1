// The libraries of this daemon: those configured and those found through udev, with their
// devices followed on hot-plug, and the start-up that recovers the jobs a stop or crash left
// behind. The front door (Manager) finds libraries here; it never opens devices itself.
#pragma once

#include "daemon/config.hpp"
#include "daemon/jobs/operation.hpp"
#include "daemon/library/library.hpp"
#include "daemon/registry/discovery.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

namespace ntms {

class JobLedger;
class SharedStore;

class Registry {
public:
    // Devices are opened through `transports` (sgio::open_transport when empty), jobs run with
    // `operations` (standard_operations() when empty).
    Registry(DaemonConfig config, SharedStore& db, JobLedger& ledger, EventSink& events,
             TransportFactory transports = {}, OperationFactory operations = {});
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // Ends the jobs interrupted by the last stop, opens each configured library and each changer
    // found present (as device_added() would), hands the jobs still queued back to their
    // libraries and starts the workers. Without a usable database no library is opened. The
    // configured libraries' devices are opened, and the first Worker::parallel_first_reads of
    // them read, before the database is waited for (SharedStore opens it on a thread of its own).
    void start(const std::vector<FoundDevice>& present = {});
    void stop();

    // Hot-plug, from the discovery thread (or any thread: calls are serialised). A device that
    // is a configured library's Device= (same file after resolving links) or that answers with a
    // known library's identity is that library, found again: it gets the device and comes back
    // online under its own GUID once its element status is read. Another path to a library that
    // is online is kept in reserve, and takes over when the path in use is removed. Any other
    // changer becomes a new library, exported with EventSink::library_added(), its GUID stored per
    // identity. Never blocks on the bus thread's locks while it talks to the device.
    void device_added(const FoundDevice& device);
    // The library on that node is Removed: its running job and its queued jobs fail with
    // ERROR_LIBRARY_OFFLINE. It stays known, under the same GUID and object.
    void device_removed(const FoundDevice& device);

    // Every library's worker is running (or not started yet: start() is under way): what the
    // service watchdog vouches for.
    bool workers_alive() const;
    // Libraries read for the first time (or found unreadable) so far, and all libraries.
    std::pair<size_t, size_t> first_inventory_progress() const;
    // Waits until no library is still reading its element status for the first time, at most
    // `limit`; false when some library was still being read when the limit passed.
    bool wait_first_inventory(std::chrono::milliseconds limit) const;

    // Every library's drives matched again to the tape devices of tape_directory() (a udev event
    // changed them); each library whose drives changed announces it.
    void tape_devices_changed();

    std::vector<Guid> libraries() const;
    // Libraries are added (by hot-plug) but never removed while the Registry lives, so the
    // pointer stays valid.
    Library* find(const Guid& id) const;
    Library* find_by_name(const std::string& name) const;

private:
    // A device as start() finds it before it opens the database (a configured library's, or a
    // changer found present): the transport (null when it cannot be opened, with the reason),
    // what it answered to INQUIRY and the identity its GUID is kept under, and its first reading
    // when one was started. The reading is declared after the transport it reads: it is waited
    // for first.
    struct Opening {
        std::unique_ptr<sgio::Transport> transport;
        sgio::Identity ident;
        std::string identity;
        std::string reason;
        std::future<FirstReading> reading;
    };
    Opening open_device(const LibraryConfig& cfg, bool read);
    // A changer found present, opened and identified; null transport when either failed (logged).
    Opening open_found(const FoundDevice& device);
    // Its first reading, on a thread of its own, with the Changer options of cfg.
    static void start_reading(Opening& opening, const LibraryConfig& cfg);
    void open_library(const LibraryConfig& cfg, Opening opening);
    // device_added() without the lock; the new library's worker is started only when
    // start_worker (at start-up all workers start together, with their queued jobs). `opened`:
    // the device as start() opened it (and perhaps began reading it); otherwise it is opened here.
    void add_device(const FoundDevice& device, bool start_worker,
                    std::optional<Opening> opened = std::nullopt);
    Library* configured_at(const std::string& canonical) const;
    Library* with_identity(const std::string& identity) const;
    std::string unique_name(const std::string& identity, const std::string& wanted);
    void insert_library(std::unique_ptr<Library> lib);

    DaemonConfig config_;
    SharedStore& db_;
    JobLedger& ledger_;
    LibraryServices services_;
    mutable std::shared_mutex libraries_mutex_;
    std::map<Guid, std::unique_ptr<Library>> libraries_;
    // Hot-plug: one device event at a time, and none once stopped.
    std::mutex hotplug_mutex_;
    bool stopped_ = false;
    std::map<std::string, Guid> attached_; // device node (links resolved) -> its library
    // Other paths to a library that is online through one: node -> (library, device).
    std::map<std::string, std::pair<Guid, FoundDevice>> spares_;
    std::set<Guid> configured_;        // libraries from the configuration
    std::atomic<bool> started_{false}; // every worker of start() has been started
};

} // namespace ntms
