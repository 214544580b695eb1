#include "manager.hpp"

#include "journal.hpp"
#include "sgio/changer.hpp"
#include "sgio/open.hpp"
#include "store.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <new>
#include <thread>

namespace ntms {

namespace {

constexpr uint32_t max_extend_secs = 65535;

Status no_library(const std::string& text) {
    return fail(win32::ObjectNotFound, fmt::format("no library {}", text));
}

// A device path with its links resolved (/dev/tape/by-id/scsi-... -> /dev/sg3), so that two
// spellings of one node compare equal. Device strings that are not paths (sim:, iscsi://) and
// paths that do not exist (a node already removed) stay as they are.
std::string canonical_device(const std::string& device) {
    if (device.empty() || device.front() != '/')
        return device;
    std::error_code ec;
    auto p = std::filesystem::canonical(device, ec);
    return ec ? device : p.string();
}

} // namespace

Manager::Manager(DaemonConfig config, EventSink& events, TransportFactory factory)
    : config_(std::move(config)), events_(events), factory_(std::move(factory)) {
    if (!factory_)
        factory_ = [](const std::string& device) { return sgio::open_transport(device); };
}

Manager::~Manager() {
    stop();
}

void Manager::start(const std::vector<FoundDevice>& present) {
    std::lock_guard hotplug(hotplug_mutex_);
    auto db = Store::open(config_.database);
    if (!db) {
        db_status_ = db.error();
        log(LOG_ERR, fmt::format("database {} cannot be used: {}; every request will report it",
                                 config_.database, db_status_.message));
        return;
    }
    db_ = std::move(db).value();

    // Jobs that were running when the daemon stopped are over: report them interrupted. Media they
    // moved are recorded; unresolved moves are settled by each library's reconciliation.
    std::vector<JobRecord> queued;
    if (auto running = db_->jobs_in_states({JobState::InProcess, JobState::Waiting})) {
        for (auto j : *running) {
            j.state = JobState::Failed;
            j.error = win32::OperationAborted;
            j.error_message = "interrupted: ntmsd stopped while the job was running";
            j.time_completed = now_usec();
            if (auto r = db_->update_job(j); !r)
                log(LOG_ERR, fmt::format("cannot end interrupted job {}: {}", j.id.str(),
                                         r.error().message));
            else
                journal_job_end(j, {});
        }
    }
    // No job runs yet: an insert request still open belongs to an interrupted wait.
    if (auto reqs = db_->list_oprequests()) {
        for (auto r : *reqs) {
            if (r.type != OpRequestType::NewMedia || r.job.is_null() ||
                (r.state != OpRequestState::Submitted && r.state != OpRequestState::Active &&
                 r.state != OpRequestState::InProgress))
                continue;
            r.state = OpRequestState::Refused;
            r.changed = now_usec();
            if (auto u = db_->update_oprequest(r); !u)
                log(LOG_ERR, fmt::format("cannot end orphaned operator request {}: {}", r.id.str(),
                                         u.error().message));
            else
                journal_oprequest(r, {});
        }
    }
    if (auto q = db_->jobs_in_states({JobState::Queued}))
        queued = *q;

    for (const auto& cfg : config_.libraries)
        open_library(cfg);
    for (const auto& device : present)
        add_device(device, false);
    // Queued jobs go back to their libraries, oldest first; jobs of libraries no longer configured
    // (nor found present) cannot run.
    std::sort(queued.begin(), queued.end(),
              [](const JobRecord& a, const JobRecord& b) { return a.time_queued < b.time_queued; });
    std::map<Guid, std::vector<JobRecord>> per_library;
    for (auto& j : queued) {
        if (find(j.library)) {
            per_library[j.library].push_back(j);
            continue;
        }
        j.state = JobState::Failed;
        j.error = win32::ObjectNotFound;
        j.error_message = "the job's library is no longer configured or present";
        j.time_completed = now_usec();
        (void)db_->update_job(j);
    }
    std::shared_lock lock(libraries_mutex_);
    for (auto& [id, lib] : libraries_)
        lib->start(std::move(per_library[id]));
}

void Manager::open_library(const LibraryConfig& cfg) {
    std::string identity;
    std::unique_ptr<sgio::Transport> transport;
    std::string reason;
    auto t = factory_(cfg.device);
    if (t) {
        transport = std::move(t).value();
        sgio::Changer probe(*transport);
        if (auto id = probe.identify()) {
            identity = id->stable_key();
        } else {
            reason = id.error().message;
            if (id.error().code == sgio::Errc::NotAChanger) {
                log(LOG_ERR, fmt::format("Library {}: {} cannot be used as a library: {}", cfg.name,
                                         cfg.device, reason));
            }
            transport.reset();
        }
        if (identity.empty() && transport)
            identity = transport->name(); // iSCSI URL or sim name: stable by construction
    } else {
        reason = t.error().message;
    }

    Expected<LibraryRecord> rec = Status{};
    std::unique_lock lock(mutex_);
    if (identity.empty()) {
        // The device is absent: keep the GUID it had under this name.
        if (auto all = db_->list_libraries()) {
            for (const auto& l : *all)
                if (l.name == cfg.name)
                    rec = l;
        }
        if (!rec || rec->id.is_null())
            rec = db_->upsert_library("name:" + cfg.name, cfg.name, cfg.device);
    } else {
        rec = db_->upsert_library(identity, cfg.name, cfg.device);
    }
    lock.unlock();
    if (!rec) {
        log(LOG_ERR,
            fmt::format("Library {}: cannot be recorded: {}", cfg.name, rec.error().message));
        return;
    }
    if (find(rec->id)) {
        log(LOG_ERR, fmt::format("Library {}: {} is the same device as another configured library; "
                                 "ignored",
                                 cfg.name, cfg.device));
        return;
    }
    auto lib = std::make_unique<Library>(*rec, cfg, config_.database, events_, factory_);
    if (!transport)
        log(LOG_WARNING, fmt::format("Library {} is offline: {}", cfg.name, reason));
    else
        attached_[canonical_device(cfg.device)] = rec->id;
    lib->attach(std::move(transport), reason);
    configured_.insert(rec->id);
    insert_library(std::move(lib));
}

void Manager::insert_library(std::unique_ptr<Library> lib) {
    std::unique_lock lock(libraries_mutex_);
    const Guid id = lib->id();
    libraries_.emplace(id, std::move(lib));
}

void Manager::device_added(const FoundDevice& device) {
    std::lock_guard hotplug(hotplug_mutex_);
    if (!stopped_)
        add_device(device, true);
}

Library* Manager::configured_at(const std::string& canonical) const {
    for (const auto& id : configured_) {
        Library* lib = find(id);
        if (lib && canonical_device(lib->config().device) == canonical)
            return lib;
    }
    return nullptr;
}

Library* Manager::with_identity(const std::string& identity) const {
    std::shared_lock lock(libraries_mutex_);
    for (const auto& [id, lib] : libraries_)
        if (lib->identity() == identity)
            return lib.get();
    return nullptr;
}

std::string Manager::unique_name(const std::string& identity, const std::string& wanted) {
    // A library seen before keeps the name the database has for it.
    std::string base = wanted;
    {
        std::lock_guard lock(mutex_);
        if (auto all = db_->list_libraries()) {
            for (const auto& l : *all)
                if (l.identity == identity && !l.name.empty())
                    base = l.name;
        }
    }
    std::shared_lock lock(libraries_mutex_);
    auto taken = [&](const std::string& name) {
        for (const auto& [id, lib] : libraries_)
            if (lib->config().name == name)
                return true;
        return false;
    };
    std::string name = base;
    for (unsigned n = 2; taken(name); ++n)
        name = fmt::format("{}-{}", base, n);
    return name;
}

void Manager::add_device(const FoundDevice& device, bool start_worker) {
    if (!db_)
        return; // without a database no library can be recorded; every call reports why
    const std::string node = canonical_device(device.devnode);
    if (attached_.count(node) || spares_.count(node))
        return; // ours already: the start-up listing and an add event can both report a node

    // A configured library named by this node (or a link to it) is that library, whatever it
    // answers; otherwise INQUIRY tells whether it is a library we know.
    Library* lib = configured_at(node);
    auto opened = factory_(device.devnode);
    if (!opened) {
        log(LOG_WARNING, fmt::format("medium changer {} found but cannot be opened: {}",
                                     device.devnode, opened.error().message));
        return;
    }
    std::unique_ptr<sgio::Transport> transport = std::move(opened).value();
    sgio::Identity ident;
    {
        sgio::Changer probe(*transport);
        auto id = probe.identify();
        if (!id) {
            log(LOG_WARNING, fmt::format("medium changer {} found but it does not identify "
                                         "itself: {}; ignored",
                                         device.devnode, id.error().message));
            return;
        }
        ident = *id;
    }
    std::string identity = ident.stable_key();
    if (identity.empty())
        identity = transport->name(); // no serial number: the node is all there is
    if (!lib)
        lib = with_identity(identity);

    if (lib) {
        // In use: attached through a node, and answering (or being read for the first time).
        const LibrarySnapshot now = lib->snapshot();
        const bool in_use = std::any_of(attached_.begin(), attached_.end(),
                                        [&](const auto& a) { return a.second == lib->id(); }) &&
                            (now.online || now.offline_reason == Library::reading_reason);
        if (in_use) {
            log(LOG_INFO, fmt::format("{} is another path to library {}, which is in use "
                                      "through {}; kept in reserve",
                                      device.devnode, lib->config().name, now.device));
            spares_[node] = {lib->id(), device};
            return;
        }
        std::erase_if(attached_, [&](const auto& a) { return a.second == lib->id(); });
        attached_[node] = lib->id();
        // A configured library keeps its own spelling (a stable link); a found one its node.
        const bool configured =
            configured_.count(lib->id()) && canonical_device(lib->config().device) == node;
        log(LOG_NOTICE, fmt::format("Library {}: its device is present at {}; reading its "
                                    "element status",
                                    lib->config().name, device.devnode));
        lib->device_arrived(std::move(transport),
                            configured ? lib->config().device : device.devnode);
        return;
    }

    LibraryConfig cfg;
    cfg.name = unique_name(identity, discovered_library_name(ident, device.sysname));
    cfg.device = device.devnode;
    cfg.origin = "udev";
    Expected<LibraryRecord> rec = Status{};
    {
        std::lock_guard lock(mutex_);
        rec = db_->upsert_library(identity, cfg.name, cfg.device);
    }
    if (!rec) {
        log(LOG_ERR, fmt::format("medium changer {} found but it cannot be recorded: {}",
                                 device.devnode, rec.error().message));
        return;
    }
    if (find(rec->id))
        return; // with_identity() found every library we run
    auto created = std::make_unique<Library>(*rec, cfg, config_.database, events_, factory_);
    Library& added = *created;
    // Offline until its element status has been read: until then it has no free slot to offer.
    added.attach(nullptr, Library::reading_reason);
    added.device_arrived(std::move(transport), device.devnode);
    attached_[node] = rec->id;
    insert_library(std::move(created));
    log(LOG_NOTICE, fmt::format("Library {}: medium changer {} {}{} found at {}, library {}",
                                cfg.name, ident.vendor, ident.product,
                                ident.serial.empty() ? std::string() : " serial " + ident.serial,
                                device.devnode, rec->id.str()));
    events_.library_added(rec->id);
    if (start_worker)
        added.start({});
}

void Manager::device_removed(const FoundDevice& device) {
    std::lock_guard hotplug(hotplug_mutex_);
    if (stopped_)
        return;
    const std::string node = canonical_device(device.devnode);
    if (spares_.erase(node))
        return; // a path held in reserve: the library goes on through its own
    auto it = attached_.find(node);
    if (it == attached_.end())
        return; // not a node of ours (a device other than a changer, or one we ignored)
    Library* lib = find(it->second);
    attached_.erase(it);
    if (!lib)
        return;
    log(LOG_NOTICE,
        fmt::format("Library {}: device {} removed", lib->config().name, device.devnode));
    lib->device_removed();
    fail_removed(*lib, lib->take_queue());

    // Another path to the same changer takes over; the rest stay in reserve.
    std::vector<FoundDevice> paths;
    for (auto s = spares_.begin(); s != spares_.end();) {
        if (s->second.first == lib->id()) {
            paths.push_back(s->second.second);
            s = spares_.erase(s);
        } else {
            ++s;
        }
    }
    for (const auto& p : paths) {
        if (lib->removed())
            add_device(p, true); // it is the library's device again if it still answers
        else
            spares_[canonical_device(p.devnode)] = {lib->id(), p};
    }
}

void Manager::fail_removed(Library& lib, std::vector<JobRecord> jobs) {
    for (auto& j : jobs) {
        j.state = JobState::Failed;
        j.error = win32::LibraryOffline;
        j.error_message = fmt::format("library {} is offline: {}", lib.config().name,
                                      SeverableTransport::severed_message);
        j.time_completed = now_usec();
        {
            std::lock_guard lock(mutex_);
            if (auto r = db_->update_job(j); !r)
                log(LOG_ERR, fmt::format("Library {}: cannot record job {}: {}", lib.config().name,
                                         j.id.str(), r.error().message));
        }
        events_.job_changed(j);
        journal_job_end(j, lib.config().name);
    }
}

void Manager::stop() {
    {
        std::lock_guard hotplug(hotplug_mutex_);
        stopped_ = true;
    }
    std::shared_lock lock(libraries_mutex_);
    for (auto& [id, lib] : libraries_)
        lib->stop();
}

Status Manager::database_status() const {
    return db_status_;
}

bool Manager::workers_alive() const {
    std::shared_lock lock(libraries_mutex_);
    for (const auto& [id, lib] : libraries_)
        if (!lib->worker_alive())
            return false;
    return true;
}

bool Manager::wait_first_inventory(std::chrono::milliseconds limit) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        bool reading = false;
        {
            std::shared_lock lock(libraries_mutex_);
            for (const auto& [id, lib] : libraries_)
                if (lib->worker_alive() &&
                    lib->snapshot().offline_reason == Library::reading_reason)
                    reading = true;
        }
        if (!reading)
            return true;
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

Library* Manager::find(const Guid& id) const {
    std::shared_lock lock(libraries_mutex_);
    auto it = libraries_.find(id);
    return it == libraries_.end() ? nullptr : it->second.get();
}

std::vector<Guid> Manager::libraries() const {
    std::shared_lock lock(libraries_mutex_);
    std::vector<Guid> out;
    for (const auto& [id, lib] : libraries_)
        out.push_back(id);
    return out;
}

Expected<Guid> Manager::find_library(const std::string& text) const {
    if (auto g = Guid::parse(text)) {
        if (find(*g))
            return *g;
        return no_library(text);
    }
    std::shared_lock lock(libraries_mutex_);
    for (const auto& [id, lib] : libraries_)
        if (lib->config().name == text)
            return id;
    return no_library(text);
}

Expected<LibrarySnapshot> Manager::library(const Guid& id, const Caller& who) const {
    Library* lib = find(id);
    if (!lib)
        return no_library(id.str());
    if (!lib->access().allows(who, Right::Use))
        return fail(win32::AccessDenied,
                    fmt::format("{} lacks USE access to library {}", who.name, lib->config().name));
    return lib->snapshot();
}

Expected<std::vector<MediumRecord>> Manager::media(const Guid& id, const Caller& who) {
    auto snap = library(id, who);
    if (!snap)
        return snap.error();
    if (!db_)
        return db_status_;
    std::lock_guard lock(mutex_);
    return db_->list_media(id);
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
    if (options.timeout_sec && *options.timeout_sec > max_extend_secs)
        return fail(win32::InvalidParameter, fmt::format("timeout {} s is over the maximum of {} s",
                                                         *options.timeout_sec, max_extend_secs));

    // Without a readable database no library is known and nothing could be recorded.
    if (!db_)
        return db_status_;
    Library* lib = find(*lib_id);
    if (!lib)
        return no_library(library_text);
    if (!lib->access().allows(who, Right::Control))
        return fail(win32::AccessDenied, fmt::format("{} lacks CONTROL access to library {}",
                                                     who.name, lib->config().name));
    const LibrarySnapshot snap = lib->snapshot();
    if (!snap.enabled)
        return fail(win32::DeviceNotAvailable, fmt::format("library {} is disabled", snap.name));
    if (!snap.online)
        return fail(win32::LibraryOffline,
                    fmt::format("library {} is offline: {}", snap.name, snap.offline_reason));
    if (snap.ports.empty())
        return fail(win32::NotSupported,
                    fmt::format("library {} has no import/export port; open its door with "
                                "AccessNtmsLibraryDoor instead",
                                snap.name));
    if (options.port && !lib->find_port(options.port))
        return fail(win32::InvalidParameter,
                    fmt::format("element {} is not an import/export port of library {}",
                                *options.port, snap.name));

    if (act == InjectAction::Stop || act == InjectAction::Retract) {
        if (lib->control(*job_id,
                         act == InjectAction::Stop ? JobControl::Stop : JobControl::Retract))
            return *job_id;
        // STOP of an inject still waiting in the queue: it never starts.
        if (act == InjectAction::Stop && lib->dequeue(*job_id)) {
            if (auto r = cancel_job(*job_id, who); !r)
                return r.error();
            return *job_id;
        }
        return fail(win32::InvalidOperation,
                    fmt::format("{} is not a running inject of library {}", job_text, snap.name));
    }

    if (snap.free_slots == 0)
        return fail(win32::LibraryFull,
                    fmt::format("library {} has no free storage slot", snap.name));

    JobRecord job;
    job.id = Guid::random();
    job.library = *lib_id;
    job.action = act;
    job.state = JobState::Queued;
    job.time_queued = now_usec();
    job.application = options.application;
    job.uid = who.uid;
    job.timeout_sec = options.timeout_sec.value_or(snap.inject_timeout_sec);
    job.port =
        options.port ? std::optional<uint16_t>(lib->find_port(options.port)->first) : std::nullopt;
    {
        std::lock_guard lock(mutex_);
        if (auto r = db_->insert_job(job); !r)
            return r.error();
    }
    events_.job_added(job);
    lib->enqueue(job);
    return job.id;
} catch (const std::bad_alloc&) {
    return fail(win32::NotEnoughMemory, "out of memory");
}

Expected<void> Manager::cancel_job(const Guid& id, const Caller& who) {
    if (!db_)
        return db_status_;
    std::optional<JobRecord> job;
    {
        std::lock_guard lock(mutex_);
        auto j = db_->get_job(id);
        if (!j)
            return j.error();
        job = *j;
    }
    if (!job)
        return fail(win32::ObjectNotFound, fmt::format("no job {}", id.str()));
    Library* lib = find(job->library);
    if (lib && !lib->access().allows(who, Right::Control))
        return fail(win32::AccessDenied, fmt::format("{} lacks CONTROL access to library {}",
                                                     who.name, lib->config().name));
    if (is_final(job->state))
        return fail(win32::ObjectNotFound, fmt::format("job {} has already ended ({})", id.str(),
                                                       job_state_name(job->state)));
    if (lib && lib->control(id, JobControl::Stop))
        return {};
    if (job->state == JobState::Queued) {
        if (lib)
            lib->dequeue(id); // absent from the queue only when its library is gone
        job->state = JobState::Cancelled;
        job->time_completed = now_usec();
        job->error = win32::Cancelled;
        job->error_message = fmt::format("cancelled by {} before it started", who.name);
        {
            std::lock_guard lock(mutex_);
            if (auto r = db_->update_job(*job); !r)
                return r;
        }
        events_.job_changed(*job);
        journal_job_end(*job, lib ? lib->config().name : std::string());
        return {};
    }
    return fail(win32::InvalidOperation, fmt::format("job {} cannot be cancelled now", id.str()));
}

Expected<JobRecord> Manager::job(const Guid& id) const {
    if (!db_)
        return db_status_;
    std::lock_guard lock(mutex_);
    auto j = db_->get_job(id);
    if (!j)
        return j.error();
    if (!*j)
        return fail(win32::ObjectNotFound, fmt::format("no job {}", id.str()));
    return **j;
}

Expected<std::vector<JobRecord>> Manager::jobs() const {
    if (!db_)
        return db_status_;
    std::lock_guard lock(mutex_);
    return db_->list_jobs();
}

Expected<OpRequestRecord> Manager::oprequest(const Guid& id) const {
    if (!db_)
        return db_status_;
    std::lock_guard lock(mutex_);
    auto r = db_->get_oprequest(id);
    if (!r)
        return r.error();
    if (!*r)
        return fail(win32::ObjectNotFound, fmt::format("no operator request {}", id.str()));
    return **r;
}

Expected<std::vector<OpRequestRecord>> Manager::oprequests() const {
    if (!db_)
        return db_status_;
    std::lock_guard lock(mutex_);
    return db_->list_oprequests();
}

Expected<void> Manager::finish_oprequest(const Guid& id, const Caller& who, OpRequestState to) {
    auto r = oprequest(id);
    if (!r)
        return r.error();
    Library* lib = find(r->library);
    if (lib && !lib->access().allows(who, Right::Control))
        return fail(win32::AccessDenied, fmt::format("{} lacks CONTROL access to library {}",
                                                     who.name, lib->config().name));
    if (r->state == OpRequestState::Complete || r->state == OpRequestState::Refused)
        return fail(win32::InvalidState,
                    fmt::format("operator request {} is already {}", id.str(),
                                r->state == OpRequestState::Complete ? "complete" : "refused"));
    // The insert request of a waiting inject: Satisfy = "they are in" = RETRACT, Cancel = STOP.
    // The job ends the request itself when its wait ends.
    if (lib && r->type == OpRequestType::NewMedia && !r->job.is_null() &&
        lib->control(r->job,
                     to == OpRequestState::Complete ? JobControl::Retract : JobControl::Stop))
        return {};
    r->state = to;
    r->changed = now_usec();
    {
        std::lock_guard lock(mutex_);
        if (auto u = db_->update_oprequest(*r); !u)
            return u;
    }
    events_.oprequest_changed(*r);
    journal_oprequest(*r, lib ? lib->config().name : std::string());
    return {};
}

Expected<void> Manager::satisfy_oprequest(const Guid& id, const Caller& who) {
    return finish_oprequest(id, who, OpRequestState::Complete);
}

Expected<void> Manager::cancel_oprequest(const Guid& id, const Caller& who) {
    return finish_oprequest(id, who, OpRequestState::Refused);
}

} // namespace ntms
