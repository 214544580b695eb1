#include "daemon/manager.hpp"

#include "daemon/events.hpp"
#include "daemon/jobs/ledger.hpp"
#include "daemon/journal.hpp"
#include "daemon/library/library.hpp"
#include "daemon/registry/registry.hpp"
#include "daemon/request_limits.hpp"
#include "daemon/store/shared_store.hpp"

#include <fmt/format.h>
#include <new>

namespace ntms {

namespace {

Status no_library(const std::string& text) {
    return fail(win32::ObjectNotFound, fmt::format("no library {}", text));
}

} // namespace

std::optional<Status> application_over_bound(std::string_view application) {
    if (application.size() <= max_application_bytes)
        return std::nullopt;
    return fail(win32::InvalidParameter,
                fmt::format("application name of {} bytes is over the maximum of {} bytes",
                            application.size(), max_application_bytes));
}

std::optional<Status> extend_secs_over_bound(std::optional<uint32_t> timeout_sec) {
    if (!timeout_sec || *timeout_sec <= max_extend_secs)
        return std::nullopt;
    return fail(win32::InvalidParameter, fmt::format("timeout {} s is over the maximum of {} s",
                                                     *timeout_sec, max_extend_secs));
}

Status Manager::database_status() const {
    return db_.status();
}

std::vector<Guid> Manager::libraries() const {
    return registry_.libraries();
}

Expected<Guid> Manager::find_library(const std::string& text) const {
    if (auto g = Guid::parse(text)) {
        if (registry_.find(*g))
            return *g;
        return no_library(text);
    }
    if (Library* lib = registry_.find_by_name(text))
        return lib->id();
    return no_library(text);
}

Expected<Library*> Manager::with_right(const Guid& id, const Caller& who, Right right) const {
    Library* lib = registry_.find(id);
    if (!lib)
        return no_library(id.str());
    if (!lib->access().allows(who, right))
        return fail(win32::AccessDenied, fmt::format("{} lacks {} access to library {}", who.name,
                                                     right_name(right), lib->name()));
    return lib;
}

Expected<LibrarySnapshot> Manager::library(const Guid& id, const Caller& who) const {
    auto lib = with_right(id, who, Right::Use);
    if (!lib)
        return lib.error();
    return (*lib)->snapshot();
}

Expected<uint32_t> Manager::rights(const Guid& id, const Caller& who) const {
    const Library* lib = registry_.find(id);
    if (!lib)
        return no_library(id.str());
    const AccessPolicy& policy = lib->access();
    if (policy.allows(who, Right::Control))
        return 7u;
    if (policy.allows(who, Right::Modify))
        return 3u;
    return policy.allows(who, Right::Use) ? 1u : 0u;
}

Expected<std::vector<MediumRecord>> Manager::media(const Guid& id, const Caller& who) {
    if (auto lib = with_right(id, who, Right::Use); !lib)
        return lib.error();
    return db_.with([&](Store& s) { return s.list_media(id); });
}

Expected<Guid> Manager::inject(const std::string& library_text, uint32_t action,
                               const std::string& job_text, const InjectOptions& options,
                               const Caller& who) try {
    // Parameters first: a call that cannot mean anything changes nothing.
    if (action > static_cast<uint32_t>(InjectAction::StartMany))
        return fail(
            win32::InvalidParameter,
            fmt::format("action {} is not one of START 0, STOP 1, RETRACT 2, STARTMANY 3", action));
    const auto act = static_cast<InjectAction>(action);
    auto lib_id = Guid::parse(library_text);
    if (!lib_id)
        return fail(win32::InvalidParameter,
                    fmt::format("'{}' is not a library GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                                library_text));
    std::optional<Guid> job_id;
    if (act == InjectAction::Stop || act == InjectAction::Retract) {
        job_id = Guid::parse(job_text);
        if (!job_id)
            return fail(win32::InvalidParameter,
                        fmt::format("STOP and RETRACT need the inject job's GUID; '{}' is not one",
                                    job_text));
    }
    if (auto bad = application_over_bound(options.application))
        return *bad;
    if (auto bad = extend_secs_over_bound(options.timeout_sec))
        return *bad;

    // Without a readable database no library is known and nothing could be recorded.
    if (!db_.usable())
        return db_.status();
    if (!registry_.find(*lib_id))
        return no_library(library_text);
    auto found = with_right(*lib_id, who, Right::Control);
    if (!found)
        return found.error();
    Library* lib = *found;
    const LibrarySnapshot snap = lib->snapshot();
    if (!snap.enabled)
        return fail(win32::DeviceNotAvailable, fmt::format("library {} is disabled", snap.name));
    if (!snap.online())
        return fail(win32::LibraryOffline,
                    fmt::format("library {} is offline: {}", snap.name, snap.offline_reason));
    if (snap.ports.empty())
        return fail(win32::NotSupported,
                    fmt::format("library {} has no import/export port; open its door with "
                                "AccessNtmsLibraryDoor instead",
                                snap.name));
    if (options.port && !lib->catalogue().find_port(options.port))
        return fail(win32::InvalidParameter,
                    fmt::format("element {} is not an import/export port of library {}",
                                *options.port, snap.name));

    if (act == InjectAction::Stop || act == InjectAction::Retract) {
        if (lib->queue().control(*job_id,
                                 act == InjectAction::Stop ? JobControl::Stop : JobControl::Retract,
                                 OperationKind::Inject))
            return *job_id;
        // STOP of an inject still waiting in the queue: it never starts.
        if (act == InjectAction::Stop &&
            lib->queue().cancel(*job_id, who.name, OperationKind::Inject) !=
                JobQueue::CancelResult::NotHere)
            return *job_id;
        return fail(win32::InvalidOperation,
                    fmt::format("{} is not a running inject of library {}", job_text, snap.name));
    }

    if (snap.free_slots == 0)
        return fail(win32::LibraryFull,
                    fmt::format("library {} has no free storage slot", snap.name));
    if (lib->queue().queued_count() >= lib->config().max_queued_jobs)
        return fail(win32::Busy,
                    fmt::format("library {} already has {} jobs queued (MaxQueuedJobs=)", snap.name,
                                lib->config().max_queued_jobs));

    JobRecord job;
    job.id = Guid::random();
    job.library = *lib_id;
    job.operation = OperationKind::Inject;
    job.action = act;
    job.application = options.application;
    job.uid = who.uid;
    job.timeout_sec = options.timeout_sec.value_or(snap.inject_timeout_sec);
    job.port = options.port
                   ? std::optional<uint16_t>(lib->catalogue().find_port(options.port)->first)
                   : std::nullopt;
    return ledger_.enqueue(std::move(job), lib->name(), lib->queue());
} catch (const std::bad_alloc&) {
    return fail(win32::NotEnoughMemory, "out of memory");
}

Expected<void> Manager::cancel_job(const Guid& id, const Caller& who) {
    auto job = this->job(id);
    if (!job)
        return job.error();
    Library* lib = registry_.find(job->library);
    if (lib) {
        if (auto allowed = with_right(lib->id(), who, Right::Control); !allowed)
            return allowed.error();
    }
    if (!is_final(job->state) && lib) {
        // The queue decides, under its lock, whether the job is still queued (ended CANCELLED
        // here, untouched) or running (asked to stop); a job it no longer holds has ended.
        if (lib->queue().cancel(id, who.name) != JobQueue::CancelResult::NotHere)
            return {};
        job = this->job(id);
        if (!job)
            return job.error();
    }
    if (is_final(job->state))
        return fail(win32::ObjectNotFound, fmt::format("job {} has already ended ({})", id.str(),
                                                       job_state_name(job->state)));
    return fail(win32::InvalidOperation,
                fmt::format("job {} cannot be cancelled now: its library is gone", id.str()));
}

Expected<JobRecord> Manager::job(const Guid& id) const {
    auto j = db_.with([&](Store& s) { return s.get_job(id); });
    if (!j)
        return j.error();
    if (!*j)
        return fail(win32::ObjectNotFound, fmt::format("no job {}", id.str()));
    return **j;
}

Expected<void> Manager::read_job_lists(JobRecord& job) const {
    return db_.with([&](Store& s) { return s.read_job_lists(job); });
}

Expected<std::vector<JobRecord>> Manager::jobs() const {
    return db_.with([](Store& s) { return s.list_jobs(); });
}

Expected<OpRequestRecord> Manager::oprequest(const Guid& id) const {
    auto r = db_.with([&](Store& s) { return s.get_oprequest(id); });
    if (!r)
        return r.error();
    if (!*r)
        return fail(win32::ObjectNotFound, fmt::format("no operator request {}", id.str()));
    return **r;
}

Expected<std::vector<OpRequestRecord>> Manager::oprequests() const {
    return db_.with([](Store& s) { return s.list_oprequests(); });
}

Expected<void> Manager::finish_oprequest(const Guid& id, const Caller& who, OpRequestState to) {
    auto r = oprequest(id);
    if (!r)
        return r.error();
    Library* lib = registry_.find(r->library);
    if (lib) {
        if (auto allowed = with_right(lib->id(), who, Right::Control); !allowed)
            return allowed.error();
    }
    if (r->state == OpRequestState::Complete || r->state == OpRequestState::Refused)
        return fail(win32::InvalidState,
                    fmt::format("operator request {} is already {}", id.str(),
                                r->state == OpRequestState::Complete ? "complete" : "refused"));
    // The insert request of a waiting inject: Satisfy = "they are in" = RETRACT, Cancel = STOP;
    // the remove request of a waiting eject: Satisfy = "taken out" = look now, Cancel = STOP;
    // the door request of a door job ("done at the door") likewise. The job ends the request
    // itself when its wait ends.
    if (lib &&
        (r->type == OpRequestType::NewMedia || r->type == OpRequestType::MoveMedia ||
         r->type == OpRequestType::DeviceService) &&
        !r->job.is_null() &&
        lib->queue().control(r->job, to == OpRequestState::Complete ? JobControl::Retract
                                                                    : JobControl::Stop))
        return {};
    r->state = to;
    r->changed = now_usec();
    if (auto u = db_.with([&](Store& s) { return s.update_oprequest(*r); }); !u)
        return u;
    events_.oprequest_changed(*r);
    journal_oprequest(*r, lib ? lib->name() : std::string());
    return {};
}

Expected<void> Manager::satisfy_oprequest(const Guid& id, const Caller& who) {
    return finish_oprequest(id, who, OpRequestState::Complete);
}

Expected<void> Manager::cancel_oprequest(const Guid& id, const Caller& who) {
    return finish_oprequest(id, who, OpRequestState::Refused);
}

Expected<void> Manager::backup(UniqueFd file, const Caller& who, StoreKeeper::Done done) {
    // The whole history of every library: no library's group gives it.
    if (who.uid != 0 && !(who.authority && who.authority(Right::Backup)))
        return fail(win32::AccessDenied, fmt::format("{} lacks {} access to the database", who.name,
                                                     right_name(Right::Backup)));
    if (!keeper_)
        return fail(win32::NotSupported, "this ntmsd makes no backups");
    if (!db_.usable())
        return db_.status();
    return keeper_->backup(std::move(file), std::move(done));
}

Expected<void> Manager::check_database(const Caller& who, StoreKeeper::Checked done) {
    // It reads the whole history of every library, as a backup does.
    if (who.uid != 0 && !(who.authority && who.authority(Right::Backup)))
        return fail(win32::AccessDenied, fmt::format("{} lacks {} access to the database", who.name,
                                                     right_name(Right::Backup)));
    if (!keeper_)
        return fail(win32::NotSupported, "this ntmsd has no keeper to check its database");
    if (!db_.usable())
        return db_.status();
    return keeper_->check_database(std::move(done));
}

} // namespace ntms
