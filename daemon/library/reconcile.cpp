#include "daemon/library/reconcile.hpp"

#include "daemon/journal.hpp"
#include "daemon/library/library.hpp"
#include "daemon/library/tape_devices.hpp"
#include "daemon/scsi_status.hpp"
#include "daemon/store/store.hpp"
#include "sgio/large_pages.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <future>
#include <iterator>
#include <optional>
#include <string_view>
#include <system_error>
#include <unordered_map>

namespace ntms {

namespace {

const Physical* find(const Physicals& phys, uint16_t address) {
    auto it = std::lower_bound(phys.begin(), phys.end(), address,
                               [](const Physical& p, uint16_t a) { return p.address < a; });
    return it != phys.end() && it->address == address ? &*it : nullptr;
}

std::vector<PortState> ports_for(const LibraryConfig& cfg, const sgio::ElementMap& map) {
    std::vector<PortState> ports;
    if (map.ie_count == 0)
        return ports;
    if (cfg.ports.empty()) {
        ports.push_back(PortState{map.ie_first, map.ie_count, false, false, 0});
        return ports;
    }
    for (const auto& p : cfg.ports) {
        // Configured ports outside the device's IE range are ignored (and said so).
        if (p.first < map.ie_first || p.first + p.count > map.ie_first + map.ie_count) {
            log(LOG_WARNING, fmt::format("Library {}: configured port {}-{} is not within the "
                                         "import/export elements {}-{}; ignored",
                                         cfg.name, p.first, p.first + p.count - 1, map.ie_first,
                                         map.ie_first + map.ie_count - 1));
            continue;
        }
        ports.push_back(PortState{p.first, p.count, false, false, 0});
    }
    return ports;
}

// What the database holds of a library: its moves recorded as intended, and its media records,
// listed only where there are no such moves (settling them changes the records).
struct Stored {
    Expected<std::vector<MoveIntent>> intents;
    std::optional<Expected<std::vector<MediumRecord>>> media;
};

Stored read_stored(Store& db, const Guid& library) {
    Stored s{db.pending_intents(library), std::nullopt};
    if (s.intents && s.intents->empty())
        s.media = db.list_media(library);
    return s;
}

Expected<void> offline(Library& lib, const sgio::Error& e, const char* what) {
    Status s = from_scsi(e, what);
    if (is_offline_error(e))
        lib.catalogue().set_state(LibraryState::Offline, e.message);
    return s;
}

} // namespace

sgio::Result<DeviceReading> read_device(sgio::Changer& ch, const char*& what,
                                        const sgio::Identity* known) {
    DeviceReading d;
    if (known) {
        d.ident = *known;
    } else {
        what = "identify";
        auto ident = ch.identify();
        if (!ident)
            return std::move(ident).error();
        d.ident = std::move(ident).value();
    }
    what = "read the element map";
    auto map = ch.element_map(true);
    if (!map)
        return std::move(map).error();
    d.map = *map;
    auto caps = ch.capabilities();
    d.barcode_reader = caps && caps->present ? caps->barcode_reader : true;

    d.storage.reserve(map->storage_count);
    // The types in the order of their addresses, so that the elements arrive sorted (each type's
    // come in address order) and the sort below has nothing to do where the ranges do not overlap.
    std::array<sgio::ElementType, 4> types{sgio::ElementType::Transport, sgio::ElementType::Storage,
                                           sgio::ElementType::ImportExport,
                                           sgio::ElementType::DataTransfer};
    std::stable_sort(types.begin(), types.end(), [&](sgio::ElementType a, sgio::ElementType b) {
        return map->first(a) < map->first(b);
    });
    // Where the types' ranges do not overlap (as on every changer seen), each address is reported
    // once, and phys keeps only the elements that hold a cartridge: find() answers an address it
    // does not hold as empty. 5,000 cartridges in 64,535 slots then keep 5,000 elements, not
    // 64,535 (2.4 MB less). Where they overlap, every element is kept, so that an address's last
    // report (full or empty) is the one that counts.
    const bool overlap = map->overlaps();
    // Room for every element only where each is kept; the full ones grow their vector as found
    // (a reservation of every slot's room would take its huge page when first written).
    Physicals& phys = d.phys;
    const size_t elements =
        size_t{map->transport_count} + map->storage_count + map->ie_count + map->drive_count;
    phys.reserve(overlap ? elements : std::min<size_t>(elements, 1024));
    what = "read element status";
    for (auto type : types) {
        if (map->count(type) == 0)
            continue;
        // Views over the reply: only the fields kept here are copied out of it.
        auto r = ch.for_each_element(type, [&](const sgio::ElementView& e) {
            // An empty element's tag is never looked at: not trimmed out of its 32 blanks.
            const bool holds = e.full();
            if (holds || overlap)
                phys.push_back(Physical{e.address(), type, holds,
                                        holds ? std::string(e.primary_tag()) : std::string()});
            if (type == sgio::ElementType::Storage)
                d.storage.emplace_back(e.address(), holds);
            else if (type == sgio::ElementType::DataTransfer)
                d.drive_status.push_back(e.status());
        });
        if (!r)
            return std::move(r).error();
    }
    // The elements are in phys: what the read of them all needed is not kept until the next one.
    // (A read that failed keeps it: the library's retry reads them all again.)
    ch.release_buffers();
    // By address; an address reported twice keeps its last report, as the map it replaces did.
    const auto by_address = [](const Physical& a, const Physical& b) {
        return a.address < b.address;
    };
    if (!std::is_sorted(phys.begin(), phys.end(), by_address))
        std::stable_sort(phys.begin(), phys.end(), by_address);
    for (size_t i = 0; i + 1 < phys.size();) {
        if (phys[i].address == phys[i + 1].address)
            phys.erase(phys.begin() + static_cast<std::ptrdiff_t>(i));
        else
            ++i;
    }
    d.learned = ch.learned();
    return d;
}

Expected<void> reconcile(Library& lib, Store& db, bool& device_read, ReconcileReport* report,
                         const Guid& job) {
    device_read = false;
    // The stored records are read on a thread of their own while the device is read (or while
    // the reading start-up began is awaited): the device's time is its own (on tgt a restart's
    // reads of 64,535 elements take about 12 ms) and the 5,000 records took 2.5 ms after it.
    // Only the reads: every write comes after the device's answer. Nothing else touches db
    // meanwhile, and the future waits for the thread however this returns. Where no thread can
    // be started, the records are read after the device.
    std::future<Stored> stored;
    try {
        stored =
            std::async(std::launch::async, [&db, id = lib.id()] { return read_stored(db, id); });
    } catch (const std::system_error&) {
    }
    // A reading taken at start-up, while the database was being opened, is this first one.
    std::optional<DeviceReading> taken = lib.take_first_reading();
    if (taken) {
        lib.device().changer()->learn(taken->learned);
    } else {
        const char* what = "";
        auto r = read_device(*lib.device().changer(), what);
        if (!r)
            return offline(lib, r.error(), what);
        taken = std::move(r).value();
    }
    const DeviceReading& reading = *taken;
    const Physicals& phys = reading.phys;
    const sgio::ElementMap& map = reading.map;
    const sgio::Identity& ident = reading.ident;
    device_read = true;
    lib.catalogue().set_layout(ports_for(lib.config(), map), map.drive_count,
                               reading.barcode_reader, ident.vendor, ident.product, ident.serial);

    // 1. Moves recorded as intended: did they happen?
    Stored was = stored.valid() ? stored.get() : read_stored(db, lib.id());
    if (!was.intents)
        return was.intents.error();
    for (const auto& in : *was.intents) {
        const Physical* found_src = find(phys, in.source);
        const Physical* found_dst = find(phys, in.destination);
        const Physical src = found_src ? *found_src : Physical{};
        const Physical dst = found_dst ? *found_dst : Physical{};
        const bool moved =
            dst.full && (!src.full || (!in.barcode.empty() && dst.tag == in.barcode));
        if (moved) {
            MediumRecord m;
            m.id = in.medium;
            m.library = lib.id();
            m.barcode = dst.tag.empty() ? in.barcode : dst.tag;
            m.element = in.destination;
            m.state = MediumState::InLibrary;
            m.updated = now_usec();
            if (auto r = db.complete_move(in, m); !r)
                return r;
            journal_reconciled(lib.journal_record(),
                               fmt::format("move {} -> {} of job {} had completed; recorded",
                                           in.source, in.destination, in.job.str()));
        } else {
            if (auto r = db.drop_intent(in.id); !r)
                return r;
            journal_reconciled(lib.journal_record(),
                               fmt::format("move {} -> {} of job {} had not happened; dropped",
                                           in.source, in.destination, in.job.str()));
        }
    }

    // 2. Media records against the physical elements.
    auto media = was.media ? std::move(*was.media) : db.list_media(lib.id());
    if (!media)
        return media.error();
    // The records are looked up where list_media left them, not copied: a restart that finds
    // every cartridge where it was copies none of them.
    const std::vector<MediumRecord>& records = *media;
    std::unordered_map<uint16_t, const MediumRecord*> at;
    std::unordered_map<std::string_view, const MediumRecord*> by_tag;
    at.reserve(records.size());
    by_tag.reserve(records.size());
    for (const auto& m : records) {
        if (m.element && m.state != MediumState::Gone)
            at[*m.element] = &m;
        if (!m.barcode.empty())
            by_tag[m.barcode] = &m;
    }
    // Recorded media found in the library, by their place in records.
    std::vector<char> claimed(records.size(), 0);
    auto claim = [&](const MediumRecord* m) {
        claimed[static_cast<size_t>(m - records.data())] = 1;
    };
    auto is_claimed = [&](const MediumRecord* m) {
        return claimed[static_cast<size_t>(m - records.data())] != 0;
    };

    std::vector<std::pair<MediumRecord, std::optional<MediumMove>>> changes, relocating;
    const auto full = static_cast<size_t>(
        std::count_if(phys.begin(), phys.end(), [](const Physical& p) { return p.full; }));
    changes.reserve(full);                     // at most one change for each full element
    std::unordered_map<uint16_t, Guid> placed; // full element -> its medium record
    placed.reserve(full);
    const int64_t now = now_usec();
    auto move_row = [&](const MediumRecord& m, std::optional<uint16_t> from,
                        std::optional<uint16_t> to, const char* reason) {
        return MediumMove{m.id, job, from, to, now, reason};
    };

    // Elements holding a cartridge: keep, re-identify or adopt.
    for (const auto& p : phys) {
        if (!p.full)
            continue;
        const uint16_t addr = p.address;
        auto it = at.find(addr);
        if (it != at.end() &&
            (p.tag.empty() || it->second->barcode.empty() || p.tag == it->second->barcode)) {
            const MediumRecord& kept = *it->second;
            claim(&kept);
            placed[addr] = kept.id;
            const bool labelled = kept.barcode.empty() && !p.tag.empty();
            const bool home =
                p.type != sgio::ElementType::ImportExport && kept.state != MediumState::InLibrary;
            if (labelled || home) {
                MediumRecord m = kept;
                if (labelled)
                    m.barcode = p.tag;
                if (home)
                    m.state = MediumState::InLibrary;
                m.updated = now;
                changes.emplace_back(std::move(m), std::nullopt);
            }
            continue;
        }
        const bool in_port = p.type == sgio::ElementType::ImportExport;
        auto known = p.tag.empty() ? by_tag.end() : by_tag.find(p.tag);
        if (known != by_tag.end() && !is_claimed(known->second)) {
            MediumRecord m = *known->second;
            claim(known->second);
            placed[addr] = m.id;
            auto from = m.element;
            MediumRecord lifted = m; // off its old element first: elements may be swapped
            lifted.element.reset();
            lifted.state = MediumState::Gone;
            relocating.emplace_back(lifted, std::nullopt);
            m.element = addr;
            m.state = in_port ? MediumState::InPort : MediumState::InLibrary;
            m.updated = now;
            changes.emplace_back(m, move_row(m, from, addr, "reconcile"));
            continue;
        }
        // A cartridge in a port was put there by the operator (while ntmsd was down, say): it is
        // listed where it waits, and the next inject imports it under this identity.
        MediumRecord m;
        m.id = Guid::time_ordered(); // a new inventory's records append to the index
        m.library = lib.id();
        m.barcode = p.tag;
        m.element = addr;
        m.state = in_port ? MediumState::InPort : MediumState::InLibrary;
        m.updated = now;
        // A new record is nobody's claim: claimed is asked only of records read above.
        placed[addr] = m.id;
        changes.emplace_back(
            m, move_row(m, std::nullopt, addr, in_port ? "found-in-port" : "inventory"));
    }
    // Records whose element is empty (or holds another cartridge) and that were not found
    // elsewhere: the cartridge has left the library.
    std::vector<std::pair<MediumRecord, std::optional<MediumMove>>> vacated;
    for (const auto& [addr, rec] : at) {
        if (is_claimed(rec))
            continue;
        MediumRecord g = *rec;
        g.element.reset();
        g.state = MediumState::Gone;
        g.updated = now;
        vacated.emplace_back(g, move_row(g, addr, std::nullopt, "missing"));
    }
    ReconcileReport counts;
    for (const auto& [m, h] : changes) {
        if (!h)
            ++counts.updated;
        else if (h->from)
            ++counts.relocated;
        else
            ++counts.added;
    }
    counts.gone = static_cast<uint32_t>(vacated.size());
    const size_t changed = changes.size();
    // Vacate first so that no two records ever hold one element.
    // One transaction: a large inventory costs one commit, and a crash leaves no half of it.
    // A first inventory has only new records: they go as they are, not copied into a second list
    // (176 bytes a record: 880 KB of fresh memory for 5,000). The vacated records are copied,
    // not moved: they are journalled below, by their barcodes.
    std::vector<Store::MediumChange> all;
    if (relocating.empty() && vacated.empty()) {
        all = std::move(changes);
    } else {
        all.reserve(relocating.size() + vacated.size() + changes.size());
        all.insert(all.end(), std::make_move_iterator(relocating.begin()),
                   std::make_move_iterator(relocating.end()));
        all.insert(all.end(), vacated.begin(), vacated.end());
        all.insert(all.end(), std::make_move_iterator(changes.begin()),
                   std::make_move_iterator(changes.end()));
    }
    auto applied = all.empty() ? Expected<void>() : db.put_media(all);
    if (!applied)
        return applied;
    if (report)
        *report = counts;
    if (!vacated.empty() || changed)
        journal_reconciled(lib.journal_record(),
                           fmt::format("inventory: {} media records updated, {} no longer present",
                                       changed, vacated.size()));
    // Each cartridge that left is named: its record stays, with its history, outside the library.
    for (const auto& [m, h] : vacated)
        journal_medium_gone(lib.journal_record(), m, h ? h->from : std::nullopt, job);

    // Moved records may have been in `changes` pointing at an element vacated above; storage cache
    // reflects the device.
    lib.catalogue().set_element_ranges({
        {ElementKind::Transport, map.transport_first, map.transport_count},
        {ElementKind::Storage, map.storage_first, map.storage_count},
        {ElementKind::Port, map.ie_first, map.ie_count},
        {ElementKind::Drive, map.drive_first, map.drive_count},
    });
    lib.catalogue().set_storage(reading.storage);
    auto drives = sorted_drives(lib.id(), reading.drive_status);
    for (auto& d : drives)
        if (auto it = placed.find(d.element); d.full && it != placed.end())
            d.medium = it->second;
    assign_tape_devices(drives, lib.config().drive_devices, tape_directory().list());
    // A source address counts as home only when it names a slot or a port of this changer.
    auto within = [](uint16_t a, uint16_t first, uint16_t count) {
        return count && a >= first && a - first < count;
    };
    for (auto& d : drives)
        if (!within(d.home, map.storage_first, map.storage_count) &&
            !within(d.home, map.ie_first, map.ie_count))
            d.home = 0;
    // In use: mounted by a mount job, not dismounted since (and still in that drive). The mount's
    // record of where the cartridge came from is the home, before the changer's word.
    if (auto mounted = db.mounted_media(lib.id(), drive_elements(drives)); mounted) {
        for (const auto& m : *mounted)
            for (auto& d : drives)
                if (d.element == m.drive && d.full && d.medium == m.medium) {
                    if (!m.released)
                        d.in_use = true;
                    if (m.home)
                        d.home = *m.home;
                }
    } else {
        return mounted.error();
    }
    lib.catalogue().set_drives(std::move(drives));
    return {};
}

} // namespace ntms
