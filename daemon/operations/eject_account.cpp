// What an eject job that ntmsd's stop interrupted left behind, said in its record. It runs after
// reconciliation: a move in flight is settled, a cartridge the operator took out while ntmsd was
// down is recorded missing (Gone). A cartridge still in the port is brought back to a slot: the
// job's caller and its operator request are gone, so no one waits for it any more.
#include "daemon/journal.hpp"
#include "daemon/library/library.hpp"
#include "daemon/operations/eject.hpp"
#include "daemon/operations/eject_moves.hpp"
#include "daemon/store/store.hpp"

#include <fmt/format.h>

namespace ntms {

namespace {

// The job's operator request, if still open, is refused: its wait is over.
void refuse_requests(Library& lib, Store& db, const Guid& job) {
    auto all = db.list_oprequests();
    if (!all)
        return;
    for (auto r : *all) {
        const bool open = r.state == OpRequestState::Submitted ||
                          r.state == OpRequestState::Active ||
                          r.state == OpRequestState::InProgress;
        if (r.job != job || !open)
            continue;
        r.state = OpRequestState::Refused;
        r.changed = now_usec();
        if (auto u = db.update_oprequest(r); !u) {
            log(LOG_ERR, fmt::format("Library {}: cannot end operator request {}: {}", lib.name(),
                                     r.id.str(), u.error().message));
            continue;
        }
        lib.events().oprequest_changed(r);
        journal_oprequest(r, lib.name());
    }
}

} // namespace

std::string EjectOperation::account_interrupted(JobContext& ctx, bool device_read) {
    Library& lib = ctx.library();
    Store& db = ctx.db();
    JobRecord& job = ctx.job();
    refuse_requests(lib, db, job.id);

    auto ids = media_of_eject(db, job.id);
    if (!ids)
        return fmt::format("its media cannot be read: {}", ids.error().message);
    std::vector<std::string> said;
    bool closed = false;
    for (const auto& id : *ids) {
        auto found = db.get_medium(id);
        if (!found || !*found) {
            said.push_back(fmt::format("medium {} is unknown", id.str()));
            continue;
        }
        MediumRecord m = **found;
        const std::string name = cartridge_label(m.barcode);
        if (m.state == MediumState::Gone) {
            said.push_back(fmt::format("{} was taken out", name));
            continue;
        }
        const bool in_port = m.element && lib.catalogue().find_port(m.element);
        if (!in_port) {
            said.push_back(m.element ? fmt::format("{} is still in slot {}", name, *m.element)
                                     : fmt::format("{} has no known place", name));
            continue;
        }
        if (!device_read || !lib.device().changer()) {
            said.push_back(fmt::format("{} was in port element {} when ntmsd stopped; the "
                                       "library could not be read to bring it back",
                                       name, *m.element));
            continue;
        }
        // The slot it came from: the last "eject" row of this job.
        std::optional<uint16_t> home;
        if (auto h = db.history(m.id))
            for (const auto& row : *h)
                if (row.job == job.id && row.to == m.element && row.from)
                    home = row.from;
        sgio::Changer& ch = *lib.device().changer();
        if (!closed) {
            closed = true;
            if (auto r = ch.close_import_export(*m.element);
                !r && r.error().code != sgio::Errc::Unsupported)
                log(LOG_WARNING, fmt::format("Library {}: close the port failed: {}", lib.name(),
                                             r.error().message));
        }
        const uint16_t element = *m.element;
        EjectMoves moves(lib, db, job);
        auto slot = moves.bring_back(m, home);
        if (!slot)
            said.push_back(fmt::format("{} is still in port element {} (bringing it back "
                                       "failed: {})",
                                       name, element, slot.error().message));
        else if (!*slot)
            said.push_back(
                fmt::format("{} is still in port element {} (no free slot)", name, element));
        else
            said.push_back(fmt::format("{} was in port element {} and is back in slot {}", name,
                                       element, **slot));
    }
    if (said.empty())
        return "it had no medium to eject";
    return fmt::format("{}", fmt::join(said, "; "));
}

} // namespace ntms
