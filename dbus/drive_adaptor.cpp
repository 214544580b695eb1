#include "drive_adaptor.hpp"

namespace ntms::dbus {

namespace {

std::string medium_text(const DriveState& d) {
    return d.full && !d.medium.is_null() ? d.medium.str() : std::string();
}

} // namespace

DriveAdaptor::DriveAdaptor(sdbus::IConnection& connection, const Guid& library, DriveState drive)
    : AdaptorInterfaces(connection, drive_path(drive.id)), library_(library),
      drive_(std::move(drive)) {
    registerAdaptor();
}

DriveAdaptor::~DriveAdaptor() {
    unregisterAdaptor();
}

void DriveAdaptor::update(const DriveState& d) {
    const DriveState& a = drive_;
    std::vector<std::string> changed;
    auto check = [&](bool differs, const char* name) {
        if (differs)
            changed.emplace_back(name);
    };
    check(a.number != d.number, "Number");
    check(a.full != d.full || a.in_use != d.in_use, "State");
    check(medium_text(a) != medium_text(d), "Medium");
    check(a.barcode != d.barcode, "Barcode");
    check(a.home != d.home, "HomeSlot");
    check(a.vendor != d.vendor, "Vendor");
    check(a.product != d.product, "Product");
    check(a.serial != d.serial, "Serial");
    check(a.vendor != d.vendor || a.product != d.product, "DriveType");
    check(a.device != d.device, "Device");
    check(a.device_by_id != d.device_by_id, "DeviceById");
    drive_ = d;
    if (!changed.empty())
        emitPropertiesChangedSignal(org::ntms::Ntms1::Drive_adaptor::INTERFACE_NAME, changed);
}

std::string DriveAdaptor::Id() {
    return drive_.id.str();
}
sdbus::ObjectPath DriveAdaptor::Library() {
    return library_path(library_);
}
uint16_t DriveAdaptor::Element() {
    return drive_.element;
}
uint32_t DriveAdaptor::Number() {
    return drive_.number;
}
std::string DriveAdaptor::State() {
    return drive_.full ? (drive_.in_use ? "inuse" : "loaded") : "empty";
}
std::string DriveAdaptor::Medium() {
    return medium_text(drive_);
}
std::string DriveAdaptor::Barcode() {
    return drive_.barcode;
}
uint16_t DriveAdaptor::HomeSlot() {
    return drive_.full ? drive_.home : uint16_t{0};
}
std::string DriveAdaptor::Vendor() {
    return drive_.vendor;
}
std::string DriveAdaptor::Product() {
    return drive_.product;
}
std::string DriveAdaptor::Serial() {
    return drive_.serial;
}
std::string DriveAdaptor::DriveType() {
    return drive_type_id(drive_.vendor, drive_.product).str();
}
std::string DriveAdaptor::Device() {
    return drive_.device;
}
std::string DriveAdaptor::DeviceById() {
    return drive_.device_by_id;
}

} // namespace ntms::dbus
