// Records of the domain as they are stored: libraries, media, jobs (NTMS_LIBREQUEST), move intents
// and operator requests. Times are microseconds since the Unix epoch (0 = not yet).
#pragma once

#include "common/ntms_vocabulary.h"
#include "daemon/guid.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ntms {

// RSM's NTMS_LM_* operation codes: what a job does (common/ntms_vocabulary.h). Inject and Eject
// have steps so far; the others are the engine's room for door access, inventory and drives.
#define NTMS_MODEL_ENUMERATOR_(constant, value, Name, name) Name = value,
enum class OperationKind : uint32_t { NTMS_OPERATIONS(NTMS_MODEL_ENUMERATOR_) };
const char* operation_name(OperationKind k); // "inject", "eject", ...
std::optional<OperationKind> operation_from_name(std::string_view name);

// NTMS_PRIORITY_*: a queue runs higher priorities first, equal ones in the order they came.
inline constexpr int32_t priority_lowest = -15;
inline constexpr int32_t priority_normal = 0;
inline constexpr int32_t priority_highest = 15;

// NTMS_INJECT_*
enum class InjectAction : uint32_t { NTMS_INJECT_ACTIONS(NTMS_MODEL_ENUMERATOR_) };
// NTMS_EJECT_*
enum class EjectAction : uint32_t { NTMS_EJECT_ACTIONS(NTMS_MODEL_ENUMERATOR_) };

// NTMS_LM_* request states.
enum class JobState : uint32_t { NTMS_JOB_STATES(NTMS_MODEL_ENUMERATOR_) };
bool is_final(JobState s);
const char* job_state_name(JobState s); // "queued", "inprocess", ...

// NTMS_OPREQ_* and NTMS_OPSTATE_*
enum class OpRequestType : uint32_t { NTMS_OPREQ_TYPES(NTMS_MODEL_ENUMERATOR_) };
enum class OpRequestState : uint32_t { NTMS_OPREQ_STATES(NTMS_MODEL_ENUMERATOR_) };
#undef NTMS_MODEL_ENUMERATOR_

enum class MediumState : uint32_t {
    InLibrary = 0, // in a storage slot or drive
    InPort = 1,    // in an IE element, waiting to be imported (left there: library full)
    Exported = 2,  // put into the port by the library, awaiting removal by the operator
    Gone = 3,      // outside the library (taken out by the operator, or missing): the record and
                   // its history stay; an inject of its barcode brings it back under its GUID
};

struct LibraryRecord {
    Guid id;
    std::string identity; // stable key: VPD designator, iSCSI URL, sim name
    std::string name;
    std::string device; // last device string seen (/dev/sg3, iscsi://..., sim:...)
    bool enabled = true;
    int64_t created = 0;
};

struct MediumRecord {
    Guid id;
    Guid library;
    std::string barcode;             // empty: unidentified
    std::optional<uint16_t> element; // current element address; nullopt when Gone
    MediumState state = MediumState::InLibrary;
    int64_t updated = 0;
    int64_t created = 0; // first recorded (usec); 0 when writing: "updated" of the first write
};

struct JobRecord {
    Guid id;
    Guid library;
    OperationKind operation = OperationKind::Inject;
    // The action the job was started with, as its operation numbers it: NTMS_INJECT_* for an
    // inject, NTMS_EJECT_* (START or FORCE) for an eject, read with eject_action().
    InjectAction action = InjectAction::Start;
    JobState state = JobState::Queued;
    uint32_t error = 0; // Win32 code
    std::string error_message;
    int64_t time_queued = 0;
    int64_t time_started = 0;
    int64_t time_completed = 0;
    std::string application;
    uint32_t uid = 0;
    uint32_t media_moved = 0;
    uint32_t timeout_sec = 0;     // MaxExtendSecs for this call
    // First IE address of the chosen port (nullopt: default port); a CLEANDRIVE job's drive.
    std::optional<uint16_t> port;
    int32_t priority = priority_normal;
    // The job's media in the order its history rows first name them (eject-requested, imported,
    // loaded...): kept by the job as it records them, so that readers need no query. Not a
    // column: the store fills it from the history when it reads one job or the jobs of a state.
    std::vector<Guid> media;
    // A mount job's drive for each of `media` (the same index): the element its medium was
    // mounted in, none until it is. Kept and filled like `media`; empty for other jobs (a
    // cleaning job's drive is `port`).
    std::vector<std::optional<uint16_t>> drives;

    // Appends `medium` unless the job already names it. True when it was new.
    bool add_medium(const Guid& medium);
    // Records that `medium`, one of `media`, was mounted in drive element `drive`.
    void mounted(const Guid& medium, uint16_t drive);
};

// A move recorded durably before MOVE MEDIUM is sent, resolved after it (or at start-up).
struct MoveIntent {
    int64_t id = 0;
    Guid job;
    Guid library;
    Guid medium;
    std::string barcode;
    uint16_t source = 0;
    uint16_t destination = 0;
    int64_t created = 0;
};

struct MediumMove { // one row of a medium's history
    Guid medium;
    Guid job; // null for moves found by reconciliation
    std::optional<uint16_t> from, to;
    int64_t time = 0;
    // "inject", "reconcile", "found-in-port", "missing"; an eject writes "eject-requested" (to
    // and from empty: the job that will eject it), "eject" (slot -> port), "operator-removed"
    // (port -> outside) and "eject-returned" (port -> slot, after a time-out or STOP). A mount
    // writes "mount-requested" and "mount" (slot or port -> drive; its `from` is the medium's home
    // slot), a dismount "dismount-requested", "dismount" (drive -> slot) or "dismount-deferred"
    // (no move: the drive is released, the cartridge stays in it). A cleaning writes
    // "cleandrive" (slot -> drive: one use of the cleaner) and "cleaned" (drive -> slot).
    std::string reason;
};

struct OpRequestRecord {
    Guid id;
    OpRequestType type = OpRequestType::Message;
    OpRequestState state = OpRequestState::Submitted;
    std::string message;
    Guid library;
    Guid job; // null when not tied to a job
    int64_t submitted = 0;
    int64_t changed = 0;
};

// A mount job's `action`: whether it waits for a free drive (up to its timeout_sec) or fails at
// once when none is free (NTMS_MOUNT_ERROR_NOT_AVAILABLE). A dismount job's: whether it moves the
// cartridge back now or leaves it in the drive, released for the next mount
// (NTMS_DISMOUNT_DEFERRED). The media and drives of both are history rows written with the job:
// "mount-requested" (from: where the medium was, to: the drive asked for, or none) and
// "dismount-requested" (from: the drive, to: the slot asked for, or none).
enum class MountAction : uint32_t { Wait = 0, FailIfBusy = 1 };
enum class DismountAction : uint32_t { Immediate = 0, Deferred = 1 };
inline MountAction mount_action(const JobRecord& job) {
    return static_cast<MountAction>(static_cast<uint32_t>(job.action));
}
inline DismountAction dismount_action(const JobRecord& job) {
    return static_cast<DismountAction>(static_cast<uint32_t>(job.action));
}

// An eject job's action (its record holds the NTMS_EJECT_* value in `action`).
inline EjectAction eject_action(const JobRecord& job) {
    return static_cast<EjectAction>(static_cast<uint32_t>(job.action));
}

int64_t now_usec();

} // namespace ntms
