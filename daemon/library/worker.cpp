#include "daemon/library/worker.hpp"

#include "daemon/jobs/ledger.hpp"
#include "daemon/journal.hpp"
#include "daemon/library/library.hpp"
#include "daemon/library/reconcile.hpp"
#include "daemon/store/store.hpp"

#include <exception>
#include <fmt/format.h>
#include <new>

namespace ntms {

void Worker::start(std::vector<JobPtr> queued, std::vector<JobPtr> interrupted) {
    interrupted_ = std::move(interrupted);
    alive_ = true;
    thread_ = std::thread([this, q = std::move(queued)]() mutable {
        run(std::move(q));
        alive_ = false;
    });
}

void Worker::join() {
    if (thread_.joinable())
        thread_.join();
}

void Worker::settle(Store& db, const char* what) {
    Catalogue& cat = library_.catalogue();
    bool device_read = false;
    auto r = reconcile(library_, db, device_read);
    // Online once the database matches the device (even if recording it failed: the device is
    // fine, and the database's trouble is reported by every call that needs it); by then the
    // jobs that a stop interrupted are over, and their records say what is in the port.
    if (device_read) {
        end_interrupted(db, true);
        cat.set_state(LibraryState::Online);
    }
    if (r)
        return;
    const Status& e = r.error();
    log(LOG_ERR, fmt::format("Library {}: {} failed: {}", library_.name(), what, e.message));
    if (e.code == win32::DatabaseFailure || e.code == win32::DatabaseFull ||
        e.code == win32::NotEnoughMemory)
        return;
    if (cat.state() == LibraryState::Offline || cat.state() == LibraryState::Removed)
        return; // reconciliation already said why: the device stopped answering
    cat.set_state(LibraryState::Offline,
                  e.code == win32::DeviceDoorOpen
                      ? e.message
                      : "the device does not work as a medium changer: " + e.message);
}

void Worker::end_interrupted(Store& db, bool device_read) {
    for (auto& job : interrupted_) {
        // Reconciliation may have completed the job's last move: its row has the count.
        if (auto fresh = db.get_job(job->id()); fresh && *fresh)
            job->record() = std::move(**fresh);
        std::string account;
        if (auto operation = operations_(job->record())) {
            JobContext ctx(*job, ledger_, library_.queue(), library_, db);
            try {
                account = operation->account_interrupted(ctx, device_read);
            } catch (const std::exception& e) {
                account = fmt::format("what it left is unknown: {}", e.what());
            }
        }
        ledger_.end(std::move(job), JobLedger::interrupted(account));
    }
    interrupted_.clear();
}

Outcome Worker::run_job(Store& db, Job& job) {
    Catalogue& cat = library_.catalogue();
    DeviceSession& device = library_.device();
    // An offline library tries its device again before it gives up on the job.
    if (cat.state() == LibraryState::Offline)
        recover(db);
    const LibrarySnapshot snap = cat.snapshot();
    if (!snap.online() || !device.changer())
        return Outcome::failed(
            fail(win32::LibraryOffline,
                 fmt::format("library {} is offline: {}", snap.name, snap.offline_reason)));
    auto operation = operations_(job.record());
    if (!operation)
        return Outcome::failed(
            fail(win32::NotSupported,
                 fmt::format("ntmsd has no {} operation", operation_name(job.record().operation))));
    JobContext ctx(job, ledger_, library_.queue(), library_, db);
    try {
        return operation->run(ctx);
    } catch (const std::bad_alloc&) {
        return Outcome::failed(fail(win32::NotEnoughMemory, "out of memory"));
    } catch (const std::exception& e) {
        // Operations report errors as values; this is a defect, but the job still ends.
        return Outcome::failed(
            fail(win32::InvalidState, fmt::format("internal error: {}", e.what())));
    }
}

bool Worker::recover(Store& db) {
    Catalogue& cat = library_.catalogue();
    DeviceSession& device = library_.device();
    const std::string node = cat.snapshot().device;
    if (auto opened = device.reopen(node); !opened) {
        cat.set_state(LibraryState::Offline, opened.error().message);
        return false;
    }
    // Whatever answers there now must be this library's changer: a library is its identity.
    const std::string& expected = library_.identity();
    if (auto id = device.changer()->identify(); !id) {
        cat.set_state(LibraryState::Offline, id.error().message);
        return false;
    } else if (const std::string key = id->stable_key();
               !key.empty() && expected.rfind("name:", 0) != 0 && key != expected) {
        device.drop();
        cat.set_state(LibraryState::Offline,
                      fmt::format("{} now answers as another changer ({} {}{}); waiting for this "
                                  "library's changer",
                                  node, id->vendor, id->product,
                                  id->serial.empty() ? "" : " serial " + id->serial));
        return false;
    }
    cat.set_state(LibraryState::Reading);
    settle(db, "reconciliation");
    return cat.state() == LibraryState::Online;
}

void Worker::plan_retry() {
    Catalogue& cat = library_.catalogue();
    if (cat.state() != LibraryState::Offline) {
        if (retry_at_ || backoff_.count() > 0) {
            retry_at_.reset();
            backoff_ = std::chrono::milliseconds(0);
            cat.set_retry(std::nullopt);
        }
        return;
    }
    if (retry_at_)
        return;
    backoff_ = backoff_.count() == 0 ? retry_first : std::min(backoff_ * 2, retry_cap);
    std::uniform_int_distribution<int64_t> fifth(0, backoff_.count() / 5);
    const auto delay = backoff_ - std::chrono::milliseconds(fifth(jitter_));
    retry_at_ = Clock::now() + delay;
    cat.set_retry(now_usec() +
                  std::chrono::duration_cast<std::chrono::microseconds>(delay).count());
}

void Worker::run(std::vector<JobPtr> queued) {
    auto opened = Store::open(db_path_);
    if (!opened) {
        log(LOG_ERR, fmt::format("Library {}: cannot open the database: {}", library_.name(),
                                 opened.error().message));
        library_.catalogue().set_state(LibraryState::Offline, opened.error().message);
        return;
    }
    Store& db = **opened;
    DeviceSession& device = library_.device();
    JobQueue& queue = library_.queue();

    // In the queue at once, so that a Cancel during the first read finds them; they run after it.
    for (auto& j : queued)
        queue.push(std::move(j));
    if (device.changer())
        settle(db, "start-up reconciliation");
    end_interrupted(db, false); // those the device could not be read for

    for (;;) {
        plan_retry();
        JobPtr job = queue.next([&] { return device.pending(); }, retry_at_);
        if (!job) {
            if (queue.stopping())
                return; // queued jobs stay QUEUED in the database and run after a restart
            if (device.release_if_removed())
                continue;
            if (device.take_arrival()) {
                settle(db, "reconciliation"); // cartridges may have moved while it was away
                continue;
            }
            if (retry_at_ && Clock::now() >= *retry_at_) {
                retry_at_.reset(); // the next plan_retry() waits longer if this one fails
                log(LOG_INFO, fmt::format("Library {}: trying its device {} again", library_.name(),
                                          library_.catalogue().snapshot().device));
                recover(db);
            }
            continue;
        }
        Outcome how = run_job(db, *job);
        queue.finish(std::move(job), std::move(how));
    }
}

} // namespace ntms
