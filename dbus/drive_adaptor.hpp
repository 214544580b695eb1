// /org/ntms/Ntms1/drive/<hex>: org.ntms.Ntms1.Drive, one drive of a library as its catalogue last
// read it. The bus service hands it each new state; its getters answer from that, never SCSI.
#pragma once

#include "daemon/library/drives.hpp"
#include "dbus/context.hpp"
#include "org.ntms.Ntms1.Drive.adaptor.h"

#include <sdbus-c++/sdbus-c++.h>

namespace ntms::dbus {

class DriveAdaptor final
    : public sdbus::AdaptorInterfaces<org::ntms::Ntms1::Drive_adaptor, sdbus::Properties_adaptor,
                                      sdbus::ManagedObject_adaptor> {
public:
    DriveAdaptor(sdbus::IConnection& connection, const Guid& library, DriveState drive);
    ~DriveAdaptor();
    DriveAdaptor(const DriveAdaptor&) = delete;
    DriveAdaptor& operator=(const DriveAdaptor&) = delete;

    const DriveState& state() const { return drive_; }
    const Guid& library() const { return library_; }
    // Takes the drive's new state and emits PropertiesChanged for what differs.
    void update(const DriveState& drive);

private:
    std::string Id() override;
    sdbus::ObjectPath Library() override;
    uint16_t Element() override;
    uint32_t Number() override;
    std::string State() override;
    std::string Medium() override;
    std::string Barcode() override;
    uint16_t HomeSlot() override;
    std::string Vendor() override;
    std::string Product() override;
    std::string Serial() override;
    std::string DriveType() override;
    std::string Device() override;
    std::string DeviceById() override;

    Guid library_;
    DriveState drive_;
};

} // namespace ntms::dbus
