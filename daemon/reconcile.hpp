// Start-up (and re-attach) reconciliation: the device's element status is the truth. Recorded move
// intents are resolved by looking at source and destination, media records are matched to what
// is physically in each element, and nothing is lost or counted twice.
#pragma once

#include "status.hpp"

namespace ntms {

class Library;
class Store;

// Runs on the library's worker thread. Updates the library's layout and storage snapshot.
Expected<void> reconcile(Library& library, Store& db);

} // namespace ntms
