// A cartridge moved from one storage slot to another (OperationKind::Move, Manager.MoveMedia):
// what Bacula's and Bareos' "transfer" asks of a changer. RSM has no such request; the job runs
// on the library's queue as every other, so it never moves the robot under another job.
//   1. The job names one medium and the slot it goes to ("move-requested" in its history).
//   2. The medium must still be in the library, in a storage slot, and there on the device; the
//      destination must be a storage slot the device reports empty (ERROR_INVALID_STATE, with
//      what it holds, otherwise).
//   3. The move has a durable intent, as every move of the engine ("move" in the history).
// A STOP before the move ends the job STOPPED with nothing moved; the move itself is one robot
// command and is not cut short.
#pragma once

#include "daemon/jobs/operation.hpp"

namespace ntms {

class MoveOperation final : public Operation {
public:
    Outcome run(JobContext& ctx) override;
    // After a stop of ntmsd, reconciliation settled the move in flight: says where it is.
    std::string account_interrupted(JobContext& ctx, bool device_read) override;
};

} // namespace ntms
