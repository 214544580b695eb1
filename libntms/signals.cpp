#include "signals.hpp"

#include <cerrno>
#include <climits>
#include <cstdint>
#include <poll.h>
#include <sys/eventfd.h>
#include <system_error>
#include <unistd.h>

namespace ntms::lib {

namespace {

std::string signals_of_ntmsd() { return std::string("type='signal',sender='") + service + "'"; }

} // namespace

Deadline::Deadline(DWORD ms)
    : infinite_(ms == INFINITE), at_(Clock::now() + std::chrono::milliseconds(ms)) {}

bool Deadline::passed() const { return !infinite_ && Clock::now() >= at_; }

int Deadline::poll_timeout() const {
    if (infinite_)
        return -1;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(at_ - Clock::now()).count();
    if (left <= 0)
        return 0;
    return left > INT_MAX ? INT_MAX : static_cast<int>(left);
}

Wakeup::Wakeup(Session& s) : session_(s), fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (fd_ < 0)
        throw std::system_error(errno, std::generic_category(), "eventfd");
    session_.enlist(this);
}

Wakeup::~Wakeup() {
    session_.dismiss(this);
    ::close(fd_);
}

void Wakeup::kick() noexcept {
    const uint64_t one = 1;
    // Only fails when the counter is full, and then a wake-up is pending anyway.
    [[maybe_unused]] const auto n = write(fd_, &one, sizeof one);
}

void Wakeup::sleep(const sdbus::IConnection::PollData& bus, const Deadline& deadline) noexcept {
    // sd-bus's own time-out (bus.timeout_usec) concerns pending asynchronous calls and
    // authentication; libntms makes no asynchronous call, so only the caller's deadline counts.
    pollfd fds[2] = {{bus.fd, bus.events, 0}, {fd_, POLLIN, 0}};
    if (poll(fds, 2, deadline.poll_timeout()) > 0 && (fds[1].revents & POLLIN) != 0) {
        uint64_t n = 0;
        [[maybe_unused]] const auto r = read(fd_, &n, sizeof n);
    }
    // EINTR and the rest: the caller looks again and sleeps again if nothing changed.
}

Subscription::Subscription(Session& s, Wakeup& w) : session_(s), wakeup_(w) {
    add(std::string("type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                    "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='") +
            service + "'",
        [this](sdbus::Message& m) {
            std::string name, old_owner, new_owner;
            m >> name >> old_owner >> new_owner;
            if (new_owner.empty())
                daemon_left_ = true;
        });
}

void Subscription::add(const std::string& rule, std::function<void(sdbus::Message&)> handler) {
    slots_.push_back(
        session_.add_match(rule, [this, handler = std::move(handler)](sdbus::Message& m) {
            // Called from sd-bus's C code: nothing may be thrown through it.
            try {
                handler(m);
            } catch (...) {
                // A malformed signal: the wait goes on, and its deadline still holds.
            }
            wakeup_.kick();
        }));
}

std::string object_rule(const std::string& path) {
    return signals_of_ntmsd() + ",path='" + path + "'";
}

std::string subtree_rule(const std::string& path) {
    return signals_of_ntmsd() + ",path_namespace='" + path + "'";
}

std::string root_rule(const std::string& interface, const std::string& arg0path) {
    std::string rule = signals_of_ntmsd() + ",path='" + root_path + "',interface='" + interface + "'";
    if (!arg0path.empty())
        rule += ",arg0path='" + arg0path + "'";
    return rule;
}

} // namespace ntms::lib
