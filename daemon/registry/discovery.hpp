// Medium changers found through udev (sd-device): the type-8 scsi_generic nodes present at start,
// then their add and remove events, delivered on a thread of their own. Only facts are gathered
// here; what a device means (a configured library, a known library coming back, a new one) is
// decided by Registry::device_added() and device_removed(), which tests drive without udev.
#pragma once

#include "daemon/status.hpp"
#include "sgio/changer.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ntms {

struct FoundDevice {
    std::string devnode; // "/dev/sg4": the device string the library is opened with
    std::string syspath; // "/sys/devices/.../scsi_generic/sg4"; empty when not from udev
    std::string sysname; // "sg4"; empty when not from udev
};

enum class DeviceAction { Added, Removed };

// The sysfs attribute `type` of a SCSI device names a medium changer: peripheral type 8.
bool is_medium_changer_type(std::string_view type_attribute);

// The name a library found through udev gets when the database has none for it yet: vendor,
// product and serial number from INQUIRY joined with '_' (VENDOR_PRODUCT_SERIAL, the way udev
// spells SCSI identities), every character other than letters, digits, '-' and '.' becoming '_'.
// Without a serial number the sg node's name stands in for it (VENDOR_PRODUCT_sg4).
std::string discovered_library_name(const sgio::Identity& id, const std::string& sysname);

// The udev side. open() and start() are called once, from one thread; stop() from any.
class Discovery {
public:
    using Handler = std::function<void(DeviceAction, const FoundDevice&)>;

    Discovery();
    ~Discovery(); // stops the thread
    Discovery(const Discovery&) = delete;
    Discovery& operator=(const Discovery&) = delete;

    // Listens to udev first (events from then on wait for start()), then lists the changers udev
    // has set up. Devices udev has not finished with are not listed: their add event follows.
    // When the monitor cannot be had, that is logged and the list is still returned; an error
    // means not even the list could be read.
    Expected<std::vector<FoundDevice>> open();
    // Delivers add and remove events to handler, one at a time, on the discovery thread. Adds are
    // delivered for medium changers only; removes for every scsi_generic node (sysfs is gone by
    // then), which the handler matches against what it knows.
    void start(Handler handler);
    // Ends the thread; no handler call is running or will run after it returns.
    void stop();
    // Hot-plug is followed: the monitor is listening and the thread runs.
    bool following() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace ntms
