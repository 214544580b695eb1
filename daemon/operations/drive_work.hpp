// What mount, dismount and a forced eject share: the drives as a job finds them (the catalogue's
// list with the store's record of which a mount job holds), and a cartridge taken out of a drive
// back into a storage slot with a durable intent, as every move of the engine.
#pragma once

#include "daemon/library/drives.hpp"
#include "daemon/model.hpp"
#include "daemon/status.hpp"
#include "daemon/store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ntms {

class EjectMoves;
class Library;

struct DriveView {
    DriveState drive;
    std::optional<Store::Mounted> mount; // what a mount job put there, if that is in it
    // Holds a cartridge no mount job holds: the drive may be emptied for a mount (a cartridge
    // released by NTMS_DISMOUNT_DEFERRED, or found there by an inventory).
    bool clearable() const { return drive.full && !(mount && !mount->released); }
    bool in_use() const { return drive.full && mount && !mount->released; }
    // Where its cartridge came from: the mount's record, else the changer's (Drive.HomeSlot).
    std::optional<uint16_t> home() const {
        if (mount && mount->home)
            return mount->home;
        return drive.full && drive.home ? std::optional<uint16_t>(drive.home) : std::nullopt;
    }
};

// The library's drives in address order, as last read, with their mounts.
Expected<std::vector<DriveView>> drive_views(Library& lib, Store& db);

// The drive at `element`, if the library has one there.
const DriveView* find_drive(const std::vector<DriveView>& drives, uint16_t element);

// `address` is one of the library's storage slots.
bool is_storage_slot(const Library& lib, uint16_t address);

// `address` is a storage slot of the library (ERROR_INVALID_PARAMETER otherwise) that the
// device reports empty (ERROR_INVALID_STATE otherwise, with what it holds).
Expected<void> empty_slot(EjectMoves& moves, const Library& lib, uint16_t address);

// Drive -> storage slot: `asked` when given (it must be an empty slot: ERROR_INVALID_STATE
// otherwise), else `home` when that is an empty slot, else the first free slot
// (ERROR_LIBRARY_FULL when there is none). The medium is recorded there with a history row
// `reason` (and counted as the job's move with `count`); the catalogue's drive is empty
// afterwards. Returns the slot.
Expected<uint16_t> put_away(EjectMoves& moves, Library& lib, MediumRecord& m,
                            std::optional<uint16_t> home, std::optional<uint16_t> asked,
                            const char* reason, bool count = false);

// A job's requests of one kind ("mount-requested", "dismount-requested") in the order written:
// the medium, and the element the caller named (a drive, a slot) or none.
struct DriveRequest {
    Guid medium;
    std::optional<uint16_t> element;
};
Expected<std::vector<DriveRequest>> requests_of(Store& db, const Guid& job, const char* reason);

} // namespace ntms
