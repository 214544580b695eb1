// NTMS_DRIVE and NTMS_DRIVE_TYPE records from the Drive objects on the bus. A and W records are
// filled by the same templates, as in objects.cpp.
#include "objects_drive.hpp"

#include "objects.hpp"
#include "text.hpp"

#include <algorithm>
#include <tuple>

namespace ntms::lib {

namespace {

struct Drive {
    NTMS_GUID id{};
    sdbus::ObjectPath library;
    Properties p;
};

// Every drive on the bus, in library order and then by number.
std::vector<Drive> drives(Session& s) {
    std::vector<Drive> out;
    for (auto& [path, interfaces] : s.managed_objects()) {
        auto it = interfaces.find(drive_iface);
        if (it == interfaces.end())
            continue;
        Drive d;
        d.id = guid_of(path);
        d.library = prop<sdbus::ObjectPath>(it->second, "Library");
        d.p = std::move(it->second);
        out.push_back(std::move(d));
    }
    std::sort(out.begin(), out.end(), [](const Drive& a, const Drive& b) {
        return std::make_tuple(std::string(a.library), prop<uint32_t>(a.p, "Number")) <
               std::make_tuple(std::string(b.library), prop<uint32_t>(b.p, "Number"));
    });
    return out;
}

std::optional<NTMS_GUID> type_of(const Properties& p) {
    return parse_guid(prop<std::string>(p, "DriveType"));
}

template <typename Info> DWORD fill_drive_info(Session& s, const NTMS_GUID& id, Info& info) {
    for (const auto& d : drives(s)) {
        if (!same_guid(d.id, id))
            continue;
        const Properties lib = s.properties(d.library, library_iface);
        // "inuse" is loaded too: a mount job holds the cartridge there.
        const std::string state = prop<std::string>(d.p, "State");
        const bool loaded = state == "loaded" || state == "inuse";
        const uint32_t number = prop<uint32_t>(d.p, "Number");
        const std::string barcode = prop<std::string>(d.p, "Barcode");
        info.Enabled = prop<bool>(lib, "Enabled") ? TRUE : FALSE;
        info.dwOperationalState =
            prop<std::string>(lib, "State") == "online" ? NTMS_READY : NTMS_NOT_PRESENT;
        put(info.szName, prop<std::string>(lib, "Name") + " drive " + std::to_string(number));
        put(info.szDescription,
            "element " + std::to_string(prop<uint16_t>(d.p, "Element")) +
                (loaded ? ", " + state + (barcode.empty() ? std::string() : " with " + barcode)
                        : ", empty"));
        auto& r = info.Info.Drive;
        r.Number = number;
        r.State = loaded ? NTMS_DRIVESTATE_LOADED : NTMS_DRIVESTATE_DISMOUNTED;
        r.DriveType = type_of(d.p).value_or(NTMS_GUID{});
        put(r.szDeviceName, prop<std::string>(d.p, "Device"));
        put(r.szSerialNumber, prop<std::string>(d.p, "Serial"));
        put(r.szRevision, ""); // the changer does not report a drive's firmware revision
        // ScsiPort/Bus/Target/Lun stay 0: the drive's own device is not known yet. Mounts and
        // cleanings are not tracked: dwMountCount 0, LastCleanedTs zero.
        r.Library = guid_of(d.library);
        return ERROR_SUCCESS;
    }
    return ERROR_OBJECT_NOT_FOUND;
}

template <typename Info> DWORD fill_type_info(Session& s, const NTMS_GUID& id, Info& info) {
    for (const auto& d : drives(s)) {
        const auto type = type_of(d.p);
        if (!type || !same_guid(*type, id))
            continue;
        const std::string vendor = prop<std::string>(d.p, "Vendor");
        const std::string product = prop<std::string>(d.p, "Product");
        info.Enabled = TRUE;
        info.dwOperationalState = NTMS_READY;
        put(info.szName, vendor.empty() && product.empty() ? "unidentified drive"
                                                           : vendor + " " + product);
        put(info.szDescription, "drive type");
        auto& t = info.Info.DriveType;
        put(t.szVendor, vendor);
        put(t.szProduct, product);
        t.NumberOfHeads = 1;
        t.DeviceType = file_device_tape;
        return ERROR_SUCCESS;
    }
    return ERROR_OBJECT_NOT_FOUND;
}

} // namespace

std::optional<NTMS_GUID> drive_at(Session& s, const sdbus::ObjectPath& library, uint16_t element) {
    for (const auto& d : drives(s))
        if (d.library == library && prop<uint16_t>(d.p, "Element") == element)
            return d.id;
    return std::nullopt;
}

std::vector<NTMS_GUID> list_drives(Session& s, const NTMS_GUID* container) {
    std::optional<sdbus::ObjectPath> library;
    if (container)
        library = s.library_path(guid_string(*container)); // throws for an unknown library
    std::vector<NTMS_GUID> list;
    for (const auto& d : drives(s))
        if (!library || d.library == *library)
            list.push_back(d.id);
    return list;
}

DWORD list_drive_types(Session& s, const NTMS_GUID* container, std::vector<NTMS_GUID>& out) {
    if (container)
        return ERROR_INVALID_PARAMETER;
    std::vector<NTMS_GUID> list;
    for (const auto& d : drives(s)) {
        const auto type = type_of(d.p);
        if (type && std::none_of(list.begin(), list.end(),
                                 [&](const NTMS_GUID& g) { return same_guid(g, *type); }))
            list.push_back(*type);
    }
    out = std::move(list);
    return ERROR_SUCCESS;
}

DWORD fill_drive(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONA& info) {
    return fill_drive_info(s, id, info);
}
DWORD fill_drive(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONW& info) {
    return fill_drive_info(s, id, info);
}
DWORD fill_drive_type(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONA& info) {
    return fill_type_info(s, id, info);
}
DWORD fill_drive_type(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONW& info) {
    return fill_type_info(s, id, info);
}

} // namespace ntms::lib
