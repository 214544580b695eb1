#include "event_queue.hpp"

#include "daemon/journal.hpp"

#include <cerrno>
#include <sys/eventfd.h>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace ntms::dbus {

namespace {
thread_local int holds = 0;
thread_local EventQueue* held = nullptr; // pushed to under a Hold, not signalled yet
} // namespace

EventQueue::Hold::Hold() noexcept {
    ++holds;
}

EventQueue::Hold::~Hold() {
    if (--holds == 0 && held)
        std::exchange(held, nullptr)->signal();
}

void EventQueue::signal() noexcept {
    const uint64_t one = 1;
    (void)!write(fd_, &one, sizeof one); // EAGAIN only when the counter is already huge: awake
}

EventQueue::EventQueue() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (fd_ < 0)
        throw std::system_error(errno, std::generic_category(), "eventfd");
}

EventQueue::~EventQueue() {
    close(fd_);
}

std::vector<Event> EventQueue::take() {
    uint64_t counter = 0;
    (void)!read(fd_, &counter, sizeof counter); // EAGAIN: nothing was signalled, which is fine
    std::lock_guard lock(mutex_);
    return std::exchange(events_, {});
}

template <typename T, typename Arg> void EventQueue::push(const Arg& arg) noexcept {
    try {
        std::lock_guard lock(mutex_);
        events_.emplace_back(T{arg});
    } catch (...) {
        // Only allocation can fail here, and the worker must go on: the object on the bus stays
        // stale until the next event about it (GetJob and the database are still right).
        try {
            log(LOG_ERR, "D-Bus event dropped: out of memory");
        } catch (...) {
        }
    }
    if (holds > 0) {
        if (held && held != this)
            held->signal(); // another queue: not worth a list
        held = this;
        return;
    }
    signal();
}

void EventQueue::job_added(const JobRecord& job) {
    push<JobAdded>(job);
}
void EventQueue::job_changed(const JobRecord& job) {
    push<JobChanged>(job);
}
void EventQueue::library_changed(const Guid& library) {
    push<LibraryChanged>(library);
}
void EventQueue::library_added(const Guid& library) {
    push<LibraryAdded>(library);
}
void EventQueue::oprequest_changed(const OpRequestRecord& request) {
    push<OpRequestChanged>(request);
}
void EventQueue::post(std::function<void()> task) {
    push<BusTask>(task);
}

} // namespace ntms::dbus
