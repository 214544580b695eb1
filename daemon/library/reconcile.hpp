// Start-up (and re-attach) reconciliation: the device's element status is the truth. Recorded move
// intents are resolved by looking at source and destination, media records are matched to what
// is physically in each element, and nothing is lost or counted twice.
#pragma once

#include "daemon/guid.hpp"
#include "daemon/status.hpp"

#include <cstdint>

namespace ntms {

class Library;
class Store;

// What a reconciliation changed in the database.
struct ReconcileReport {
    uint32_t added = 0;     // cartridges the database did not know (new records)
    uint32_t relocated = 0; // known cartridges found in another element (matched by barcode)
    uint32_t gone = 0;      // records whose cartridge is no longer in the library (now Gone)
    uint32_t updated = 0;   // records re-identified (a label read) or re-stated in place
};

// Runs on the library's worker thread. Updates the library's catalogue (layout, storage); sets it
// offline when the device stops answering. device_read says whether the device's element status
// was read in full (the library can be online, even if recording it then failed). `job` is the
// inventory job the history rows belong to (null for start-up and re-attach); `report`, when
// given, receives what changed.
Expected<void> reconcile(Library& library, Store& db, bool& device_read,
                         ReconcileReport* report = nullptr, const Guid& job = Guid{});

} // namespace ntms
