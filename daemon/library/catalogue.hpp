// What any thread may know of a library without touching SCSI: its state, layout, ports and free
// slots, as last read by its worker. Readers take a snapshot; the worker (and hot-plug) update it,
// and each change is announced through EventSink::library_changed().
#pragma once

#include "daemon/config.hpp"
#include "daemon/events.hpp"
#include "daemon/library/elements.hpp"
#include "daemon/library/drives.hpp"
#include "daemon/model.hpp"

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ntms {

enum class LibraryState {
    Reading, // its element status is being read (first time, or after its device came back)
    Online,
    Offline, // the device is absent or does not answer; the reason says why
    Removed, // udev removed its device; it stays so until the device is found again
};

struct PortState {
    uint16_t first = 0;    // address of its first IE element: the port's number
    uint16_t count = 1;    // 1: single-cartridge port, more: magazine
    bool locked = false;   // PREVENT held by us
    bool extended = false; // open to the operator
    uint16_t full = 0;     // elements holding a cartridge
};

struct LibrarySnapshot {
    Guid id;
    std::string name, device, vendor, product, serial;
    LibraryState state = LibraryState::Offline;
    std::string offline_reason; // empty when online; says when the next retry is, if any
    int64_t next_retry = 0;     // an offline library tries its device again then (usec), 0: not
    bool enabled = true;
    uint32_t slots = 0, free_slots = 0, drives = 0;
    bool barcode_reader = false;
    std::vector<PortState> ports;
    uint32_t inject_timeout_sec = 60;
    uint32_t inventory_method = 3; // NTMS_INVENTORY_*: what a DEFAULT inventory does
    bool door = false;             // a door AccessNtmsLibraryDoor can release (Door=)
    int64_t created = 0;           // when its record was made (usec): RSM's Created
    // Times it went from online to offline or removed since ntmsd started.
    uint64_t offline_transitions = 0;
    // Its drives as last read, in address order; none until its element status is read, and
    // none once its device is removed.
    std::vector<DriveState> drive_list;

    bool online() const { return state == LibraryState::Online; }
};

class Catalogue {
public:
    static constexpr const char* reading_reason = "reading its element status";
    static constexpr const char* removed_reason = "device removed";

    Catalogue(const LibraryRecord& record, const LibraryConfig& config, EventSink& events);

    LibrarySnapshot snapshot() const;
    LibraryState state() const;

    // A removed library stays Removed through Offline and Online reports (its last commands
    // failing, say) until Reading says its device is back. Changes of state or reason go to the
    // journal.
    void set_state(LibraryState state, const std::string& reason = {});
    // When an offline library tries its device again (nullopt: it does not); announced, and
    // named in the offline reason, not journalled (the worker logs each attempt).
    void set_retry(std::optional<int64_t> at_usec);
    // The state it starts in, before its worker runs: not announced, not journalled.
    void start_as(LibraryState state, const std::string& reason);
    void set_device(const std::string& device);

    void set_port(const PortState& p);
    // Element layout found on the device: ports (from configuration or all IE elements as one),
    // number of drives, whether volume tags can be read.
    void set_layout(std::vector<PortState> ports, uint32_t drives, bool barcode_reader,
                    const std::string& vendor, const std::string& product,
                    const std::string& serial);
    // Storage inventory: slot address -> full.
    void set_storage(const std::vector<std::pair<uint16_t, bool>>& slots);
    void set_door(bool door);
    void set_drives(std::vector<DriveState> drives);
    // Changes the drives in place (their tape devices after a udev event), announced when changed.
    void update_drives(const std::function<void(std::vector<DriveState>&)>& change);
    // One drive's content after a move into or out of it, or a mount's or dismount's record
    // (the drive keeps its place, number and identity); a drive not in the list is ignored.
    // `home`: the element its cartridge came from; none keeps the one known (an empty drive
    // has none).
    void set_drive_content(uint16_t element, bool full, const Guid& medium,
                           const std::string& barcode, bool in_use,
                           std::optional<uint16_t> home = std::nullopt);
    void set_slot_full(uint16_t address, bool full);
    // The lowest free storage slot, passing over the home slots of loaded drives (Drive.HomeSlot)
    // while another is free.
    std::optional<uint16_t> pick_free_slot() const;
    // The port that `address` (an IE element address) belongs to; nullopt for no such port.
    // With no address, the library's first port.
    std::optional<PortState> find_port(std::optional<uint16_t> address) const;

    // The element ranges read from the device (elements.hpp), and with them the free slots.
    void set_element_ranges(std::vector<ElementRange> ranges);
    std::pair<std::vector<ElementRange>, std::vector<uint16_t>> element_ranges() const;

private:
    void notify() { events_.library_changed(snap_id_); }

    const Guid snap_id_;
    EventSink& events_;
    mutable std::mutex mutex_;
    LibrarySnapshot snap_;
    std::vector<uint16_t> free_slots_; // sorted ascending
    std::vector<ElementRange> ranges_;
    bool up_ = false; // online, or being read again after it was online
};

} // namespace ntms
