#include "daemon/operations/drive_work.hpp"

#include "daemon/library/library.hpp"
#include "daemon/operations/eject_moves.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace ntms {

Expected<std::vector<DriveView>> drive_views(Library& lib, Store& db) {
    const LibrarySnapshot snap = lib.snapshot();
    auto mounted = db.mounted_media(lib.id(), drive_elements(snap.drive_list));
    if (!mounted)
        return mounted.error();
    std::vector<DriveView> out;
    for (const auto& d : snap.drive_list) {
        DriveView v{d, std::nullopt};
        for (const auto& m : *mounted)
            if (m.drive == d.element && d.full && (d.medium.is_null() || d.medium == m.medium))
                v.mount = m;
        out.push_back(std::move(v));
    }
    return out;
}

const DriveView* find_drive(const std::vector<DriveView>& drives, uint16_t element) {
    auto it = std::find_if(drives.begin(), drives.end(),
                           [&](const DriveView& v) { return v.drive.element == element; });
    return it == drives.end() ? nullptr : &*it;
}

bool is_storage_slot(const Library& lib, uint16_t address) {
    for (const auto& r : lib.catalogue().element_ranges().first)
        if (r.kind == ElementKind::Storage && address >= r.first && address - r.first < r.count)
            return true;
    return false;
}

Expected<void> empty_slot(EjectMoves& moves, const Library& lib, uint16_t address) {
    if (!is_storage_slot(lib, address))
        return fail(win32::InvalidParameter,
                    fmt::format("element {} is not a storage slot of library {}", address,
                                lib.name()));
    auto e = moves.read_one(sgio::ElementType::Storage, address);
    if (!e)
        return e.error();
    if (e->full)
        return fail(win32::InvalidState, fmt::format("slot {} is not empty (it holds {})", address,
                                                     cartridge_label(e->primary_tag)));
    return {};
}

Expected<uint16_t> put_away(EjectMoves& moves, Library& lib, MediumRecord& m,
                            std::optional<uint16_t> home, std::optional<uint16_t> asked,
                            const char* reason, bool count) {
    if (!m.element)
        return fail(win32::InvalidState, fmt::format("medium {} is in no drive", m.id.str()));
    const uint16_t drive = *m.element;
    std::optional<uint16_t> slot;
    if (asked) {
        if (auto r = empty_slot(moves, lib, *asked); !r)
            return r.error();
        slot = asked;
    } else if (home && is_storage_slot(lib, *home)) {
        auto e = moves.read_one(sgio::ElementType::Storage, *home);
        if (!e)
            return e.error();
        if (!e->full)
            slot = home;
    }
    if (!slot)
        slot = lib.catalogue().pick_free_slot();
    if (!slot)
        return fail(win32::LibraryFull,
                    fmt::format("library {} has no free storage slot for {} from drive {}",
                                lib.name(), cartridge_label(m.barcode), drive));
    if (auto r = moves.transfer(m, sgio::ElementType::DataTransfer, *slot,
                                sgio::ElementType::Storage, MediumState::InLibrary, reason, count);
        !r)
        return r.error();
    lib.catalogue().set_drive_content(drive, false, {}, {}, false);
    return *slot;
}

Expected<std::vector<DriveRequest>> requests_of(Store& db, const Guid& job, const char* reason) {
    auto rows = db.moves_of_job(job);
    if (!rows)
        return rows.error();
    std::vector<DriveRequest> out;
    for (const auto& r : *rows)
        if (r.reason == reason && std::none_of(out.begin(), out.end(), [&](const DriveRequest& q) {
                return q.medium == r.medium;
            }))
            out.push_back(DriveRequest{r.medium, r.to});
    return out;
}

} // namespace ntms
