#include "daemon/library/worker.hpp"

#include "daemon/jobs/ledger.hpp"
#include "daemon/journal.hpp"
#include "daemon/library/library.hpp"
#include "daemon/library/reconcile.hpp"
#include "daemon/operations/door.hpp"
#include "daemon/scsi_status.hpp"
#include "daemon/store/store.hpp"

#include <algorithm>
#include <exception>
#include <fmt/format.h>
#include <new>
#include <semaphore>

namespace ntms {

namespace {

std::counting_semaphore<Worker::parallel_first_reads> first_reads(Worker::parallel_first_reads);

} // namespace

void Worker::start(std::vector<JobPtr> queued, std::vector<JobPtr> interrupted) {
    interrupted_ = std::move(interrupted);
    alive_ = true;
    thread_ = std::thread([this, q = std::move(queued)]() mutable {
        // A worker never ends silently: what stopped it is in the journal and in the library's
        // state, and the watchdog is no longer fed (workers_alive()).
        try {
            run(std::move(q));
        } catch (const std::exception& e) {
            log(LOG_CRIT,
                fmt::format("Library {}: its worker stopped: {}", library_.name(), e.what()));
            library_.catalogue().set_state(LibraryState::Offline,
                                           fmt::format("its worker stopped: {}", e.what()));
        } catch (...) {
            log(LOG_CRIT, fmt::format("Library {}: its worker stopped", library_.name()));
            library_.catalogue().set_state(LibraryState::Offline, "its worker stopped");
        }
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
        cat.set_door(detect_door(library_));
        end_interrupted(db, true);
        cat.set_state(LibraryState::Online);
    }
    // What it may have forgotten before or during this read is in the database now.
    if (sgio::Changer* ch = library_.device().changer())
        (void)ch->take_reset();
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
    if (auto opened = device.reopen(cat.snapshot().device); !opened) {
        cat.set_state(LibraryState::Offline, opened.error().message);
        return false;
    }
    if (!same_changer())
        return false;
    cat.set_state(LibraryState::Reading);
    settle(db, "reconciliation");
    return cat.state() == LibraryState::Online;
}

bool Worker::same_changer() {
    Catalogue& cat = library_.catalogue();
    DeviceSession& device = library_.device();
    const LibrarySnapshot snap = cat.snapshot();
    auto id = device.changer()->identify();
    if (!id) {
        cat.set_state(LibraryState::Offline, id.error().message);
        return false;
    }
    // A library is its identity: the key its GUID was made for and, once read, its serial
    // number (some changers derive their designator from where they are attached, not from
    // what they are).
    const std::string& expected = library_.identity();
    const std::string key = id->stable_key();
    const bool other_key = !key.empty() && expected.rfind("name:", 0) != 0 && key != expected;
    const bool other_serial =
        !snap.serial.empty() && !id->serial.empty() && id->serial != snap.serial;
    if (!other_key && !other_serial)
        return true;
    device.drop();
    cat.set_state(LibraryState::Offline,
                  fmt::format("{} now answers as another changer ({} {}{}); waiting for this "
                              "library's changer{}",
                              snap.device, id->vendor, id->product,
                              id->serial.empty() ? "" : " serial " + id->serial,
                              snap.serial.empty() ? "" : " (serial " + snap.serial + ")"));
    return false;
}

void Worker::reread(Store& db) {
    log(LOG_NOTICE, fmt::format("Library {}: its device was reset or connected to again; reading "
                                "its element status again",
                                library_.name()));
    if (!same_changer())
        return;
    settle(db, "reconciliation");
}

void Worker::check(Store& db) {
    sgio::Changer* ch = library_.device().changer();
    if (ch == nullptr || library_.device().removed())
        return;
    auto t = ch->test_unit_ready();
    if (!t) {
        if (is_offline_error(t.error())) {
            library_.catalogue().set_state(LibraryState::Offline, t.error().message);
            return;
        }
        // Not ready, a door open: the device answers, and the next job says what it means to it.
        log(LOG_WARNING, fmt::format("Library {}: its device answers TEST UNIT READY with: {}",
                                     library_.name(), t.error().message));
        return;
    }
    // The operator at the port while no job runs (a 28h/01h seen by the command above says so
    // too; the look below covers it either way).
    (void)ch->take_ie_accessed();
    if (auto w = watcher_.look(db); !w)
        log(LOG_WARNING, fmt::format("Library {}: watching its ports failed: {}", library_.name(),
                                     w.error().message));
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
    const LibraryConfig& cfg = library_.config();
    const std::chrono::milliseconds first(cfg.retry_first_ms);
    const auto cap =
        std::max<std::chrono::milliseconds>(first, std::chrono::seconds(cfg.retry_max_sec));
    backoff_ = backoff_.count() == 0 ? first : std::min(backoff_ * 2, cap);
    std::uniform_int_distribution<int64_t> fifth(0, backoff_.count() / 5);
    const auto delay = backoff_ - std::chrono::milliseconds(fifth(jitter_));
    retry_at_ = Clock::now() + delay;
    cat.set_retry(now_usec() +
                  std::chrono::duration_cast<std::chrono::microseconds>(delay).count());
}

void Worker::plan_check() {
    const uint32_t every = library_.config().check_interval_sec;
    if (every == 0 || library_.catalogue().state() != LibraryState::Online ||
        !library_.device().changer()) {
        check_at_.reset();
        return;
    }
    if (!check_at_)
        check_at_ = Clock::now() + std::chrono::seconds(every);
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
    Catalogue& cat = library_.catalogue();

    // A job its operation resumes takes its place among the queued ones, oldest first.
    for (auto it = interrupted_.begin(); it != interrupted_.end();) {
        auto operation = operations_((*it)->record());
        if (operation && operation->resumes((*it)->record())) {
            queued.push_back(std::move(*it));
            it = interrupted_.erase(it);
        } else {
            ++it;
        }
    }
    std::stable_sort(queued.begin(), queued.end(), [](const JobPtr& a, const JobPtr& b) {
        return a->record().time_queued < b->record().time_queued;
    });
    // In the queue at once, so that a Cancel during the first read finds them; they run after it.
    for (auto& j : queued)
        queue.push(std::move(j));
    if (device.changer()) {
        bool turn = false;
        while (!queue.stopping() &&
               !(turn = first_reads.try_acquire_for(std::chrono::milliseconds(100)))) {
        }
        if (turn) {
            struct Release {
                ~Release() { first_reads.release(); }
            } release;
            settle(db, "start-up reconciliation");
        }
    }
    end_interrupted(db, false); // those the device could not be read for

    for (;;) {
        if (queue.stopping())
            return; // queued jobs stay QUEUED in the database and run after a restart
        // Only this thread sends commands, so a reset seen by one is noticed here before the
        // next job relies on what was read.
        if (sgio::Changer* ch = device.changer();
            ch && cat.state() == LibraryState::Online && ch->take_reset()) {
            reread(db);
            continue;
        }
        plan_retry();
        plan_check();
        std::optional<Clock::time_point> wake = retry_at_;
        if (check_at_ && (!wake || *check_at_ < *wake))
            wake = check_at_;
        // An offline library's jobs wait for it (a Cancel still ends them at once).
        const bool hold = cat.state() == LibraryState::Offline;
        JobPtr job = queue.next([&] { return device.pending(); }, wake, hold);
        if (!job) {
            if (queue.stopping())
                return;
            if (device.release_if_removed())
                continue;
            if (device.take_arrival()) {
                settle(db, "reconciliation"); // cartridges may have moved while it was away
                continue;
            }
            const auto now = Clock::now();
            if (retry_at_ && now >= *retry_at_) {
                retry_at_.reset(); // the next plan_retry() waits longer if this one fails
                log(LOG_INFO, fmt::format("Library {}: trying its device {} again", library_.name(),
                                          cat.snapshot().device));
                recover(db);
            } else if (check_at_ && now >= *check_at_) {
                check_at_.reset();
                check(db);
            }
            continue;
        }
        Outcome how = run_job(db, *job);
        if (how.state == JobState::Waiting) {
            queue.park(std::move(job), how.retry_at);
            continue;
        }
        queue.finish(std::move(job), std::move(how));
        // What it freed (a drive) may be what a waiting job needs.
        queue.wake_waiting();
        check_at_.reset(); // the job has just talked to the device
    }
}

} // namespace ntms
