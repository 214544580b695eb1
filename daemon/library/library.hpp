// One library: its identity and configuration, and its parts, each with a name:
//   Catalogue      what any thread may read of it (state, layout, ports, free slots);
//   DeviceSession  its device and the Changer on it, which hot-plug may cut off or hand back;
//   JobQueue       the jobs waiting for its robot and the running job's control;
//   Worker         the thread that owns the robot and runs the jobs one at a time.
#pragma once

#include "daemon/access.hpp"
#include "daemon/config.hpp"
#include "daemon/events.hpp"
#include "daemon/jobs/operation.hpp"
#include "daemon/jobs/queue.hpp"
#include "daemon/library/catalogue.hpp"
#include "daemon/library/device_session.hpp"
#include "daemon/library/reconcile.hpp"
#include "daemon/library/worker.hpp"
#include "daemon/model.hpp"

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ntms {

class JobLedger;

// A reading of a library's device taken at start-up before the library existed (while the database
// was being opened), with what its commands counted; no reading when it failed (the worker then
// reads the device itself, and meets the failure again).
struct FirstReading {
    std::optional<DeviceReading> reading;
    uint64_t errors = 0, retries = 0;
};

// The options of every Changer on a library's device (its command time-out).
sgio::ChangerOptions changer_options(const LibraryConfig& config);

// What every library of a daemon shares.
struct LibraryServices {
    std::string db_path; // each worker opens its own connection
    EventSink& events;
    JobLedger& ledger;
    TransportFactory transports;
    OperationFactory operations;
};

class Library {
public:
    Library(LibraryRecord record, LibraryConfig config, const LibraryServices& services);
    ~Library();
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;

    const Guid& id() const { return record_.id; }
    // The stable key its GUID was created for (VPD designator, serial, URL, "name:...").
    const std::string& identity() const { return record_.identity; }
    const LibraryConfig& config() const { return config_; }
    const std::string& name() const { return config_.name; }
    const AccessPolicy& access() const { return access_; }
    // What the journal needs to name the library: its GUID and its name.
    LibraryRecord journal_record() const {
        LibraryRecord r;
        r.id = record_.id;
        r.name = config_.name;
        return r;
    }

    Catalogue& catalogue() { return catalogue_; }
    const Catalogue& catalogue() const { return catalogue_; }
    DeviceSession& device() { return device_; }
    JobQueue& queue() { return queue_; }
    LibrarySnapshot snapshot() const { return catalogue_.snapshot(); }
    // For what an operation tells the bus besides its job (operator requests).
    EventSink& events() { return services_.events; }

    // Before start(): the device opened at start-up (it is then read first), or null with the
    // reason it is offline.
    void attach(std::unique_ptr<sgio::Transport> transport, const std::string& offline_reason);
    // Before start(), with attach()'s transport: that device's reading under way, which the first
    // reconciliation uses instead of reading the device again.
    void expect_first_reading(std::future<FirstReading> reading);
    // The worker's: that reading, once (waiting for it to end; its counts go to the device's);
    // nothing when none was started or it failed.
    std::optional<DeviceReading> take_first_reading();
    // Hot-plug, from the discovery thread. device_removed(): the device is cut off at once (the
    // running job fails with ERROR_LIBRARY_OFFLINE at its next command, queued jobs fail at
    // once), and the library is Removed until device_arrived() hands over the device found again
    // (possibly under another node), which the worker then reads before it is online again.
    void device_removed();
    void device_arrived(std::unique_ptr<sgio::Transport> transport, const std::string& device);

    // Starts the worker with the jobs found queued at start-up (they run after the first read)
    // and those found interrupted (ended with what they left once the device was read).
    void start(std::vector<JobPtr> queued, std::vector<JobPtr> interrupted = {});
    // Stops the worker; the running job stops at its next safe point, queued jobs stay QUEUED.
    void stop();
    // The worker thread is running (it ends only on stop() or when it cannot work at all).
    bool worker_alive() const { return worker_.alive(); }

private:
    LibraryRecord record_;
    LibraryConfig config_;
    AccessPolicy access_;
    LibraryServices services_;
    Catalogue catalogue_;
    DeviceSession device_;
    // Waited for by its destructor (std::async's), after the worker's: declared after the device
    // whose transport it reads.
    std::future<FirstReading> first_reading_;
    JobQueue queue_;
    Worker worker_; // last: its thread uses the parts above
};

} // namespace ntms
