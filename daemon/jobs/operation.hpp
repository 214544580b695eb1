// What an operation kind supplies to the engine: only its steps. The engine (the library's worker
// with its JobQueue and the JobLedger) queues the job, hands it to run() with a JobContext, and
// ends it with the Outcome run() returns; persistence, control, signals and the journal go through
// the context. run() must return at a safe point once wait_control()/peek_control() says Stop:
// with the robot idle and every move it made recorded, and an Outcome that says what happened.
#pragma once

#include "daemon/jobs/job.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace ntms {

class JobLedger;
class JobQueue;
class Library;
class Store;

class JobContext {
public:
    JobContext(Job& job, JobLedger& ledger, JobQueue& queue, Library& library, Store& db)
        : job_(job), ledger_(ledger), queue_(queue), library_(library), db_(db) {}

    JobRecord& job() { return job_.record(); }
    Library& library() { return library_; }
    // The worker's own database connection, for the operation's media records.
    Store& db() { return db_; }

    // INPROCESS, WAITING: committed before the next robot command, then announced.
    Expected<void> transition(JobState s);
    // The job's record changed in a way already committed (a move counted): announce it.
    void announce();
    // STOP, RETRACT or Cancel from a caller; Stop also when ntmsd shuts down.
    JobControl wait_control(std::chrono::milliseconds d);
    JobControl peek_control() const;

private:
    Job& job_;
    JobLedger& ledger_;
    JobQueue& queue_;
    Library& library_;
    Store& db_;
};

class Operation {
public:
    virtual ~Operation() = default;
    virtual Outcome run(JobContext& ctx) = 0;
    // A job of this kind was running when ntmsd stopped; the engine ends it (FAILED,
    // ERROR_OPERATION_ABORTED) once its library's device was read (device_read) or found
    // unreadable. Returns what the job left behind, for its record; empty: nothing to say.
    virtual std::string account_interrupted(JobContext& ctx, bool device_read) {
        (void)ctx;
        (void)device_read;
        return {};
    }
    // A job of this kind found unfinished at start: true when it has done nothing and holds
    // nothing, so that it runs again as a queued job does, in its place among them; otherwise
    // it ends as above.
    virtual bool resumes(const JobRecord& job) const {
        (void)job;
        return false;
    }
};

// The steps for a job's operation kind; null for a kind with none (the job then fails with
// ERROR_NOT_SUPPORTED).
using OperationFactory = std::function<std::unique_ptr<Operation>(const JobRecord&)>;

// Every operation kind ntmsd has steps for.
OperationFactory standard_operations();

} // namespace ntms
