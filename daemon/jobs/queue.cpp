#include "daemon/jobs/queue.hpp"

#include "daemon/jobs/ledger.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace ntms {

void JobQueue::push(JobPtr job, const std::function<void(const JobRecord&)>& queued) {
    {
        std::lock_guard lock(mutex_);
        const int32_t p = job->record().priority;
        auto at = std::find_if(queue_.begin(), queue_.end(),
                               [&](const JobPtr& q) { return q->record().priority < p; });
        at = queue_.insert(at, std::move(job));
        if (queued)
            queued((*at)->record());
    }
    cv_.notify_all();
}

JobPtr JobQueue::next(const std::function<bool()>& other_work,
                      std::optional<std::chrono::steady_clock::time_point> until, bool hold) {
    std::unique_lock lock(mutex_);
    auto ready = [&] { return stopping_ || (!hold && !queue_.empty()) || poked_ || other_work(); };
    if (until)
        cv_.wait_until(lock, *until, ready);
    else
        cv_.wait(lock, ready);
    poked_ = false;
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
    auto it = std::find_if(queue_.begin(), queue_.end(), [&](const JobPtr& j) {
        return j->id() == id && (!kind || j->record().operation == *kind);
    });
    if (it == queue_.end())
        return CancelResult::NotHere;
    JobPtr job = std::move(*it);
    queue_.erase(it);
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
    return queue_.size();
}

std::vector<Guid> JobQueue::queued() const {
    std::lock_guard lock(mutex_);
    std::vector<Guid> out;
    for (const auto& j : queue_)
        out.push_back(j->id());
    return out;
}

} // namespace ntms
