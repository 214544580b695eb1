// The AccessNtmsLibraryDoor operation (DOORACCESS): release the library's door for the operator,
// wait until the operator has been through it, then run the inventory the call named.
//   1. ALLOW MEDIUM REMOVAL (where the changer supports it): the door lock follows it;
//   2. an operator request (NTMS_OPREQ_DEVICESERVICE, "the door is unlocked ...") and WAITING,
//      until the door was opened and closed again (NOT READY 04h/18h "a door is open", then a
//      unit attention or the device ready again), the operator's Satisfy, or STOP/Cancel;
//   3. the inventory of the job's action (NTMS_INVENTORY_NONE: none; FAST, DEFAULT: as
//      InventoryNtmsLibrary). STOP or Cancel while waiting ends the job STOPPED, no inventory.
// There is no time-out: the operator may take long at an open library; the request and Cancel
// are there for a door that never reports.
#pragma once

#include "daemon/jobs/operation.hpp"

namespace ntms {

class Library;

class DoorOperation final : public Operation {
public:
    Outcome run(JobContext& ctx) override;
};

// Whether the library has a door that AccessNtmsLibraryDoor can release: Door= of its
// configuration; for auto, a sim: device's door= option, else whether the changer accepts
// PREVENT ALLOW MEDIUM REMOVAL (ALLOW is sent: harmless on an idle library). Worker thread only.
bool detect_door(Library& library);

} // namespace ntms
