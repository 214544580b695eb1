// Start-up (and re-attach) reconciliation: the device's element status is the truth. Recorded move
// intents are resolved by looking at source and destination, media records are matched to what
// is physically in each element, and nothing is lost or counted twice.
#pragma once

#include "daemon/status.hpp"

namespace ntms {

class Library;
class Store;

// Runs on the library's worker thread. Updates the library's catalogue (layout, storage); sets it
// offline when the device stops answering. device_read says whether the device's element status
// was read in full (the library can be online, even if recording it then failed).
Expected<void> reconcile(Library& library, Store& db, bool& device_read);

} // namespace ntms
