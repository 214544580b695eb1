// EnumerateNtmsObject's lists and GetNtmsObjectInformation's records, from the bus. A and W
// records are filled by the same templates: put() writes UTF-8 or UTF-16 by the array's type.
#include "objects.hpp"
#include "objects_slot.hpp"

#include "objects_drive.hpp"

#include "common/vocabulary.hpp"
#include "objects_media.hpp"
#include "text.hpp"

#include <algorithm>
#include <string_view>
#include <unistd.h>

namespace ntms::lib {

std::vector<sdbus::ObjectPath> libraries_of(Session& s, const NTMS_GUID* container) {
    if (container)
        return {s.library_path(guid_string(*container))};
    return s.library_paths();
}

namespace {

using Port = sdbus::Struct<uint16_t, uint16_t, bool, bool, uint16_t>;

// The DeviceType RSM gives changers: FILE_DEVICE_CHANGER of winioctl.h.
constexpr DWORD file_device_changer = 0x30;

// Library.ListMedia's states, in its numbering.
enum MediumState : uint32_t { InLibrary = 0, InPort = 1, Exported = 2, Gone = 3 };

// The computer a session's objects live on: its host without the login name or the port or
// container sd-bus accepts around it ("user@host:port").
std::string computer(const Session& s) {
    if (!s.host().empty()) {
        std::string_view host = s.host();
        if (const auto at = host.find('@'); at != std::string_view::npos)
            host.remove_prefix(at + 1);
        return std::string(host.substr(0, host.find(':')));
    }
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0)
        return {};
    return name;
}

// The media of a library; empty when the caller may not list them (ListMedia needs USE).
std::vector<Medium> media_or_none(Session& s, const sdbus::ObjectPath& library) {
    try {
        return s.list_media(library);
    } catch (const sdbus::Error&) {
        return {};
    }
}

bool present(const Medium& m) {
    return m.get<4>() == InLibrary || m.get<4>() == InPort;
}

template <typename Info> void fill_common_library(const Properties& p, Info& info) {
    info.Enabled = prop<bool>(p, "Enabled") ? TRUE : FALSE;
    info.dwOperationalState =
        prop<std::string>(p, "State") == "online" ? NTMS_READY : NTMS_NOT_PRESENT;
}

template <typename Info> DWORD fill_library(Session& s, const NTMS_GUID& id, Info& info) {
    const auto path = s.library_path(guid_string(id));
    const Properties p = s.properties(path, library_iface);
    const auto ports = prop<std::vector<Port>>(p, "Ports");
    const bool online = prop<std::string>(p, "State") == "online";
    fill_common_library(p, info);
    library_times(s, path, info.Created, info.Modified);
    put(info.szName, prop<std::string>(p, "Name"));
    // An offline library's description says why, and when its device is tried again.
    const std::string reason = prop<std::string>(p, "OfflineReason");
    put(info.szDescription, !online && !reason.empty()
                                ? "offline: " + reason
                                : prop<std::string>(p, "Vendor") + " " +
                                      prop<std::string>(p, "Product") + " (" +
                                      prop<std::string>(p, "Device") + ")");
    auto& l = info.Info.Library;
    l.LibraryType = NTMS_LIBRARYTYPE_ONLINE;
    l.InventoryMethod = NTMS_INVENTORY_FAST;
    l.dwNumberOfDrives = prop<uint32_t>(p, "Drives");
    l.dwNumberOfSlots = prop<uint32_t>(p, "Slots");
    l.dwNumberOfPorts = static_cast<DWORD>(ports.size());
    l.FirstPortNumber = ports.empty() ? 0 : ports.front().get<0>();
    l.dwNumberOfChangers = 1;
    const auto media = media_or_none(s, path);
    const uint32_t free_slots = prop<uint32_t>(p, "FreeSlots");
    l.dwNumberOfMedia = l.dwNumberOfSlots >= free_slots ? l.dwNumberOfSlots - free_slots : 0;
    if (!media.empty())
        l.dwNumberOfMedia = static_cast<DWORD>(std::count_if(media.begin(), media.end(), present));
    l.BarCodeReaderInstalled = prop<bool>(p, "BarcodeReader") ? TRUE : FALSE;
    DWORD requests = 0;
    for (const auto& [job, interfaces] : s.managed_objects()) {
        auto it = interfaces.find(job_iface);
        if (it != interfaces.end() && prop<sdbus::ObjectPath>(it->second, "Library") == path)
            ++requests;
    }
    l.dwNumberOfLibRequests = requests;
    return ERROR_SUCCESS;
}

template <typename Info> DWORD fill_changer(Session& s, const NTMS_GUID& id, Info& info) {
    for (const auto& path : s.library_paths()) {
        const NTMS_GUID library = guid_of(path);
        if (!same_guid(changer_guid(library), id))
            continue;
        const Properties p = s.properties(path, library_iface);
        fill_common_library(p, info);
        library_times(s, path, info.Created, info.Modified);
        put(info.szName, prop<std::string>(p, "Name") + " changer");
        put(info.szDescription,
            prop<std::string>(p, "Vendor") + " " + prop<std::string>(p, "Product"));
        auto& c = info.Info.Changer;
        c.Number = 0;
        c.ChangerType =
            changer_type_guid(prop<std::string>(p, "Vendor"), prop<std::string>(p, "Product"));
        put(c.szSerialNumber, prop<std::string>(p, "Serial"));
        put(c.szDeviceName, prop<std::string>(p, "Device"));
        c.Library = library;
        return ERROR_SUCCESS;
    }
    return ERROR_OBJECT_NOT_FOUND;
}

// The vendor and product of a changer type, found among the libraries.
std::optional<std::pair<std::string, std::string>> changer_type(Session& s, const NTMS_GUID& id) {
    for (const auto& path : s.library_paths()) {
        const Properties p = s.properties(path, library_iface);
        auto vendor = prop<std::string>(p, "Vendor"), product = prop<std::string>(p, "Product");
        if (same_guid(changer_type_guid(vendor, product), id))
            return std::make_pair(std::move(vendor), std::move(product));
    }
    return std::nullopt;
}

template <typename Info> DWORD fill_changer_type(Session& s, const NTMS_GUID& id, Info& info) {
    const auto type = changer_type(s, id);
    if (!type)
        return ERROR_OBJECT_NOT_FOUND;
    info.Enabled = TRUE;
    info.dwOperationalState = NTMS_READY;
    put(info.szName, type->first + " " + type->second);
    put(info.szDescription, "changer type");
    changer_type_times(s, id, info.Created, info.Modified);
    auto& c = info.Info.ChangerType;
    put(c.szVendor, type->first);
    put(c.szProduct, type->second);
    c.DeviceType = file_device_changer;
    return ERROR_SUCCESS;
}

template <typename Info> DWORD fill_port(Session& s, const NTMS_GUID& id, Info& info) {
    for (const auto& path : s.library_paths()) {
        const NTMS_GUID library = guid_of(path);
        const Properties p = s.properties(path, library_iface);
        for (const auto& port : prop<std::vector<Port>>(p, "Ports")) {
            if (!same_guid(port_guid(library, port.get<0>()), id))
                continue;
            fill_common_library(p, info);
            library_times(s, path, info.Created, info.Modified);
            put(info.szName,
                prop<std::string>(p, "Name") + " port " + std::to_string(port.get<0>()));
            put(info.szDescription, std::to_string(port.get<1>()) +
                                        (port.get<1>() == 1 ? " element" : " elements") +
                                        (port.get<2>() ? ", locked" : ", unlocked"));
            auto& e = info.Info.IEPort;
            e.Number = port.get<0>();
            e.Content = port.get<4>() > 0 ? NTMS_PORTCONTENT_FULL : NTMS_PORTCONTENT_EMPTY;
            e.Position = port.get<3>() ? NTMS_PORTPOSITION_EXTENDED : NTMS_PORTPOSITION_RETRACTED;
            e.MaxExtendSecs =
                static_cast<WORD>(std::min<uint32_t>(prop<uint32_t>(p, "InjectTimeout"), 65535));
            e.Library = library;
            return ERROR_SUCCESS;
        }
    }
    return ERROR_OBJECT_NOT_FOUND;
}

template <typename Info> DWORD fill_medium(Session& s, const NTMS_GUID& id, Info& info) {
    for (const auto& path : s.library_paths()) {
        for (const auto& m : media_or_none(s, path)) {
            const auto medium = parse_guid(m.get<0>());
            if (!medium || !same_guid(*medium, id))
                continue;
            const NTMS_GUID library = guid_of(path);
            const uint16_t address = m.get<3>();
            const std::string& barcode = m.get<1>();
            info.Enabled = TRUE;
            info.dwOperationalState = present(m) ? NTMS_READY : NTMS_NOT_PRESENT;
            // An exported cartridge waits in the port for the operator: still at an element.
            const bool in_port = m.get<4>() == InPort || m.get<4>() == Exported;
            put(info.szName, barcode.empty() ? "unidentified" : barcode);
            put(info.szDescription, m.get<2>() + (present(m) || in_port
                                                       ? " at element " + std::to_string(address)
                                                       : ""));
            auto& pm = info.Info.PhysicalMedia;
            put(pm.szBarCode, barcode);
            pm.BarCodeState = barcode.empty() ? NTMS_BARCODESTATE_UNREADABLE : NTMS_BARCODESTATE_OK;
            pm.MediaState = NTMS_MEDIASTATE_IDLE;
            pm.dwNumberOfPartitions = 1;
            if (MediumFacts f; medium_facts(s, path, id, f)) {
                info.Created = f.created;
                info.Modified = f.modified;
                pm.MediaType = f.media_type;
                pm.MediaPool = f.media_pool;
            }
            if (m.get<4>() == InLibrary) {
                pm.CurrentLibrary = library;
                pm.Location = slot_guid(library, address);
                pm.LocationType = NTMS_STORAGESLOT;
                pm.HomeSlot = pm.Location;
            } else if (in_port) {
                pm.CurrentLibrary = library;
                pm.LocationType = NTMS_IEPORT;
                const auto ports =
                    prop<std::vector<Port>>(s.properties(path, library_iface), "Ports");
                for (const auto& port : ports)
                    if (address >= port.get<0>() && address - port.get<0>() < port.get<1>())
                        pm.Location = port_guid(library, port.get<0>());
            }
            return ERROR_SUCCESS;
        }
    }
    return ERROR_OBJECT_NOT_FOUND;
}

template <typename Info> DWORD fill_job(Session& s, const NTMS_GUID& id, Info& info) {
    const Properties p = s.properties(s.job_path(guid_string(id)), job_iface);
    const uint64_t queued = prop<uint64_t>(p, "TimeQueued");
    const uint64_t started = prop<uint64_t>(p, "TimeStarted");
    const uint64_t completed = prop<uint64_t>(p, "TimeCompleted");
    info.Enabled = TRUE;
    info.Created = system_time(queued);
    info.Modified = system_time(std::max({queued, started, completed}));
    const std::string operation = prop<std::string>(p, "Operation");
    put(info.szName, operation);
    // RSM has no field for the media count: the description carries it, then the error message.
    const std::string message = prop<std::string>(p, "ErrorMessage");
    put(info.szDescription, "media moved: " + std::to_string(prop<uint32_t>(p, "MediaMoved")) +
                                (message.empty() ? "" : "; " + message));
    auto& r = info.Info.LibRequest;
    // The bus names the operation ("inject"); RSM's code comes from the same table.
    r.OperationCode = vocabulary::operation_code(operation).value_or(0);
    r.OperationOption = prop<uint32_t>(p, "Action");
    r.State = prop<uint32_t>(p, "State");
    r.Library = guid_of(prop<sdbus::ObjectPath>(p, "Library"));
    r.TimeQueued = system_time(queued);
    r.TimeCompleted = system_time(completed);
    put(r.szApplication, prop<std::string>(p, "Application"));
    put(r.szUser, std::to_string(prop<uint32_t>(p, "StartedByUID")));
    put(r.szComputer, computer(s));
    r.dwErrorCode = prop<uint32_t>(p, "Error");
    r.WorkItemId = id;
    // The medium the request is about (an eject's first, an inject's first import).
    const auto media = prop<std::vector<std::string>>(p, "Media");
    if (!media.empty())
        if (const auto medium = parse_guid(media.front()))
            r.PhysMediaId = *medium;
    return ERROR_SUCCESS;
}

template <typename Info> DWORD fill_oprequest(Session& s, const NTMS_GUID& id, Info& info) {
    const Properties p = s.properties(s.oprequest_path(guid_string(id)), oprequest_iface);
    const std::string message = prop<std::string>(p, "Message");
    const auto submitted = system_time(prop<uint64_t>(p, "TimeSubmitted"));
    info.Enabled = TRUE;
    info.Created = submitted;
    info.Modified =
        system_time(std::max(prop<uint64_t>(p, "TimeSubmitted"), prop<uint64_t>(p, "TimeChanged")));
    put(info.szName, "operator request");
    put(info.szDescription, message);
    auto& r = info.Info.OpRequest;
    r.Request = prop<uint32_t>(p, "Type");
    r.Submitted = submitted;
    r.State = prop<uint32_t>(p, "State");
    put(r.szMessage, message);
    r.Arg1Type = NTMS_LIBRARY;
    r.Arg1 = guid_of(prop<sdbus::ObjectPath>(p, "Library"));
    const auto job = prop<sdbus::ObjectPath>(p, "Job");
    if (job != "/" && !job.empty()) {
        r.Arg2Type = NTMS_LIBREQUEST;
        r.Arg2 = guid_of(job);
    }
    put(r.szApplication, "ntmsd");
    put(r.szComputer, computer(s));
    return ERROR_SUCCESS;
}

template <typename Info> DWORD fill(Session& s, const NTMS_GUID& id, Info& info) {
    switch (info.dwType) {
    case NTMS_LIBRARY:
        return fill_library(s, id, info);
    case NTMS_CHANGER:
        return fill_changer(s, id, info);
    case NTMS_CHANGER_TYPE:
        return fill_changer_type(s, id, info);
    case NTMS_IEPORT:
        return fill_port(s, id, info);
    case NTMS_PHYSICAL_MEDIA:
        return locate_medium(s, id, info, fill_medium(s, id, info));
    case NTMS_STORAGESLOT:
        return fill_slot(s, id, info);
    case NTMS_IEDOOR:
        return fill_door(s, id, info);
    case NTMS_LIBREQUEST:
        return fill_job(s, id, info);
    case NTMS_OPREQUEST:
        return fill_oprequest(s, id, info);
    case NTMS_MEDIA_TYPE:
    case NTMS_MEDIA_POOL:
    case NTMS_PARTITION:
    case NTMS_LOGICAL_MEDIA:
        return fill_media_object(s, id, info);
    case NTMS_DRIVE:
        return fill_drive(s, id, info);
    case NTMS_DRIVE_TYPE:
        return fill_drive_type(s, id, info);
    default: {
        // Never a success with nothing filled, should type_supported() know more than this.
        const DWORD rc = type_supported(info.dwType);
        return rc == ERROR_SUCCESS ? ERROR_NOT_SUPPORTED : rc;
    }
    }
}

// Jobs or operator requests on the bus, of one library when given, oldest first.
std::vector<NTMS_GUID> requests(Session& s, const NTMS_GUID* container, DWORD type) {
    const char* iface = type == NTMS_LIBREQUEST ? job_iface : oprequest_iface;
    const char* time = type == NTMS_LIBREQUEST ? "TimeQueued" : "TimeSubmitted";
    std::optional<sdbus::ObjectPath> library;
    if (container)
        library = s.library_path(guid_string(*container));
    std::vector<std::pair<uint64_t, NTMS_GUID>> found;
    for (const auto& [path, interfaces] : s.managed_objects()) {
        auto it = interfaces.find(iface);
        if (it == interfaces.end())
            continue;
        if (library && prop<sdbus::ObjectPath>(it->second, "Library") != *library)
            continue;
        found.emplace_back(prop<uint64_t>(it->second, time), guid_of(path));
    }
    std::stable_sort(found.begin(), found.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<NTMS_GUID> list;
    for (const auto& f : found)
        list.push_back(f.second);
    return list;
}

} // namespace

NTMS_GUID guid_of(const sdbus::ObjectPath& path) {
    return path_guid(path).value_or(NTMS_GUID{});
}

DWORD type_supported(DWORD type) {
    switch (type) {
    case NTMS_LIBRARY:
    case NTMS_CHANGER:
    case NTMS_CHANGER_TYPE:
    case NTMS_IEPORT:
    case NTMS_PHYSICAL_MEDIA:
    case NTMS_LIBREQUEST:
    case NTMS_OPREQUEST:
    case NTMS_MEDIA_TYPE:
    case NTMS_MEDIA_POOL:
    case NTMS_PARTITION:
    case NTMS_LOGICAL_MEDIA:
    case NTMS_STORAGESLOT:
    case NTMS_IEDOOR:
    case NTMS_DRIVE:
    case NTMS_DRIVE_TYPE:
        return ERROR_SUCCESS;
    default:
        return type > NTMS_UNKNOWN && type < NTMS_NUMBER_OF_OBJECT_TYPES ? ERROR_NOT_SUPPORTED
                                                                         : ERROR_INVALID_PARAMETER;
    }
}

DWORD list_objects(Session& s, const NTMS_GUID* container, DWORD type,
                   std::vector<NTMS_GUID>& out) {
    if (const DWORD rc = type_supported(type); rc != ERROR_SUCCESS)
        return rc;
    std::vector<NTMS_GUID> list;
    switch (type) {
    case NTMS_LIBRARY:
    case NTMS_OPREQUEST:
        // Libraries are in no container; operator requests are the computer's.
        if (container)
            return ERROR_INVALID_PARAMETER;
        if (type == NTMS_OPREQUEST) {
            list = requests(s, nullptr, type);
            break;
        }
        for (const auto& path : s.library_paths())
            list.push_back(guid_of(path));
        break;
    case NTMS_LIBREQUEST:
        list = requests(s, container, type);
        break;
    case NTMS_CHANGER:
        for (const auto& path : libraries_of(s, container))
            list.push_back(changer_guid(guid_of(path)));
        break;
    case NTMS_CHANGER_TYPE:
        // The types of the host's changers, each once; they are in no library.
        if (container)
            return ERROR_INVALID_PARAMETER;
        for (const auto& path : s.library_paths()) {
            const Properties p = s.properties(path, library_iface);
            const auto id =
                changer_type_guid(prop<std::string>(p, "Vendor"), prop<std::string>(p, "Product"));
            if (std::none_of(list.begin(), list.end(),
                             [&](const NTMS_GUID& g) { return same_guid(g, id); }))
                list.push_back(id);
        }
        break;
    case NTMS_IEPORT:
        for (const auto& path : libraries_of(s, container))
            for (const auto& port :
                 prop<std::vector<Port>>(s.properties(path, library_iface), "Ports"))
                list.push_back(port_guid(guid_of(path), port.get<0>()));
        break;
    case NTMS_PHYSICAL_MEDIA:
        // In a library: the media it holds (slots and ports); without one, every medium known,
        // those taken out of their library too.
        for (const auto& path : libraries_of(s, container)) {
            for (const auto& m : s.list_media(path)) {
                const auto id = parse_guid(m.get<0>());
                if (id && (!container || present(m)))
                    list.push_back(*id);
            }
        }
        break;
    case NTMS_MEDIA_TYPE:
    case NTMS_MEDIA_POOL:
    case NTMS_PARTITION:
    case NTMS_LOGICAL_MEDIA:
        return list_media_objects(s, container, type, out);
    case NTMS_STORAGESLOT:
        return list_slots(s, container, out);
    case NTMS_IEDOOR:
        return list_doors(s, container, out);
    case NTMS_DRIVE:
        list = list_drives(s, container);
        break;
    case NTMS_DRIVE_TYPE:
        if (const DWORD rc = list_drive_types(s, container, list); rc != ERROR_SUCCESS)
            return rc;
        break;
    default:
        return ERROR_NOT_SUPPORTED;
    }
    out = std::move(list);
    return ERROR_SUCCESS;
}

DWORD fill_object(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONA& info) {
    return fill(s, id, info);
}

DWORD fill_object(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONW& info) {
    return fill(s, id, info);
}

} // namespace ntms::lib
