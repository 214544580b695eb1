#include "daemon/operations/eject_moves.hpp"

#include "daemon/journal.hpp"
#include "daemon/library/library.hpp"
#include "daemon/library/tape_unload.hpp"
#include "daemon/operations/drive_work.hpp"
#include "daemon/scsi_status.hpp"
#include "daemon/store/store.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace ntms {

std::string cartridge_label(const std::string& barcode) {
    return barcode.empty() ? "(unlabelled)" : barcode;
}

Expected<std::vector<Guid>> media_of_eject(Store& db, const Guid& job) {
    auto rows = db.moves_of_job(job);
    if (!rows)
        return rows.error();
    std::vector<Guid> media;
    for (const auto& r : *rows)
        if (r.reason == "eject-requested" &&
            std::find(media.begin(), media.end(), r.medium) == media.end())
            media.push_back(r.medium);
    return media;
}

EjectMoves::EjectMoves(Library& lib, Store& db, JobRecord& job)
    : lib_(lib), db_(db), job_(job), ch_(*lib.device().changer()) {}

void EjectMoves::offline(const sgio::Error& e) {
    if (is_offline_error(e))
        lib_.catalogue().set_state(LibraryState::Offline, e.message);
}

Expected<sgio::ElementStatus> EjectMoves::read_one(sgio::ElementType type, uint16_t address) {
    // A read that fails is tried again: what the robot did must be known before the next move.
    constexpr int attempts = 3;
    sgio::Error last;
    for (int i = 0; i < attempts; ++i) {
        auto r = ch_.read_status(type, address, 1);
        if (r) {
            for (const auto& e : *r)
                if (e.address == address)
                    return e;
            last = sgio::make_error(sgio::Errc::MalformedReply,
                                    fmt::format("no status for element {}", address));
        } else {
            last = r.error();
        }
        if (is_offline_error(last)) {
            offline(last);
            break;
        }
    }
    return from_scsi(last, fmt::format("read element {}", address));
}

Expected<std::vector<sgio::ElementStatus>> EjectMoves::read_port(uint16_t first, uint16_t count) {
    auto r = ch_.read_status(sgio::ElementType::ImportExport, first, count);
    if (!r) {
        offline(r.error());
        return from_scsi(r.error(), "read the port");
    }
    std::vector<sgio::ElementStatus> els;
    // tgt ignores the number of elements asked for: keep the port's own.
    for (auto& e : *r)
        if (e.address >= first && e.address < first + count)
            els.push_back(std::move(e));
    return els;
}

Expected<void> EjectMoves::move(MediumRecord& m, sgio::ElementType from_type, uint16_t to,
                                MediumState state, const char* reason, bool count) {
    const auto to_type = from_type == sgio::ElementType::Storage ? sgio::ElementType::ImportExport
                                                                 : sgio::ElementType::Storage;
    return transfer(m, from_type, to, to_type, state, reason, count);
}

std::string EjectMoves::drive_device(uint16_t element) {
    for (const auto& d : lib_.snapshot().drive_list)
        if (d.element == element)
            return d.device;
    return {};
}

Expected<void> EjectMoves::transfer(MediumRecord& m, sgio::ElementType from_type, uint16_t to,
                                    sgio::ElementType to_type, MediumState state,
                                    const char* reason, bool count) {
    if (!m.element)
        return fail(win32::InvalidState,
                    fmt::format("medium {} has no element to move from", m.id.str()));
    const uint16_t from = *m.element;
    // A drive gives up its cartridge only once its tape is unloaded.
    TapeUnload unload;
    if (from_type == sgio::ElementType::DataTransfer) {
        unload = unload_tape(drive_device(from));
        if (unload.tried)
            log(unload.done ? LOG_INFO : LOG_WARNING,
                fmt::format("Library {}: drive element {}: {}{}", lib_.name(), from, unload.message,
                            unload.done ? "" : "; the move out of the drive is tried anyway"));
    }
    MoveIntent in;
    in.job = job_.id;
    in.library = lib_.id();
    in.medium = m.id;
    in.barcode = m.barcode;
    in.source = from;
    in.destination = to;
    in.created = now_usec();
    auto id = db_.record_intent(in);
    if (!id)
        return id.error();
    in.id = *id;

    auto moved = ch_.move(from, to);
    // Whatever the answer, source and destination are the truth.
    auto src = read_one(from_type, from);
    auto dst = src ? read_one(to_type, to) : Expected<sgio::ElementStatus>(src.error());
    if (!dst)
        return dst.error(); // the intent stays: reconciliation resolves it
    const bool arrived =
        dst->full && (!src->full || (!m.barcode.empty() && dst->primary_tag == m.barcode));
    if (!arrived) {
        if (auto r = db_.drop_intent(in.id); !r)
            return r;
        if (!moved && from_type == sgio::ElementType::DataTransfer && src->full &&
            refused_as_not_unloaded(moved.error()))
            return fail(win32::MediumNotAccessible,
                        fmt::format("drive element {} still holds the tape of {} ({}): {}", from,
                                    cartridge_label(m.barcode), moved.error().describe(),
                                    unload.tried
                                        ? unload.message
                                        : "ntmsd knows no tape device of the drive to unload it "
                                          "through (DriveDevices= in ntmsd.conf(5)); unload it "
                                          "with mt offline, then try again"));
        if (!moved)
            return from_scsi(moved.error(), "robot");
        return fail(win32::IoDevice, fmt::format("move {} -> {} reported success but element {} "
                                                 "is empty",
                                                 from, to, to));
    }
    MediumRecord after = m;
    after.element = to;
    after.state = state;
    after.updated = now_usec();
    if (after.barcode.empty())
        after.barcode = dst->primary_tag;
    JobRecord counted = job_;
    if (count)
        ++counted.media_moved;
    // The medium's place, its history, the job's count and the intent's end: all or nothing.
    auto done = db_.transaction([&]() -> Expected<void> {
        if (auto r =
                db_.put_medium(after, MediumMove{m.id, job_.id, from, to, after.updated, reason});
            !r)
            return r;
        if (count)
            if (auto r = db_.update_job(counted); !r)
                return r;
        return db_.drop_intent(in.id);
    });
    if (!done)
        return done;
    m = after;
    job_.media_moved = counted.media_moved;
    job_.add_medium(m.id); // a cleaner is the job's from its first move
    Catalogue& cat = lib_.catalogue();
    if (from_type == sgio::ElementType::Storage)
        cat.set_slot_full(from, false);
    if (to_type == sgio::ElementType::Storage)
        cat.set_slot_full(to, true);
    log(LOG_INFO,
        fmt::format("Library {}: cartridge {} moved from element {} to {} ({}, job {})",
                    lib_.name(), cartridge_label(m.barcode), from, to, reason, job_.id.str()));
    return {};
}

Expected<void> EjectMoves::present(MediumRecord& m, uint16_t to, sgio::ElementType from) {
    return transfer(m, from, to, sgio::ElementType::ImportExport, MediumState::Exported, "eject",
                    true);
}

Expected<std::optional<uint16_t>> EjectMoves::bring_back(MediumRecord& m,
                                                         std::optional<uint16_t> home) {
    std::optional<uint16_t> slot;
    // A medium a forced eject took out of a drive may have no slot of its own.
    if (home && is_storage_slot(lib_, *home)) {
        auto e = read_one(sgio::ElementType::Storage, *home);
        if (!e)
            return e.error();
        if (!e->full)
            slot = home;
    }
    if (!slot)
        slot = lib_.catalogue().pick_free_slot();
    if (!slot)
        return std::optional<uint16_t>();
    if (auto r = move(m, sgio::ElementType::ImportExport, *slot, MediumState::InLibrary,
                      "eject-returned", false);
        !r)
        return r.error();
    return slot;
}

Expected<void> EjectMoves::taken(MediumRecord& m) {
    MediumRecord after = m;
    after.element.reset();
    after.state = MediumState::Gone;
    after.updated = now_usec();
    if (auto r = db_.put_medium(after, MediumMove{m.id, job_.id, m.element, std::nullopt,
                                                  after.updated, "operator-removed"});
        !r)
        return r;
    job_.add_medium(m.id);
    log(LOG_INFO, fmt::format("Library {}: cartridge {} was taken out of port element {} (job {})",
                              lib_.name(), cartridge_label(m.barcode), m.element ? *m.element : 0,
                              job_.id.str()));
    m = after;
    return {};
}

} // namespace ntms
