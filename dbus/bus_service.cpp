#include "bus_service.hpp"

#include "daemon/journal.hpp"
#include "dbus/drive_adaptor.hpp"
#include "dbus/job_adaptor.hpp"
#include "dbus/library_adaptor.hpp"
#include "dbus/manager_adaptor.hpp"
#include "dbus/oprequest_adaptor.hpp"

#include <algorithm>
#include <cerrno>
#include <fmt/format.h>
#include <malloc.h>
#include <poll.h>
#include <set>
#include <signal.h>
#include <sys/eventfd.h>
#include <system_error>
#include <unistd.h>

namespace ntms::dbus {

namespace {

// Messages handled in a row before queued domain events get their turn.
constexpr int batch = 64;

// The smaller of two poll() timeouts, where -1 means none.
int earlier(int a, int b) {
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return std::min(a, b);
}

void log_failure(const char* what, const std::exception& e) {
    try {
        log(LOG_ERR, fmt::format("D-Bus: {}: {}", what, e.what()));
    } catch (...) {
    }
}

} // namespace

BusService::BusService(Manager& manager, EventQueue& events, BusOptions options)
    : manager_(manager), events_(events), options_(std::move(options)),
      stop_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (stop_fd_ < 0)
        throw std::system_error(errno, std::generic_category(), "eventfd");
}

BusService::~BusService() {
    stop();
    close(stop_fd_);
}

void BusService::start() {
    connection_ = sdbus::createSystemBusConnection();
    filter_ = std::make_unique<RequestFilter>(*connection_, options_.limits);
    callers_ = std::make_unique<CallerIdentity>(*connection_);
    submitter_ = std::make_unique<Submitter>();
    reader_ = std::make_unique<Submitter>();
    ctx_ =
        std::make_unique<BusContext>(BusContext{manager_, *callers_, *this, *submitter_, *reader_});
    root_ = std::make_unique<ManagerAdaptor>(*connection_, *ctx_, options_.version);
    for (const auto& id : manager_.libraries())
        add_library(id);
    // Open work survives a restart on the bus too; finished jobs come back through GetJob.
    if (auto jobs = manager_.jobs()) {
        for (auto& j : *jobs) {
            if (is_final(j.state))
                continue;
            // Before the bus thread runs: its Media and Drives properties read only the record.
            if (auto r = manager_.read_job_lists(j); !r)
                log(LOG_WARNING, fmt::format("D-Bus: job {}: {}", j.id.str(), r.error().message));
            add_job(j);
        }
    } else {
        log(LOG_WARNING, fmt::format("D-Bus: jobs not exported: {}", jobs.error().message));
    }
    if (auto requests = manager_.oprequests()) {
        for (const auto& r : *requests)
            if (!is_answered(r.state))
                add_oprequest(r);
    }
    // Only now may clients find us: every object above is already in place.
    connection_->requestName(bus::service);
    announce_ = true;
    thread_ = std::thread([this] { run(); });
}

void BusService::stop() {
    if (thread_.joinable()) {
        const uint64_t one = 1;
        (void)!write(stop_fd_, &one, sizeof one);
        thread_.join();
    }
    // Then the job submissions, and the replies they handed to the bus thread that it will not
    // send now: they hold messages of the connection, and go before it.
    if (submitter_)
        submitter_->stop();
    if (reader_)
        reader_->stop();
    (void)events_.take();
    // Objects before the connection they are registered on.
    jobs_.clear();
    oprequests_.clear();
    drives_.clear();
    libraries_.clear();
    root_.reset();
    ctx_.reset();
    submitter_.reset();
    reader_.reset();
    callers_.reset();
    filter_.reset();
    connection_.reset();
}

void BusService::run() {
    try {
        for (;;) {
            bool busy = false;
            for (int i = 0; i < batch; ++i) {
                busy = connection_->processPendingRequest();
                callers_->message_done();
                // A refused call may have been a message of many megabytes, freed by now; glibc
                // keeps such memory in its heap unless asked to give it back.
                if (filter_->take_refusal())
                    malloc_trim(0);
                if (!busy)
                    break;
            }
            flush_events();
            const int next_expiry = expire();

            const auto poll_data = connection_->getEventLoopPollData();
            pollfd fds[] = {
                {poll_data.fd, poll_data.events, 0},
                {events_.fd(), POLLIN, 0},
                {stop_fd_, POLLIN, 0},
            };
            const int timeout = busy ? 0 : earlier(poll_data.getPollTimeout(), next_expiry);
            if (poll(fds, 3, timeout) < 0 && errno != EINTR)
                throw std::system_error(errno, std::generic_category(), "poll");
            if (fds[2].revents & POLLIN) {
                flush_events(); // the last job ends, reported while the workers stopped
                return;
            }
        }
    } catch (const std::exception& e) {
        // The connection is gone (or unusable): without the bus ntmsd serves nobody. Ask main to
        // shut down in order; systemd restarts the service.
        log_failure("the bus connection failed; stopping", e);
        failed_ = true;
        kill(getpid(), SIGTERM);
    }
}

void BusService::flush_events() {
    // Signals built here read the getters as the daemon itself, whoever's call we are inside.
    CallerIdentity::Internal internal(*callers_);
    std::set<Guid> libraries;
    std::vector<Event> events;
    try {
        events = events_.take();
    } catch (const std::exception& e) {
        log_failure("events lost", e);
    }
    for (const auto& e : events) {
        try {
            if (const auto* l = std::get_if<LibraryChanged>(&e))
                libraries.insert(l->library); // one refresh per library and batch
            else
                apply(e);
        } catch (const std::exception& ex) {
            log_failure("cannot publish a domain event", ex);
        }
    }
    for (const auto& id : libraries) {
        try {
            if (auto it = libraries_.find(id); it != libraries_.end()) {
                sync_drives(id); // the drives are on the bus before DrivePaths names them
                it->second->refresh();
            }
        } catch (const std::exception& ex) {
            log_failure("cannot publish a library change", ex);
        }
    }
}

void BusService::apply(const Event& e) {
    if (const auto* a = std::get_if<JobAdded>(&e))
        on_job(a->job);
    else if (const auto* c = std::get_if<JobChanged>(&e))
        on_job(c->job);
    else if (const auto* r = std::get_if<OpRequestChanged>(&e))
        on_oprequest(r->request);
    else if (const auto* l = std::get_if<LibraryAdded>(&e))
        add_library(l->library);
    else if (const auto* t = std::get_if<BusTask>(&e))
        t->run();
}

void BusService::post(std::function<void()> task) {
    events_.post(std::move(task));
}

void BusService::add_library(const Guid& id) {
    if (libraries_.count(id))
        return; // exported at start, before its event was taken
    auto snap = manager_.library(id, Caller::root());
    if (!snap)
        return;
    auto a = std::make_unique<LibraryAdaptor>(*connection_, *ctx_, std::move(snap).value());
    LibraryAdaptor& ref = *a;
    libraries_.emplace(id, std::move(a));
    sync_drives(id);
    if (announce_) {
        CallerIdentity::Internal internal(*callers_);
        ref.emitInterfacesAddedSignal();
    }
}

void BusService::sync_drives(const Guid& library) {
    auto snap = manager_.library(library, Caller::root());
    if (!snap)
        return;
    CallerIdentity::Internal internal(*callers_);
    std::set<Guid> present;
    for (const auto& d : snap->drive_list) {
        present.insert(d.id);
        if (auto it = drives_.find(d.id); it != drives_.end()) {
            it->second->update(d);
            continue;
        }
        auto a = std::make_unique<DriveAdaptor>(*connection_, library, d);
        DriveAdaptor& ref = *a;
        drives_.emplace(d.id, std::move(a));
        if (announce_)
            ref.emitInterfacesAddedSignal();
    }
    for (auto it = drives_.begin(); it != drives_.end();) {
        if (it->second->library() != library || present.count(it->first)) {
            ++it;
            continue;
        }
        try {
            it->second->emitInterfacesRemovedSignal();
        } catch (const std::exception& e) {
            log_failure("cannot announce a drive's removal", e);
        }
        it = drives_.erase(it);
    }
}

void BusService::on_job(const JobRecord& job) {
    auto it = jobs_.find(job.id);
    if (it == jobs_.end()) {
        // New, or queued before a restart and now moving: either way a job clients have not seen.
        JobAdaptor& a = add_job(job);
        root_->emitJobNew(job.id.str(), job_path(job.id));
        if (is_final(job.state)) {
            a.emitCompleted(job.error, job.error_message);
            job_expiry_.set(job.id, Clock::now() + options_.retention);
        }
        return;
    }
    if (it->second->update(job))
        job_expiry_.set(job.id, Clock::now() + options_.retention);
}

void BusService::on_oprequest(const OpRequestRecord& r) {
    auto it = oprequests_.find(r.id);
    if (it == oprequests_.end())
        add_oprequest(r);
    else
        it->second->update(r);
    if (is_answered(r.state) && !oprequest_expiry_.contains(r.id))
        oprequest_expiry_.set(r.id, Clock::now() + options_.retention);
}

JobAdaptor& BusService::add_job(const JobRecord& job) {
    auto a = std::make_unique<JobAdaptor>(*connection_, *ctx_, job);
    JobAdaptor& ref = *a;
    jobs_.emplace(job.id, std::move(a));
    if (announce_) {
        CallerIdentity::Internal internal(*callers_);
        ref.emitInterfacesAddedSignal();
    }
    return ref;
}

OpRequestAdaptor& BusService::add_oprequest(const OpRequestRecord& r) {
    auto a = std::make_unique<OpRequestAdaptor>(*connection_, *ctx_, r);
    OpRequestAdaptor& ref = *a;
    oprequests_.emplace(r.id, std::move(a));
    if (announce_) {
        CallerIdentity::Internal internal(*callers_);
        ref.emitInterfacesAddedSignal();
    }
    return ref;
}

const JobRecord* BusService::exported_job(const Guid& id) const {
    auto it = jobs_.find(id);
    return it == jobs_.end() ? nullptr : &it->second->record();
}

const OpRequestRecord* BusService::exported_oprequest(const Guid& id) const {
    auto it = oprequests_.find(id);
    return it == oprequests_.end() ? nullptr : &it->second->record();
}

sdbus::ObjectPath BusService::show_job(const JobRecord& job) {
    if (!jobs_.count(job.id)) {
        add_job(job);
        if (is_final(job.state))
            job_expiry_.set(job.id, Clock::now() + options_.retention);
    }
    return job_path(job.id);
}

sdbus::ObjectPath BusService::show_oprequest(const OpRequestRecord& r) {
    if (!oprequests_.count(r.id)) {
        add_oprequest(r);
        if (is_answered(r.state))
            oprequest_expiry_.set(r.id, Clock::now() + options_.retention);
    }
    return oprequest_path(r.id);
}

int BusService::expire() {
    const auto now = Clock::now();
    for (const Guid& id : job_expiry_.take_due(now))
        remove_job(id);
    for (const Guid& id : oprequest_expiry_.take_due(now))
        remove_oprequest(id);
    return earlier(job_expiry_.next_ms(now), oprequest_expiry_.next_ms(now));
}

void BusService::remove_job(const Guid& id) {
    auto it = jobs_.find(id);
    if (it == jobs_.end())
        return;
    const uint32_t error = it->second->record().error;
    try {
        it->second->emitInterfacesRemovedSignal();
    } catch (const std::exception& e) {
        log_failure("cannot announce a job's removal", e);
    }
    jobs_.erase(it);
    try {
        root_->emitJobRemoved(id.str(), job_path(id), error);
    } catch (const std::exception& e) {
        log_failure("cannot announce a job's removal", e);
    }
}

void BusService::remove_oprequest(const Guid& id) {
    auto it = oprequests_.find(id);
    if (it == oprequests_.end())
        return;
    try {
        it->second->emitInterfacesRemovedSignal();
    } catch (const std::exception& e) {
        log_failure("cannot announce an operator request's removal", e);
    }
    oprequests_.erase(it);
}

} // namespace ntms::dbus
