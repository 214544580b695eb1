// The job engine's record keeper: it makes jobs, persists every transition, and ends them. Every
// job of every operation kind is created by create() (or adopt() at start-up) and ended by end(),
// the one place where a job gets its final state, error, completion time, database row, events
// (the bus's PropertiesChanged and Completed, later JobRemoved) and journal entry. end() takes the
// job's owning pointer, so it runs exactly once per job whatever races (see job.hpp).
#pragma once

#include "daemon/events.hpp"
#include "daemon/jobs/job.hpp"
#include "daemon/jobs/job_metrics.hpp"

#include <functional>
#include <vector>

namespace ntms {

class JobQueue;
class SharedStore;
class Store;

class JobLedger {
public:
    JobLedger(SharedStore& db, EventSink& events) : db_(db), events_(events) {}
    JobLedger(const JobLedger&) = delete;
    JobLedger& operator=(const JobLedger&) = delete;

    // Submission: the job is committed QUEUED and announced (JobNew goes out before the caller's
    // reply). The caller hands it to its library's queue.
    // `also` (when given) writes what the operation needs with the job, in the same transaction:
    // the job is committed with it or not at all.
    Expected<JobPtr> create(JobRecord record, std::string library_name,
                            const std::function<Expected<void>(Store&)>& also = {});
    // Submission as the daemon makes it: committed QUEUED, then handed to its library's queue and
    // announced under the queue's lock, so that a client that learns of the job (JobNew) can
    // already cancel it, and its JobNew comes before any change the worker makes. Its GUID.
    Expected<Guid> enqueue(JobRecord record, std::string library_name, JobQueue& into,
                           const std::function<Expected<void>(Store&)>& also = {});
    // A job found QUEUED in the database at start-up: already durable and announced once.
    JobPtr adopt(JobRecord record, std::string library_name);

    // A transition of a live job (INPROCESS, WAITING): committed, then announced.
    Expected<void> transition(Job& job, JobState state);
    // Progress that is already durable (a move's commit counted it): announced only.
    void announce(const Job& job);

    // The one end of every job. A state that is not final is recorded as FAILED.
    void end(JobPtr job, Outcome how);

    // What start-up finds in the database, oldest first.
    struct Recovered {
        std::vector<JobRecord> queued;      // still QUEUED: their libraries adopt and run them
        std::vector<JobRecord> interrupted; // running when ntmsd stopped: see interrupted()
    };
    // Start-up, before any worker runs: the operator requests that interrupted jobs left open
    // are refused, and the jobs are handed back. An interrupted job is not resumed (its caller
    // and its operator are gone) unless its operation says it may be (Operation::resumes());
    // its library's worker ends it once it has read the device, so that its record can say what
    // it left behind (the cartridges in the port).
    Recovered recover();
    // How an interrupted job ends: FAILED, ERROR_OPERATION_ABORTED, with `account` (what its
    // operation found afterwards) after the reason.
    static Outcome interrupted(const std::string& account);

    // The jobs ended since ntmsd started, counted by end(). Any thread.
    const JobMetrics& metrics() const { return metrics_; }

private:
    // The QUEUED row (with `also`) in one transaction.
    Expected<void> commit_new(JobRecord& record,
                              const std::function<Expected<void>(Store&)>& also);

    SharedStore& db_;
    EventSink& events_;
    JobMetrics metrics_;
};

} // namespace ntms
