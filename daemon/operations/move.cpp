#include "daemon/operations/move.hpp"

#include "daemon/journal.hpp"
#include "daemon/library/library.hpp"
#include "daemon/operations/drive_work.hpp"
#include "daemon/operations/eject_moves.hpp"
#include "daemon/store/store.hpp"

#include <fmt/format.h>

namespace ntms {

namespace {

constexpr const char* requested = "move-requested";

// The job's one request: its medium as recorded now, and the slot it goes to.
struct MoveRequest {
    MediumRecord medium;
    uint16_t to = 0;
};

Expected<MoveRequest> request_of(Library& lib, Store& db, const JobRecord& job) {
    auto asked = requests_of(db, job.id, requested);
    if (!asked)
        return asked.error();
    if (asked->size() != 1 || !asked->front().element)
        return fail(win32::InvalidParameter, "the job names no medium and slot to move it to");
    auto found = db.get_medium(asked->front().medium);
    if (!found)
        return found.error();
    if (!*found)
        return fail(win32::ObjectNotFound,
                    fmt::format("no medium {}", asked->front().medium.str()));
    const MediumRecord& r = **found;
    if (r.state == MediumState::Gone || !r.element)
        return fail(win32::MediaOffline, fmt::format("medium {} is outside library {}",
                                                     cartridge_label(r.barcode), lib.name()));
    if (r.library != lib.id())
        return fail(win32::InvalidState, fmt::format("medium {} is no longer in library {}",
                                                     cartridge_label(r.barcode), lib.name()));
    return MoveRequest{r, *asked->front().element};
}

} // namespace

Outcome MoveOperation::run(JobContext& ctx) {
    Library& lib = ctx.library();
    Store& db = ctx.db();
    JobRecord& job = ctx.job();
    if (auto r = ctx.transition(JobState::InProcess); !r)
        return Outcome::failed(r.error());
    auto req = request_of(lib, db, job);
    if (!req)
        return Outcome::failed(req.error());
    MediumRecord& m = req->medium;
    const std::string name = cartridge_label(m.barcode);
    const uint16_t from = *m.element;
    if (!is_storage_slot(lib, from))
        return Outcome::failed(
            fail(win32::InvalidState,
                 fmt::format("medium {} is at element {}, not in a storage slot: a cartridge in a "
                             "drive is dismounted, one in a port injected",
                             name, from)));
    EjectMoves moves(lib, db, job);
    // The device is the truth: the source must hold this cartridge, the destination nothing.
    auto src = moves.read_one(sgio::ElementType::Storage, from);
    if (!src)
        return Outcome::failed(src.error());
    if (!src->full ||
        (!m.barcode.empty() && !src->primary_tag.empty() && src->primary_tag != m.barcode))
        return Outcome::failed(
            fail(win32::InvalidState, fmt::format("medium {} is not in slot {}: an inventory will "
                                                  "find where it is",
                                                  name, from)));
    if (auto r = empty_slot(moves, lib, req->to); !r)
        return Outcome::failed(r.error());
    if (ctx.peek_control() == JobControl::Stop)
        return Outcome{JobState::Stopped, Status{win32::Success, "stopped; nothing was moved"},
                       std::nullopt};
    if (auto r = moves.transfer(m, sgio::ElementType::Storage, req->to, sgio::ElementType::Storage,
                                MediumState::InLibrary, "move", true);
        !r)
        return Outcome::failed(r.error());
    ctx.announce();
    return Outcome::passed();
}

std::string MoveOperation::account_interrupted(JobContext& ctx, bool device_read) {
    (void)device_read;
    auto req = request_of(ctx.library(), ctx.db(), ctx.job());
    if (!req)
        return fmt::format("its medium cannot be read: {}", req.error().message);
    const MediumRecord& r = req->medium;
    return fmt::format("{} is at element {}", cartridge_label(r.barcode), *r.element);
}

} // namespace ntms
