// The thread that makes the jobs the bus asks for. InjectMedia and EjectMedia are answered once
// their job is durably queued, and that commit waits for an fsync: it runs here, so that the bus
// thread goes on answering other callers (property reads, lookups) meanwhile, and the reply is
// then handed back to the bus thread. One thread, first come first served: the jobs of calls
// sent one after the other are queued in that order. The number of calls waiting is bounded.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace ntms::dbus {

class Submitter {
public:
    static constexpr size_t default_limit = 256;

    explicit Submitter(size_t limit = default_limit);
    ~Submitter();
    Submitter(const Submitter&) = delete;
    Submitter& operator=(const Submitter&) = delete;

    // Queues task for the submitter's thread (started on first use). False, with task
    // untouched, when `limit` tasks are waiting already or the submitter is stopped.
    bool submit(std::function<void()>& task);
    // Lets the running task finish, drops those still waiting (destroyed here) and joins.
    void stop();

private:
    void run();

    const size_t limit_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace ntms::dbus
