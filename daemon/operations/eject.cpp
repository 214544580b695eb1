#include "daemon/operations/eject.hpp"

#include "daemon/journal.hpp"
#include "daemon/library/library.hpp"
#include "daemon/library/operator_request.hpp"
#include "daemon/operations/drive_work.hpp"
#include "daemon/operations/eject_moves.hpp"
#include "daemon/scsi_status.hpp"
#include "daemon/store/store.hpp"

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <optional>
#include <vector>

namespace ntms {

namespace {

using Clock = std::chrono::steady_clock;

// One medium of the job on its way out.
struct Cartridge {
    MediumRecord medium;
    std::optional<uint16_t> slot;  // the storage slot it came from (a mount's home for FORCE)
    std::optional<uint16_t> drive; // FORCE of a mounted medium: the drive it is taken out of
    bool presented = false;        // moved into the port
    bool taken = false;            // the operator took it out
    std::optional<uint16_t> back;  // the slot it was brought back to
};

std::string names_of(const std::vector<Cartridge>& cs, bool (*pick)(const Cartridge&)) {
    std::string out;
    for (const auto& c : cs)
        if (pick(c))
            out += (out.empty() ? "" : ", ") + cartridge_label(c.medium.barcode);
    return out;
}

class EjectSteps {
public:
    explicit EjectSteps(JobContext& ctx)
        : ctx_(ctx), lib_(ctx.library()), cat_(lib_.catalogue()), db_(ctx.db()), job_(ctx.job()),
          ch_(*lib_.device().changer()), moves_(lib_, db_, job_) {}
    Outcome run();

private:
    enum class Wake { AllTaken, Stop, Timeout };

    Expected<void> load_media();
    Expected<std::vector<uint16_t>> empty_elements(const PortState& port);
    Expected<Wake> wait_for_removal(const PortState& port);
    // Looks at the port once: records what the operator took. Returns true when all is taken.
    Expected<bool> look(const PortState& port);
    Expected<void> post_remove_request(const PortState& port);
    void end_remove_request(OpRequestState s);
    template <typename Step> void optional_step(Step step, const char* what);
    Outcome finish(Outcome how);
    // What is still in the port goes back to a slot; the text says where each cartridge is.
    struct Account {
        std::string text;
        bool all_back = true; // false: no free slot for one, it stays in the port
    };
    Expected<Account> return_rest(const PortState& port);
    // The end after STOP or the time-out, and after a failure once cartridges are in the port.
    Outcome give_back(const PortState& port, Wake why);
    Outcome fail_and_give_back(const PortState& port, const Status& why);

    JobContext& ctx_;
    Library& lib_;
    Catalogue& cat_;
    Store& db_;
    JobRecord& job_;
    sgio::Changer& ch_;
    EjectMoves moves_;
    std::vector<Cartridge> media_;
    std::optional<PostedRequest> request_; // open while the job waits for the operator
};

template <typename Step> void EjectSteps::optional_step(Step step, const char* what) {
    sgio::Result<void> r = step();
    if (!r && r.error().code != sgio::Errc::Unsupported && !is_offline_error(r.error()))
        r = step();
    if (!r && r.error().code != sgio::Errc::Unsupported)
        log(LOG_WARNING,
            fmt::format("Library {}: {} failed: {}", lib_.name(), what, r.error().message));
}

Outcome EjectSteps::finish(Outcome how) {
    end_remove_request(OpRequestState::Refused);
    return how;
}

Expected<void> EjectSteps::load_media() {
    auto ids = media_of_eject(db_, job_.id);
    if (!ids)
        return ids.error();
    if (ids->empty())
        return fail(win32::InvalidParameter, "the job names no medium to eject");
    for (const auto& id : *ids) {
        auto m = db_.get_medium(id);
        if (!m)
            return m.error();
        if (!*m)
            return fail(win32::ObjectNotFound, fmt::format("no medium {}", id.str()));
        const MediumRecord& r = **m;
        const std::string name = cartridge_label(r.barcode);
        // FORCE takes a mounted medium out of its drive (RSM's NTMS_EJECT_FORCE).
        if (r.library == lib_.id() && r.state == MediumState::InLibrary && r.element &&
            eject_action(job_) == EjectAction::Force) {
            auto drives = drive_views(lib_, db_);
            if (!drives)
                return drives.error();
            if (const DriveView* d = find_drive(*drives, *r.element)) {
                auto e = moves_.read_one(sgio::ElementType::DataTransfer, *r.element);
                if (!e)
                    return e.error();
                if (!e->full)
                    return fail(win32::InvalidState,
                                fmt::format("medium {} is not in drive element {} any more", name,
                                            *r.element));
                media_.push_back(
                    Cartridge{r, d->mount ? d->mount->home : std::nullopt, *r.element});
                continue;
            }
        }
        if (r.library != lib_.id() || r.state != MediumState::InLibrary || !r.element ||
            cat_.find_port(r.element))
            return fail(win32::InvalidState,
                        fmt::format("medium {} ({}) is no longer in a storage slot of library {}",
                                    name, id.str(), lib_.name()));
        // The device is the truth: the slot must hold this cartridge.
        auto e = moves_.read_one(sgio::ElementType::Storage, *r.element);
        if (!e)
            return e.error();
        if (!e->full ||
            (!r.barcode.empty() && !e->primary_tag.empty() && e->primary_tag != r.barcode))
            return fail(win32::InvalidState,
                        fmt::format("medium {} is not in slot {} (the slot {}): an inventory "
                                    "will find where it is",
                                    name, *r.element,
                                    e->full ? "holds " + cartridge_label(e->primary_tag)
                                            : std::string("is empty")));
        media_.push_back(Cartridge{r, *r.element, std::nullopt});
    }
    return {};
}

Expected<std::vector<uint16_t>> EjectSteps::empty_elements(const PortState& port) {
    auto els = moves_.read_port(port.first, port.count);
    if (!els)
        return els.error();
    std::vector<uint16_t> empty;
    for (const auto& e : *els)
        if (!e.full)
            empty.push_back(e.address);
    return empty;
}

Expected<void> EjectSteps::post_remove_request(const PortState& port) {
    std::vector<uint16_t> elements;
    for (const auto& c : media_)
        elements.push_back(*c.medium.element);
    std::string where;
    for (auto a : elements)
        where += (where.empty() ? "" : ", ") + std::to_string(a);
    auto r = post_operator_request(
        lib_, db_, OpRequestType::MoveMedia,
        fmt::format("library {}: remove cartridge{} {} from port {} (element{} {})", lib_.name(),
                    media_.size() == 1 ? "" : "s",
                    names_of(media_, [](const Cartridge&) { return true; }), port.first,
                    elements.size() == 1 ? "" : "s", where),
        job_.id, port.first);
    if (!r)
        return r.error();
    request_ = std::move(r).value();
    return {};
}

void EjectSteps::end_remove_request(OpRequestState s) {
    if (!request_)
        return;
    auto r = std::move(*request_);
    request_.reset();
    end_operator_request(lib_, db_, std::move(r), s);
}

Expected<bool> EjectSteps::look(const PortState& port) {
    if (auto t = ch_.test_unit_ready(); !t) {
        if (is_offline_error(t.error()))
            cat_.set_state(LibraryState::Offline, t.error().message);
        return from_scsi(t.error(), "test unit ready");
    }
    auto els = moves_.read_port(port.first, port.count);
    if (!els)
        return els.error();
    bool all_taken = true;
    bool open = false;
    uint16_t full = 0;
    for (const auto& e : *els) {
        open = open || !e.access;
        full = static_cast<uint16_t>(full + (e.full ? 1 : 0));
    }
    for (auto& c : media_) {
        if (!c.presented || c.taken)
            continue;
        auto e = std::find_if(els->begin(), els->end(), [&](const sgio::ElementStatus& s) {
            return s.address == *c.medium.element;
        });
        // Empty, or another cartridge the operator put in its place: this one was taken.
        const bool gone =
            e != els->end() && (!e->full || (!c.medium.barcode.empty() && !e->primary_tag.empty() &&
                                             e->primary_tag != c.medium.barcode));
        if (gone) {
            if (auto r = moves_.taken(c.medium); !r)
                return r.error();
            c.taken = true;
            continue;
        }
        all_taken = false;
    }
    PortState ps = port;
    ps.extended = open;
    ps.full = full;
    cat_.set_port(ps);
    return all_taken;
}

Expected<EjectSteps::Wake> EjectSteps::wait_for_removal(const PortState& port) {
    const auto deadline = Clock::now() + std::chrono::seconds(job_.timeout_sec);
    const auto poll = std::chrono::milliseconds(lib_.config().poll_interval_ms);
    ch_.take_ie_accessed(); // only accesses from now on count
    for (;;) {
        // RETRACT (the operator's Satisfy) only makes it look now.
        if (ctx_.wait_control(std::chrono::milliseconds(0)) == JobControl::Stop)
            return Wake::Stop;
        auto all = look(port);
        if (!all)
            return all.error();
        if (*all)
            return Wake::AllTaken;
        if (ch_.take_ie_accessed())
            continue; // the operator was at the port (28h/01h): look again at once
        if (Clock::now() >= deadline)
            return Wake::Timeout;
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (ctx_.wait_control(std::min(poll, left)) == JobControl::Stop)
            return Wake::Stop;
    }
}

Expected<EjectSteps::Account> EjectSteps::return_rest(const PortState& port) {
    // The operator may take one out until the port closes: look once more, then close it.
    if (auto all = look(port); !all)
        return all.error();
    optional_step([&] { return ch_.close_import_export(port.first); }, "close the port");
    Account out;
    std::vector<std::string> kept;
    for (auto& c : media_) {
        if (!c.presented || c.taken)
            continue;
        auto slot = moves_.bring_back(c.medium, c.slot);
        if (!slot)
            return fail(slot.error().code,
                        fmt::format("{}; cartridge {} is still in port {}", slot.error().message,
                                    cartridge_label(c.medium.barcode), port.first));
        if (!*slot)
            kept.push_back(cartridge_label(c.medium.barcode));
        c.back = *slot;
    }
    PortState ps = port;
    ps.extended = false;
    ps.full = static_cast<uint16_t>(kept.size());
    cat_.set_port(ps);

    const std::string taken = names_of(media_, [](const Cartridge& c) { return c.taken; });
    if (!taken.empty())
        out.text += fmt::format("taken out: {}; ", taken);
    for (const auto& c : media_)
        if (c.back)
            out.text +=
                fmt::format("{} back in slot {}; ", cartridge_label(c.medium.barcode), *c.back);
    if (!kept.empty())
        out.text +=
            fmt::format("no free slot: {} still in port {}; ", fmt::join(kept, ", "), port.first);
    if (out.text.size() >= 2)
        out.text.resize(out.text.size() - 2);
    out.all_back = kept.empty();
    return out;
}

Outcome EjectSteps::give_back(const PortState& port, Wake why) {
    auto account = return_rest(port);
    if (!account)
        return finish(Outcome::failed(account.error()));
    if (!account->all_back)
        return finish(Outcome::failed(fail(win32::LibraryFull, account->text)));
    if (why == Wake::Stop)
        return finish(
            Outcome{JobState::Stopped, Status{win32::Success, "stopped; " + account->text}});
    return finish(Outcome::failed(
        fail(win32::Timeout, fmt::format("not taken out of port {} within {} s; {}", port.first,
                                         job_.timeout_sec, account->text))));
}

Outcome EjectSteps::fail_and_give_back(const PortState& port, const Status& why) {
    auto account = return_rest(port);
    const std::string rest = account ? account->text : account.error().message;
    return finish(Outcome::failed(fail(why.code, why.message + "; " + rest)));
}

Outcome EjectSteps::run() {
    auto port = cat_.find_port(job_.port);
    if (!port)
        return finish(Outcome::failed(fail(
            win32::NotSupported,
            fmt::format("library {} has no import/export port{}", lib_.name(),
                        job_.port ? fmt::format(" at element {}", *job_.port) : std::string()))));
    if (auto r = ctx_.transition(JobState::InProcess); !r)
        return finish(Outcome::failed(r.error()));

    // 1. Nothing moves unless every medium is where it should be and fits into the port.
    if (auto r = load_media(); !r)
        return finish(Outcome::failed(r.error()));
    auto empty = empty_elements(*port);
    if (!empty)
        return finish(Outcome::failed(empty.error()));
    if (empty->size() < media_.size())
        return finish(Outcome::failed(fail(
            win32::IeportFull,
            fmt::format("port {} has {} empty element{} for {} cartridge{}: take out what is in "
                        "it first",
                        port->first, empty->size(), empty->size() == 1 ? "" : "s", media_.size(),
                        media_.size() == 1 ? "" : "s"))));

    // 2. Into the port. Some libraries refuse moves to a port that is locked or open.
    optional_step([&] { return ch_.prevent_removal(false); }, "allow medium removal");
    optional_step([&] { return ch_.close_import_export(port->first); }, "close the port");
    for (size_t i = 0; i < media_.size(); ++i) {
        // STOP before a move: what is already in the port goes back.
        if (ctx_.peek_control() == JobControl::Stop)
            return give_back(*port, Wake::Stop);
        const auto from =
            media_[i].drive ? sgio::ElementType::DataTransfer : sgio::ElementType::Storage;
        if (auto r = moves_.present(media_[i].medium, (*empty)[i], from); !r)
            return i == 0 ? finish(Outcome::failed(r.error()))
                          : fail_and_give_back(*port, r.error());
        if (media_[i].drive)
            cat_.set_drive_content(*media_[i].drive, false, {}, {}, false);
        media_[i].presented = true;
        ctx_.announce();
    }

    // 3. Present them: unlock and extend the port, tell the operator, then wait.
    optional_step([&] { return ch_.open_import_export(port->first); }, "open the port");
    PortState ps = *port;
    ps.extended = true;
    ps.full = static_cast<uint16_t>(media_.size());
    cat_.set_port(ps);
    // The request exists before the job says WAITING: whoever sees the state finds it.
    if (auto r = post_remove_request(*port); !r)
        return fail_and_give_back(*port, r.error());
    if (auto r = ctx_.transition(JobState::Waiting); !r)
        return fail_and_give_back(*port, r.error());
    log(LOG_INFO,
        fmt::format("Library {}: eject job {} waits up to {} s for the operator to take "
                    "{} out of port {}",
                    lib_.name(), job_.id.str(), job_.timeout_sec,
                    names_of(media_, [](const Cartridge&) { return true; }), port->first));

    // 4./5.
    auto wake = wait_for_removal(*port);
    if (!wake) // the device or the database failed: what is still in the port is Exported there
        return finish(Outcome::failed(wake.error()));
    if (*wake != Wake::AllTaken) {
        end_remove_request(OpRequestState::Refused);
        if (auto r = ctx_.transition(JobState::InProcess); !r)
            return finish(Outcome::failed(r.error()));
        return give_back(*port, *wake);
    }
    end_remove_request(OpRequestState::Complete);
    optional_step([&] { return ch_.close_import_export(port->first); }, "close the port");
    ps.extended = false;
    ps.full = 0;
    cat_.set_port(ps);
    return finish(Outcome::passed());
}

} // namespace

Outcome EjectOperation::run(JobContext& ctx) {
    return EjectSteps(ctx).run();
}

} // namespace ntms
