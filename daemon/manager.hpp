// The domain's front door: what InjectNtmsMedia and the other RSM calls mean, independent of
// D-Bus. It checks a request in RSM's documented order (changing nothing when a check fails),
// turns it into a job of the engine on the library's queue, and answers queries. Methods are
// called from the bus thread, and those that make jobs (inject, eject, inventory, access_door)
// from the bus's submitter thread, so that their commit does not hold the bus: every part they
// use is safe from any thread (registry, queues, ledger, store, the eject queue's mutex). None of
// them touches SCSI, and the only database work is one short transaction (a job durably queued,
// a request's state).
#pragma once

#include "daemon/access.hpp"
#include "daemon/library/catalogue.hpp"
#include "daemon/metrics.hpp"
#include "daemon/model.hpp"
#include "daemon/status.hpp"
#include "daemon/store/keeper.hpp"
#include "daemon/store/unique_fd.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ntms {

class EventSink;
class JobLedger;
class Library;
class Registry;
class SharedStore;

struct InjectOptions {
    std::optional<uint32_t> timeout_sec; // MaxExtendSecs for this call (0..65535)
    std::string application;
    std::optional<uint16_t> port; // an IE element address of the port to use
};

// EjectNtmsMedia's options, as InjectMedia's: the time the operator has to take the media out
// (MaxExtendSecs), the application, and the port (an IE element address of it).
using EjectOptions = InjectOptions;

// MountNtmsMedia's and DismountNtmsMedia's options: the time-out (RSM's dwTimeout, in seconds;
// none: a mount waits for a drive as long as it takes), the application, and for a dismount the
// storage slot to put the cartridge into.
struct MountOptions {
    std::optional<uint32_t> timeout_sec;
    std::string application;
    std::optional<uint16_t> element;
};

class Manager {
public:
    // keeper: the database's keeper thread, for backups; without one backup() is not supported.
    Manager(Registry& registry, SharedStore& db, JobLedger& ledger, EventSink& events,
            StoreKeeper* keeper = nullptr)
        : registry_(registry), db_(db), ledger_(ledger), events_(events), keeper_(keeper) {}
    Manager(const Manager&) = delete;
    Manager& operator=(const Manager&) = delete;

    // Database state: Success, or the error every call reports.
    Status database_status() const;

    std::vector<Guid> libraries() const;
    // A GUID string or a configured library name.
    Expected<Guid> find_library(const std::string& text) const;
    Expected<LibrarySnapshot> library(const Guid& id, const Caller& who) const;
    // The caller's rights to the library as NTMS_*_ACCESS bits (USE 1, MODIFY 2, CONTROL 4), each
    // implying the lower ones: 0, 1, 3 or 7. Asks the caller's authority at most once per right.
    Expected<uint32_t> rights(const Guid& id, const Caller& who) const;
    Expected<std::vector<MediumRecord>> media(const Guid& library, const Caller& who);
    // Every element of the library in address order, with the medium recorded at each
    // (manager_elements.cpp); USE access, as media().
    Expected<std::vector<ElementEntry>> elements(const Guid& library, const Caller& who);

    // InjectNtmsMedia: all call-time checks in the documented order, nothing changed on failure.
    // Returns the job's GUID: a new one for START/STARTMANY, the named one for STOP/RETRACT.
    Expected<Guid> inject(const std::string& library, uint32_t action, const std::string& job,
                          const InjectOptions& options, const Caller& who);
    // EjectNtmsMedia (manager_eject.cpp): the checks in RSM's order, nothing changed on failure.
    // START and FORCE return the new job's GUID, STOP the named one, QUEUE the null GUID (the
    // medium waits in its library's eject queue for the next START).
    Expected<Guid> eject(const std::string& medium, uint32_t action, const std::string& job,
                         const EjectOptions& options, const Caller& who);
    // MountNtmsMedia (manager_mount.cpp): the checks in RSM's order, nothing changed on failure;
    // a mount job of the media's library, durably queued. `media`: physical medium GUIDs or their
    // sides' (common/ntms_guid.h);
    // `drives`: empty (any free drive) or one drive GUID per medium; `flags`: NTMS_MOUNT_*.
    Expected<Guid> mount(const std::vector<std::string>& media,
                         const std::vector<std::string>& drives, uint32_t flags, int32_t priority,
                         const MountOptions& options, const Caller& who);
    // DismountNtmsMedia: a dismount job; `flags`: NTMS_DISMOUNT_DEFERRED or _IMMEDIATE (0: now).
    Expected<Guid> dismount(const std::vector<std::string>& media, uint32_t flags,
                            const MountOptions& options, const Caller& who);
    // A slot-to-slot move (not RSM's; Bacula's "transfer"): a MOVE job that takes `medium`, in a
    // storage slot, to the empty storage slot `element`. USE access, as a mount; the checks of
    // mount() in its order, then the slots'. Nothing changed on failure.
    Expected<Guid> move(const std::string& medium, uint16_t element, const MountOptions& options,
                        const Caller& who);
    // CleanNtmsDrive (manager_clean.cpp): the checks in RSM's order, nothing changed on
    // failure; a CLEANDRIVE job of the drive's library, durably queued. `drive`: a drive GUID.
    // USE access, as a mount.
    Expected<Guid> clean(const std::string& drive, const MountOptions& options, const Caller& who);
    // The library a drive GUID is in, for polkit's details.
    std::optional<Guid> drive_library(const std::string& drive) const;
    // Per cleaning cartridge of the library (bar code with its CleanerPrefix=), the cleanings it
    // has left (MaxCleanings= less its uses). USE access, as media().
    Expected<std::map<Guid, uint32_t>> cleanings_left(const Guid& library, const Caller& who);
    // Job.Drives: per medium of a mount job, in the job's order, the drive it was mounted in
    // (null until then); a cleaning job's drive; empty for other jobs. From the record alone.
    static std::vector<Guid> job_drives(const JobRecord& job);
    // The library a mount or dismount call is about (its first medium's), for polkit's details.
    std::optional<Guid> media_library(const std::vector<std::string>& media) const;
    // The library an eject call is about (the medium's, or the named job's), for polkit's
    // details; nullopt when the text names neither.
    std::optional<Guid> eject_library(const std::string& medium, const std::string& job) const;
    // InventoryNtmsLibrary (Library.Inventory): NTMS_INVENTORY_FAST or DEFAULT queue an
    // inventory job and return its GUID; STOP stops the library's running (or queued) inventory
    // and returns that job's GUID. OMID: ERROR_NOT_SUPPORTED.
    Expected<Guid> inventory(const Guid& library, uint32_t action, const std::string& application,
                             const Caller& who);
    // AccessNtmsLibraryDoor (Library.AccessDoor): releases the door in a job that waits for the
    // operator and then runs the inventory `action` names (NTMS_INVENTORY_NONE, FAST, DEFAULT;
    // OMID: ERROR_NOT_SUPPORTED). A library without a door: ERROR_RESOURCE_NOT_PRESENT.
    Expected<Guid> access_door(const Guid& library, uint32_t action,
                               const std::string& application, const Caller& who);
    // Job.Cancel / CancelNtmsLibraryRequest: a queued job ends CANCELLED untouched, a running
    // one is asked to stop and ends with what it did.
    Expected<void> cancel_job(const Guid& job, const Caller& who);
    Expected<JobRecord> job(const Guid& id) const;
    // Fills a job's media (those an eject was asked to take out, those an inject imported) and
    // a mount job's drives from its history (JobRecord::media, JobRecord::drives).
    Expected<void> read_job_lists(JobRecord& job) const;
    Expected<std::vector<JobRecord>> jobs() const;

    Expected<OpRequestRecord> oprequest(const Guid& id) const;
    Expected<std::vector<OpRequestRecord>> oprequests() const;
    Expected<void> satisfy_oprequest(const Guid& id, const Caller& who);
    Expected<void> cancel_oprequest(const Guid& id, const Caller& who);

    // An online backup of the whole database written into file (a regular file open for
    // writing), by the keeper's thread: done is called from there once it is written, unless
    // this returns an error (then nothing was started). Needs the BACKUP right.
    Expected<void> backup(UniqueFd file, const Caller& who, StoreKeeper::Done done);
    // A check of the whole database on the keeper's thread (StoreKeeper::check_database); done is
    // called from there, unless this returns an error. Needs the BACKUP right, as backup() does.
    Expected<void> check_database(const Caller& who, StoreKeeper::Checked done);

    // The daemon's metrics (manager_metrics.cpp): libraries, ports, jobs ended since start, SCSI
    // errors and retries, the database's size. From memory and stat(2) only; no right needed
    // (what it says is open to every caller, as properties are).
    std::vector<MetricFamily> metrics() const;

private:
    // The library and the caller's right on it, checked before anything else is looked at.
    Expected<Library*> with_right(const Guid& id, const Caller& who, Right right) const;
    // The checks every library operation makes after its parameters, in RSM's order: database,
    // library, CONTROL right, enabled, online. The library on success.
    Expected<Library*> operable(const Guid& library, const Caller& who) const;
    // A new job of `kind` durably queued on the library (ERROR_BUSY when its queue is full).
    Expected<Guid> submit(Library& lib, OperationKind kind, uint32_t action,
                          const std::string& application, const Caller& who);
    Expected<void> finish_oprequest(const Guid& id, const Caller& who, OpRequestState to);

    Expected<Guid> stop_eject(const std::string& job_text, const Caller& who);
    // The checks mount and dismount share, in RSM's order: parameters, database, media (one
    // library), USE right, enabled, offline media, online, no other job on them.
    struct MediaCall {
        Library* lib = nullptr;
        std::vector<MediumRecord> media;
    };
    Expected<MediaCall> media_call(const std::vector<std::string>& media,
                                   const MountOptions& options, const Caller& who);
    // A job of `kind` on the library for the caller, with the options' application and time-out
    // (none: INFINITE), of normal priority; not yet queued.
    static JobRecord new_media_job(const Library& lib, OperationKind kind,
                                   const MountOptions& options, const Caller& who);
    // A new mount or dismount job with its "...-requested" rows, durably queued.
    Expected<Guid> submit_media_job(Library& lib, JobRecord job,
                                    const std::vector<MediumMove>& requests);

    Registry& registry_;
    SharedStore& db_;
    JobLedger& ledger_;
    EventSink& events_;
    StoreKeeper* keeper_;
    // NTMS_EJECT_QUEUE's media per (library, port), for the next START; in memory only: nothing
    // has moved for them yet.
    std::mutex eject_mutex_;
    std::map<std::pair<Guid, uint16_t>, std::vector<Guid>> eject_queue_;
};

} // namespace ntms
