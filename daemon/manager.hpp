// The domain's front door: what InjectNtmsMedia and friends mean, independent of D-Bus. Methods are
// called from the bus thread; none of them touches SCSI, and the only database work is one short
// transaction (a job durably queued, a request's state).
#pragma once

#include "access.hpp"
#include "config.hpp"
#include "events.hpp"
#include "library.hpp"
#include "model.hpp"
#include "status.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <optional>
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
    // ends interrupted jobs, opens each configured library and starts its worker.
    void start();
    void stop();

    // Every library's worker is running: what the service watchdog vouches for.
    bool workers_alive() const;

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

    DaemonConfig config_;
    EventSink& events_;
    TransportFactory factory_;
    mutable std::mutex mutex_; // guards db_ use from several callers
    std::unique_ptr<Store> db_;
    Status db_status_;
    std::map<Guid, std::unique_ptr<Library>> libraries_;
};

} // namespace ntms
