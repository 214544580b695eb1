// The EjectNtmsMedia operation: its steps, run by the job engine on a library's worker:
//   1. check that every medium of the job is in its storage slot and that the port has an empty
//      element for each (nothing moves otherwise);
//   2. allow and close the port, move each medium to an empty port element with a durable intent
//      before each MOVE MEDIUM, confirm it there: the medium is then Exported at that element;
//   3. unlock and extend the port (where the device can), post an operator request
//      (NTMS_OPREQ_MOVEMEDIA, "remove cartridge X from port P"), then say WAITING;
//   4. poll the port cheaply (TEST UNIT READY and the port's elements; a 28h/01h unit attention
//      makes it look at once) until every presented element is empty, STOP, or the time-out;
//      each cartridge seen taken is recorded Gone ("operator-removed") at once;
//   5. all taken: the request is COMPLETE and the job PASSED. STOP or the time-out: the request is
//      REFUSED, the port closed, and what is still in it goes back to its slot (or a free one);
//      the job ends STOPPED, or FAILED with ERROR_TIMEOUT and a message saying so.
// A medium taken out keeps its record and history; an inject of its barcode restores it.
#pragma once

#include "daemon/jobs/operation.hpp"

namespace ntms {

class EjectOperation final : public Operation {
public:
    Outcome run(JobContext& ctx) override;
    // After a stop of ntmsd: which media were taken out, which were still in their slots, and
    // which were found in the port: those go back to a free slot (no one waits for them any
    // more), and the job's open operator request is refused.
    std::string account_interrupted(JobContext& ctx, bool device_read) override;
};

} // namespace ntms
