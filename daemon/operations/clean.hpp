// CleanNtmsDrive's operation (CLEANDRIVE), run by the job engine on a library's worker:
//   1. the drive (the job's element) must be empty: a drive in use by a mount fails the job with
//      ERROR_BUSY, one holding a cartridge no mount holds with ERROR_INVALID_STATE;
//   2. it picks a cleaning cartridge of the library (bar code with the library's CleanerPrefix=,
//      in a storage slot, no other job on it, fewer uses than MaxCleanings=), the most used of
//      them, so that cleaners wear out one after the other; none: ERROR_CLEANER_CARTRIDGE_SPENT
//      when the library has cleaners and all are spent, ERROR_RESOURCE_NOT_PRESENT when it has
//      none;
//   3. moves it into the drive with a durable intent (history "cleandrive": one use), waits until
//      the drive reports the cleaning done (its element's ACCESS bit goes from 0, the drive
//      holding the cartridge, back to 1), CleaningTimeSec= at most, and the whole time for a
//      changer whose drives never report ACCESS 0; then moves it back to its slot ("cleaned"),
//      or to any free slot if that one was taken.
// A STOP (Cancel) or the daemon's shutdown during the wait cuts the wait short: the cleaner is
// still taken back first, never left in the drive.
#pragma once

#include "daemon/jobs/operation.hpp"

namespace ntms {

class CleanOperation final : public Operation {
public:
    Outcome run(JobContext& ctx) override;
    // After a stop of ntmsd: a cleaner the job had put into the drive goes back to its slot.
    std::string account_interrupted(JobContext& ctx, bool device_read) override;
};

} // namespace ntms
