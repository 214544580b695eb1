#include "caller_identity.hpp"

#include "daemon/status.hpp"
#include "dbus/errors.hpp"

#include <chrono>
#include <fmt/format.h>
#include <limits>
#include <map>

namespace ntms::dbus {

namespace {

// Unique names are never reused, so entries only cost memory; a bound keeps it small.
constexpr size_t cache_limit = 4096;
constexpr auto credentials_timeout = std::chrono::seconds(5);

} // namespace

CallerIdentity::CallerIdentity(sdbus::IConnection& connection)
    : bus_(sdbus::createProxy(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus")) {
    match_ = connection.addMatch("type='method_call'", [this](sdbus::Message& m) {
        // Runs inside sd-bus's C code: nothing may escape.
        try {
            sender_ = m.getSender();
        } catch (...) {
            sender_.clear(); // unidentified: every right-checked call is refused
        }
    });
}

Caller CallerIdentity::current() {
    if (internal_ > 0)
        return Caller{0, 0, {}, "ntmsd"};
    if (sender_.empty())
        throw make_error(win32::AccessDenied, "the caller's credentials are not known");
    if (auto it = cache_.find(sender_); it != cache_.end())
        return it->second;
    Caller c = lookup(sender_);
    if (cache_.size() >= cache_limit)
        cache_.clear();
    cache_.emplace(sender_, c);
    return c;
}

Caller CallerIdentity::lookup(const std::string& sender) {
    std::map<std::string, sdbus::Variant> creds;
    try {
        bus_->callMethod("GetConnectionCredentials")
            .onInterface("org.freedesktop.DBus")
            .withTimeout(credentials_timeout)
            .withArguments(sender)
            .storeResultsTo(creds);
    } catch (const sdbus::Error& e) {
        throw make_error(win32::AccessDenied, fmt::format("the credentials of {} are not known: {}",
                                                          sender, e.getMessage()));
    }
    Caller c;
    const auto uid = creds.find("UnixUserID");
    if (uid == creds.end() || !uid->second.containsValueOfType<uint32_t>())
        throw make_error(win32::AccessDenied,
                         fmt::format("the bus does not know the uid of {}", sender));
    c.uid = uid->second.get<uint32_t>();
    // Primary and supplementary groups together. A bus that does not report them leaves the caller
    // with the rights of its uid alone (root or nothing): reading /proc instead would race with
    // the process exiting and its pid being reused.
    c.gid = std::numeric_limits<uint32_t>::max();
    if (const auto g = creds.find("UnixGroupIDs");
        g != creds.end() && g->second.containsValueOfType<std::vector<uint32_t>>())
        c.groups = g->second.get<std::vector<uint32_t>>();
    c.name = fmt::format("uid {} ({})", c.uid, sender);
    return c;
}

} // namespace ntms::dbus
