// The domain's front door: what InjectNtmsMedia and friends mean, independent of D-Bus. Methods are
// called from the bus thread; none of them touches SCSI, and the only database work is one short
// transaction (a job durably queued, a request's state).
#pragma once

#include "access.hpp"
#include "config.hpp"
#include "discovery.hpp"
#include "events.hpp"
#include "library.hpp"
#include "model.hpp"
#include "status.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

namespace ntms {

class Store;

struct InjectOptions {
    std::optional<uint32_t> timeout_sec; // MaxExtendSecs for this call (0..65535)
    std::string application;
    std::optional<uint16_t> port; // an IE element address of the port to use
};

class Manager {
public:
    Manager(DaemonConfig config, EventSink& events, TransportFactory factory = {});
    ~Manager();
    Manager(const Manager&) = delete;
    Manager& operator=(const Manager&) = delete;

    // Opens the database (a broken database is remembered, not fatal: every call then reports it),
    // ends interrupted jobs, opens each configured library and each changer found present (as
    // device_added() would), and starts their workers.
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
    // The library on that node goes offline ("device removed"): its running job and its queued
    // jobs fail with ERROR_LIBRARY_OFFLINE. It stays known, under the same GUID and object.
    void device_removed(const FoundDevice& device);

    // Every library's worker is running: what the service watchdog vouches for.
    bool workers_alive() const;
    // Waits until no library is still reading its element status for the first time, at most
    // `limit`; false when some library was still being read when the limit passed.
    bool wait_first_inventory(std::chrono::milliseconds limit) const;

    // Database state: Success, or the error every call reports.
    Status database_status() const;

    std::vector<Guid> libraries() const;
    // A GUID string or a configured library name.
    Expected<Guid> find_library(const std::string& text) const;
    Expected<LibrarySnapshot> library(const Guid& id, const Caller& who) const;
    Expected<std::vector<MediumRecord>> media(const Guid& library, const Caller& who);

    // InjectNtmsMedia: all call-time checks in the documented order, nothing changed on failure.
    // Returns the job's GUID: a new one for START/STARTMANY, the named one for STOP/RETRACT.
    Expected<Guid> inject(const std::string& library, uint32_t action, const std::string& job,
                          const InjectOptions& options, const Caller& who);
    // Job.Cancel / CancelNtmsLibraryRequest: a queued job ends CANCELLED untouched, a running
    // inject is stopped.
    Expected<void> cancel_job(const Guid& job, const Caller& who);
    Expected<JobRecord> job(const Guid& id) const;
    Expected<std::vector<JobRecord>> jobs() const;

    Expected<OpRequestRecord> oprequest(const Guid& id) const;
    Expected<std::vector<OpRequestRecord>> oprequests() const;
    Expected<void> satisfy_oprequest(const Guid& id, const Caller& who);
    Expected<void> cancel_oprequest(const Guid& id, const Caller& who);

private:
    Library* find(const Guid& id) const;
    Expected<void> finish_oprequest(const Guid& id, const Caller& who, OpRequestState to);
    void open_library(const LibraryConfig& cfg);
    // device_added() without the lock; the new library's worker is started only when
    // start_worker (at start-up all workers start together, with their queued jobs).
    void add_device(const FoundDevice& device, bool start_worker);
    Library* configured_at(const std::string& canonical) const;
    Library* with_identity(const std::string& identity) const;
    std::string unique_name(const std::string& identity, const std::string& wanted);
    void insert_library(std::unique_ptr<Library> lib);
    void fail_removed(Library& lib, std::vector<JobRecord> jobs);

    DaemonConfig config_;
    EventSink& events_;
    TransportFactory factory_;
    mutable std::mutex mutex_; // guards db_ use from several callers
    std::unique_ptr<Store> db_;
    Status db_status_;
    // Libraries are added (by hot-plug) but never removed while the Manager lives, so a Library*
    // taken under the lock stays valid after it.
    mutable std::shared_mutex libraries_mutex_;
    std::map<Guid, std::unique_ptr<Library>> libraries_;
    // Hot-plug: one device event at a time, and none once stopped.
    std::mutex hotplug_mutex_;
    bool stopped_ = false;
    std::map<std::string, Guid> attached_; // device node (links resolved) -> its library
    // Other paths to a library that is online through one: node -> (library, device).
    std::map<std::string, std::pair<Guid, FoundDevice>> spares_;
    std::set<Guid> configured_; // libraries from the configuration
};

} // namespace ntms
