// Waiting by following ntmsd's signals instead of asking it over and over.
//
// Who runs the signal handlers: the threads that call libntms, never a thread of sdbus-c++'s own
// (enterEventLoopAsync). A session is shared by the caller's threads and its sd-bus connection
// is not thread-safe; with a loop thread reading the socket, every method call would have to be
// handed over to it, and one more thread would run per session for the rare caller that waits.
// Instead every holder of the session's mutex runs the handlers of what the connection has read
// before letting go (Session::Hold), and a waiting thread sleeps in poll(2) on the connection's
// socket and on an eventfd of its own, without the mutex, so that other threads keep using the
// session. A handler only records what it saw and kicks the waiter's eventfd: whichever thread
// read the signal, the one waiting for it wakes. Over ssh the socket is one end of the pipe to
// systemd-stdio-bridge, and match rules and signals travel over it like any call.
//
// The lost wake-up: a waiter adds its match rules (a round trip: the bus has them when
// add_match returns) before it reads the state it waits on, so any change after that read
// reaches it as a signal.
#pragma once

#include "session.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace ntms::lib {

// A time-out as RSM counts it: milliseconds from now, INFINITE for none.
class Deadline {
public:
    explicit Deadline(DWORD ms);
    bool passed() const;
    // For poll(2): -1 for none, else the milliseconds left, rounded up.
    int poll_timeout() const;

private:
    using Clock = std::chrono::steady_clock;
    bool infinite_;
    Clock::time_point at_;
};

// What a waiting thread sleeps on next to the bus socket: an eventfd. Enlisted with its session,
// so that closing the session wakes it. Throws std::system_error when no eventfd can be had.
class Wakeup {
public:
    explicit Wakeup(Session& s);
    ~Wakeup();
    Wakeup(const Wakeup&) = delete;
    Wakeup& operator=(const Wakeup&) = delete;

    void kick() noexcept;
    // Without the session's mutex: returns when the bus has something to read, kick() was
    // called (since the last sleep), a signal arrived for this thread, or the deadline passed.
    void sleep(const sdbus::IConnection::PollData& bus, const Deadline& deadline) noexcept;

private:
    Session& session_;
    int fd_;
};

// A waiter's match rules. Made and destroyed under the session's mutex: adding and removing a
// rule talks to the bus. Every handler runs under that mutex too, and kicks the wake-up.
class Subscription {
public:
    // Always subscribes to ntmsd leaving the bus.
    Subscription(Session& s, Wakeup& w);
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

    void add(const std::string& rule, std::function<void(sdbus::Message&)> handler);
    // ntmsd left the bus since the last clear_daemon_left().
    bool daemon_left() const { return daemon_left_; }
    void clear_daemon_left() { daemon_left_ = false; }

private:
    Session& session_;
    Wakeup& wakeup_;
    bool daemon_left_ = false;
    std::vector<sdbus::Slot> slots_;
};

// The signals ntmsd emits on one object (PropertiesChanged, Job.Completed).
std::string object_rule(const std::string& path);
// Every signal ntmsd emits on the objects under a path (jobs, requests).
std::string subtree_rule(const std::string& path);
// Signals of one interface on ntmsd's root object; arg0path, when given, narrows them to the
// objects under it (ObjectManager's InterfacesAdded and InterfacesRemoved).
std::string root_rule(const std::string& interface, const std::string& arg0path = {});

} // namespace ntms::lib
