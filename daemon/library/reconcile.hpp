// Start-up (and re-attach) reconciliation: the device's element status is the truth. Recorded move
// intents are resolved by looking at source and destination, media records are matched to what
// is physically in each element, and nothing is lost or counted twice.
#pragma once

#include "daemon/guid.hpp"
#include "daemon/status.hpp"
#include "sgio/changer.hpp"
#include "sgio/large_pages.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

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

// One element as the device reported it: 40 bytes (a barcode of up to 15 characters needs no
// allocation of its own), kept in a vector sorted by address rather than a map (whose node cost
// twice that per slot).
struct Physical {
    uint16_t address = 0;
    sgio::ElementType type = sgio::ElementType::Storage;
    bool full = false;
    std::string tag;
};
// 40 bytes an element kept: 200 KB for 5,000 cartridges; 2.6 MB when all of 64,535 slots are
// kept (overlapping types), on huge pages as the device's reply is.
using Physicals = std::vector<Physical, sgio::LargePageAllocator<Physical>>;

// A changer as one reading of it found it: what reconcile() compares with the database.
struct DeviceReading {
    sgio::Identity ident;
    sgio::ElementMap map;
    bool barcode_reader = true;
    Physicals phys; // the full elements (every one where types overlap), by address, each once
    std::vector<std::pair<uint16_t, bool>> storage; // each slot's address and whether it is full
    std::vector<sgio::ElementStatus> drive_status;
    sgio::Changer::Learned learned; // what the Changer that read it learned of the device
};

// Reads it: identity, element map, capabilities, then every element of each type. On failure,
// `what` names the step that failed (for the library's offline reason). `known`: what the device
// answered to INQUIRY just before (start-up's probe), which is then not asked again.
sgio::Result<DeviceReading> read_device(sgio::Changer& changer, const char*& what,
                                        const sgio::Identity* known = nullptr);

// Runs on the library's worker thread. Updates the library's catalogue (layout, storage); sets it
// offline when the device stops answering. device_read says whether the device's element status
// was read in full (the library can be online, even if recording it then failed). `job` is the
// inventory job the history rows belong to (null for start-up and re-attach); `report`, when
// given, receives what changed. The device is read here, unless the library holds a reading
// taken at start-up while the database was being opened (Library::take_first_reading()).
Expected<void> reconcile(Library& library, Store& db, bool& device_read,
                         ReconcileReport* report = nullptr, const Guid& job = Guid{});

} // namespace ntms
