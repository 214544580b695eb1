#include "submitter.hpp"

#include "daemon/journal.hpp"

#include <exception>
#include <string>
#include <utility>

namespace ntms::dbus {

Submitter::Submitter(size_t limit) : limit_(limit) {}

Submitter::~Submitter() {
    stop();
}

bool Submitter::submit(std::function<void()>& task) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || tasks_.size() >= limit_)
            return false;
        if (!thread_.joinable())
            thread_ = std::thread([this] { run(); });
        tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
    return true;
}

void Submitter::stop() {
    std::deque<std::function<void()>> dropped;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        dropped.swap(tasks_);
    }
    wake_.notify_one();
    dropped.clear(); // before the wait for the running task: what they hold is let go now
    if (thread_.joinable())
        thread_.join();
}

void Submitter::run() {
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
            if (stopping_)
                return;
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        try {
            task(); // answer_with_job's tasks catch what they throw themselves
        } catch (const std::exception& e) {
            log(LOG_ERR, std::string("D-Bus: a job submission failed: ") + e.what());
        } catch (...) {
            log(LOG_ERR, "D-Bus: a job submission failed");
        }
    }
}

} // namespace ntms::dbus
