// One library's jobs: the queue that owns them until its worker takes one, and the running job's
// control (STOP, RETRACT, Cancel). One mutex decides every race between the worker taking a job
// and a caller cancelling it: whoever holds the job under that lock owns it, and only the owner
// ends it.
#pragma once

#include "daemon/jobs/job.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <vector>

namespace ntms {

class JobLedger;

class JobQueue {
public:
    explicit JobQueue(JobLedger& ledger) : ledger_(ledger) {}
    // Jobs still queued stay QUEUED in the database: they run after a restart.
    ~JobQueue() = default;
    JobQueue(const JobQueue&) = delete;
    JobQueue& operator=(const JobQueue&) = delete;

    // Takes a durably queued job. Higher priority first, then in the order they came.
    // `queued` is called with its record under the queue's lock, once it is in the queue and
    // before the worker or a Cancel can see it.
    void push(JobPtr job, const std::function<void(const JobRecord&)>& queued = {});

    // The worker's wait: returns the next job, which the caller now owns and which counts as
    // running until finish(); or null when stop() was called, `other_work` (evaluated under
    // the queue's lock, again after every poke()) says the worker has something else to do, or
    // `until` has passed. With `hold`, no job is handed out: they wait (an offline library keeps
    // them until its device is back) and can still be cancelled.
    JobPtr next(const std::function<bool()>& other_work,
                std::optional<std::chrono::steady_clock::time_point> until = std::nullopt,
                bool hold = false);
    // The worker ends the job it took, under the queue's lock: a Cancel sees it running before
    // and ended after, never in between.
    void finish(JobPtr job, Outcome how);
    // The running job waits for a resource (Outcome::waiting): it stays here, cancellable, but
    // next() hands it out again only after wake_waiting() or once `until` has passed.
    void park(JobPtr job, std::optional<std::chrono::steady_clock::time_point> until);
    // A job has ended: what it freed may be what the parked jobs wait for; they are queued again
    // in their priority's place.
    void wake_waiting();
    // Makes next() look at other_work again and wakes a running job's wait_control().
    void poke();
    // No job is taken any more; the running one is asked to stop.
    void stop();
    bool stopping() const;

    enum class CancelResult {
        Ended,    // it was queued: it has been ended CANCELLED, the device untouched
        Stopping, // it is running: asked to stop at its next safe point
        NotHere,  // neither queued nor running here
    };
    // Job.Cancel / CancelNtmsLibraryRequest. `by` names the caller in the job's message; with
    // `kind`, a job of another operation is NotHere.
    CancelResult cancel(const Guid& job, const std::string& by,
                        std::optional<OperationKind> kind = std::nullopt);
    // STOP or RETRACT for the running job; false when that job is not the one running or, with
    // `kind`, is of another operation (InjectNtmsMedia's STOP names an inject, not an eject).
    bool control(const Guid& job, JobControl what,
                 std::optional<OperationKind> kind = std::nullopt);

    // The running job's side: waits up to `d` for a control request and returns it (clearing
    // it). stop() reads as Stop; a poke() returns None early.
    JobControl wait_control(std::chrono::milliseconds d);
    JobControl peek_control() const;

    // Ends every queued job with `how` (the library's device is gone).
    void end_all(const Outcome& how);

    std::optional<Guid> running() const;
    std::vector<Guid> queued() const;
    size_t queued_count() const;

private:
    JobLedger& ledger_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    // Puts a job in its priority's place, after those of its priority already there.
    void insert_locked(JobPtr job);
    // Moves parked jobs whose time has come (all with `all`) into queue_.
    void unpark_locked(bool all);

    std::list<JobPtr> queue_; // in the order they run
    struct Parked {
        JobPtr job;
        std::optional<std::chrono::steady_clock::time_point> until;
    };
    std::list<Parked> parked_; // waiting for a resource
    std::optional<Guid> running_;
    OperationKind running_kind_ = OperationKind::Inject;
    JobControl control_ = JobControl::None;
    bool stopping_ = false;
    bool poked_ = false;
};

} // namespace ntms
