#include "daemon/operations/mount.hpp"

#include "daemon/journal.hpp"
#include "daemon/library/library.hpp"
#include "daemon/operations/drive_work.hpp"
#include "daemon/operations/eject_moves.hpp"
#include "daemon/store/store.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace ntms {

namespace {

using Clock = std::chrono::steady_clock;

// RSM's INFINITE: no time-out.
constexpr uint32_t wait_forever = 0xFFFFFFFF;

// One medium of a mount job.
struct Mounting {
    MediumRecord medium;
    std::optional<uint16_t> asked; // the drive the caller named
    std::optional<uint16_t> drive; // the drive chosen
    bool in_place = false;         // already in that drive: recorded, not moved
    std::optional<uint16_t> home;  // for one already in its drive: the slot it came from
    bool mounted = false;          // this job mounted it (moved, or recorded in place)
};

class MountSteps {
public:
    explicit MountSteps(JobContext& ctx)
        : ctx_(ctx), lib_(ctx.library()), db_(ctx.db()), job_(ctx.job()), moves_(lib_, db_, job_) {}
    Outcome run();

private:
    Expected<void> load_media(const std::vector<DriveView>& drives);
    // A drive for each medium; false: not enough free drives now.
    bool choose(const std::vector<DriveView>& drives);
    Expected<void> mount_one(Mounting& m, const std::vector<DriveView>& drives);
    // Where the job's time-out ends, if it has one.
    std::optional<Clock::time_point> deadline() const;
    Outcome not_available();
    // All or nothing: a job that fails or is stopped holds no drive. What it put into a drive
    // goes back to its slot; what it found in place is released there, as a deferred dismount
    // leaves it. Says what it did for each.
    std::vector<std::string> undo();
    Outcome failed(const Status& why);

    JobContext& ctx_;
    Library& lib_;
    Store& db_;
    JobRecord& job_;
    EjectMoves moves_;
    std::vector<Mounting> media_;
};

std::optional<Clock::time_point> MountSteps::deadline() const {
    if (job_.timeout_sec == wait_forever)
        return std::nullopt;
    const int64_t left_usec = job_.time_queued + int64_t{job_.timeout_sec} * 1'000'000 - now_usec();
    return Clock::now() + std::chrono::microseconds(std::max<int64_t>(left_usec, 0));
}

Expected<void> MountSteps::load_media(const std::vector<DriveView>& drives) {
    auto asked = requests_of(db_, job_.id, "mount-requested");
    if (!asked)
        return asked.error();
    if (asked->empty())
        return fail(win32::InvalidParameter, "the job names no medium to mount");
    for (const auto& q : *asked) {
        auto found = db_.get_medium(q.medium);
        if (!found)
            return found.error();
        if (!*found)
            return fail(win32::ObjectNotFound, fmt::format("no medium {}", q.medium.str()));
        const MediumRecord& r = **found;
        const std::string name = cartridge_label(r.barcode);
        if (r.state == MediumState::Gone || !r.element)
            return fail(win32::MediaOffline,
                        fmt::format("medium {} is outside library {}", name, lib_.name()));
        if (r.library != lib_.id())
            return fail(win32::InvalidState,
                        fmt::format("medium {} is no longer in library {}", name, lib_.name()));
        Mounting m{r, q.element, std::nullopt, false, std::nullopt};
        if (const DriveView* d = find_drive(drives, *r.element)) {
            if (d->in_use())
                return fail(win32::Busy, fmt::format("medium {} is mounted in drive {} by job {}",
                                                     name, d->drive.number, d->mount->job.str()));
            if (q.element && *q.element != d->drive.element)
                return fail(win32::Busy,
                            fmt::format("medium {} is loaded in drive {}, not the drive asked "
                                        "for; dismount it first",
                                        name, d->drive.number));
            m.drive = d->drive.element;
            m.in_place = true;
            m.home = d->home();
            media_.push_back(std::move(m));
            continue;
        }
        const bool in_port = lib_.catalogue().find_port(r.element).has_value();
        if (!in_port && !is_storage_slot(lib_, *r.element))
            return fail(win32::InvalidState,
                        fmt::format("medium {} is at element {}, neither a slot nor a port", name,
                                    *r.element));
        // The device is the truth: the element must hold this cartridge.
        auto e = moves_.read_one(
            in_port ? sgio::ElementType::ImportExport : sgio::ElementType::Storage, *r.element);
        if (!e)
            return e.error();
        if (!e->full ||
            (!r.barcode.empty() && !e->primary_tag.empty() && e->primary_tag != r.barcode))
            return fail(win32::InvalidState,
                        fmt::format("medium {} is not in element {}: an inventory will find "
                                    "where it is",
                                    name, *r.element));
        media_.push_back(std::move(m));
    }
    return {};
}

bool MountSteps::choose(const std::vector<DriveView>& drives) {
    std::vector<uint16_t> taken;
    for (const auto& m : media_)
        if (m.drive)
            taken.push_back(*m.drive);
    auto free_for = [&](const DriveView& d, bool clear) {
        return std::find(taken.begin(), taken.end(), d.drive.element) == taken.end() &&
               (clear ? d.clearable() : !d.drive.full);
    };
    bool all = true;
    for (auto& m : media_) {
        if (m.drive)
            continue;
        const DriveView* pick = nullptr;
        if (m.asked) {
            const DriveView* d = find_drive(drives, *m.asked);
            if (d && (free_for(*d, false) || free_for(*d, true)))
                pick = d;
        } else {
            for (bool clear : {false, true}) {
                for (const auto& d : drives)
                    if (!pick && free_for(d, clear))
                        pick = &d;
            }
        }
        if (!pick) {
            all = false;
            continue;
        }
        m.drive = pick->drive.element;
        taken.push_back(*m.drive);
    }
    if (!all)
        for (auto& m : media_)
            if (!m.in_place)
                m.drive.reset();
    return all;
}

std::vector<std::string> MountSteps::undo() {
    std::vector<std::string> undone;
    for (auto& m : media_) {
        if (!m.mounted)
            continue;
        const std::string name = cartridge_label(m.medium.barcode);
        if (m.in_place) {
            MediumRecord after = m.medium;
            after.updated = now_usec();
            auto r = db_.put_medium(after, MediumMove{after.id, job_.id, m.home, *m.drive,
                                                      after.updated, "dismount-deferred"});
            if (r)
                lib_.catalogue().set_drive_content(*m.drive, true, after.id, after.barcode, false,
                                                   m.home);
            undone.push_back(r ? fmt::format("{} released in drive element {}", name, *m.drive)
                               : fmt::format("{} is still held in drive element {}: {}", name,
                                             *m.drive, r.error().message));
            continue;
        }
        auto slot = put_away(moves_, lib_, m.medium, m.home, std::nullopt, "dismount");
        undone.push_back(slot ? fmt::format("{} went back to slot {}", name, *slot)
                              : fmt::format("{} is still in drive element {}: {}", name, *m.drive,
                                            slot.error().message));
    }
    if (!undone.empty())
        ctx_.announce();
    return undone;
}

Outcome MountSteps::failed(const Status& why) {
    const auto undone = undo();
    if (undone.empty())
        return Outcome::failed(why);
    return Outcome::failed(
        fail(why.code, fmt::format("{}; {}", why.message, fmt::join(undone, "; "))));
}

Outcome MountSteps::not_available() {
    const size_t n = media_.size();
    const std::string what = fmt::format(
        "library {} has no free drive for {} medi{}{}", lib_.name(), n, n == 1 ? "um" : "a",
        std::any_of(media_.begin(), media_.end(), [](const Mounting& m) { return m.asked; })
            ? " (in the drive asked for)"
            : "");
    if (mount_action(job_) == MountAction::FailIfBusy)
        return Outcome::failed(fail(win32::Busy, what));
    const auto until = deadline();
    if (until && Clock::now() >= *until)
        return Outcome::failed(
            fail(win32::Timeout, fmt::format("{} within {} s", what, job_.timeout_sec)));
    if (job_.state != JobState::Waiting) {
        if (auto r = ctx_.transition(JobState::Waiting); !r)
            return Outcome::failed(r.error());
        log(LOG_INFO, fmt::format("Library {}: mount job {} waits for a drive: {}", lib_.name(),
                                  job_.id.str(), what));
    }
    return Outcome::waiting(until);
}

Expected<void> MountSteps::mount_one(Mounting& m, const std::vector<DriveView>& drives) {
    const uint16_t drive = *m.drive;
    if (m.in_place) {
        // Already there (released, or found there): the mount is recorded, nothing moves.
        MediumRecord after = m.medium;
        after.updated = now_usec();
        if (auto r = db_.put_medium(
                after, MediumMove{after.id, job_.id, m.home, drive, after.updated, "mount"});
            !r)
            return r;
        m.medium = after;
    } else {
        // A cartridge no mount holds goes back to its slot first.
        if (const DriveView* d = find_drive(drives, drive); d && d->drive.full) {
            auto other = db_.get_medium(d->drive.medium);
            if (!other)
                return other.error();
            if (!*other)
                return fail(win32::InvalidState,
                            fmt::format("drive element {} holds a cartridge without a record; "
                                        "an inventory will record it",
                                        drive));
            MediumRecord o = **other;
            auto slot = put_away(moves_, lib_, o, d->home(), std::nullopt, "dismount");
            if (!slot)
                return slot.error();
        }
        const bool in_port = lib_.catalogue().find_port(m.medium.element).has_value();
        m.home = m.medium.element;
        if (auto r = moves_.transfer(
                m.medium, in_port ? sgio::ElementType::ImportExport : sgio::ElementType::Storage,
                drive, sgio::ElementType::DataTransfer, MediumState::InLibrary, "mount", true);
            !r)
            return r;
        if (in_port)
            if (auto port = lib_.catalogue().find_port(m.medium.element); port && port->full > 0) {
                PortState ps = *port;
                --ps.full;
                lib_.catalogue().set_port(ps);
            }
    }
    lib_.catalogue().set_drive_content(drive, true, m.medium.id, m.medium.barcode, true, m.home);
    job_.mounted(m.medium.id, drive); // Job.Drives, as its "mount" history row says
    ctx_.announce();
    return {};
}

Outcome MountSteps::run() {
    // A mount tried again while it waits for a drive stays WAITING until it has one: it is tried
    // after every job of its library, and its record and the journal change only when it moves.
    const bool waited = job_.state == JobState::Waiting;
    if (!waited)
        if (auto r = ctx_.transition(JobState::InProcess); !r)
            return Outcome::failed(r.error());
    auto drives = drive_views(lib_, db_);
    if (!drives)
        return Outcome::failed(drives.error());
    if (drives->empty())
        return Outcome::failed(
            fail(win32::InvalidDrive, fmt::format("library {} has no drive", lib_.name())));
    if (auto r = load_media(*drives); !r)
        return Outcome::failed(r.error());
    for (const auto& m : media_)
        if (m.asked && !find_drive(*drives, *m.asked))
            return Outcome::failed(
                fail(win32::InvalidDrive,
                     fmt::format("library {} has no drive at element {}", lib_.name(), *m.asked)));
    if (!choose(*drives))
        return not_available();
    if (waited)
        if (auto r = ctx_.transition(JobState::InProcess); !r)
            return Outcome::failed(r.error());
    for (auto& m : media_) {
        if (ctx_.peek_control() == JobControl::Stop) {
            const auto undone = undo();
            return Outcome{JobState::Stopped,
                           Status{win32::Success,
                                  undone.empty() ? std::string("stopped")
                                                 : fmt::format("stopped; {}",
                                                               fmt::join(undone, "; "))},
                           std::nullopt};
        }
        if (auto r = mount_one(m, *drives); !r)
            return failed(r.error());
        m.mounted = true;
        log(LOG_INFO,
            fmt::format("Library {}: {} mounted in drive element {} (job {})", lib_.name(),
                        cartridge_label(m.medium.barcode), *m.drive, job_.id.str()));
    }
    return Outcome::passed();
}

} // namespace

Outcome MountOperation::run(JobContext& ctx) {
    return MountSteps(ctx).run();
}

bool MountOperation::resumes(const JobRecord& job) const {
    return job.state == JobState::Waiting && job.media_moved == 0;
}

std::string MountOperation::account_interrupted(JobContext& ctx, bool device_read) {
    Library& lib = ctx.library();
    Store& db = ctx.db();
    JobRecord& job = ctx.job();
    auto mounted = db.mounted_media(lib.id());
    if (!mounted)
        return fmt::format("its media cannot be read: {}", mounted.error().message);
    std::vector<std::string> said;
    EjectMoves moves(lib, db, job);
    for (const auto& m : *mounted) {
        if (m.job != job.id || m.released)
            continue;
        auto found = db.get_medium(m.medium);
        if (!found || !*found)
            continue;
        MediumRecord r = **found;
        const std::string name = cartridge_label(r.barcode);
        if (!device_read || !lib.device().changer()) {
            said.push_back(fmt::format("{} was in drive element {} when ntmsd stopped; the "
                                       "library could not be read to bring it back",
                                       name, m.drive));
            continue;
        }
        auto slot = put_away(moves, lib, r, m.home, std::nullopt, "dismount");
        said.push_back(slot ? fmt::format("{} was in drive element {} and is back in slot {}", name,
                                          m.drive, *slot)
                            : fmt::format("{} is still in drive element {}: {}", name, m.drive,
                                          slot.error().message));
    }
    if (said.empty())
        return "no medium was in a drive";
    return fmt::format("{}", fmt::join(said, "; "));
}

} // namespace ntms
