// Media types, media pools, partitions and logical media, from Library.DescribeMedia. A and W
// records are filled by the same templates (put() writes UTF-8 or UTF-16 by the array's type).
#include "objects_media.hpp"

#include "common/ntms_guid.h"
#include "text.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

namespace ntms::lib {

namespace {

// STORAGE_MEDIA_TYPE (winioctl.h) of LTO Ultrium data cartridges and of cleaners.
constexpr DWORD lto_ultrium = 0x56;
constexpr DWORD cleaner_cartridge = 0x32;

// Library.ListMedia's state numbers that mean "in the library".
bool in_library(uint32_t state) {
    return state == 0 || state == 1;
}

struct Described {
    NTMS_GUID id{};
    NTMS_GUID library{};
    std::string barcode;
    std::string type;
    uint32_t state = 0;
    uint64_t created = 0, modified = 0;
    bool worm = false, cleaner = false;
};

// Every medium of a library as DescribeMedia gives it; none when the caller may not list them.
std::vector<Described> described(Session& s, const sdbus::ObjectPath& library) {
    std::vector<MediumDescription> media;
    try {
        media = s.describe_media(library);
    } catch (const sdbus::Error&) {
        return {};
    }
    const NTMS_GUID lib = guid_of(library);
    std::vector<Described> out;
    out.reserve(media.size());
    for (const auto& m : media) {
        const auto id = parse_guid(m.get<0>());
        if (!id)
            continue;
        const Properties& d = m.get<1>();
        Described x;
        x.id = *id;
        x.library = lib;
        x.barcode = prop<std::string>(d, "barcode");
        x.type = prop<std::string>(d, "media-type", "unknown");
        x.state = prop<uint32_t>(d, "state-number");
        x.created = prop<uint64_t>(d, "created");
        x.modified = prop<uint64_t>(d, "modified");
        x.worm = prop<bool>(d, "worm");
        x.cleaner = prop<bool>(d, "cleaner");
        out.push_back(std::move(x));
    }
    return out;
}

// The media of one library (container given) or of all.
std::vector<Described> all_described(Session& s, const NTMS_GUID* library = nullptr) {
    std::vector<sdbus::ObjectPath> paths;
    if (library)
        paths.push_back(s.library_path(guid_string(*library)));
    else
        paths = s.library_paths();
    std::vector<Described> out;
    for (const auto& p : paths) {
        auto some = described(s, p);
        out.insert(out.end(), std::make_move_iterator(some.begin()),
                   std::make_move_iterator(some.end()));
    }
    return out;
}

// A library's creation time and its latest change (of its record or of a medium in it), usec.
std::pair<uint64_t, uint64_t> library_span(Session& s, const sdbus::ObjectPath& library,
                                           const Properties& p) {
    const uint64_t born = prop<uint64_t>(p, "TimeCreated");
    uint64_t last = born;
    for (const auto& m : described(s, library))
        last = std::max(last, m.modified);
    return {born, last};
}

// Name-based GUIDs: a media type is its name, on every host and in every session; its free pool
// is derived from the same name with another prefix.
NTMS_GUID media_type_guid(const std::string& name) {
    return changer_type_guid("org.ntms media type", name);
}

NTMS_GUID media_pool_guid(const std::string& name) {
    return changer_type_guid("org.ntms free media pool", name);
}

// A partition's GUID: its side's, made from its medium's (common/ntms_guid.h), as ntmsd takes it.
NTMS_GUID partition_guid(const NTMS_GUID& medium, uint16_t side) {
    std::array<uint8_t, 16> m{}, b{};
    ntms_guid_from_fields(medium.Data1, medium.Data2, medium.Data3, medium.Data4, m.data());
    ntms_guid_side(m.data(), side, b.data());
    NTMS_GUID g{};
    ntms_guid_to_fields(b.data(), &g.Data1, &g.Data2, &g.Data3, g.Data4);
    return g;
}

void add_once(std::vector<NTMS_GUID>& list, const NTMS_GUID& id) {
    if (std::none_of(list.begin(), list.end(),
                     [&](const NTMS_GUID& g) { return same_guid(g, id); }))
        list.push_back(id);
}

// The media of the type (or pool) with this GUID, from every library.
std::vector<Described> of_type(Session& s, const NTMS_GUID& id, bool pool) {
    std::vector<Described> found;
    for (auto& m : all_described(s)) {
        const NTMS_GUID g = pool ? media_pool_guid(m.type) : media_type_guid(m.type);
        if (same_guid(g, id))
            found.push_back(std::move(m));
    }
    return found;
}

// Created: the first medium of the group recorded; Modified: the latest change among them.
template <typename Info> void group_times(const std::vector<Described>& media, Info& info) {
    uint64_t first = 0, last = 0;
    for (const auto& m : media) {
        if (m.created && (!first || m.created < first))
            first = m.created;
        last = std::max(last, m.modified);
    }
    info.Created = system_time(first);
    info.Modified = system_time(std::max(first, last));
}

std::string count_text(size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

template <typename Info> DWORD fill_media_type(Session& s, const NTMS_GUID& id, Info& info) {
    const auto media = of_type(s, id, false);
    if (media.empty())
        return ERROR_OBJECT_NOT_FOUND;
    const Described& m = media.front();
    info.Enabled = TRUE;
    info.dwOperationalState = NTMS_READY;
    put(info.szName, m.type);
    put(info.szDescription, "media type of " + count_text(media.size(), "medium", "media"));
    group_times(media, info);
    auto& t = info.Info.MediaType;
    const bool lto = m.type.rfind("LTO", 0) == 0;
    t.MediaType = m.cleaner ? cleaner_cartridge : lto ? lto_ultrium : 0;
    t.NumberOfSides = 1;
    t.ReadWriteCharacteristics = m.worm      ? NTMS_MEDIARW_WRITEONCE
                                 : m.cleaner ? NTMS_MEDIARW_UNKNOWN
                                 : lto       ? NTMS_MEDIARW_REWRITABLE
                                             : NTMS_MEDIARW_UNKNOWN;
    t.DeviceType = lto ? file_device_tape : 0;
    return ERROR_SUCCESS;
}

template <typename Info> DWORD fill_media_pool(Session& s, const NTMS_GUID& id, Info& info) {
    const auto media = of_type(s, id, true);
    if (media.empty())
        return ERROR_OBJECT_NOT_FOUND;
    const std::string& type = media.front().type;
    info.Enabled = TRUE;
    info.dwOperationalState = NTMS_READY;
    put(info.szName, "Free " + type);
    put(info.szDescription, "free media of type " + type);
    group_times(media, info);
    auto& p = info.Info.MediaPool;
    p.PoolType = NTMS_POOLTYPE_SCRATCH;
    p.MediaType = media_type_guid(type);
    p.dwNumberOfPhysicalMedia = static_cast<DWORD>(media.size());
    return ERROR_SUCCESS;
}

template <typename Info> DWORD fill_partition(Session& s, const NTMS_GUID& id, Info& info) {
    for (const auto& m : all_described(s)) {
        if (!same_guid(partition_guid(m.id, 0), id))
            continue;
        info.Enabled = TRUE;
        info.dwOperationalState = in_library(m.state) ? NTMS_READY : NTMS_NOT_PRESENT;
        put(info.szName, (m.barcode.empty() ? std::string("unidentified") : m.barcode) + " side 0");
        put(info.szDescription, "side 0 of a " + m.type + " medium");
        info.Created = system_time(m.created);
        info.Modified = system_time(std::max(m.created, m.modified));
        auto& p = info.Info.Partition;
        p.PhysicalMedia = m.id;
        // In its type's free pool, never allocated: no logical medium.
        p.State = NTMS_PARTSTATE_AVAILABLE;
        p.Side = 0;
        return ERROR_SUCCESS;
    }
    return ERROR_OBJECT_NOT_FOUND;
}

template <typename Info> DWORD fill_info(Session& s, const NTMS_GUID& id, Info& info) {
    switch (info.dwType) {
    case NTMS_MEDIA_TYPE:
        return fill_media_type(s, id, info);
    case NTMS_MEDIA_POOL:
        return fill_media_pool(s, id, info);
    case NTMS_PARTITION:
        return fill_partition(s, id, info);
    default:
        // NTMS_LOGICAL_MEDIA: there are none until media can be allocated.
        return ERROR_OBJECT_NOT_FOUND;
    }
}

// Whether the container is a library ntmsd knows.
std::optional<NTMS_GUID> library_container(Session& s, const NTMS_GUID& id) {
    for (const auto& p : s.library_paths())
        if (same_guid(guid_of(p), id))
            return id;
    return std::nullopt;
}

} // namespace

DWORD list_media_objects(Session& s, const NTMS_GUID* container, DWORD type,
                         std::vector<NTMS_GUID>& out) {
    std::vector<NTMS_GUID> list;
    switch (type) {
    case NTMS_LOGICAL_MEDIA:
        break;
    case NTMS_MEDIA_TYPE:
        // The types of the media in the library, or in any library; each once.
        for (const auto& m : all_described(s, container))
            add_once(list, media_type_guid(m.type));
        break;
    case NTMS_MEDIA_POOL: {
        const auto media = all_described(s);
        if (container) {
            // A pool of ours holds no pools; anything else is no pool.
            const bool ours = std::any_of(media.begin(), media.end(), [&](const Described& m) {
                return same_guid(media_pool_guid(m.type), *container);
            });
            if (!ours)
                return ERROR_OBJECT_NOT_FOUND;
            break;
        }
        for (const auto& m : media)
            add_once(list, media_pool_guid(m.type));
        break;
    }
    case NTMS_PARTITION: {
        if (container && !library_container(s, *container)) {
            // A physical medium's partitions: its one side.
            for (const auto& m : all_described(s))
                if (same_guid(m.id, *container)) {
                    out = {partition_guid(m.id, 0)};
                    return ERROR_SUCCESS;
                }
            return ERROR_OBJECT_NOT_FOUND;
        }
        // In a library: of the media it holds; without one, of every medium known.
        for (const auto& m : all_described(s, container))
            if (!container || in_library(m.state))
                list.push_back(partition_guid(m.id, 0));
        break;
    }
    default:
        return ERROR_NOT_SUPPORTED;
    }
    out = std::move(list);
    return ERROR_SUCCESS;
}

DWORD fill_media_object(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONA& info) {
    return fill_info(s, id, info);
}

DWORD fill_media_object(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONW& info) {
    return fill_info(s, id, info);
}

void library_times(Session& s, const sdbus::ObjectPath& library, SYSTEMTIME& created,
                   SYSTEMTIME& modified) {
    const auto [born, last] = library_span(s, library, s.properties(library, library_iface));
    created = system_time(born);
    modified = system_time(last);
}

void changer_type_times(Session& s, const NTMS_GUID& type, SYSTEMTIME& created,
                        SYSTEMTIME& modified) {
    uint64_t first = 0, last = 0;
    for (const auto& path : s.library_paths()) {
        const Properties p = s.properties(path, library_iface);
        if (!same_guid(
                changer_type_guid(prop<std::string>(p, "Vendor"), prop<std::string>(p, "Product")),
                type))
            continue;
        const auto [born, changed] = library_span(s, path, p);
        if (born && (!first || born < first))
            first = born;
        last = std::max(last, changed);
    }
    created = system_time(first);
    modified = system_time(std::max(first, last));
}

bool medium_facts(Session& s, const sdbus::ObjectPath& library, const NTMS_GUID& medium,
                  MediumFacts& out) {
    for (const auto& m : described(s, library)) {
        if (!same_guid(m.id, medium))
            continue;
        out.created = system_time(m.created);
        out.modified = system_time(std::max(m.created, m.modified));
        out.media_type = media_type_guid(m.type);
        out.media_pool = media_pool_guid(m.type);
        return true;
    }
    return false;
}

} // namespace ntms::lib
