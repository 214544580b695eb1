// A job of the engine: one library operation (NTMS_LIBREQUEST) from submission to its end.
//
// A Job is owned by exactly one place at a time: the JobLedger that makes it, then its library's
// JobQueue, then the worker that runs it (or the caller that cancels it while queued). It cannot
// be copied, and the only way to end it, JobLedger::end(), takes the owning pointer: a job that
// has ended no longer exists, so it cannot be ended twice.
#pragma once

#include "daemon/model.hpp"
#include "daemon/status.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace ntms {

// What a caller asks of a running job. Stop wins over Retract; Cancel of a running job is Stop.
enum class JobControl { None, Stop, Retract };

// How a job ended: its final state (PASSED, FAILED, CANCELLED, STOPPED) and the Win32 code with
// its message (Success for PASSED and STOPPED).
// WAITING is no end: the job waits for a resource the library's other jobs free (a drive), off
// the robot. The engine keeps it (it can be cancelled, it still counts as queued) and runs it
// again after the library's next job has ended, or at `retry_at` (its time-out) at the latest.
struct Outcome {
    JobState state = JobState::Passed;
    Status status;
    std::optional<std::chrono::steady_clock::time_point> retry_at; // WAITING: run again by then

    static Outcome passed() { return {JobState::Passed, Status::success(), std::nullopt}; }
    static Outcome stopped() { return {JobState::Stopped, Status::success(), std::nullopt}; }
    static Outcome failed(Status s) { return {JobState::Failed, std::move(s), std::nullopt}; }
    static Outcome waiting(std::optional<std::chrono::steady_clock::time_point> until) {
        return {JobState::Waiting, Status::success(), until};
    }
};

class Job {
public:
    // Only the ledger makes jobs (std::make_unique needs a public constructor, hence a key that
    // only the ledger can make).
    class Key {
        friend class JobLedger;
        Key() = default;
    };

    Job(Key, JobRecord record, std::string library_name)
        : record_(std::move(record)), library_name_(std::move(library_name)) {}
    Job(const Job&) = delete;
    Job& operator=(const Job&) = delete;

    const JobRecord& record() const { return record_; }
    // The owner's view: the running operation counts what it moved here.
    JobRecord& record() { return record_; }
    const Guid& id() const { return record_.id; }
    // For messages and the journal.
    const std::string& library_name() const { return library_name_; }

private:
    JobRecord record_;
    std::string library_name_;
};

using JobPtr = std::unique_ptr<Job>;

} // namespace ntms
