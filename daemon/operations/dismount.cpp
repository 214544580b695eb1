// DismountNtmsMedia's steps (mount.hpp): each medium out of its drive into the slot asked for,
// its home slot, or any free slot; or, deferred, its drive released with the cartridge left in it.
#include "daemon/journal.hpp"
#include "daemon/library/library.hpp"
#include "daemon/operations/drive_work.hpp"
#include "daemon/operations/eject_moves.hpp"
#include "daemon/operations/mount.hpp"
#include "daemon/store/store.hpp"

#include <fmt/format.h>

namespace ntms {

namespace {

struct Dismounting {
    MediumRecord medium;
    uint16_t drive = 0;
    std::optional<uint16_t> asked; // the slot the caller named
    std::optional<uint16_t> home;  // the slot its mount took it from
};

Expected<std::vector<Dismounting>> load(Library& lib, Store& db, const JobRecord& job,
                                        const std::vector<DriveView>& drives) {
    auto asked = requests_of(db, job.id, "dismount-requested");
    if (!asked)
        return asked.error();
    if (asked->empty())
        return fail(win32::InvalidParameter, "the job names no medium to dismount");
    std::vector<Dismounting> out;
    for (const auto& q : *asked) {
        auto found = db.get_medium(q.medium);
        if (!found)
            return found.error();
        if (!*found)
            return fail(win32::ObjectNotFound, fmt::format("no medium {}", q.medium.str()));
        const MediumRecord& r = **found;
        const std::string name = cartridge_label(r.barcode);
        if (r.state == MediumState::Gone || !r.element)
            return fail(win32::MediaOffline,
                        fmt::format("medium {} is outside library {}", name, lib.name()));
        const DriveView* d = r.library == lib.id() ? find_drive(drives, *r.element) : nullptr;
        if (!d || !d->drive.full)
            return fail(win32::InvalidState,
                        fmt::format("medium {} is in no drive of library {} (it is at element {})",
                                    name, lib.name(), *r.element));
        out.push_back(Dismounting{r, d->drive.element, q.element, d->home()});
    }
    return out;
}

} // namespace

Outcome DismountOperation::run(JobContext& ctx) {
    Library& lib = ctx.library();
    Store& db = ctx.db();
    JobRecord& job = ctx.job();
    if (auto r = ctx.transition(JobState::InProcess); !r)
        return Outcome::failed(r.error());
    auto drives = drive_views(lib, db);
    if (!drives)
        return Outcome::failed(drives.error());
    auto media = load(lib, db, job, *drives);
    if (!media)
        return Outcome::failed(media.error());
    EjectMoves moves(lib, db, job);
    std::vector<std::string> done;
    for (auto& m : *media) {
        if (ctx.peek_control() == JobControl::Stop)
            return Outcome{
                JobState::Stopped,
                Status{win32::Success, fmt::format("stopped; {}", fmt::join(done, "; "))},
                std::nullopt};
        const std::string name = cartridge_label(m.medium.barcode);
        if (dismount_action(job) == DismountAction::Deferred) {
            // Released: the next mount that needs the drive takes the cartridge out first.
            MediumRecord after = m.medium;
            after.updated = now_usec();
            if (auto r = db.put_medium(after, MediumMove{after.id, job.id, m.home, m.drive,
                                                         after.updated, "dismount-deferred"});
                !r)
                return Outcome::failed(r.error());
            lib.catalogue().set_drive_content(m.drive, true, after.id, after.barcode, false);
            done.push_back(fmt::format("{} released in drive element {}", name, m.drive));
            ctx.announce();
            continue;
        }
        auto slot = put_away(moves, lib, m.medium, m.home, m.asked, "dismount", true);
        if (!slot) {
            const Status& e = slot.error();
            return Outcome::failed(done.empty() ? e
                                                : fail(e.code, fmt::format("{}; {}", e.message,
                                                                           fmt::join(done, "; "))));
        }
        log(LOG_INFO, fmt::format("Library {}: {} dismounted from drive element {} to slot {} "
                                  "(job {})",
                                  lib.name(), name, m.drive, *slot, job.id.str()));
        done.push_back(fmt::format("{} back in slot {}", name, *slot));
        ctx.announce();
    }
    return Outcome::passed();
}

std::string DismountOperation::account_interrupted(JobContext& ctx, bool device_read) {
    (void)device_read;
    // Reconciliation settled the move in flight; each medium is where the device has it.
    auto asked = requests_of(ctx.db(), ctx.job().id, "dismount-requested");
    if (!asked)
        return fmt::format("its media cannot be read: {}", asked.error().message);
    std::vector<std::string> said;
    for (const auto& q : *asked) {
        auto found = ctx.db().get_medium(q.medium);
        if (!found || !*found)
            continue;
        const MediumRecord& r = **found;
        said.push_back(
            r.element ? fmt::format("{} is at element {}", cartridge_label(r.barcode), *r.element)
                      : fmt::format("{} has no known place", cartridge_label(r.barcode)));
    }
    return fmt::format("{}", fmt::join(said, "; "));
}

} // namespace ntms
