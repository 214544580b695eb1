#include "daemon/operations/door.hpp"

#include "daemon/journal.hpp"
#include "daemon/library/library.hpp"
#include "daemon/library/operator_request.hpp"
#include "daemon/operations/inventory.hpp"
#include "daemon/scsi_status.hpp"
#include "daemon/store/store.hpp"
#include "sgio/virtual_changer.hpp"

#include <fmt/format.h>

namespace ntms {

bool detect_door(Library& lib) {
    if (lib.config().door)
        return *lib.config().door;
    const std::string device = lib.catalogue().snapshot().device;
    if (device.rfind("sim:", 0) == 0) {
        auto cfg = sgio::VirtualChangerConfig::parse(device);
        return cfg && cfg->door;
    }
    sgio::Changer* ch = lib.device().changer();
    return ch != nullptr && static_cast<bool>(ch->prevent_removal(false));
}

namespace {

class DoorSteps {
public:
    explicit DoorSteps(JobContext& ctx)
        : ctx_(ctx), lib_(ctx.library()), db_(ctx.db()), ch_(*lib_.device().changer()) {}
    Outcome run();

private:
    enum class Wake { Closed, Satisfied, Stop };
    Expected<Wake> wait_for_operator();
    Expected<void> post_request();
    void end_request(OpRequestState s);
    Outcome finish(Outcome how) {
        end_request(OpRequestState::Refused);
        return how;
    }

    JobContext& ctx_;
    Library& lib_;
    Store& db_;
    sgio::Changer& ch_;
    std::optional<PostedRequest> request_;
};

Expected<void> DoorSteps::post_request() {
    auto r = post_operator_request(
        lib_, db_, OpRequestType::DeviceService,
        fmt::format("library {}: the door is unlocked; open it, do what is needed, close it (then "
                    "satisfy this request if the library does not notice)",
                    lib_.name()),
        ctx_.job().id, std::nullopt);
    if (!r)
        return r.error();
    request_ = std::move(r).value();
    return {};
}

void DoorSteps::end_request(OpRequestState s) {
    if (!request_)
        return;
    auto r = std::move(*request_);
    request_.reset();
    end_operator_request(lib_, db_, std::move(r), s);
}

Expected<DoorSteps::Wake> DoorSteps::wait_for_operator() {
    const auto poll = std::chrono::milliseconds(lib_.config().poll_interval_ms);
    bool seen_open = false;
    (void)ch_.take_reset(); // only what happens from now on counts
    for (;;) {
        const JobControl c = ctx_.wait_control(poll);
        if (c == JobControl::Stop)
            return Wake::Stop;
        if (c == JobControl::Retract) // the operator's Satisfy
            return Wake::Satisfied;
        auto t = ch_.test_unit_ready();
        if (!t) {
            if (is_offline_error(t.error())) {
                lib_.catalogue().set_state(LibraryState::Offline, t.error().message);
                return from_scsi(t.error(), "test unit ready");
            }
            if (from_scsi(t.error(), "").code == win32::DeviceDoorOpen)
                seen_open = true;
            continue;
        }
        // Closed again: the changer said so (a unit attention: anything may have moved) or it
        // is ready after having reported the door open.
        if (ch_.take_reset() || seen_open)
            return Wake::Closed;
    }
}

Outcome DoorSteps::run() {
    const auto method = static_cast<InventoryMethod>(ctx_.job().action);
    if (auto r = ctx_.transition(JobState::InProcess); !r)
        return finish(Outcome::failed(r.error()));
    if (auto r = ch_.prevent_removal(false); !r && r.error().code != sgio::Errc::Unsupported) {
        if (is_offline_error(r.error()))
            lib_.catalogue().set_state(LibraryState::Offline, r.error().message);
        return finish(Outcome::failed(from_scsi(r.error(), "allow medium removal")));
    }
    if (auto r = post_request(); !r)
        return finish(Outcome::failed(r.error()));
    if (auto r = ctx_.transition(JobState::Waiting); !r)
        return finish(Outcome::failed(r.error()));
    log(LOG_INFO, fmt::format("Library {}: door job {} waits for the operator", lib_.name(),
                              ctx_.job().id.str()));
    auto wake = wait_for_operator();
    if (!wake)
        return finish(Outcome::failed(wake.error()));
    if (*wake == Wake::Stop)
        return finish(Outcome::stopped());
    end_request(OpRequestState::Complete);
    if (auto r = ctx_.transition(JobState::InProcess); !r)
        return finish(Outcome::failed(r.error()));
    if (method == InventoryMethod::None)
        return Outcome{JobState::Passed,
                       Status{win32::Success, "door released; no inventory was asked for"}};
    return run_inventory(ctx_, method);
}

} // namespace

Outcome DoorOperation::run(JobContext& ctx) {
    return DoorSteps(ctx).run();
}

} // namespace ntms
