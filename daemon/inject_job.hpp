// The InjectNtmsMedia state machine, run by a library's worker:
//   1. allow, unlock and extend the port (where the device supports it);
//   2. poll the port cheaply until it is full (single-cartridge port), retracted, RETRACT, STOP or
//      the timeout;
//   3. lock and close the port, move each imported cartridge to a free slot with a durable intent
//      before each MOVE MEDIUM, confirm it at the destination and identify it by its volume tag;
//   4. too few free slots: the rest stay in the port and an operator request is posted;
//   5. STARTMANY goes back to 1 after each batch until STOP or a round that timed out.
// Each wait of step 2 has its own operator request (NEWMEDIA, "put cartridges into port ...").
// The job ends it itself when the wait ends: COMPLETE when the operator dealt with the port (full,
// closed, RETRACT or Satisfy), REFUSED otherwise (STOP or Cancel, timeout, failure, shutdown).
// Every state change and every move is committed before the next robot command.
#pragma once

#include "library.hpp"
#include "model.hpp"
#include "sgio/element.hpp"
#include "status.hpp"

#include <optional>
#include <vector>

namespace ntms {

class Store;

class InjectJob {
public:
    InjectJob(Library& library, Store& db, JobRecord& job);
    // Drives the job to a final state (PASSED, STOPPED or FAILED) and records it.
    void run();

private:
    enum class Wake { Full, Retracted, RetractRequest, Stop, Timeout };

    Expected<Wake> wait_for_operator(const PortState& port);
    // Returns the number of cartridges left in the port for lack of a free slot.
    Expected<uint32_t> import_batch(const PortState& port, bool& stop_requested);
    Expected<std::vector<sgio::ElementStatus>> read_port(const PortState& port);
    Expected<bool> importable(const sgio::ElementStatus& e);
    Expected<void> move_one(const sgio::ElementStatus& from, uint16_t to);
    Expected<void> transition(JobState s);
    Expected<void> post_library_full(const PortState& port, uint32_t left);
    Expected<void> post_insert_request(const PortState& port);
    // Ends the open insert request, if any, in state `s` (COMPLETE or REFUSED).
    void end_insert_request(OpRequestState s);
    void optional_step(sgio::Result<void> r, const char* what);
    void finish(JobState s, const Status& st);

    Library& lib_;
    Store& db_;
    JobRecord& job_;
    sgio::Changer& ch_;
    std::optional<OpRequestRecord> insert_request_; // open while the job waits for the operator
    uint16_t insert_port_ = 0;
};

} // namespace ntms
