// MountNtmsMedia and DismountNtmsMedia at the front door: their call-time checks and the jobs
// they queue (operations/mount.hpp); and MoveMedia's slot-to-slot move (operations/move.hpp).
// All need USE access to the media's library, as RSM's mount does.
#include "common/ntms_guid.h"
#include "common/ntms_vocabulary.h"
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

namespace {

constexpr uint32_t max_timeout_sec = 0xFFFFFFFF; // RSM's INFINITE, also the default of a mount
constexpr size_t max_media = 256;

// NTMS_MOUNT_* (ntmsapi.h), as RSM numbers them.
constexpr uint32_t mount_read = 0x01, mount_write = 0x02, mount_error_not_available = 0x04,
                   mount_error_offline = 0x08, mount_specific_drive = 0x10, mount_nowait = 0x20;
constexpr uint32_t mount_flags = mount_read | mount_write | mount_error_not_available |
                                 mount_error_offline | mount_specific_drive | mount_nowait;
// NTMS_DISMOUNT_*
constexpr uint32_t dismount_deferred = 0x01, dismount_immediate = 0x02;

std::string label(const MediumRecord& m) {
    return m.barcode.empty() ? m.id.str() : m.barcode;
}

const DriveState* drive_at(const LibrarySnapshot& s, std::optional<uint16_t> element) {
    if (!element)
        return nullptr;
    for (const auto& d : s.drive_list)
        if (d.element == *element)
            return &d;
    return nullptr;
}

// The medium `id` names: a physical medium's GUID, or its side's (RSM's partition, side 0;
// common/ntms_guid.h), as MountNtmsMedia takes "media or sides". nullopt: neither is known.
Expected<std::optional<MediumRecord>> medium_or_side(Store& s, const Guid& id) {
    auto m = s.get_medium(id);
    if (!m || *m)
        return m;
    Guid medium;
    ntms_guid_side(id.bytes.data(), 0, medium.bytes.data());
    return s.get_medium(medium);
}

// `e` is a storage slot of the library that the catalogue has empty.
Expected<void> free_slot(Library& lib, uint16_t e) {
    auto [ranges, free] = lib.catalogue().element_ranges();
    const bool slot = std::any_of(ranges.begin(), ranges.end(), [&](const ElementRange& r) {
        return r.kind == ElementKind::Storage && e >= r.first && e - r.first < r.count;
    });
    if (!slot)
        return fail(win32::InvalidParameter,
                    fmt::format("element {} is not a storage slot of library {}", e, lib.name()));
    if (std::find(free.begin(), free.end(), e) == free.end())
        return fail(win32::InvalidState, fmt::format("slot {} is not empty", e));
    return {};
}

} // namespace

std::optional<Guid> Manager::media_library(const std::vector<std::string>& media) const {
    if (media.empty())
        return std::nullopt;
    if (auto id = Guid::parse(media.front())) {
        auto m = db_.with([&](Store& s) { return medium_or_side(s, *id); });
        if (m && *m)
            return (*m)->library;
    }
    return std::nullopt;
}

Expected<Manager::MediaCall> Manager::media_call(const std::vector<std::string>& media,
                                                 const MountOptions& options, const Caller& who) {
    if (media.empty())
        return fail(win32::InvalidParameter, "no medium named");
    if (media.size() > max_media)
        return fail(win32::InvalidParameter,
                    fmt::format("{} media in one call; at most {}", media.size(), max_media));
    std::vector<Guid> ids;
    for (const auto& text : media) {
        auto id = Guid::parse(text);
        if (!id)
            return fail(win32::InvalidParameter,
                        fmt::format("'{}' is not a medium GUID "
                                    "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                                    text));
        if (std::find(ids.begin(), ids.end(), *id) != ids.end())
            return fail(win32::InvalidParameter,
                        fmt::format("medium {} is named twice", id->str()));
        ids.push_back(*id);
    }
    if (auto bad = application_over_bound(options.application))
        return *bad;
    if (!db_.usable())
        return db_.status();
    MediaCall call;
    for (const auto& id : ids) {
        auto m = db_.with([&](Store& s) { return medium_or_side(s, id); });
        if (!m)
            return m.error();
        if (!*m)
            return fail(win32::ObjectNotFound, fmt::format("no medium {}", id.str()));
        // A medium and its side name one cartridge.
        if (std::any_of(call.media.begin(), call.media.end(),
                        [&](const MediumRecord& r) { return r.id == (*m)->id; }))
            return fail(win32::InvalidParameter,
                        fmt::format("medium {} is named twice", label(**m)));
        if (!call.media.empty() && (*m)->library != call.media.front().library)
            return fail(win32::InvalidParameter,
                        fmt::format("medium {} is in another library than medium {}: one call "
                                    "names media of one library",
                                    label(**m), label(call.media.front())));
        call.media.push_back(**m);
    }
    const Guid lib_id = call.media.front().library;
    auto lib = with_right(lib_id, who, Right::Use);
    if (!lib)
        return lib.error();
    call.lib = *lib;
    const LibrarySnapshot snap = call.lib->snapshot();
    if (!snap.enabled)
        return fail(win32::DeviceNotAvailable, fmt::format("library {} is disabled", snap.name));
    for (const auto& m : call.media)
        if (m.state == MediumState::Gone || !m.element)
            return fail(win32::MediaOffline,
                        fmt::format("medium {} is outside library {} (taken out, or missing)",
                                    label(m), snap.name));
    if (!snap.online())
        return fail(win32::LibraryOffline,
                    fmt::format("library {} is offline: {}", snap.name, snap.offline_reason));
    for (const auto& m : call.media) {
        auto open = db_.with([&](Store& s) { return s.open_jobs_of(m.id); });
        if (!open)
            return open.error();
        if (!open->empty())
            return fail(win32::Busy, fmt::format("medium {} is already to be moved by job {}",
                                                 label(m), open->front().str()));
    }
    return call;
}

JobRecord Manager::new_media_job(const Library& lib, OperationKind kind,
                                 const MountOptions& options, const Caller& who) {
    JobRecord job;
    job.id = Guid::random();
    job.library = lib.id();
    job.operation = kind;
    job.application = options.application;
    job.uid = who.uid;
    job.timeout_sec = options.timeout_sec.value_or(max_timeout_sec);
    job.priority = priority_normal;
    return job;
}

Expected<Guid> Manager::submit_media_job(Library& lib, JobRecord job,
                                         const std::vector<MediumMove>& requests) {
    if (lib.queue().queued_count() >= lib.config().max_queued_jobs)
        return fail(win32::Busy,
                    fmt::format("library {} already has {} jobs queued (MaxQueuedJobs=)",
                                lib.name(), lib.config().max_queued_jobs));
    for (const auto& row : requests)
        job.add_medium(row.medium);
    return ledger_.enqueue(job, lib.name(), lib.queue(), [&](Store& s) -> Expected<void> {
        for (const auto& row : requests) {
            auto m = s.get_medium(row.medium);
            if (!m)
                return m.error();
            if (!*m)
                return fail(win32::ObjectNotFound, fmt::format("no medium {}", row.medium.str()));
            if (auto r = s.put_medium(**m, row); !r)
                return r;
        }
        return {};
    });
}

Expected<Guid> Manager::mount(const std::vector<std::string>& media,
                              const std::vector<std::string>& drives, uint32_t flags,
                              int32_t priority, const MountOptions& options,
                              const Caller& who) try {
    if (flags & ~mount_flags)
        return fail(win32::InvalidParameter,
                    fmt::format("flags {:#x} has bits that are no NTMS_MOUNT_* option", flags));
    if (priority < priority_lowest || priority > priority_highest)
        return fail(win32::InvalidParameter,
                    fmt::format("priority {} is not within -15..15", priority));
    if ((flags & mount_specific_drive) && drives.empty())
        return fail(win32::InvalidParameter, "NTMS_MOUNT_SPECIFIC_DRIVE without drives");
    if (!drives.empty() && drives.size() != media.size())
        return fail(win32::InvalidParameter,
                    fmt::format("{} drives for {} media: name one drive per medium, or none",
                                drives.size(), media.size()));
    std::vector<Guid> drive_ids;
    for (const auto& text : drives) {
        auto id = Guid::parse(text);
        if (!id)
            return fail(win32::InvalidDrive, fmt::format("'{}' is not a drive GUID", text));
        if (std::find(drive_ids.begin(), drive_ids.end(), *id) != drive_ids.end())
            return fail(win32::InvalidParameter, fmt::format("drive {} is named twice", text));
        drive_ids.push_back(*id);
    }
    auto call = media_call(media, options, who);
    if (!call)
        return call.error();
    Library& lib = *call->lib;
    const LibrarySnapshot snap = lib.snapshot();
    // A cleaning cartridge goes into a drive only to clean it (CleanDrive).
    for (const auto& m : call->media)
        if (is_cleaner(lib.config(), m.barcode))
            return fail(win32::MediaIncompatible,
                        fmt::format("medium {} is a cleaning cartridge (bar code prefix {}): it is "
                                    "never mounted for data; CleanDrive uses it",
                                    label(m), lib.config().cleaner_prefix));

    // The drives asked for, by element address; one of another library is a mismatch.
    std::vector<std::optional<uint16_t>> asked(call->media.size());
    for (size_t i = 0; i < drive_ids.size(); ++i) {
        for (const auto& d : snap.drive_list)
            if (d.id == drive_ids[i])
                asked[i] = d.element;
        if (asked[i])
            continue;
        for (const auto& other : registry_.libraries())
            if (Library* l = registry_.find(other); l && other != lib.id())
                for (const auto& d : l->snapshot().drive_list)
                    if (d.id == drive_ids[i])
                        return fail(win32::DriveMediaMismatch,
                                    fmt::format("drive {} is in library {}, medium {} in {}",
                                                drives[i], l->name(), label(call->media[i]),
                                                snap.name));
        return fail(win32::InvalidDrive,
                    fmt::format("no drive {} in library {}", drives[i], snap.name));
    }
    if (snap.drive_list.empty())
        return fail(win32::InvalidDrive, fmt::format("library {} has no drive", snap.name));

    auto mounted = db_.with(
        [&](Store& s) { return s.mounted_media(lib.id(), drive_elements(snap.drive_list)); });
    if (!mounted)
        return mounted.error();
    auto held = [&](uint16_t element) {
        return std::any_of(mounted->begin(), mounted->end(), [&](const Store::Mounted& m) {
            return m.drive == element && !m.released;
        });
    };
    for (const auto& m : call->media)
        if (drive_at(snap, m.element) && held(*m.element))
            return fail(win32::Busy, fmt::format("medium {} is already mounted in drive {}",
                                                 label(m), drive_at(snap, m.element)->number));
    // NTMS_MOUNT_ERROR_NOT_AVAILABLE: no waiting, not even in the queue.
    if (flags & mount_error_not_available) {
        size_t usable = 0;
        for (const auto& d : snap.drive_list)
            if (!held(d.element))
                ++usable;
        for (size_t i = 0; i < asked.size(); ++i)
            if (asked[i] && held(*asked[i]))
                return fail(win32::Busy, fmt::format("drive {} is in use", drives[i]));
        if (usable < call->media.size())
            return fail(win32::Busy,
                        fmt::format("library {} has {} drive{} not in use for {} medi{}", snap.name,
                                    usable, usable == 1 ? "" : "s", call->media.size(),
                                    call->media.size() == 1 ? "um" : "a"));
    }

    JobRecord job = new_media_job(lib, OperationKind::Mount, options, who);
    job.action = static_cast<InjectAction>(static_cast<uint32_t>(
        (flags & mount_error_not_available) ? MountAction::FailIfBusy : MountAction::Wait));
    job.priority = priority;
    const int64_t now = now_usec();
    std::vector<MediumMove> rows;
    for (size_t i = 0; i < call->media.size(); ++i)
        rows.push_back(MediumMove{call->media[i].id, job.id, call->media[i].element, asked[i], now,
                                  "mount-requested"});
    return submit_media_job(lib, std::move(job), rows);
} catch (const std::bad_alloc&) {
    return fail(win32::NotEnoughMemory, "out of memory");
}

Expected<Guid> Manager::dismount(const std::vector<std::string>& media, uint32_t flags,
                                 const MountOptions& options, const Caller& who) try {
    if ((flags & ~(dismount_deferred | dismount_immediate)) ||
        flags == (dismount_deferred | dismount_immediate))
        return fail(win32::InvalidParameter,
                    fmt::format("flags {:#x} is not NTMS_DISMOUNT_DEFERRED 1 or "
                                "NTMS_DISMOUNT_IMMEDIATE 2",
                                flags));
    if (options.element && media.size() != 1)
        return fail(win32::InvalidParameter, "the element option names one slot for one medium");
    if (options.element && (flags & dismount_deferred))
        return fail(win32::InvalidParameter,
                    "a deferred dismount leaves the cartridge in its drive: no element");
    auto call = media_call(media, options, who);
    if (!call)
        return call.error();
    Library& lib = *call->lib;
    const LibrarySnapshot snap = lib.snapshot();
    for (const auto& m : call->media)
        if (!drive_at(snap, m.element))
            return fail(win32::InvalidState,
                        fmt::format("medium {} is in no drive (it is at element {})", label(m),
                                    m.element.value_or(0)));
    if (options.element)
        if (auto r = free_slot(lib, *options.element); !r)
            return r.error();
    JobRecord job = new_media_job(lib, OperationKind::Dismount, options, who);
    job.action = static_cast<InjectAction>(static_cast<uint32_t>(
        (flags & dismount_deferred) ? DismountAction::Deferred : DismountAction::Immediate));
    const int64_t now = now_usec();
    std::vector<MediumMove> rows;
    for (const auto& m : call->media)
        rows.push_back(
            MediumMove{m.id, job.id, m.element, options.element, now, "dismount-requested"});
    return submit_media_job(lib, std::move(job), rows);
} catch (const std::bad_alloc&) {
    return fail(win32::NotEnoughMemory, "out of memory");
}

Expected<Guid> Manager::move(const std::string& medium, uint16_t element,
                             const MountOptions& options, const Caller& who) try {
    if (options.element)
        return fail(win32::InvalidParameter, "the slot is an argument of the move, not an option");
    auto call = media_call({medium}, options, who);
    if (!call)
        return call.error();
    Library& lib = *call->lib;
    const MediumRecord& m = call->media.front();
    if (drive_at(lib.snapshot(), m.element))
        return fail(win32::InvalidState,
                    fmt::format("medium {} is in a drive (element {}): DismountMedia with the "
                                "element option puts it into a slot",
                                label(m), *m.element));
    if (lib.catalogue().find_port(m.element))
        return fail(win32::InvalidState,
                    fmt::format("medium {} is in the port (element {}): an inject takes it in",
                                label(m), *m.element));
    if (m.element == element)
        return fail(win32::InvalidParameter,
                    fmt::format("medium {} is in slot {} already", label(m), element));
    if (auto r = free_slot(lib, element); !r)
        return r.error();
    JobRecord job = new_media_job(lib, OperationKind::Move, options, who);
    const std::vector<MediumMove> rows{
        MediumMove{m.id, job.id, m.element, element, now_usec(), "move-requested"}};
    return submit_media_job(lib, std::move(job), rows);
} catch (const std::bad_alloc&) {
    return fail(win32::NotEnoughMemory, "out of memory");
}

std::vector<Guid> Manager::job_drives(const JobRecord& job) {
    if (job.operation == OperationKind::CleanDrive && job.port)
        return {drive_id(job.library, *job.port)};
    if (job.operation != OperationKind::Mount)
        return {};
    std::vector<Guid> out(job.media.size());
    for (size_t i = 0; i < out.size() && i < job.drives.size(); ++i)
        if (job.drives[i])
            out[i] = drive_id(job.library, *job.drives[i]);
    return out;
}

} // namespace ntms
