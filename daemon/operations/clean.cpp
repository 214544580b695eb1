#include "daemon/operations/clean.hpp"

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

// The cleaner to use: the most used one with uses left, in a storage slot, no job on it.
Expected<MediumRecord> pick_cleaner(Library& lib, Store& db) {
    const LibraryConfig& cfg = lib.config();
    auto media = db.list_media(lib.id());
    if (!media)
        return media.error();
    auto uses = db.cleanings(lib.id());
    if (!uses)
        return uses.error();
    const MediumRecord* best = nullptr;
    uint32_t best_uses = 0;
    size_t cleaners = 0, spent = 0;
    for (const auto& m : *media) {
        if (!is_cleaner(cfg, m.barcode) || m.state != MediumState::InLibrary || !m.element ||
            !is_storage_slot(lib, *m.element))
            continue;
        ++cleaners;
        auto it = uses->find(m.id);
        const uint32_t used = it == uses->end() ? 0 : it->second;
        if (used >= cfg.max_cleanings) {
            ++spent;
            continue;
        }
        auto open = db.open_jobs_of(m.id);
        if (!open)
            return open.error();
        if (!open->empty())
            continue;
        if (!best || used > best_uses) {
            best = &m;
            best_uses = used;
        }
    }
    if (best)
        return *best;
    if (cleaners == 0)
        return fail(win32::ResourceNotPresent,
                    fmt::format("library {} holds no cleaning cartridge (bar code {}...) in a "
                                "storage slot; inject one",
                                lib.name(), cfg.cleaner_prefix));
    if (spent == cleaners)
        return fail(win32::CleanerCartridgeSpent,
                    fmt::format("{} of library {} {} spent (MaxCleanings={}); eject {} and "
                                "inject a new one",
                                cleaners == 1 ? std::string("the cleaning cartridge")
                                              : fmt::format("all {} cleaning cartridges", cleaners),
                                lib.name(), cleaners == 1 ? "is" : "are", cfg.max_cleanings,
                                cleaners == 1 ? "it" : "them"));
    return fail(win32::Busy, fmt::format("every cleaning cartridge of library {} with uses left "
                                         "is to be moved by another job",
                                         lib.name()));
}

class CleanSteps {
public:
    explicit CleanSteps(JobContext& ctx)
        : ctx_(ctx), lib_(ctx.library()), db_(ctx.db()), job_(ctx.job()), moves_(lib_, db_, job_) {}
    Outcome run();

private:
    Expected<void> check_drive(uint16_t drive);
    enum class Cleaned { Reported, TimeUp, Stopped };
    // Waits until the drive reports the cleaning done, CleaningTimeSec= at most, reading its
    // element every PollIntervalMs=. A drive holding the cleaning cartridge reports ACCESS 0 (the
    // robot cannot take it, as a threaded tape), and ACCESS 1 once it has cleaned and let it go.
    // A drive that never showed ACCESS 0 told nothing (some changers always report 1): it is
    // given the whole time. Stopped: told to stop before.
    Cleaned wait_for_cleaning(uint16_t drive);

    JobContext& ctx_;
    Library& lib_;
    Store& db_;
    JobRecord& job_;
    EjectMoves moves_;
};

Expected<void> CleanSteps::check_drive(uint16_t drive) {
    auto drives = drive_views(lib_, db_);
    if (!drives)
        return drives.error();
    const DriveView* d = find_drive(*drives, drive);
    if (!d)
        return fail(win32::InvalidDrive,
                    fmt::format("library {} has no drive at element {}", lib_.name(), drive));
    if (d->in_use())
        return fail(win32::Busy, fmt::format("drive {} is in use: a medium is mounted in it by "
                                             "job {}; it is cleaned once it is dismounted",
                                             d->drive.number, d->mount->job.str()));
    if (d->drive.full)
        return fail(
            win32::InvalidState,
            fmt::format("drive {} holds {}; dismount it before cleaning the drive", d->drive.number,
                        d->drive.barcode.empty() ? std::string("a cartridge") : d->drive.barcode));
    return {};
}

CleanSteps::Cleaned CleanSteps::wait_for_cleaning(uint16_t drive) {
    const auto until = Clock::now() + std::chrono::seconds(lib_.config().cleaning_time_sec);
    const auto every =
        std::chrono::milliseconds(std::max<uint32_t>(lib_.config().poll_interval_ms, 20));
    bool held = false; // the drive showed ACCESS 0 since the load
    for (auto now = Clock::now(); now < until; now = Clock::now()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - now);
        if (ctx_.wait_control(std::min(left + std::chrono::milliseconds(1), every)) ==
            JobControl::Stop)
            return Cleaned::Stopped;
        // A read that fails tells nothing: the wait goes on to its end.
        if (auto e = moves_.read_one(sgio::ElementType::DataTransfer, drive); e && e->full) {
            if (!e->access)
                held = true;
            else if (held)
                return Cleaned::Reported;
        }
    }
    return Cleaned::TimeUp;
}

Outcome CleanSteps::run() {
    if (auto r = ctx_.transition(JobState::InProcess); !r)
        return Outcome::failed(r.error());
    if (!job_.port)
        return Outcome::failed(fail(win32::InvalidParameter, "the job names no drive to clean"));
    const uint16_t drive = *job_.port;
    if (auto r = check_drive(drive); !r)
        return Outcome::failed(r.error());
    auto picked = pick_cleaner(lib_, db_);
    if (!picked)
        return Outcome::failed(picked.error());
    MediumRecord cleaner = std::move(picked).value();
    const uint16_t home = *cleaner.element;
    const std::string name = cartridge_label(cleaner.barcode);
    // The device is the truth: the slot must hold this cartridge.
    auto e = moves_.read_one(sgio::ElementType::Storage, home);
    if (!e)
        return Outcome::failed(e.error());
    if (!e->full || (!e->primary_tag.empty() && e->primary_tag != cleaner.barcode))
        return Outcome::failed(
            fail(win32::InvalidState, fmt::format("cleaning cartridge {} is not in slot {}: an "
                                                  "inventory will find where it is",
                                                  name, home)));
    if (ctx_.peek_control() == JobControl::Stop)
        return Outcome::stopped();
    if (auto r = moves_.transfer(cleaner, sgio::ElementType::Storage, drive,
                                 sgio::ElementType::DataTransfer, MediumState::InLibrary,
                                 "cleandrive", true);
        !r)
        return Outcome::failed(r.error());
    lib_.catalogue().set_drive_content(drive, true, cleaner.id, cleaner.barcode, true);
    ctx_.announce();
    log(LOG_INFO, fmt::format("Library {}: cleaning drive element {} with {} (job {})", lib_.name(),
                              drive, name, job_.id.str()));
    const auto started = Clock::now();
    const Cleaned how = wait_for_cleaning(drive);
    const bool finished = how != Cleaned::Stopped;
    const auto took = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started);
    auto slot = put_away(moves_, lib_, cleaner, home, std::nullopt, "cleaned", true);
    if (!slot)
        return Outcome::failed(
            fail(slot.error().code, fmt::format("{}; cleaning cartridge {} is still in drive "
                                                "element {}",
                                                slot.error().message, name, drive)));
    ctx_.announce();
    log(LOG_INFO,
        fmt::format("Library {}: drive element {} {} after {} s; {} back in slot {} (job {})",
                    lib_.name(), drive,
                    how == Cleaned::Reported ? "reported the cleaning done"
                    : how == Cleaned::TimeUp ? "cleaned for CleaningTimeSec="
                                             : "cleaning stopped",
                    took.count(), name, *slot, job_.id.str()));
    return finished ? Outcome::passed() : Outcome::stopped();
}

} // namespace

Outcome CleanOperation::run(JobContext& ctx) {
    return CleanSteps(ctx).run();
}

std::string CleanOperation::account_interrupted(JobContext& ctx, bool device_read) {
    Library& lib = ctx.library();
    Store& db = ctx.db();
    JobRecord& job = ctx.job();
    auto rows = db.moves_of_job(job.id);
    if (!rows)
        return fmt::format("its cleaner cannot be read: {}", rows.error().message);
    // The cleaner it loaded, and the slot it came from; gone back already when "cleaned" follows.
    std::optional<MediumMove> loaded;
    for (const auto& r : *rows) {
        if (r.reason == "cleandrive")
            loaded = r;
        else if (r.reason == "cleaned")
            loaded.reset();
    }
    if (!loaded)
        return "no cleaning cartridge was in the drive";
    auto found = db.get_medium(loaded->medium);
    if (!found || !*found)
        return "its cleaning cartridge has no record";
    MediumRecord m = **found;
    const std::string name = cartridge_label(m.barcode);
    if (!m.element || !job.port || *m.element != *job.port)
        return fmt::format("{} is at element {}", name, m.element.value_or(0));
    if (!device_read || !lib.device().changer())
        return fmt::format("{} was in drive element {} when ntmsd stopped; the library could not "
                           "be read to bring it back",
                           name, *m.element);
    EjectMoves moves(lib, db, job);
    const uint16_t drive = *m.element;
    auto slot = put_away(moves, lib, m, loaded->from, std::nullopt, "cleaned");
    return slot ? fmt::format("{} was in drive element {} and is back in slot {}", name, drive,
                              *slot)
                : fmt::format("{} is still in drive element {}: {}", name, drive,
                              slot.error().message);
}

} // namespace ntms
