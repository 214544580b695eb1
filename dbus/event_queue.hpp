// The domain's events on their way to the bus thread. EventSink calls come from library workers
// (and, synchronously, from Manager calls made on the bus thread itself): each is copied into a
// queue under a mutex and an eventfd is signalled. The bus thread polls the eventfd, takes the
// queue and turns the events into objects, PropertiesChanged and signals. Nothing here blocks a
// worker for longer than a push.
#pragma once

#include "daemon/events.hpp"

#include <functional>
#include <mutex>
#include <variant>
#include <vector>

namespace ntms::dbus {

struct JobAdded {
    JobRecord job;
};
struct JobChanged {
    JobRecord job;
};
struct LibraryChanged {
    Guid library;
};
struct LibraryAdded {
    Guid library;
};
struct OpRequestChanged {
    OpRequestRecord request;
};
// Work another thread hands to the bus thread: the reply to a method answered off it.
struct BusTask {
    std::function<void()> run;
};
using Event =
    std::variant<JobAdded, JobChanged, LibraryChanged, LibraryAdded, OpRequestChanged, BusTask>;

class EventQueue final : public EventSink {
public:
    EventQueue(); // throws std::system_error when no eventfd can be made
    ~EventQueue() override;
    EventQueue(const EventQueue&) = delete;
    EventQueue& operator=(const EventQueue&) = delete;

    // Readable while events are waiting.
    int fd() const { return fd_; }
    // Every waiting event, oldest first; clears the descriptor first so that an event pushed
    // while we take is signalled again rather than lost.
    std::vector<Event> take();

    void job_added(const JobRecord& job) override;
    void job_changed(const JobRecord& job) override;
    void library_changed(const Guid& library) override;
    void library_added(const Guid& library) override;
    void oprequest_changed(const OpRequestRecord& request) override;
    // task runs on the bus thread, among the events.
    void post(std::function<void()> task);

    // While one lives on a thread, what that thread pushes wakes the bus thread once, when the
    // last Hold on the thread ends: a job queued for a method and the method's reply are
    // applied in one round of the bus thread, not two.
    class Hold {
    public:
        Hold() noexcept;
        ~Hold();
        Hold(const Hold&) = delete;
        Hold& operator=(const Hold&) = delete;
    };

private:
    void signal() noexcept;
    template <typename T, typename Arg> void push(const Arg& arg) noexcept;

    int fd_ = -1;
    std::mutex mutex_;
    std::vector<Event> events_;
};

} // namespace ntms::dbus
