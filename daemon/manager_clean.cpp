// CleanNtmsDrive at the front door: its call-time checks and the CLEANDRIVE job it queues
// (operations/clean.hpp); and the cleanings left of a library's cleaning cartridges. USE access
// to the drive's library, as a mount.
#include "daemon/config.hpp"
#include "daemon/jobs/ledger.hpp"
#include "daemon/library/library.hpp"
#include "daemon/manager.hpp"
#include "daemon/registry/registry.hpp"
#include "daemon/request_limits.hpp"
#include "daemon/store/shared_store.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <new>

namespace ntms {

std::optional<Guid> Manager::drive_library(const std::string& drive) const {
    const auto id = Guid::parse(drive);
    if (!id)
        return std::nullopt;
    for (const auto& lib_id : registry_.libraries())
        if (Library* l = registry_.find(lib_id))
            for (const auto& d : l->snapshot().drive_list)
                if (d.id == *id)
                    return lib_id;
    return std::nullopt;
}

Expected<Guid> Manager::clean(const std::string& drive, const MountOptions& options,
                              const Caller& who) try {
    const auto id = Guid::parse(drive);
    if (!id)
        return fail(
            win32::InvalidDrive,
            fmt::format("'{}' is not a drive GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", drive));
    if (options.element)
        return fail(win32::InvalidParameter, "a cleaning takes no element option");
    if (auto bad = application_over_bound(options.application))
        return *bad;
    if (!db_.usable())
        return db_.status();
    const auto lib_id = drive_library(drive);
    if (!lib_id)
        return fail(win32::InvalidDrive, fmt::format("no drive {}", drive));
    auto found = with_right(*lib_id, who, Right::Use);
    if (!found)
        return found.error();
    Library& lib = **found;
    const LibrarySnapshot snap = lib.snapshot();
    if (!snap.enabled)
        return fail(win32::DeviceNotAvailable, fmt::format("library {} is disabled", snap.name));
    if (!snap.online())
        return fail(win32::LibraryOffline,
                    fmt::format("library {} is offline: {}", snap.name, snap.offline_reason));
    auto d = std::find_if(snap.drive_list.begin(), snap.drive_list.end(),
                          [&](const DriveState& s) { return s.id == *id; });
    if (d == snap.drive_list.end())
        return fail(win32::InvalidDrive,
                    fmt::format("no drive {} in library {}", drive, snap.name));
    // What the drive holds now; the job checks again when it runs.
    if (d->in_use)
        return fail(win32::Busy,
                    fmt::format("drive {} is in use: a medium is mounted in it", d->number));
    if (d->full)
        return fail(win32::InvalidState,
                    fmt::format("drive {} holds {}; dismount it before cleaning the drive",
                                d->number, d->barcode.empty() ? "a cartridge" : d->barcode));
    JobRecord job = new_media_job(lib, OperationKind::CleanDrive, options, who);
    job.port = d->element;
    return submit_media_job(lib, std::move(job), {});
} catch (const std::bad_alloc&) {
    return fail(win32::NotEnoughMemory, "out of memory");
}

Expected<std::map<Guid, uint32_t>> Manager::cleanings_left(const Guid& library, const Caller& who) {
    auto lib = with_right(library, who, Right::Use);
    if (!lib)
        return lib.error();
    const LibraryConfig& cfg = (*lib)->config();
    auto media = db_.with([&](Store& s) { return s.list_media(library); });
    if (!media)
        return media.error();
    auto uses = db_.with([&](Store& s) { return s.cleanings(library); });
    if (!uses)
        return uses.error();
    std::map<Guid, uint32_t> out;
    for (const auto& m : *media) {
        if (!is_cleaner(cfg, m.barcode))
            continue;
        auto it = uses->find(m.id);
        const uint32_t used = it == uses->end() ? 0 : it->second;
        out[m.id] = used >= cfg.max_cleanings ? 0 : cfg.max_cleanings - used;
    }
    return out;
}

} // namespace ntms
