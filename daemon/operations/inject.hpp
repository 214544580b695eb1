// The InjectNtmsMedia operation: its steps, run by the job engine on a library's worker:
//   1. allow, unlock and extend the port (where the device supports it);
//   2. poll the port cheaply until it is full (single-cartridge port), retracted, RETRACT, STOP or
//      the timeout;
//   3. lock and close the port, move each imported cartridge to a free slot with a durable intent
//      before each MOVE MEDIUM, confirm it at the destination and identify it by its volume tag;
//   4. too few free slots: the rest stay in the port and an operator request is posted;
//   5. STARTMANY goes back to 1 after each batch until STOP or a round that timed out.
// With a timeout of 0 there is no time for an operator: steps 1 and 2 are left out, and what is
// in the port now is imported (the port watcher's AutoImport queues such jobs).
// Each wait of step 2 has its own operator request (NEWMEDIA, "put cartridges into port ...").
// The job ends it itself when the wait ends: COMPLETE when the operator dealt with the port (full,
// closed, RETRACT or Satisfy), REFUSED otherwise (STOP or Cancel, timeout, failure, shutdown).
// Every state change and every move is committed before the next robot command.
#pragma once

#include "daemon/jobs/operation.hpp"

namespace ntms {

class InjectOperation final : public Operation {
public:
    // Drives the job to PASSED, STOPPED or FAILED.
    Outcome run(JobContext& ctx) override;
    // After a stop of ntmsd: how many cartridges the job imported (which, to which slots) and
    // which are still in its port, listed there as InPort for the next inject. The port is
    // allowed again, so that the operator can take them out instead.
    std::string account_interrupted(JobContext& ctx, bool device_read) override;
};

} // namespace ntms
