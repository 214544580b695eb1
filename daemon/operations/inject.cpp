#include "daemon/operations/inject.hpp"

#include "common/vocabulary.hpp"
#include "daemon/journal.hpp"
#include "daemon/library/library.hpp"
#include "daemon/library/operator_request.hpp"
#include "daemon/scsi_status.hpp"
#include "daemon/store/store.hpp"
#include "sgio/element.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fmt/format.h>
#include <optional>
#include <vector>

namespace ntms {

namespace {

using Clock = std::chrono::steady_clock;

// "START", as RSM spells the action.
std::string action_name(InjectAction a) {
    std::string name = vocabulary::name_of(vocabulary::inject_actions, static_cast<uint32_t>(a));
    for (char& c : name)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

// One run of an inject job: the steps above, with what they need at hand.
class InjectSteps {
public:
    explicit InjectSteps(JobContext& ctx)
        : ctx_(ctx), lib_(ctx.library()), cat_(lib_.catalogue()), db_(ctx.db()), job_(ctx.job()),
          ch_(*lib_.device().changer()) {}
    Outcome run();

private:
    enum class Wake { Full, Retracted, RetractRequest, Stop, Timeout };

    Expected<Wake> wait_for_operator(const PortState& port);
    // What a caller's STOP or RETRACT means to the wait; nullopt for none.
    static std::optional<Wake> woken_by(JobControl c) {
        if (c == JobControl::Stop)
            return Wake::Stop;
        if (c == JobControl::Retract)
            return Wake::RetractRequest;
        return std::nullopt;
    }
    // Returns the number of cartridges left in the port for lack of a free slot.
    Expected<uint32_t> import_batch(const PortState& port, bool& stop_requested);
    Expected<std::vector<sgio::ElementStatus>> read_port(const PortState& port);
    Expected<bool> importable(const sgio::ElementStatus& e);
    // The medium a cartridge in the port is: known there, known outside by its barcode, or new.
    Expected<Guid> identity(const sgio::ElementStatus& e);
    Expected<void> move_one(const sgio::ElementStatus& from, uint16_t to);
    // Reads source and destination after a move: (source, destination).
    Expected<std::pair<sgio::ElementStatus, sgio::ElementStatus>>
    confirm(const sgio::ElementStatus& from, uint16_t to);
    Expected<void> post_library_full(const PortState& port, uint32_t left);
    Expected<void> post_insert_request(const PortState& port);
    // Ends the open insert request, if any, in state `s` (COMPLETE or REFUSED).
    void end_insert_request(OpRequestState s);
    // A step the job goes on without (the device may not support it); one that fails for another
    // reason is tried once more, since a port left open or locked stops the robot or the operator.
    template <typename Step> void optional_step(Step step, const char* what);
    void offline(const sgio::Error& e) { cat_.set_state(LibraryState::Offline, e.message); }
    Outcome finish(Outcome how);

    JobContext& ctx_;
    Library& lib_;
    Catalogue& cat_;
    Store& db_;
    JobRecord& job_;
    sgio::Changer& ch_;
    std::optional<PostedRequest> insert_request_; // open while the job waits for the operator
};

Outcome InjectSteps::finish(Outcome how) {
    // A job that ends while still waiting (failure, library gone) did not get its cartridges.
    end_insert_request(OpRequestState::Refused);
    return how;
}

template <typename Step> void InjectSteps::optional_step(Step step, const char* what) {
    sgio::Result<void> r = step();
    if (!r && r.error().code != sgio::Errc::Unsupported && !is_offline_error(r.error()))
        r = step();
    if (!r && r.error().code != sgio::Errc::Unsupported)
        log(LOG_WARNING,
            fmt::format("Library {}: {} failed: {}", lib_.name(), what, r.error().message));
}

Expected<std::vector<sgio::ElementStatus>> InjectSteps::read_port(const PortState& port) {
    auto r = ch_.read_status(sgio::ElementType::ImportExport, port.first, port.count);
    if (!r) {
        if (is_offline_error(r.error()))
            offline(r.error());
        return from_scsi(r.error(), "read the port");
    }
    return std::move(r).value();
}

Expected<Guid> InjectSteps::identity(const sgio::ElementStatus& e) {
    // A record already at this port element (left there earlier)...
    auto known = db_.medium_at(lib_.id(), e.address);
    if (!known)
        return known.error();
    if (*known)
        return (*known)->id;
    // ... or a cartridge that was taken out of a library before (ejected): same medium, same
    // GUID and history. Only a new barcode (or none) makes a new medium.
    auto outside = db_.outside_medium(e.primary_tag);
    if (!outside)
        return outside.error();
    if (*outside)
        return (*outside)->id;
    return Guid::random();
}

Expected<bool> InjectSteps::importable(const sgio::ElementStatus& e) {
    if (!e.full)
        return false;
    if (e.impexp)
        return true; // the device says the operator put it there
    // A cartridge the library itself exported waits for the operator; never pull it back in.
    auto m = db_.medium_at(lib_.id(), e.address);
    if (!m)
        return m.error();
    return !(*m && (*m)->state == MediumState::Exported);
}

Expected<InjectSteps::Wake> InjectSteps::wait_for_operator(const PortState& port) {
    const auto timeout = std::chrono::seconds(job_.timeout_sec);
    const auto deadline = Clock::now() + timeout;
    const auto poll = std::chrono::milliseconds(lib_.config().poll_interval_ms);
    bool seen_open = false;
    ch_.take_ie_accessed(); // only accesses from now on count

    for (;;) {
        if (auto w = woken_by(ctx_.wait_control(std::chrono::milliseconds(0))))
            return *w;
        // A poll costs TEST UNIT READY plus the port's own elements, whatever the library's size.
        if (auto t = ch_.test_unit_ready(); !t) {
            if (is_offline_error(t.error()))
                offline(t.error());
            return from_scsi(t.error(), "test unit ready");
        }
        auto els = read_port(port);
        if (!els)
            return els.error();
        bool all_closed = true;
        uint16_t full = 0;
        bool full_importable = false;
        for (const auto& e : *els) {
            if (!e.access) { // ACCESS 0: open to the operator
                seen_open = true;
                all_closed = false;
            }
            if (e.full) {
                ++full;
                auto imp = importable(e);
                if (!imp)
                    return imp.error();
                full_importable = full_importable || *imp;
            }
        }
        PortState ps = port;
        ps.extended = !all_closed;
        ps.full = full;
        cat_.set_port(ps);
        if (ch_.take_ie_accessed())
            return Wake::Retracted;
        if (seen_open && all_closed)
            return Wake::Retracted;
        // Magazines are not scanned for full status: the operator may still be filling them.
        if (port.count == 1 && full_importable)
            return Wake::Full;
        if (Clock::now() >= deadline)
            return Wake::Timeout;
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (auto w = woken_by(ctx_.wait_control(std::min(poll, left))))
            return *w;
    }
}

Expected<std::pair<sgio::ElementStatus, sgio::ElementStatus>>
InjectSteps::confirm(const sgio::ElementStatus& from, uint16_t to) {
    // A read that fails is tried again: what the robot did must be known before the next move.
    constexpr int attempts = 3;
    sgio::Error last;
    for (int i = 0; i < attempts; ++i) {
        auto src = ch_.read_status(from.type, from.address, 1);
        if (src && !src->empty()) {
            auto dst = ch_.read_status(sgio::ElementType::Storage, to, 1);
            if (dst && !dst->empty())
                return std::pair{src->front(), dst->front()};
            last = dst ? sgio::make_error(sgio::Errc::MalformedReply, "no element status")
                       : dst.error();
        } else {
            last = src ? sgio::make_error(sgio::Errc::MalformedReply, "no element status")
                       : src.error();
        }
        if (is_offline_error(last)) {
            offline(last);
            break;
        }
    }
    // The intent stays recorded: reconciliation resolves it.
    return from_scsi(last, fmt::format("confirm the move {} -> {}", from.address, to));
}

Expected<void> InjectSteps::move_one(const sgio::ElementStatus& from, uint16_t to) {
    auto medium = identity(from);
    if (!medium)
        return medium.error();
    MoveIntent in;
    in.job = job_.id;
    in.library = lib_.id();
    in.medium = *medium;
    in.barcode = from.primary_tag;
    in.source = from.address;
    in.destination = to;
    in.created = now_usec();
    auto id = db_.record_intent(in);
    if (!id)
        return id.error();
    in.id = *id;

    auto moved = ch_.move(from.address, to);
    // Whatever the answer, source and destination are the truth.
    auto seen = confirm(from, to);
    if (!seen) {
        // Until reconciliation resolves the intent, the slot may hold the cartridge.
        cat_.set_slot_full(to, true);
        return seen.error();
    }
    const sgio::ElementStatus& dst = seen->second;
    // The cartridge is in the slot when the slot is full and the port element no longer holds
    // it: a failed move to a slot that was already full must not count as this cartridge's.
    const bool arrived =
        dst.full &&
        (!seen->first.full || (!from.primary_tag.empty() && dst.primary_tag == from.primary_tag));
    if (!arrived) {
        if (auto r = db_.drop_intent(in.id); !r)
            return r;
        if (!moved)
            return from_scsi(moved.error(), "robot");
        return fail(win32::IoDevice, fmt::format("move {} -> {} reported success but slot {} is "
                                                 "empty",
                                                 from.address, to, to));
    }
    MediumRecord m;
    m.id = in.medium;
    m.library = lib_.id();
    m.barcode = dst.primary_tag.empty() ? from.primary_tag : dst.primary_tag;
    m.element = to;
    m.state = MediumState::InLibrary;
    m.updated = now_usec();
    if (auto r = db_.complete_move(in, m); !r)
        return r;
    job_.add_medium(m.id);
    ++job_.media_moved;
    cat_.set_slot_full(to, true);
    ctx_.announce();
    log(LOG_INFO, fmt::format("Library {}: cartridge {} moved from port element {} to slot {} "
                              "(job {})",
                              lib_.name(), m.barcode.empty() ? "(unidentified)" : m.barcode,
                              from.address, to, job_.id.str()));
    return {};
}

Expected<void> InjectSteps::post_library_full(const PortState& port, uint32_t left) {
    auto r =
        post_operator_request(lib_, db_, OpRequestType::Message,
                              fmt::format("library {} is full: remove {} cartridge{} from port {}",
                                          lib_.name(), left, left == 1 ? "" : "s", port.first),
                              job_.id, std::nullopt);
    if (!r)
        return r.error();
    return {};
}

Expected<void> InjectSteps::post_insert_request(const PortState& port) {
    auto r = post_operator_request(
        lib_, db_, OpRequestType::NewMedia,
        fmt::format("library {}: put cartridges into port {} ({} element{}) and close it",
                    lib_.name(), port.first, port.count, port.count == 1 ? "" : "s"),
        job_.id, port.first);
    if (!r)
        return r.error();
    insert_request_ = std::move(r).value();
    return {};
}

void InjectSteps::end_insert_request(OpRequestState s) {
    if (!insert_request_)
        return;
    auto r = std::move(*insert_request_);
    insert_request_.reset();
    end_operator_request(lib_, db_, std::move(r), s);
}

Expected<uint32_t> InjectSteps::import_batch(const PortState& port, bool& stop_requested) {
    if (auto r = ctx_.transition(JobState::InProcess); !r)
        return r.error();
    optional_step([&] { return ch_.prevent_removal(true); }, "lock the port");
    optional_step([&] { return ch_.close_import_export(port.first); }, "close the port");
    PortState ps = port;
    ps.locked = ch_.support().prevent_allow.value_or(false);
    ps.extended = false;

    auto els = read_port(port);
    if (!els)
        return els.error();
    uint32_t left = 0;
    for (const auto& e : *els) {
        auto imp = importable(e);
        if (!imp)
            return imp.error();
        if (!*imp)
            continue;
        // STOP while moving: the move in flight finished; the rest stays in the port.
        if (ctx_.peek_control() == JobControl::Stop) {
            stop_requested = true;
            break;
        }
        auto slot = cat_.pick_free_slot();
        if (!slot) {
            ++left;
            MediumRecord m;
            auto known = db_.medium_at(lib_.id(), e.address);
            if (!known)
                return known.error();
            if (!*known) { // keep track of it where it waits
                auto id = identity(e);
                if (!id)
                    return id.error();
                m.id = *id;
                m.library = lib_.id();
                m.barcode = e.primary_tag;
                m.element = e.address;
                m.state = MediumState::InPort;
                m.updated = now_usec();
                if (auto r = db_.put_medium(m, MediumMove{m.id, job_.id, std::nullopt, e.address,
                                                          m.updated, "left-in-port"});
                    !r)
                    return r.error();
                if (job_.add_medium(m.id))
                    ctx_.announce();
            }
            continue;
        }
        if (auto r = move_one(e, *slot); !r)
            return r.error();
    }
    if (left > 0) {
        if (auto r = post_library_full(port, left); !r)
            return r.error();
    }
    // The port is allowed again so that the operator can use it (and take out what is left).
    optional_step([&] { return ch_.prevent_removal(false); }, "unlock the port");
    ps.locked = false;
    if (auto after = read_port(port)) {
        ps.full = 0;
        for (const auto& e : *after)
            ps.full = static_cast<uint16_t>(ps.full + (e.full ? 1 : 0));
    }
    cat_.set_port(ps);
    return left;
}

Outcome InjectSteps::run() {
    auto port = cat_.find_port(job_.port);
    if (!port) {
        return finish(Outcome::failed(fail(
            win32::NotSupported,
            fmt::format("library {} has no import/export port{}", lib_.name(),
                        job_.port ? fmt::format(" at element {}", *job_.port) : std::string()))));
    }
    if (auto r = ctx_.transition(JobState::InProcess); !r) {
        return finish(Outcome::failed(r.error()));
    }
    bool stop_requested = false;
    if (job_.timeout_sec == 0) {
        // No time for an operator: what is in the port now is imported, and the port is not
        // opened (AutoImport's jobs are these).
        auto left = import_batch(*port, stop_requested);
        if (!left)
            return finish(Outcome::failed(left.error()));
        return finish(stop_requested ? Outcome::stopped() : Outcome::passed());
    }
    for (;;) {
        // 1. Allow, unlock and extend the port.
        optional_step([&] { return ch_.prevent_removal(false); }, "allow medium removal");
        optional_step([&] { return ch_.open_import_export(port->first); }, "open the port");
        PortState ps = *port;
        ps.extended = true;
        cat_.set_port(ps);
        // The request exists before the job says WAITING: whoever sees the state finds it.
        if (auto r = post_insert_request(*port); !r) {
            return finish(Outcome::failed(r.error()));
        }
        if (auto r = ctx_.transition(JobState::Waiting); !r) {
            return finish(Outcome::failed(r.error()));
        }
        log(LOG_INFO,
            fmt::format("Library {}: {} job {} waits up to {} s for the operator", lib_.name(),
                        action_name(job_.action), job_.id.str(), job_.timeout_sec));

        // 2. Wait for the operator; the wait's request ends with it.
        auto wake = wait_for_operator(*port);
        if (!wake) {
            return finish(Outcome::failed(wake.error()));
        }
        end_insert_request(*wake == Wake::Stop || *wake == Wake::Timeout
                               ? OpRequestState::Refused
                               : OpRequestState::Complete);
        if (*wake == Wake::Stop)
            stop_requested = true;

        // 3./4. Whatever woke us, what the operator put in is imported.
        auto left = import_batch(*port, stop_requested);
        if (!left) {
            return finish(Outcome::failed(left.error()));
        }
        if (ctx_.peek_control() == JobControl::Stop)
            stop_requested = true;
        // 5. STARTMANY opens the port again until STOP or a round that timed out.
        if (stop_requested || job_.action != InjectAction::StartMany || *wake == Wake::Timeout)
            break;
    }
    return finish(stop_requested ? Outcome::stopped() : Outcome::passed());
}

} // namespace

Outcome InjectOperation::run(JobContext& ctx) {
    return InjectSteps(ctx).run();
}

namespace {

// At most this many cartridges are named in a message; the rest are counted.
constexpr size_t named_at_most = 16;

std::string label(const std::string& barcode) {
    return barcode.empty() ? "unlabelled" : barcode;
}

std::string plural(size_t n, const char* what) {
    return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s");
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (size_t i = 0; i < names.size() && i < named_at_most; ++i)
        out += (i ? ", " : "") + names[i];
    if (names.size() > named_at_most)
        out += fmt::format(" and {} more", names.size() - named_at_most);
    return out;
}

} // namespace

std::string InjectOperation::account_interrupted(JobContext& ctx, bool device_read) {
    Library& lib = ctx.library();
    Store& db = ctx.db();
    const JobRecord& job = ctx.job();
    std::string account;

    // Imported before the stop (reconciliation has completed the move in flight, if it happened).
    if (auto moves = db.moves_of_job(job.id)) {
        std::vector<std::string> names;
        for (const auto& m : *moves) {
            if (m.reason != "inject" || !m.to)
                continue;
            auto medium = db.get_medium(m.medium);
            names.push_back(fmt::format(
                "{} to slot {}", medium && *medium ? label((*medium)->barcode) : "unknown", *m.to));
        }
        account = fmt::format("{} imported before", plural(names.size(), "cartridge"));
        if (!names.empty())
            account += " (" + joined(names) + ")";
    } else {
        account = fmt::format("{} imported before (which ones cannot be read: {})",
                              plural(job.media_moved, "cartridge"), moves.error().message);
    }

    const auto port = lib.catalogue().find_port(job.port);
    if (!device_read || !port) {
        // Its move in flight, if any, is settled (and counted) when the device is read.
        size_t in_flight = 0;
        if (auto intents = db.pending_intents(lib.id()))
            in_flight = static_cast<size_t>(
                std::count_if(intents->begin(), intents->end(),
                              [&](const MoveIntent& in) { return in.job == job.id; }));
        if (in_flight > 0)
            account += fmt::format(", {} in flight", plural(in_flight, "move"));
        const LibrarySnapshot snap = lib.catalogue().snapshot();
        return account +
               fmt::format("; its port could not be read ({}): it is read again when "
                           "the library is back",
                           snap.offline_reason.empty() ? "no port known" : snap.offline_reason);
    }
    // Reconciliation has listed every cartridge in the port (as InPort, "found-in-port").
    std::vector<std::string> left;
    for (uint16_t a = port->first; a < port->first + port->count; ++a) {
        auto m = db.medium_at(lib.id(), a);
        if (!m)
            return account +
                   fmt::format("; port {} cannot be listed: {}", port->first, m.error().message);
        if (*m && (*m)->state == MediumState::InPort)
            left.push_back(fmt::format("{} at element {}", label((*m)->barcode), a));
    }
    // The job may have locked the port: the operator can take out what is left rather than wait
    // for the next inject.
    if (auto* ch = lib.device().changer()) {
        if (auto r = ch->prevent_removal(false); !r && r.error().code != sgio::Errc::Unsupported)
            log(LOG_WARNING, fmt::format("Library {}: allow medium removal failed: {}", lib.name(),
                                         r.error().message));
    }
    if (left.empty())
        return account + fmt::format("; no cartridge left in port {}", port->first);
    return account + fmt::format("; {} still in port {} ({}), listed there for the next inject",
                                 plural(left.size(), "cartridge"), port->first, joined(left));
}

} // namespace ntms
