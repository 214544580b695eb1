// polkit, the authority asked for a right that no group of ntmsd.conf gives a caller: the actions
// org.ntms.ntms1.use, .modify and .control (systemd/org.ntms.ntms1.policy), checked through
// org.freedesktop.PolicyKit1.Authority.CheckAuthorization with the caller's unique bus name as the
// subject, so that polkitd itself asks the bus who the caller is.
//
// The check runs on the bus thread, inside the method that needs the right, so it is bounded:
// the calls go over a connection of their own (opened on first use, so that messages for ntmsd
// wait untouched in its own connection), as blocking sd-bus calls with a timeout; the calls of one
// decision share one budget; and once polkit has let a budget run out it is not asked again for a
// while. No user interaction is asked for: an authentication dialog would hold the bus thread for
// as long as a human takes, so a "challenge" answer counts as a refusal.
#pragma once

#include "daemon/access.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/IProxy.h>
#include <string>

namespace ntms::dbus {

// "org.ntms.ntms1.use", "org.ntms.ntms1.modify", "org.ntms.ntms1.control", and for the whole
// database "org.ntms.ntms1.backup".
const char* polkit_action(Right r);

class Polkit {
public:
    using Connect = std::function<std::unique_ptr<sdbus::IConnection>()>;
    using Details = std::map<std::string, std::string>; // action.lookup(key) in polkit rules

    struct Verdict {
        bool granted = false;
        std::string reason; // for a refusal: what polkit said, naming polkit
    };

    static constexpr std::chrono::milliseconds default_budget{3000};
    static constexpr std::chrono::seconds default_quiet{30};

    // connect opens a connection to the bus the callers are on (the system bus for ntmsd).
    explicit Polkit(Connect connect, std::chrono::milliseconds budget = default_budget,
                    std::chrono::milliseconds quiet = default_quiet);
    Polkit(const Polkit&) = delete;
    Polkit& operator=(const Polkit&) = delete;
    ~Polkit();

    // Whether polkit authorizes the holder of bus_name for the right, or for a right implying it:
    // USE is granted by any of use, modify and control; MODIFY by modify or control. Any failure
    // to get an answer is a refusal whose reason says so; never throws. Any thread.
    Verdict check(const std::string& bus_name, Right r, const Details& details);

private:
    enum class Answer { Yes, No, Challenge };
    Answer ask(const std::string& bus_name, const char* action, const Details& details,
               std::chrono::microseconds timeout);
    void disconnect();

    Connect connect_;
    const std::chrono::milliseconds budget_, quiet_;
    std::mutex mutex_; // one check at a time: an sd-bus connection is not thread-safe
    std::unique_ptr<sdbus::IConnection> connection_;
    std::unique_ptr<sdbus::IProxy> authority_;
    std::chrono::steady_clock::time_point quiet_until_{};
};

} // namespace ntms::dbus
