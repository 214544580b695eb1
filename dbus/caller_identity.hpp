// Who sent the message being handled, from the bus's own record of the sender's credentials
// (org.freedesktop.DBus.GetConnectionCredentials: UnixUserID and UnixGroupIDs, which dbus-daemon
// takes from the socket when the client connects), never from /proc.
//
// sdbus-c++ 1.2.0 hands property getters no message, so the sender is learnt from a match on
// every incoming method call: sd-bus runs matches before it dispatches the call to an object, on
// the same (bus) thread. Credentials are cached per unique name, which a bus never reuses.
//
// The Caller handed out carries polkit as its authority, for the rights no configured group
// gives it (see dbus/polkit.hpp); polkit's reason for a refusal is kept until the message is done.
#pragma once

#include "daemon/access.hpp"
#include "dbus/polkit.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/IProxy.h>
#include <sdbus-c++/Types.h>
#include <string>
#include <unordered_map>

namespace ntms::dbus {

class CallerIdentity {
public:
    // polkit: null asks the polkit of the system bus.
    explicit CallerIdentity(sdbus::IConnection& connection,
                            std::shared_ptr<Polkit> polkit = nullptr);
    CallerIdentity(const CallerIdentity&) = delete;
    CallerIdentity& operator=(const CallerIdentity&) = delete;

    // The caller of the message being handled; root while the daemon itself builds a signal
    // (InterfacesAdded, PropertiesChanged read the getters). Throws
    // org.ntms.Ntms1.Error.AccessDenied when the caller cannot be identified. details: what
    // polkit rules see of the object acted on (action.lookup("library")).
    Caller current(const Polkit::Details& details = {});
    // Why polkit refused a right to the caller of the message being handled; empty when it was
    // not asked or granted it.
    std::string refusal() const;
    // The same, readable later and from any thread: polkit may be asked after this message is
    // done, by the thread that makes its job (dbus/submitter.hpp).
    std::function<std::string()> refusal_reader();
    // Called by the loop after each processed message.
    void message_done();

    // While one of these lives, current() is the daemon itself.
    class Internal {
    public:
        explicit Internal(CallerIdentity& c) : c_(c) { ++c_.internal_; }
        ~Internal() { --c_.internal_; }
        Internal(const Internal&) = delete;
        Internal& operator=(const Internal&) = delete;

    private:
        CallerIdentity& c_;
    };

private:
    class Ask;
    // Shared by the authorities handed out for one message (a Caller may outlive it).
    struct Refusal {
        std::mutex mutex;
        std::string reason;
    };

    Caller lookup(const std::string& sender);

    std::unique_ptr<sdbus::IProxy> bus_; // org.freedesktop.DBus on the same connection
    std::shared_ptr<Polkit> polkit_;
    sdbus::Slot match_;
    std::string sender_;
    std::shared_ptr<Refusal> refusal_;
    int internal_ = 0;
    std::unordered_map<std::string, Caller> cache_;
};

} // namespace ntms::dbus
