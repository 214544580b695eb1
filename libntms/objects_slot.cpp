// Storage slots and doors from Library.ListElements and the library's properties; the A and W
// records are filled by the same templates (put() writes UTF-8 or UTF-16 by the array's type).
#include "objects_slot.hpp"

#include "objects.hpp"
#include "objects_drive.hpp"
#include "text.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace ntms::lib {

namespace {

// The elements of a library; none when the caller may not list them (ListElements needs USE).
std::vector<Element> elements_or_none(Session& s, const sdbus::ObjectPath& library) {
    try {
        return s.list_elements(library);
    } catch (const sdbus::Error&) {
        return {};
    }
}

template <typename Info> void fill_state(const Properties& p, Info& info) {
    info.Enabled = prop<bool>(p, "Enabled") ? TRUE : FALSE;
    info.dwOperationalState =
        prop<std::string>(p, "State") == "online" ? NTMS_READY : NTMS_NOT_PRESENT;
}

template <typename Info> DWORD fill_slot_t(Session& s, const NTMS_GUID& id, Info& info) {
    for (const auto& path : s.library_paths()) {
        const NTMS_GUID library = guid_of(path);
        for (const auto& e : elements_or_none(s, path)) {
            if (e.get<1>() != "storage" || !same_guid(slot_guid(library, e.get<0>()), id))
                continue;
            const Properties p = s.properties(path, library_iface);
            const bool full = e.get<2>();
            const std::string& medium = e.get<3>();
            const std::string& barcode = e.get<4>();
            fill_state(p, info);
            put(info.szName, prop<std::string>(p, "Name") + " slot " + std::to_string(e.get<0>()));
            put(info.szDescription, !full             ? std::string("empty")
                                    : medium.empty()  ? std::string("full, medium not identified")
                                    : barcode.empty() ? "full: medium " + medium
                                                      : "full: " + barcode);
            auto& slot = info.Info.StorageSlot;
            slot.Number = e.get<0>();
            // A full slot whose cartridge the database does not know waits for an inventory.
            slot.State = !full            ? NTMS_SLOTSTATE_EMPTY
                         : medium.empty() ? NTMS_SLOTSTATE_NEEDSINVENTORY
                                          : NTMS_SLOTSTATE_FULL;
            slot.Library = library;
            return ERROR_SUCCESS;
        }
    }
    return ERROR_OBJECT_NOT_FOUND;
}

// Whether a door job of the library is releasing the door now (the door may be open).
bool door_released(Session& s, const sdbus::ObjectPath& library) {
    for (const auto& [job, interfaces] : s.managed_objects()) {
        auto it = interfaces.find(job_iface);
        if (it == interfaces.end() || prop<sdbus::ObjectPath>(it->second, "Library") != library ||
            prop<std::string>(it->second, "Operation") != "dooraccess")
            continue;
        const uint32_t state = prop<uint32_t>(it->second, "State");
        if (state == NTMS_LM_INPROCESS || state == NTMS_LM_WAITING)
            return true;
    }
    return false;
}

template <typename Info> DWORD fill_door_t(Session& s, const NTMS_GUID& id, Info& info) {
    for (const auto& path : s.library_paths()) {
        const NTMS_GUID library = guid_of(path);
        if (!same_guid(door_guid(library), id))
            continue;
        const Properties p = s.properties(path, library_iface);
        if (!prop<bool>(p, "Door"))
            return ERROR_OBJECT_NOT_FOUND;
        fill_state(p, info);
        const bool online = prop<std::string>(p, "State") == "online";
        const bool released = door_released(s, path);
        put(info.szName, prop<std::string>(p, "Name") + " door");
        put(info.szDescription, released ? "released to the operator"
                                : online ? "closed"
                                         : "library offline: state unknown");
        auto& d = info.Info.IEDoor;
        d.Number = 0;
        // A library that answers and whose door no job has released has it closed (an open
        // door makes it NOT READY); while released, or offline, ntmsd cannot tell.
        d.State = online && !released ? NTMS_DOORSTATE_CLOSED : NTMS_DOORSTATE_UNKNOWN;
        d.MaxOpenSecs = 0; // the door job waits for the operator without a time-out
        d.Library = library;
        return ERROR_SUCCESS;
    }
    return ERROR_OBJECT_NOT_FOUND;
}

template <typename Info>
DWORD locate_medium_t(Session& s, const NTMS_GUID& id, Info& info, DWORD rc) {
    auto& pm = info.Info.PhysicalMedia;
    if (rc != ERROR_SUCCESS || pm.LocationType != NTMS_STORAGESLOT)
        return rc;
    const std::string medium = guid_string(id);
    const auto path = s.library_path(guid_string(pm.CurrentLibrary));
    for (const auto& e : elements_or_none(s, path)) {
        if (std::get<3>(e) != medium)
            continue;
        if (std::get<1>(e) == "drive") {
            pm.LocationType = NTMS_DRIVE;
            pm.Location = drive_at(s, path, std::get<0>(e)).value_or(NTMS_GUID{});
            pm.HomeSlot = NTMS_GUID{};
        }
        break;
    }
    return rc;
}

} // namespace

NTMS_GUID door_guid(const NTMS_GUID& library) {
    static constexpr std::array<uint8_t, 16> mask{0xd0, 0x0e, 0x5a, 0x71, 0x8c, 0x23, 0x4f, 0x96,
                                                  0xa1, 0x3d, 0x62, 0xe8, 0x17, 0xb4, 0xc5, 0x09};
    std::array<uint8_t, 16> b{};
    std::memcpy(b.data(), &library, sizeof library);
    for (size_t i = 0; i < b.size(); ++i)
        b[i] = static_cast<uint8_t>(b[i] ^ mask[i]);
    NTMS_GUID g;
    std::memcpy(&g, b.data(), sizeof g);
    return g;
}

DWORD list_slots(Session& s, const NTMS_GUID* container, std::vector<NTMS_GUID>& out) {
    std::vector<NTMS_GUID> list;
    for (const auto& path : libraries_of(s, container)) {
        const NTMS_GUID library = guid_of(path);
        // A library's slots are listed to those who may list its elements (USE).
        for (const auto& e : s.list_elements(path))
            if (e.get<1>() == "storage")
                list.push_back(slot_guid(library, e.get<0>()));
    }
    out = std::move(list);
    return ERROR_SUCCESS;
}

DWORD list_doors(Session& s, const NTMS_GUID* container, std::vector<NTMS_GUID>& out) {
    std::vector<NTMS_GUID> list;
    for (const auto& path : libraries_of(s, container))
        if (prop<bool>(s.properties(path, library_iface), "Door"))
            list.push_back(door_guid(guid_of(path)));
    out = std::move(list);
    return ERROR_SUCCESS;
}

DWORD fill_slot(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONA& info) {
    return fill_slot_t(s, id, info);
}
DWORD fill_slot(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONW& info) {
    return fill_slot_t(s, id, info);
}
DWORD fill_door(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONA& info) {
    return fill_door_t(s, id, info);
}
DWORD fill_door(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONW& info) {
    return fill_door_t(s, id, info);
}
DWORD locate_medium(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONA& info, DWORD rc) {
    return locate_medium_t(s, id, info, rc);
}
DWORD locate_medium(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONW& info, DWORD rc) {
    return locate_medium_t(s, id, info, rc);
}

} // namespace ntms::lib
