// The MountNtmsMedia and DismountNtmsMedia operations, run by the job engine on a library's
// worker. A mount job:
//   1. checks each of its media (in the library, not held by another mount, in a storage slot, a
//      port element, or already loaded in the drive asked for) and the device's element status;
//   2. chooses a drive for each: the one asked for, else an empty drive, else one whose cartridge
//      no mount holds (released by a deferred dismount, or found there), which is emptied first;
//   3. when there are not drives enough: fails with ERROR_BUSY when the job was told so
//      (NTMS_MOUNT_ERROR_NOT_AVAILABLE), fails with ERROR_TIMEOUT once its time-out has passed,
//      and otherwise WAITs off the robot (the library's other jobs run) until a job ends;
//   4. moves each medium into its drive with a durable intent ("mount" in its history, whose
//      `from` is the slot it goes back to); the drive is then in use;
//   5. all or nothing: when a later medium fails, or the job is stopped, the media it already
//      mounted go back to their slots (one found in its drive is released there), so that a
//      job that did not pass holds no drive.
// A dismount job moves each medium out of its drive into the slot asked for, else the slot it
// was mounted from, else any free slot ("dismount"); with NTMS_DISMOUNT_DEFERRED it only releases
// the drive ("dismount-deferred"): the cartridge stays until a mount needs the drive. A drive
// in use is never emptied by anything else (an eject needs FORCE).
// Every move out of a drive first unloads the drive's tape through its st device when that is
// known (EjectMoves::transfer, library/tape_unload.hpp); the virtual changer and tgt accept the
// move from a loaded drive anyway.
#pragma once

#include "daemon/jobs/operation.hpp"

namespace ntms {

class MountOperation final : public Operation {
public:
    Outcome run(JobContext& ctx) override;
    // After a stop of ntmsd: a medium the job had already put into a drive goes back to its
    // slot (the job failed, so no one holds the drive).
    std::string account_interrupted(JobContext& ctx, bool device_read) override;
    // A mount that was waiting for a drive has moved nothing: it waits again, and its time-out
    // still counts from its call (the deadline is reckoned from the job's queue time).
    bool resumes(const JobRecord& job) const override;
};

class DismountOperation final : public Operation {
public:
    Outcome run(JobContext& ctx) override;
    std::string account_interrupted(JobContext& ctx, bool device_read) override;
};

} // namespace ntms
