#include "library.hpp"

#include "inject_job.hpp"
#include "journal.hpp"
#include "reconcile.hpp"
#include "sgio/open.hpp"
#include "store.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace ntms {

Library::Library(LibraryRecord record, LibraryConfig config, std::string db_path, EventSink& events,
                 TransportFactory factory)
    : record_(std::move(record)), config_(std::move(config)), db_path_(std::move(db_path)),
      events_(events), factory_(std::move(factory)) {
    std::vector<std::string> unknown;
    access_ = AccessPolicy::from_names(config_.use_groups, config_.modify_groups,
                                       config_.control_groups, &unknown);
    for (const auto& g : unknown)
        log(LOG_WARNING,
            fmt::format("Library {}: group '{}' does not exist; ignored", config_.name, g));
    snap_.id = record_.id;
    snap_.name = config_.name;
    snap_.device = config_.device;
    snap_.enabled = record_.enabled && config_.enabled;
    snap_.inject_timeout_sec = config_.inject_timeout_sec;
}

Library::~Library() {
    stop();
}

void Library::attach(std::unique_ptr<sgio::Transport> transport, std::string offline_reason) {
    std::lock_guard lock(mutex_);
    transport_ = transport ? std::make_unique<SeverableTransport>(std::move(transport)) : nullptr;
    changer_ = transport_ ? std::make_unique<sgio::Changer>(*transport_) : nullptr;
    // A library with a device is offline until its element status has been read: until then it
    // has no free slot to offer, and an inject would be refused as if it were full.
    snap_.online = false;
    snap_.offline_reason = transport_ ? std::string(reading_reason) : std::move(offline_reason);
}

void Library::device_removed() {
    {
        std::lock_guard lock(mutex_);
        removed_ = true;
        arriving_.reset();
        if (transport_)
            transport_->sever();
        wake_ = true;
    }
    cv_.notify_all();
    set_online(false, SeverableTransport::severed_message);
}

void Library::device_arrived(std::unique_ptr<sgio::Transport> transport,
                             const std::string& device) {
    {
        std::lock_guard lock(mutex_);
        removed_ = false;
        arriving_ = std::make_unique<SeverableTransport>(std::move(transport));
        snap_.device = device;
        if (!snap_.online)
            snap_.offline_reason = reading_reason;
    }
    cv_.notify_all();
    notify();
}

bool Library::removed() const {
    std::lock_guard lock(mutex_);
    return removed_;
}

std::vector<JobRecord> Library::take_queue() {
    std::lock_guard lock(mutex_);
    std::vector<JobRecord> out(std::make_move_iterator(queue_.begin()),
                               std::make_move_iterator(queue_.end()));
    queue_.clear();
    return out;
}

void Library::start(std::vector<JobRecord> queued) {
    worker_alive_ = true;
    worker_ = std::thread([this, q = std::move(queued)]() mutable {
        run(std::move(q));
        worker_alive_ = false;
    });
}

void Library::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        if (running_)
            control_ = JobControl::Stop;
    }
    cv_.notify_all();
    if (worker_.joinable())
        worker_.join();
}

LibrarySnapshot Library::snapshot() const {
    std::lock_guard lock(mutex_);
    return snap_;
}

void Library::enqueue(const JobRecord& job) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(job);
    }
    cv_.notify_all();
}

std::optional<Guid> Library::running_job() const {
    std::lock_guard lock(mutex_);
    return running_;
}

bool Library::dequeue(const Guid& job) {
    std::lock_guard lock(mutex_);
    auto it =
        std::find_if(queue_.begin(), queue_.end(), [&](const JobRecord& j) { return j.id == job; });
    if (it == queue_.end())
        return false;
    queue_.erase(it);
    return true;
}

bool Library::control(const Guid& job, JobControl what) {
    {
        std::lock_guard lock(mutex_);
        if (running_ != job)
            return false;
        // STOP wins over a pending RETRACT; a RETRACT never downgrades a pending STOP.
        if (control_ != JobControl::Stop)
            control_ = what;
    }
    cv_.notify_all();
    return true;
}

JobControl Library::wait_control(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, d, [&] { return control_ != JobControl::None || stopping_ || wake_; });
    wake_ = false;
    if (stopping_ && control_ == JobControl::None)
        control_ = JobControl::Stop;
    return std::exchange(control_, JobControl::None);
}

JobControl Library::peek_control() const {
    std::lock_guard lock(mutex_);
    return stopping_ ? JobControl::Stop : control_;
}

std::optional<PortState> Library::find_port(std::optional<uint16_t> address) const {
    std::lock_guard lock(mutex_);
    if (snap_.ports.empty())
        return std::nullopt;
    if (!address)
        return snap_.ports.front();
    for (const auto& p : snap_.ports)
        if (*address >= p.first && *address < p.first + p.count)
            return p;
    return std::nullopt;
}

void Library::set_online(bool online, const std::string& reason) {
    bool changed;
    LibraryRecord rec = record_;
    std::string why = reason;
    {
        std::lock_guard lock(mutex_);
        if (online && settling_) {
            online_when_settled_ = true; // said once the database matches the device
            return;
        }
        if (!online)
            online_when_settled_ = false; // removed (or failed) while being read
        // A removed device is the cause of whatever its last commands reported.
        if (!online && removed_)
            why = SeverableTransport::severed_message;
        changed = snap_.online != online || (!online && snap_.offline_reason != why);
        snap_.online = online;
        snap_.offline_reason = online ? std::string() : why;
        rec.device = snap_.device;
    }
    if (changed) {
        journal_library_state(rec, online, why);
        notify();
    }
}

void Library::set_port(const PortState& p) {
    {
        std::lock_guard lock(mutex_);
        for (auto& q : snap_.ports)
            if (q.first == p.first)
                q = p;
    }
    notify();
}

void Library::set_layout(std::vector<PortState> ports, uint32_t drives, bool barcode_reader,
                         const std::string& vendor, const std::string& product,
                         const std::string& serial) {
    {
        std::lock_guard lock(mutex_);
        snap_.ports = std::move(ports);
        snap_.drives = drives;
        snap_.barcode_reader = barcode_reader;
        snap_.vendor = vendor;
        snap_.product = product;
        snap_.serial = serial;
    }
    notify();
}

void Library::set_storage(std::vector<std::pair<uint16_t, bool>> slots) {
    {
        std::lock_guard lock(mutex_);
        free_slots_.clear();
        for (auto& [addr, full] : slots)
            if (!full)
                free_slots_.push_back(addr);
        std::sort(free_slots_.begin(), free_slots_.end());
        snap_.slots = static_cast<uint32_t>(slots.size());
        snap_.free_slots = static_cast<uint32_t>(free_slots_.size());
    }
    notify();
}

void Library::set_slot_full(uint16_t address, bool full) {
    {
        std::lock_guard lock(mutex_);
        auto it = std::lower_bound(free_slots_.begin(), free_slots_.end(), address);
        const bool listed = it != free_slots_.end() && *it == address;
        if (full && listed)
            free_slots_.erase(it);
        else if (!full && !listed)
            free_slots_.insert(it, address);
        snap_.free_slots = static_cast<uint32_t>(free_slots_.size());
    }
    notify();
}

std::optional<uint16_t> Library::pick_free_slot() const {
    std::lock_guard lock(mutex_);
    if (free_slots_.empty())
        return std::nullopt;
    return free_slots_.front();
}

void Library::use_device(std::unique_ptr<SeverableTransport> device) {
    std::lock_guard lock(mutex_);
    changer_.reset();
    transport_ = std::move(device);
    changer_ = std::make_unique<sgio::Changer>(*transport_);
}

bool Library::open_device() {
    std::string device;
    {
        std::lock_guard lock(mutex_);
        if (removed_)
            return false; // a node name may now be another device's: wait until udev finds it
        device = snap_.device;
    }
    auto t = factory_(device);
    if (!t) {
        set_online(false, t.error().message);
        return false;
    }
    use_device(std::make_unique<SeverableTransport>(std::move(t).value()));
    return true;
}

void Library::settle(Store& db, const char* what) {
    {
        std::lock_guard lock(mutex_);
        settling_ = true;
        online_when_settled_ = false;
    }
    auto r = reconcile(*this, db);
    bool online = false;
    {
        std::lock_guard lock(mutex_);
        settling_ = false;
        online = std::exchange(online_when_settled_, false);
    }
    if (online)
        set_online(true, {});
    if (r)
        return;
    const Status& e = r.error();
    log(LOG_ERR, fmt::format("Library {}: {} failed: {}", config_.name, what, e.message));
    // The database's own trouble says nothing about the device; anything else does.
    if (e.code == win32::DatabaseFailure || e.code == win32::DatabaseFull ||
        e.code == win32::NotEnoughMemory)
        return;
    if (e.code == win32::LibraryOffline)
        return; // reconciliation already said why: the device stopped answering
    set_online(false, e.code == win32::DeviceDoorOpen
                          ? e.message
                          : "the device does not work as a medium changer: " + e.message);
}

void Library::fail_offline_job(Store& db, JobRecord& job) {
    job.state = JobState::Failed;
    job.error = win32::LibraryOffline;
    job.error_message =
        fmt::format("library {} is offline: {}", config_.name, snapshot().offline_reason);
    job.time_completed = now_usec();
    if (auto r = db.update_job(job); !r)
        log(LOG_ERR, fmt::format("Library {}: cannot record job {}: {}", config_.name, job.id.str(),
                                 r.error().message));
    events_.job_changed(job);
    journal_job_end(job, config_.name);
}

void Library::run(std::vector<JobRecord> queued) {
    auto opened = Store::open(db_path_);
    if (!opened) {
        log(LOG_ERR, fmt::format("Library {}: cannot open the database: {}", config_.name,
                                 opened.error().message));
        set_online(false, opened.error().message);
        return;
    }
    Store& db = **opened;

    if (changer_)
        settle(db, "start-up reconciliation");
    for (auto& j : queued)
        enqueue(j);

    for (;;) {
        JobRecord job;
        std::unique_ptr<SeverableTransport> arrived;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [&] {
                return stopping_ || !queue_.empty() || arriving_ || (removed_ && transport_);
            });
            if (stopping_)
                return; // queued jobs stay QUEUED in the database and run after a restart
            if (removed_ && transport_) {
                // Let go of the removed device (an open sg node keeps the kernel's device).
                changer_.reset();
                transport_.reset();
                continue;
            }
            if (arriving_) {
                arrived = std::move(arriving_);
            } else {
                job = queue_.front();
                queue_.pop_front();
                running_ = job.id;
                control_ = JobControl::None;
            }
        }
        if (arrived) {
            // Found again: cartridges may have been moved while it was away.
            use_device(std::move(arrived));
            settle(db, "reconciliation");
            continue;
        }
        const bool offline = !snapshot().online;
        if (offline && open_device())
            settle(db, "reconciliation");
        if (!snapshot().online || !changer_)
            fail_offline_job(db, job);
        else
            InjectJob(*this, db, job).run();
        std::lock_guard lock(mutex_);
        running_.reset();
        control_ = JobControl::None;
    }
}

} // namespace ntms
