// The thread that owns a library's robot. It reads the element status first (reconciling the
// database with it), then takes the library's jobs one at a time, runs each job's operation and
// ends the job with what the operation reports; between jobs it takes a device that hot-plug
// found again (and reads it), or lets go of one that was removed, and checks that an idle device
// still answers. A device that may have forgotten its state (reset, or a new iSCSI session) is
// read again before the next job. An offline library keeps its queued jobs and tries its device
// again by itself, with a capped exponential backoff; it is online again once the device answers
// as the same changer and its element status has been read, and the jobs run then.
#pragma once

#include "daemon/jobs/job.hpp"
#include "daemon/jobs/operation.hpp"
#include "daemon/library/port_watcher.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
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
    Worker(Library& library, JobLedger& ledger, OperationFactory operations, std::string db_path)
        : library_(library), ledger_(ledger), operations_(std::move(operations)),
          db_path_(std::move(db_path)), watcher_(library, ledger) {}
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Interrupted jobs (running when ntmsd stopped) are ended once the device has been read, or
    // found unreadable, before the library says it is online.
    void start(std::vector<JobPtr> queued, std::vector<JobPtr> interrupted = {});
    // After the library's queue was stopped.
    void join();
    bool alive() const { return alive_.load(); }

    // At most this many libraries read their element status for the first time at once, and
    // record it: they share the host's SCSI paths and the database, and each is online as soon
    // as its own inventory is recorded, so the first ones come online sooner than if all of them
    // shared everything. Each worker takes a turn for its first reconciliation. The first this
    // many configured libraries are read by the registry before their workers start, while the
    // database is being opened (Registry::start); their workers then use those readings.
    static constexpr std::ptrdiff_t parallel_first_reads = 4;

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
    // The changer on the device is this library's (its INQUIRY identity and serial number);
    // otherwise the library is offline with the reason and the device let go.
    bool same_changer();
    // The device may have forgotten its state: read it again, if it is still this library's.
    void reread(Store& db);
    // An idle library's device still answers (TEST UNIT READY); offline with the reason if not.
    // Then the port watcher looks at the ports.
    void check(Store& db);
    // Schedules the next retry of an offline library (the first after RetryFirstMSec=, each
    // later one twice as late up to RetryMaxSec=, less up to a fifth as jitter, so that many
    // libraries do not retry in step), or forgets it once it is not offline.
    void plan_retry();
    // Schedules the next check of an online, idle library (CheckIntervalSec=).
    void plan_check();

    using Clock = std::chrono::steady_clock;

    Library& library_;
    JobLedger& ledger_;
    OperationFactory operations_;
    std::string db_path_;
    PortWatcher watcher_;
    std::vector<JobPtr> interrupted_; // the worker thread's own until it has ended them
    std::thread thread_;
    std::atomic<bool> alive_{false};
    std::optional<Clock::time_point> retry_at_;
    std::optional<Clock::time_point> check_at_;
    std::chrono::milliseconds backoff_{0};
    std::minstd_rand jitter_{std::random_device{}()};
};

} // namespace ntms
