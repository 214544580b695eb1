// Which Linux tape device reaches each drive: the st driver's /dev/nstN (the no-rewind node, the
// one backup software is given) and its persistent /dev/tape/by-id/ name. A drive is matched by
// serial number: the changer names it in READ ELEMENT STATUS with DVCID, the tape device in its
// INQUIRY VPD page 0x80, which the kernel shows in sysfs as vpd_pg80. Where neither works, the
// library's DriveDevices= names the device of a drive number. udev's add and remove events of
// tape devices re-run the matching while ntmsd runs.
#pragma once

#include "daemon/library/drives.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ntms {

struct TapeDevice {
    std::string node;   // "/dev/nst0"
    std::string by_id;  // "/dev/tape/by-id/scsi-...-nst"; empty when udev made none
    std::string serial; // unit serial number from VPD page 0x80, spaces trimmed; may be empty

    friend bool operator==(const TapeDevice&, const TapeDevice&) = default;
};

// The serial number in the bytes of a VPD page 0x80 (as sysfs's vpd_pg80 holds it): the page
// length at byte 3, ASCII from byte 4, leading and trailing spaces and NULs trimmed. Empty when
// the bytes are not a page 0x80 or are cut short.
std::string unit_serial_of_page(std::string_view page);

// Sets each drive's device and device_by_id: the configured path of its number (configured:
// drive number -> path) first, else the tape device whose serial equals the drive's DVCID serial
// (spaces trimmed on both sides; an empty serial matches nothing, and neither does a serial two
// tape devices share). A drive matched by neither gets empty fields. A configured path that is a
// link (a /dev/tape/by-id/ name) is the by-id name, and the node is where it leads.
void assign_tape_devices(std::vector<DriveState>& drives,
                         const std::map<uint32_t, std::string>& configured,
                         const std::vector<TapeDevice>& tapes);

// The tape devices udev knows: every scsi_tape node named nstN (not the nstNa/l/m mode nodes)
// with its by-id link and its unit serial. An empty list when udev cannot be asked, with the
// reason in *error when given.
std::vector<TapeDevice> list_tape_devices(std::string* error = nullptr);

// The tape devices as last listed, for every library's matching: filled at start-up and on each
// udev event of a tape device.
class TapeDirectory {
public:
    std::vector<TapeDevice> list() const;
    // Replaces the list; true when it differs from the one before.
    bool replace(std::vector<TapeDevice> tapes);

private:
    mutable std::mutex mutex_;
    std::vector<TapeDevice> tapes_;
};
TapeDirectory& tape_directory();

// Follows udev's add and remove events of tape devices on a thread of its own and calls changed()
// after each, once the new list is in tape_directory().
class TapeWatcher {
public:
    TapeWatcher();
    ~TapeWatcher(); // stops the thread
    TapeWatcher(const TapeWatcher&) = delete;
    TapeWatcher& operator=(const TapeWatcher&) = delete;

    // false, with the reason in *error, when udev cannot be listened to.
    bool start(std::function<void()> changed, std::string* error);
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace ntms
