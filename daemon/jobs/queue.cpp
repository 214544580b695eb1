#include "daemon/jobs/queue.hpp"

#include "daemon/jobs/ledger.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace ntms {

void JobQueue::insert_locked(JobPtr job) {
    // After the last job of its priority or higher: the queue is in descending priority, and a
    // new job usually has the lowest one there is, so the search starts from the end (a thousand
    // queued jobs walked for every InjectMedia took 6 % of ntmsd's time in bench_dbus's load).
    const int32_t p = job->record().priority;
    auto at = std::find_if(queue_.rbegin(), queue_.rend(),
                           [&](const JobPtr& q) { return q->record().priority >= p; });
    queue_.insert(at.base(), std::move(job));
}

void JobQueue::unpark_locked(bool all) {
    const auto now = std::chrono::steady_clock::now();
    for (auto it = parked_.begin(); it != parked_.end();) {
        if (all || (it->until && *it->until <= now)) {
            insert_locked(std::move(it->job));
            it = parked_.erase(it);
        } else {
            ++it;
        }
    }
}

void JobQueue::push(JobPtr job, const std::function<void(const JobRecord&)>& queued) {
    bool idle;
    {
        std::lock_guard lock(mutex_);
        const JobRecord& record = job->record();
        insert_locked(std::move(job));
        if (queued)
            queued(record);
        idle = !running_;
    }
    // Only an idle worker waits for a job. One that runs a job finds this one when it next
    // looks (finish or park first, then next() under the lock), and a job that waits in
    // wait_control() is not woken for nothing.
    if (idle)
        cv_.notify_all();
}

void JobQueue::park(JobPtr job, std::optional<std::chrono::steady_clock::time_point> until) {
    {
        std::lock_guard lock(mutex_);
        running_.reset();
        // A Cancel (or STOP) that came while it ran: it ends here, having done nothing.
        const bool cancelled = control_ == JobControl::Stop && !stopping_;
        control_ = JobControl::None;
        if (cancelled)
            ledger_.end(std::move(job),
                        Outcome{JobState::Cancelled,
                                fail(win32::Cancelled, "cancelled while it waited"), std::nullopt});
        else
            parked_.push_back(Parked{std::move(job), until});
    }
    cv_.notify_all();
}

void JobQueue::wake_waiting() {
    {
        std::lock_guard lock(mutex_);
        if (parked_.empty())
            return;
        unpark_locked(true);
    }
    cv_.notify_all();
}

JobPtr JobQueue::next(const std::function<bool()>& other_work,
                      std::optional<std::chrono::steady_clock::time_point> until, bool hold) {
    std::unique_lock lock(mutex_);
    // A parked job's time-out wakes the worker as a new job would.
    for (const auto& p : parked_)
        if (p.until && (!until || *p.until < *until))
            until = p.until;
    auto ready = [&] {
        return stopping_ || (!hold && !queue_.empty()) || poked_ || other_work() ||
               (!hold && std::any_of(parked_.begin(), parked_.end(), [](const Parked& p) {
                   return p.until && *p.until <= std::chrono::steady_clock::now();
               }));
    };
    if (until)
        cv_.wait_until(lock, *until, ready);
    else
        cv_.wait(lock, ready);
    poked_ = false;
    if (!hold)
        unpark_locked(false);
    if (hold || stopping_ || queue_.empty() || other_work())
        return nullptr;
    JobPtr job = std::move(queue_.front());
    queue_.pop_front();
    running_ = job->id();
    running_kind_ = job->record().operation;
    control_ = JobControl::None;
    return job;
}

void JobQueue::finish(JobPtr job, Outcome how) {
    std::lock_guard lock(mutex_);
    running_.reset();
    control_ = JobControl::None;
    ledger_.end(std::move(job), std::move(how));
}

void JobQueue::poke() {
    {
        std::lock_guard lock(mutex_);
        poked_ = true;
    }
    cv_.notify_all();
}

void JobQueue::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        if (running_)
            control_ = JobControl::Stop;
    }
    cv_.notify_all();
}

bool JobQueue::stopping() const {
    std::lock_guard lock(mutex_);
    return stopping_;
}

JobQueue::CancelResult JobQueue::cancel(const Guid& id, const std::string& by,
                                        std::optional<OperationKind> kind) {
    std::lock_guard lock(mutex_);
    if (running_ == id) {
        if (kind && *kind != running_kind_)
            return CancelResult::NotHere;
        control_ = JobControl::Stop;
        cv_.notify_all();
        return CancelResult::Stopping;
    }
    JobPtr job;
    auto it = std::find_if(queue_.begin(), queue_.end(), [&](const JobPtr& j) {
        return j->id() == id && (!kind || j->record().operation == *kind);
    });
    if (it != queue_.end()) {
        job = std::move(*it);
        queue_.erase(it);
    } else {
        auto p = std::find_if(parked_.begin(), parked_.end(), [&](const Parked& j) {
            return j.job->id() == id && (!kind || j.job->record().operation == *kind);
        });
        if (p == parked_.end())
            return CancelResult::NotHere;
        job = std::move(p->job);
        parked_.erase(p);
    }
    // Ended under the lock: the worker cannot take it meanwhile, and nobody else holds it.
    ledger_.end(
        std::move(job),
        Outcome{JobState::Cancelled,
                fail(win32::Cancelled, fmt::format("cancelled by {} before it started", by))});
    return CancelResult::Ended;
}

bool JobQueue::control(const Guid& id, JobControl what, std::optional<OperationKind> kind) {
    {
        std::lock_guard lock(mutex_);
        if (running_ != id || (kind && *kind != running_kind_))
            return false;
        // STOP wins over a pending RETRACT; a RETRACT never downgrades a pending STOP.
        if (control_ != JobControl::Stop)
            control_ = what;
    }
    cv_.notify_all();
    return true;
}

JobControl JobQueue::wait_control(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, d, [&] { return control_ != JobControl::None || stopping_ || poked_; });
    poked_ = false;
    if (stopping_ && control_ == JobControl::None)
        control_ = JobControl::Stop;
    return std::exchange(control_, JobControl::None);
}

JobControl JobQueue::peek_control() const {
    std::lock_guard lock(mutex_);
    return stopping_ ? JobControl::Stop : control_;
}

void JobQueue::end_all(const Outcome& how) {
    std::lock_guard lock(mutex_);
    unpark_locked(true);
    while (!queue_.empty()) {
        JobPtr job = std::move(queue_.front());
        queue_.pop_front();
        ledger_.end(std::move(job), how);
    }
}

std::optional<Guid> JobQueue::running() const {
    std::lock_guard lock(mutex_);
    return running_;
}

size_t JobQueue::queued_count() const {
    std::lock_guard lock(mutex_);
    return queue_.size() + parked_.size();
}

std::vector<Guid> JobQueue::queued() const {
    std::lock_guard lock(mutex_);
    std::vector<Guid> out;
    for (const auto& j : queue_)
        out.push_back(j->id());
    for (const auto& p : parked_)
        out.push_back(p.job->id());
    return out;
}

} // namespace ntms
