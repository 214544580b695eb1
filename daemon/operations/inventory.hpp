// The InventoryNtmsLibrary operation: make the catalogue equal the device.
//   FAST     INITIALIZE ELEMENT STATUS WITH RANGE over every element with the FAST bit (presence
//            only) where the device supports it, else INITIALIZE ELEMENT STATUS;
//   DEFAULT  the library's InventoryMethod (ntmsd.conf); its own default is the full
//            INITIALIZE ELEMENT STATUS (WITH RANGE without FAST, else the plain command);
//   SLOT     no INITIALIZE: what the library already knows of its elements;
//   OMID     (reading each tape's label in a drive) is not supported: ERROR_NOT_SUPPORTED.
// Each then re-reads every element and reconciles the database with it (library/reconcile):
// moved cartridges keep their identity (matched by barcode), new ones get a record, missing ones
// are kept outside the library (Gone) with a journal entry each. STOP (or Cancel) before the
// re-read ends the job STOPPED with the catalogue untouched; the re-read itself is one
// transaction.
#pragma once

#include "daemon/jobs/operation.hpp"

#include <cstdint>

namespace ntms {

// NTMS_INVENTORY_*
enum class InventoryMethod : uint32_t {
    None = 0,
    Fast = 1,
    Omid = 2,
    Default = 3,
    Slot = 4,
    Stop = 5
};

// "none", "fast", "omid", "default", "slot", "stop"; nullptr for another number.
const char* inventory_method_name(uint32_t method);

class InventoryOperation final : public Operation {
public:
    Outcome run(JobContext& ctx) override;
    // The start-up reconciliation has read the device again (or will once it answers).
    std::string account_interrupted(JobContext& ctx, bool device_read) override;
};

// The inventory steps for `method` (FAST, DEFAULT, SLOT, OMID) within a running job: also the
// last step of a door access. The job must be INPROCESS.
Outcome run_inventory(JobContext& ctx, InventoryMethod method);

} // namespace ntms
