// EjectNtmsMedia at the front door: its call-time checks and its queue (NTMS_EJECT_QUEUE). The
// job it makes is an EjectOperation of the engine (operations/eject.hpp).
#include "daemon/jobs/ledger.hpp"
#include "daemon/library/library.hpp"
#include "daemon/manager.hpp"
#include "daemon/registry/registry.hpp"
#include "daemon/request_limits.hpp"
#include "daemon/store/shared_store.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <new>

namespace ntms {

namespace {

const char* medium_state_text(MediumState s) {
    switch (s) {
    case MediumState::InLibrary:
        return "in the library";
    case MediumState::InPort:
        return "in the port, never imported";
    case MediumState::Exported:
        return "in the port, awaiting removal";
    case MediumState::Gone:
        return "outside the library";
    }
    return "unknown";
}

} // namespace

std::optional<Guid> Manager::eject_library(const std::string& medium,
                                           const std::string& job) const {
    if (auto id = Guid::parse(medium)) {
        auto m = db_.with([&](Store& s) { return s.get_medium(*id); });
        if (m && *m)
            return (*m)->library;
    }
    if (auto id = Guid::parse(job)) {
        if (auto j = this->job(*id))
            return j->library;
    }
    return std::nullopt;
}

Expected<Guid> Manager::stop_eject(const std::string& job_text, const Caller& who) {
    auto id = Guid::parse(job_text);
    if (!id)
        return fail(win32::InvalidParameter,
                    fmt::format("STOP needs the eject job's GUID; '{}' is not one", job_text));
    auto job = this->job(*id);
    if (!job) {
        if (job.error().code == win32::ObjectNotFound)
            return fail(win32::InvalidOperation,
                        fmt::format("{} is not a running eject", job_text));
        return job.error();
    }
    Library* lib = registry_.find(job->library);
    if (!lib || job->operation != OperationKind::Eject || is_final(job->state))
        return fail(win32::InvalidOperation, fmt::format("{} is not a running eject", job_text));
    if (auto allowed = with_right(lib->id(), who, Right::Control); !allowed)
        return allowed.error();
    if (lib->queue().control(*id, JobControl::Stop, OperationKind::Eject))
        return *id;
    // STOP of an eject still waiting in the queue: it never starts.
    if (lib->queue().cancel(*id, who.name, OperationKind::Eject) != JobQueue::CancelResult::NotHere)
        return *id;
    return fail(win32::InvalidOperation, fmt::format("{} is not a running eject", job_text));
}

Expected<Guid> Manager::eject(const std::string& medium_text, uint32_t action,
                              const std::string& job_text, const EjectOptions& options,
                              const Caller& who) try {
    // Parameters first: a call that cannot mean anything changes nothing.
    if (action > static_cast<uint32_t>(EjectAction::AskUser))
        return fail(
            win32::InvalidParameter,
            fmt::format("action {} is not one of START 0, STOP 1, QUEUE 2, FORCE 3", action));
    const auto act = static_cast<EjectAction>(action);
    // RSM's server refuses every action above FORCE as an invalid argument (MS-RSMP 3.2.5.2.1.1).
    if (act == EjectAction::Immediate || act == EjectAction::AskUser)
        return fail(win32::InvalidParameter,
                    fmt::format("action {} ({}) is not supported: RSM accepts no eject action "
                                "above FORCE 3; wait for the job instead",
                                action, act == EjectAction::Immediate ? "IMMEDIATE" : "ASK_USER"));
    std::optional<Guid> medium_id;
    if (act != EjectAction::Stop && !(act == EjectAction::Start && medium_text.empty())) {
        medium_id = Guid::parse(medium_text);
        if (!medium_id)
            return fail(win32::InvalidParameter,
                        fmt::format("'{}' is not a medium GUID "
                                    "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                                    medium_text));
    }
    if (auto bad = application_over_bound(options.application))
        return *bad;
    if (auto bad = extend_secs_over_bound(options.timeout_sec))
        return *bad;
    if (!db_.usable())
        return db_.status();
    if (act == EjectAction::Stop)
        return stop_eject(job_text, who);

    std::lock_guard lock(eject_mutex_);
    // The medium and its library; START without one ejects the one library's queue.
    std::optional<MediumRecord> medium;
    Guid lib_id;
    if (medium_id) {
        auto m = db_.with([&](Store& s) { return s.get_medium(*medium_id); });
        if (!m)
            return m.error();
        if (!*m)
            return fail(win32::ObjectNotFound, fmt::format("no medium {}", medium_text));
        medium = **m;
        lib_id = medium->library;
    } else {
        std::vector<Guid> with_queue;
        for (const auto& [key, media] : eject_queue_)
            if (!media.empty() &&
                std::find(with_queue.begin(), with_queue.end(), key.first) == with_queue.end())
                with_queue.push_back(key.first);
        if (with_queue.size() != 1)
            return fail(win32::InvalidParameter,
                        with_queue.empty()
                            ? std::string("START without a medium ejects the queued media, but "
                                          "none are queued")
                            : std::string("START without a medium: media are queued on several "
                                          "libraries; name one of the medium"));
        lib_id = with_queue.front();
    }
    Library* lib = registry_.find(lib_id);
    if (!lib)
        return fail(win32::ObjectNotFound,
                    fmt::format("library {} of medium {} is not known to this ntmsd", lib_id.str(),
                                medium_text));
    if (auto allowed = with_right(lib_id, who, Right::Control); !allowed)
        return allowed.error();
    const LibrarySnapshot snap = lib->snapshot();
    if (!snap.enabled)
        return fail(win32::DeviceNotAvailable, fmt::format("library {} is disabled", snap.name));
    const std::string label =
        medium ? (medium->barcode.empty() ? medium->id.str() : medium->barcode) : std::string();
    if (medium && medium->state == MediumState::Gone)
        return fail(win32::LibraryOffline,
                    fmt::format("medium {} is outside the library (RSM's offline library): "
                                "there is nothing to eject; inject it to bring it back",
                                label));
    if (!snap.online())
        return fail(win32::LibraryOffline,
                    fmt::format("library {} is offline: {}", snap.name, snap.offline_reason));
    if (snap.ports.empty())
        return fail(win32::NotSupported,
                    fmt::format("library {} has no import/export port; open its door with "
                                "AccessNtmsLibraryDoor instead",
                                snap.name));
    auto port = lib->catalogue().find_port(options.port);
    if (!port)
        return fail(win32::InvalidParameter,
                    fmt::format("element {} is not an import/export port of library {}",
                                options.port.value_or(0), snap.name));
    if (medium) {
        if (medium->state == MediumState::Exported)
            return fail(win32::Busy, fmt::format("medium {} is already in port element {}, "
                                                 "awaiting removal",
                                                 label, medium->element.value_or(0)));
        const bool in_drive =
            medium->state == MediumState::InLibrary && medium->element &&
            std::any_of(snap.drive_list.begin(), snap.drive_list.end(),
                        [&](const DriveState& d) { return d.element == *medium->element; });
        // A medium in a drive goes out only with FORCE (RSM's NTMS_EJECT_FORCE): its user
        // is not asked.
        if (in_drive && act != EjectAction::Force)
            return fail(win32::UnableToEjectMountedMedia,
                        fmt::format("medium {} is in drive element {}; dismount it first, or "
                                    "eject it with FORCE",
                                    label, *medium->element));
        if (!in_drive && (medium->state != MediumState::InLibrary || !medium->element ||
                          lib->catalogue().find_port(medium->element)))
            return fail(win32::InvalidState,
                        fmt::format("medium {} is {}: only a medium in a storage slot can be "
                                    "ejected",
                                    label, medium_state_text(medium->state)));
        // An eject, a mount or a dismount already queued for it.
        auto open = db_.with([&](Store& s) { return s.open_jobs_of(medium->id); });
        if (!open)
            return open.error();
        if (!open->empty())
            return fail(win32::Busy, fmt::format("medium {} is already to be moved by job {}",
                                                 label, open->front().str()));
    }

    auto& queued = eject_queue_[{lib_id, port->first}];
    std::vector<Guid> media = queued;
    if (medium && std::find(media.begin(), media.end(), medium->id) == media.end())
        media.push_back(medium->id);
    if (media.size() > port->count)
        return fail(win32::Busy,
                    fmt::format("{} media for port {} of library {}, which has {} element{}",
                                media.size(), port->first, snap.name, port->count,
                                port->count == 1 ? "" : "s"));
    if (act == EjectAction::Queue) {
        queued = std::move(media);
        return Guid{};
    }
    if (lib->queue().queued_count() >= lib->config().max_queued_jobs)
        return fail(win32::Busy,
                    fmt::format("library {} already has {} jobs queued (MaxQueuedJobs=)", snap.name,
                                lib->config().max_queued_jobs));

    JobRecord job;
    job.id = Guid::random();
    job.library = lib_id;
    job.operation = OperationKind::Eject;
    job.action = static_cast<InjectAction>(static_cast<uint32_t>(act));
    job.application = options.application;
    job.uid = who.uid;
    job.timeout_sec = options.timeout_sec.value_or(snap.inject_timeout_sec);
    job.port = options.port ? std::optional<uint16_t>(port->first) : std::nullopt;
    // FORCE does not wait behind the library's other queued jobs.
    job.priority = act == EjectAction::Force ? priority_highest : priority_normal;
    const int64_t now = now_usec();
    // The media travel with the job, in its transaction: a queued eject runs after a restart.
    for (const auto& id : media)
        job.add_medium(id);
    auto created = ledger_.enqueue(job, lib->name(), lib->queue(), [&](Store& s) -> Expected<void> {
        for (const auto& id : media) {
            auto m = s.get_medium(id);
            if (!m)
                return m.error();
            if (!*m)
                return fail(win32::ObjectNotFound, fmt::format("no medium {}", id.str()));
            if (auto r = s.put_medium(**m, MediumMove{id, job.id, (*m)->element, std::nullopt, now,
                                                      "eject-requested"});
                !r)
                return r;
        }
        return {};
    });
    if (!created)
        return created.error();
    queued.clear();
    return created;
} catch (const std::bad_alloc&) {
    return fail(win32::NotEnoughMemory, "out of memory");
}

} // namespace ntms
