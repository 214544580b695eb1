#include "library_adaptor.hpp"

#include "dbus/guard.hpp"

namespace ntms::dbus {

const char* medium_state_name(MediumState s) {
    switch (s) {
    case MediumState::InLibrary:
        return "in-library";
    case MediumState::InPort:
        return "in-port";
    case MediumState::Exported:
        return "exported";
    case MediumState::Gone:
        return "gone";
    }
    return "unknown";
}

LibraryAdaptor::LibraryAdaptor(sdbus::IConnection& connection, BusContext& ctx,
                               LibrarySnapshot initial)
    : AdaptorInterfaces(connection, library_path(initial.id)), ctx_(ctx),
      last_(std::move(initial)) {
    registerAdaptor();
}

LibraryAdaptor::~LibraryAdaptor() {
    unregisterAdaptor();
}

LibrarySnapshot LibraryAdaptor::read() {
    // Open to every caller (InterfacesAdded and PropertiesChanged carry the same): read as ntmsd.
    return value_or_throw(ctx_.manager.library(last_.id, Caller::root()));
}

std::vector<LibraryAdaptor::Port> LibraryAdaptor::ports(const LibrarySnapshot& s) {
    std::vector<Port> out;
    out.reserve(s.ports.size());
    for (const auto& p : s.ports)
        out.emplace_back(p.first, p.count, p.locked, p.extended, p.full);
    return out;
}

std::vector<sdbus::ObjectPath> LibraryAdaptor::drive_paths(const LibrarySnapshot& s) {
    std::vector<sdbus::ObjectPath> out;
    out.reserve(s.drive_list.size());
    for (const auto& d : s.drive_list)
        out.push_back(drive_path(d.id));
    return out;
}

void LibraryAdaptor::refresh() {
    auto now = ctx_.manager.library(last_.id, Caller::root());
    if (!now)
        return; // the library is gone from the manager: nothing to announce
    const LibrarySnapshot& a = last_;
    const LibrarySnapshot& b = *now;
    std::vector<std::string> changed;
    auto check = [&](bool differs, const char* name) {
        if (differs)
            changed.emplace_back(name);
    };
    check(a.name != b.name, "Name");
    check(a.device != b.device, "Device");
    check(a.vendor != b.vendor, "Vendor");
    check(a.product != b.product, "Product");
    check(a.serial != b.serial, "Serial");
    check(a.online() != b.online(), "State");
    check(a.offline_reason != b.offline_reason, "OfflineReason");
    check(a.enabled != b.enabled, "Enabled");
    check(a.slots != b.slots, "Slots");
    check(a.free_slots != b.free_slots, "FreeSlots");
    check(a.drives != b.drives, "Drives");
    check(drive_paths(a) != drive_paths(b), "DrivePaths");
    check(ports(a) != ports(b), "Ports");
    check(a.inject_timeout_sec != b.inject_timeout_sec, "InjectTimeout");
    check(a.door != b.door, "Door");
    check(a.barcode_reader != b.barcode_reader, "BarcodeReader");
    last_ = std::move(now).value();
    if (!changed.empty())
        emitPropertiesChangedSignal(org::ntms::Ntms1::Library_adaptor::INTERFACE_NAME, changed);
}

void LibraryAdaptor::ListMedia(sdbus::Result<std::vector<Medium>>&& result) {
    guarded(ctx_, [&] {
        answer_with_read<std::vector<Medium>>(
            ctx_, std::move(result),
            [&manager = ctx_.manager, id = last_.id, caller = caller_for(ctx_, last_.id)] {
                auto media = value_or_throw(manager.media(id, caller));
                std::vector<Medium> out;
                out.reserve(media.size());
                for (const auto& m : media)
                    out.emplace_back(m.id.str(), m.barcode, medium_state_name(m.state),
                                     m.element.value_or(0), static_cast<uint32_t>(m.state));
                return out;
            },
            [](std::vector<Medium>&& out) { return std::tuple(std::move(out)); });
    });
}

void LibraryAdaptor::CallerAccess(sdbus::Result<uint32_t>&& result) {
    guarded(ctx_, [&] {
        // polkit may be asked, for each right: on the reader's thread.
        answer_with_read<uint32_t>(
            ctx_, std::move(result),
            [&manager = ctx_.manager, id = last_.id, caller = caller_for(ctx_, last_.id)] {
                return value_or_throw(manager.rights(id, caller));
            },
            [](uint32_t&& rights) { return std::tuple(rights); });
    });
}

void LibraryAdaptor::ListElements(sdbus::Result<std::vector<Element>>&& result) {
    guarded(ctx_, [&] {
        answer_with_read<std::vector<Element>>(
            ctx_, std::move(result),
            [&manager = ctx_.manager, id = last_.id, caller = caller_for(ctx_, last_.id)] {
                auto elements = value_or_throw(manager.elements(id, caller));
                std::vector<Element> out;
                out.reserve(elements.size());
                for (const auto& e : elements)
                    out.emplace_back(e.address, element_kind_name(e.kind), e.full,
                                     e.medium ? e.medium->id.str() : std::string(),
                                     e.medium ? e.medium->barcode : std::string());
                return out;
            },
            [](std::vector<Element>&& out) { return std::tuple(std::move(out)); });
    });
}

void LibraryAdaptor::Inventory(JobReply&& result, uint32_t action) {
    guarded(ctx_, [&] {
        const Caller caller = caller_for(ctx_, last_.id);
        answer_with_job(ctx_, std::move(result), ctx_.callers.refusal_reader(),
                        [&manager = ctx_.manager, id = last_.id, action, caller] {
                            return manager.inventory(id, action, std::string(), caller);
                        });
    });
}

void LibraryAdaptor::AccessDoor(JobReply&& result, uint32_t action) {
    guarded(ctx_, [&] {
        const Caller caller = caller_for(ctx_, last_.id);
        answer_with_job(ctx_, std::move(result), ctx_.callers.refusal_reader(),
                        [&manager = ctx_.manager, id = last_.id, action, caller] {
                            return manager.access_door(id, action, std::string(), caller);
                        });
    });
}

bool LibraryAdaptor::Door() {
    return guarded([&] { return read().door; });
}

bool LibraryAdaptor::BarcodeReader() {
    return guarded([&] { return read().barcode_reader; });
}

std::string LibraryAdaptor::Id() {
    return guarded([&] { return read().id.str(); });
}
std::string LibraryAdaptor::Name() {
    return guarded([&] { return read().name; });
}
std::string LibraryAdaptor::Device() {
    return guarded([&] { return read().device; });
}
std::string LibraryAdaptor::Vendor() {
    return guarded([&] { return read().vendor; });
}
std::string LibraryAdaptor::Product() {
    return guarded([&] { return read().product; });
}
std::string LibraryAdaptor::Serial() {
    return guarded([&] { return read().serial; });
}
std::string LibraryAdaptor::State() {
    return guarded([&] { return std::string(read().online() ? "online" : "offline"); });
}
std::string LibraryAdaptor::OfflineReason() {
    return guarded([&] { return read().offline_reason; });
}
bool LibraryAdaptor::Enabled() {
    return guarded([&] { return read().enabled; });
}
uint32_t LibraryAdaptor::Slots() {
    return guarded([&] { return read().slots; });
}
uint32_t LibraryAdaptor::FreeSlots() {
    return guarded([&] { return read().free_slots; });
}
uint32_t LibraryAdaptor::Drives() {
    return guarded([&] { return read().drives; });
}
std::vector<sdbus::ObjectPath> LibraryAdaptor::DrivePaths() {
    return guarded([&] { return drive_paths(read()); });
}
std::vector<LibraryAdaptor::Port> LibraryAdaptor::Ports() {
    return guarded([&] { return ports(read()); });
}
uint32_t LibraryAdaptor::InjectTimeout() {
    return guarded([&] { return read().inject_timeout_sec; });
}
uint32_t LibraryAdaptor::InventoryMethod() {
    return guarded([&] { return read().inventory_method; });
}

} // namespace ntms::dbus
