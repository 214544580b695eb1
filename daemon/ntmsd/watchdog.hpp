// The service watchdog's feeder: a thread of its own that does nothing but look at flags, so that
// no SCSI command and no database transaction (64 libraries reading their element status at
// start-up, say) ever delays it. It feeds at half the period systemd asked for, while healthy()
// holds; once it does not, it says so once and stops feeding, and systemd restarts the service.
#pragma once

#include "daemon/journal.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <systemd/sd-daemon.h>
#include <thread>

namespace ntms {

class WatchdogFeeder {
public:
    explicit WatchdogFeeder(std::function<bool()> healthy) : healthy_(std::move(healthy)) {
        uint64_t usec = 0;
        if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
            return;
        const std::chrono::microseconds half(usec / 2);
        thread_ = std::thread([this, half] { run(half); });
    }
    ~WatchdogFeeder() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable())
            thread_.join();
    }
    WatchdogFeeder(const WatchdogFeeder&) = delete;
    WatchdogFeeder& operator=(const WatchdogFeeder&) = delete;

private:
    void run(std::chrono::microseconds half) {
        bool reported = false;
        std::unique_lock lock(mutex_);
        for (;;) {
            sd_notify(0, "WATCHDOG=1"); // healthy at the start: nothing has run yet
            if (wake_.wait_for(lock, half, [&] { return stopping_; }))
                return;
            while (!healthy_()) {
                if (!reported) {
                    reported = true;
                    log(LOG_CRIT, "a library worker or the bus has stopped; no longer feeding "
                                  "the watchdog");
                }
                if (wake_.wait_for(lock, half, [&] { return stopping_; }))
                    return;
            }
        }
    }

    std::function<bool()> healthy_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace ntms
