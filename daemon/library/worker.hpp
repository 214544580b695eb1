// The thread that owns a library's robot. It reads the element status first (reconciling the
// database with it), then takes the library's jobs one at a time, runs each job's operation and
// ends the job with what the operation reports; between jobs it takes a device that hot-plug
// found again (and reads it), or lets go of one that was removed. An offline library tries its
// device again by itself, with a capped exponential backoff, and is online again once the device
// answers as the same changer and its element status has been read.
#pragma once

#include "daemon/jobs/job.hpp"
#include "daemon/jobs/operation.hpp"

#include <atomic>
#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace ntms {

class JobLedger;
class Library;
class Store;

class Worker {
public:
    // The first retry of an offline library comes after retry_first (less up to a fifth, the
    // jitter that keeps many libraries from retrying in step); each failed one doubles the wait,
    // up to retry_cap.
    static constexpr std::chrono::milliseconds retry_first{1500};
    static constexpr std::chrono::milliseconds retry_cap{30000};

    Worker(Library& library, JobLedger& ledger, OperationFactory operations, std::string db_path)
        : library_(library), ledger_(ledger), operations_(std::move(operations)),
          db_path_(std::move(db_path)) {}
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Interrupted jobs (running when ntmsd stopped) are ended once the device has been read, or
    // found unreadable, before the library says it is online.
    void start(std::vector<JobPtr> queued, std::vector<JobPtr> interrupted = {});
    // After the library's queue was stopped.
    void join();
    bool alive() const { return alive_.load(); }

private:
    void run(std::vector<JobPtr> queued);
    // Reads the element status into the database; a device that cannot be read this way is
    // offline with the reason.
    void settle(Store& db, const char* what);
    // Ends the interrupted jobs with their operation's account of what they left.
    void end_interrupted(Store& db, bool device_read);
    // Runs the job's operation; how it ended.
    Outcome run_job(Store& db, Job& job);
    // Opens the library's device again and reads it, when it answers as the same changer;
    // whether the library is online afterwards.
    bool recover(Store& db);
    // Schedules the next retry of an offline library, or forgets it once it is not offline.
    void plan_retry();

    using Clock = std::chrono::steady_clock;

    Library& library_;
    JobLedger& ledger_;
    OperationFactory operations_;
    std::string db_path_;
    std::vector<JobPtr> interrupted_; // the worker thread's own until it has ended them
    std::thread thread_;
    std::atomic<bool> alive_{false};
    std::optional<Clock::time_point> retry_at_;
    std::chrono::milliseconds backoff_{0};
    std::minstd_rand jitter_{std::random_device{}()};
};

} // namespace ntms
