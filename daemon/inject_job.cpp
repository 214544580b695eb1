#include "inject_job.hpp"

#include "journal.hpp"
#include "scsi_status.hpp"
#include "store.hpp"

#include <chrono>
#include <fmt/format.h>

namespace ntms {

namespace {

using Clock = std::chrono::steady_clock;

const char* action_name(InjectAction a) {
    switch (a) {
    case InjectAction::Start:
        return "START";
    case InjectAction::Stop:
        return "STOP";
    case InjectAction::Retract:
        return "RETRACT";
    case InjectAction::StartMany:
        return "STARTMANY";
    }
    return "?";
}

} // namespace

InjectJob::InjectJob(Library& library, Store& db, JobRecord& job)
    : lib_(library), db_(db), job_(job), ch_(*library.changer()) {}

Expected<void> InjectJob::transition(JobState s) {
    job_.state = s;
    if (s == JobState::InProcess && job_.time_started == 0)
        job_.time_started = now_usec();
    if (auto r = db_.update_job(job_); !r)
        return r;
    lib_.events().job_changed(job_);
    return {};
}

void InjectJob::finish(JobState s, const Status& st) {
    // A job that ends while still waiting (failure, library gone) did not get its cartridges.
    end_insert_request(OpRequestState::Refused);
    job_.state = s;
    job_.error = st.code;
    job_.error_message = st.message;
    job_.time_completed = now_usec();
    if (auto r = db_.update_job(job_); !r)
        log(LOG_ERR, fmt::format("Library {}: cannot record the end of job {}: {}", lib_.name(),
                                 job_.id.str(), r.error().message));
    lib_.events().job_changed(job_);
    journal_job_end(job_, lib_.name());
}

void InjectJob::optional_step(sgio::Result<void> r, const char* what) {
    if (!r && r.error().code != sgio::Errc::Unsupported)
        log(LOG_WARNING,
            fmt::format("Library {}: {} failed: {}", lib_.name(), what, r.error().message));
}

Expected<std::vector<sgio::ElementStatus>> InjectJob::read_port(const PortState& port) {
    auto r = ch_.read_status(sgio::ElementType::ImportExport, port.first, port.count);
    if (!r) {
        if (is_offline_error(r.error()))
            lib_.set_online(false, r.error().message);
        return from_scsi(r.error(), "read the port");
    }
    return std::move(r).value();
}

Expected<bool> InjectJob::importable(const sgio::ElementStatus& e) {
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

Expected<InjectJob::Wake> InjectJob::wait_for_operator(const PortState& port) {
    const auto timeout = std::chrono::seconds(job_.timeout_sec);
    const auto deadline = Clock::now() + timeout;
    const auto poll = std::chrono::milliseconds(lib_.config().poll_interval_ms);
    bool seen_open = false;
    ch_.take_ie_accessed(); // only accesses from now on count

    for (;;) {
        switch (lib_.wait_control(std::chrono::milliseconds(0))) {
        case JobControl::Stop:
            return Wake::Stop;
        case JobControl::Retract:
            return Wake::RetractRequest;
        case JobControl::None:
            break;
        }
        // A poll costs TEST UNIT READY plus the port's own elements, whatever the library's size.
        if (auto t = ch_.test_unit_ready(); !t) {
            if (is_offline_error(t.error()))
                lib_.set_online(false, t.error().message);
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
        lib_.set_port(ps);
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
        switch (lib_.wait_control(std::min(poll, left))) {
        case JobControl::Stop:
            return Wake::Stop;
        case JobControl::Retract:
            return Wake::RetractRequest;
        case JobControl::None:
            break;
        }
    }
}

Expected<void> InjectJob::move_one(const sgio::ElementStatus& from, uint16_t to) {
    // Identity: a record already at this port element (left there earlier), else a new medium.
    auto known = db_.medium_at(lib_.id(), from.address);
    if (!known)
        return known.error();
    MoveIntent in;
    in.job = job_.id;
    in.library = lib_.id();
    in.medium = *known ? (*known)->id : Guid::random();
    in.barcode = from.primary_tag;
    in.source = from.address;
    in.destination = to;
    in.created = now_usec();
    auto id = db_.record_intent(in);
    if (!id)
        return id.error();
    in.id = *id;

    auto moved = ch_.move(from.address, to);
    // Whatever the answer, the destination is the truth.
    auto dst = ch_.read_status(sgio::ElementType::Storage, to, 1);
    if (!dst) {
        if (is_offline_error(dst.error()))
            lib_.set_online(false, dst.error().message);
        // The intent stays recorded: start-up reconciliation resolves it.
        return from_scsi(dst.error(), fmt::format("confirm the move to slot {}", to));
    }
    const bool arrived = !dst->empty() && dst->front().full;
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
    m.barcode = dst->front().primary_tag.empty() ? from.primary_tag : dst->front().primary_tag;
    m.element = to;
    m.state = MediumState::InLibrary;
    m.updated = now_usec();
    if (auto r = db_.complete_move(in, m); !r)
        return r;
    ++job_.media_moved;
    lib_.set_slot_full(to, true);
    lib_.events().job_changed(job_);
    log(LOG_INFO, fmt::format("Library {}: cartridge {} moved from port element {} to slot {} "
                              "(job {})",
                              lib_.name(), m.barcode.empty() ? "(unidentified)" : m.barcode,
                              from.address, to, job_.id.str()));
    return {};
}

Expected<void> InjectJob::post_library_full(const PortState& port, uint32_t left) {
    OpRequestRecord r;
    r.id = Guid::random();
    r.type = OpRequestType::Message;
    r.state = OpRequestState::Submitted;
    r.message = fmt::format("library {} is full: remove {} cartridge{} from port {}", lib_.name(),
                            left, left == 1 ? "" : "s", port.first);
    r.library = lib_.id();
    r.job = job_.id;
    r.submitted = r.changed = now_usec();
    if (auto s = db_.insert_oprequest(r); !s)
        return s;
    lib_.events().oprequest_changed(r);
    journal_oprequest(r, lib_.name());
    return {};
}

Expected<void> InjectJob::post_insert_request(const PortState& port) {
    OpRequestRecord r;
    r.id = Guid::random();
    r.type = OpRequestType::NewMedia;
    r.state = OpRequestState::Submitted;
    r.message = fmt::format("library {}: put cartridges into port {} ({} element{}) and close it",
                            lib_.name(), port.first, port.count, port.count == 1 ? "" : "s");
    r.library = lib_.id();
    r.job = job_.id;
    r.submitted = r.changed = now_usec();
    if (auto s = db_.insert_oprequest(r); !s)
        return s;
    insert_request_ = r;
    insert_port_ = port.first;
    lib_.events().oprequest_changed(r);
    journal_oprequest(r, lib_.name(), port.first);
    return {};
}

void InjectJob::end_insert_request(OpRequestState s) {
    if (!insert_request_)
        return;
    OpRequestRecord r = *insert_request_;
    insert_request_.reset();
    r.state = s;
    r.changed = now_usec();
    if (auto u = db_.update_oprequest(r); !u) {
        log(LOG_ERR, fmt::format("Library {}: cannot end operator request {}: {}", lib_.name(),
                                 r.id.str(), u.error().message));
        return;
    }
    lib_.events().oprequest_changed(r);
    journal_oprequest(r, lib_.name(), insert_port_);
}

Expected<uint32_t> InjectJob::import_batch(const PortState& port, bool& stop_requested) {
    if (auto r = transition(JobState::InProcess); !r)
        return r.error();
    optional_step(ch_.prevent_removal(true), "lock the port");
    optional_step(ch_.close_import_export(port.first), "close the port");
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
        if (lib_.peek_control() == JobControl::Stop) {
            stop_requested = true;
            break;
        }
        auto slot = lib_.pick_free_slot();
        if (!slot) {
            ++left;
            MediumRecord m;
            auto known = db_.medium_at(lib_.id(), e.address);
            if (!known)
                return known.error();
            if (!*known) { // keep track of it where it waits
                m.id = Guid::random();
                m.library = lib_.id();
                m.barcode = e.primary_tag;
                m.element = e.address;
                m.state = MediumState::InPort;
                m.updated = now_usec();
                if (auto r = db_.put_medium(m, MediumMove{m.id, job_.id, std::nullopt, e.address,
                                                          m.updated, "left-in-port"});
                    !r)
                    return r.error();
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
    optional_step(ch_.prevent_removal(false), "unlock the port");
    ps.locked = false;
    if (auto after = read_port(port)) {
        ps.full = 0;
        for (const auto& e : *after)
            ps.full = static_cast<uint16_t>(ps.full + (e.full ? 1 : 0));
    }
    lib_.set_port(ps);
    return left;
}

void InjectJob::run() {
    auto port = lib_.find_port(job_.port);
    if (!port) {
        finish(JobState::Failed,
               fail(win32::NotSupported,
                    fmt::format("library {} has no import/export port{}", lib_.name(),
                                job_.port ? fmt::format(" at element {}", *job_.port)
                                          : std::string())));
        return;
    }
    if (auto r = transition(JobState::InProcess); !r) {
        finish(JobState::Failed, r.error());
        return;
    }
    bool stop_requested = false;
    for (;;) {
        // 1. Allow, unlock and extend the port.
        optional_step(ch_.prevent_removal(false), "allow medium removal");
        optional_step(ch_.open_import_export(port->first), "open the port");
        PortState ps = *port;
        ps.extended = true;
        lib_.set_port(ps);
        if (auto r = transition(JobState::Waiting); !r) {
            finish(JobState::Failed, r.error());
            return;
        }
        if (auto r = post_insert_request(*port); !r) {
            finish(JobState::Failed, r.error());
            return;
        }
        log(LOG_INFO,
            fmt::format("Library {}: {} job {} waits up to {} s for the operator", lib_.name(),
                        action_name(job_.action), job_.id.str(), job_.timeout_sec));

        // 2. Wait for the operator; the wait's request ends with it.
        auto wake = wait_for_operator(*port);
        if (!wake) {
            finish(JobState::Failed, wake.error());
            return;
        }
        end_insert_request(*wake == Wake::Stop || *wake == Wake::Timeout
                               ? OpRequestState::Refused
                               : OpRequestState::Complete);
        if (*wake == Wake::Stop)
            stop_requested = true;

        // 3./4. Whatever woke us, what the operator put in is imported.
        auto left = import_batch(*port, stop_requested);
        if (!left) {
            finish(JobState::Failed, left.error());
            return;
        }
        if (lib_.peek_control() == JobControl::Stop)
            stop_requested = true;
        // 5. STARTMANY opens the port again until STOP or a round that timed out.
        if (stop_requested || job_.action != InjectAction::StartMany || *wake == Wake::Timeout)
            break;
    }
    finish(stop_requested ? JobState::Stopped : JobState::Passed, Status::success());
}

} // namespace ntms
