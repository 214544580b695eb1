// Who sent the message being handled, from the bus's own record of the sender's credentials
// (org.freedesktop.DBus.GetConnectionCredentials: UnixUserID and UnixGroupIDs, which dbus-daemon
// takes from the socket when the client connects), never from /proc.
//
// sdbus-c++ 1.2.0 hands property getters no message, so the sender is learnt from a match on
// every incoming method call: sd-bus runs matches before it dispatches the call to an object, on
// the same (bus) thread. Credentials are cached per unique name, which a bus never reuses.
#pragma once

#include "daemon/access.hpp"

#include <memory>
#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/IProxy.h>
#include <sdbus-c++/Types.h>
#include <string>
#include <unordered_map>

namespace ntms::dbus {

class CallerIdentity {
public:
    explicit CallerIdentity(sdbus::IConnection& connection);
    CallerIdentity(const CallerIdentity&) = delete;
    CallerIdentity& operator=(const CallerIdentity&) = delete;

    // The caller of the message being handled; root while the daemon itself builds a signal
    // (InterfacesAdded, PropertiesChanged read the getters). Throws
    // org.ntms.Ntms1.Error.AccessDenied when the caller cannot be identified.
    Caller current();
    // Called by the loop after each processed message.
    void message_done() { sender_.clear(); }

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
    Caller lookup(const std::string& sender);

    std::unique_ptr<sdbus::IProxy> bus_; // org.freedesktop.DBus on the same connection
    sdbus::Slot match_;
    std::string sender_;
    int internal_ = 0;
    std::unordered_map<std::string, Caller> cache_;
};

} // namespace ntms::dbus
