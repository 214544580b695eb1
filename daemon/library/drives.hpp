// A library's drives (its data-transfer elements) as the catalogue knows them: what is in each and
// who the drive says it is. The worker reads them with the rest of the element status; nothing
// here touches SCSI.
#pragma once

#include "daemon/guid.hpp"
#include "sgio/element.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace ntms {

struct DriveState {
    Guid id;               // drive_id(library, element): the same across restarts
    uint16_t element = 0;  // its element address
    uint32_t number = 0;   // 0-based, in address order: the drive index mtx and Bacula use
    bool full = false;     // a cartridge is in it
    Guid medium;           // the medium record of that cartridge; null when empty
    std::string barcode;   // its volume tag; empty when empty or unlabelled
    std::string vendor, product, serial; // from the changer's DVCID identifier; empty without
    std::string device;       // the tape device that reaches it (/dev/nstN); empty: not known
    std::string device_by_id; // its /dev/tape/by-id/ name; empty: none (tape_devices.hpp)
    bool in_use = false;   // a mount job put its medium there, and no dismount took it back yet
    // The element (a storage slot or a port) its cartridge came from: the mount's record in the
    // medium's history, else the changer's source address (SVALID); 0 when empty or not known.
    uint16_t home = 0;

    friend bool operator==(const DriveState&, const DriveState&) = default;
};

// A drive's GUID, derived from its library's and its element address: an RFC 9562 version-8
// GUID, so it never equals a library's or a medium's (version 4 and 7), and two libraries'
// drives differ as their libraries do.
Guid drive_id(const Guid& library, uint16_t element);

// The GUID of a drive model (RSM's NTMS_DRIVE_TYPE), derived from vendor and product: the same
// for every drive of that model, in every library and after every restart (version 8).
Guid drive_type_id(const std::string& vendor, const std::string& product);

// The drives of one READ ELEMENT STATUS of the data-transfer elements, numbered in address order;
// the caller names the medium of each full one.
std::vector<DriveState> sorted_drives(const Guid& library,
                                      const std::vector<sgio::ElementStatus>& statuses);

// The element addresses of `drives`, in their order.
std::vector<uint16_t> drive_elements(const std::vector<DriveState>& drives);

} // namespace ntms
