#include "caller_identity.hpp"

#include "daemon/status.hpp"
#include "dbus/errors.hpp"

#include <chrono>
#include <fmt/format.h>
#include <limits>
#include <map>
#include <mutex>

namespace ntms::dbus {

namespace {

// Unique names are never reused, so entries only cost memory; a bound keeps it small.
constexpr size_t cache_limit = 4096;
constexpr auto credentials_timeout = std::chrono::seconds(5);

} // namespace

// polkit's answers for one caller and one object, asked once per right: the manager may check the
// same right twice in one call (STOP of a queued inject cancels it).
class CallerIdentity::Ask {
public:
    Ask(std::shared_ptr<Polkit> polkit, std::string sender, Polkit::Details details,
        std::shared_ptr<Refusal> refusal)
        : polkit_(std::move(polkit)), sender_(std::move(sender)), details_(std::move(details)),
          refusal_(std::move(refusal)) {}

    bool grants(Right r) noexcept {
        try {
            std::lock_guard lock(mutex_);
            if (auto it = answers_.find(r); it != answers_.end())
                return it->second;
            auto verdict = polkit_->check(sender_, r, details_);
            answers_.emplace(r, verdict.granted);
            if (!verdict.granted) {
                std::lock_guard note(refusal_->mutex);
                refusal_->reason = std::move(verdict.reason);
            }
            return verdict.granted;
        } catch (...) {
            return false; // out of memory: refused, and the manager says so without polkit's reason
        }
    }

private:
    std::shared_ptr<Polkit> polkit_;
    std::string sender_;
    Polkit::Details details_;
    std::shared_ptr<Refusal> refusal_;
    std::mutex mutex_;
    std::map<Right, bool> answers_;
};

CallerIdentity::CallerIdentity(sdbus::IConnection& connection, std::shared_ptr<Polkit> polkit)
    : bus_(sdbus::createProxy(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus")),
      polkit_(polkit ? std::move(polkit) : std::make_shared<Polkit>([] {
          return sdbus::createSystemBusConnection();
      })) {
    match_ = connection.addMatch("type='method_call'", [this](sdbus::Message& m) {
        // Runs inside sd-bus's C code: nothing may escape.
        try {
            sender_ = m.getSender();
        } catch (...) {
            sender_.clear(); // unidentified: every right-checked call is refused
        }
    });
}

Caller CallerIdentity::current(const Polkit::Details& details) {
    if (internal_ > 0)
        return Caller{0, 0, {}, "ntmsd", {}};
    if (sender_.empty())
        throw make_error(win32::AccessDenied, "the caller's credentials are not known");
    Caller c;
    if (auto it = cache_.find(sender_); it != cache_.end()) {
        c = it->second;
    } else {
        c = lookup(sender_);
        if (cache_.size() >= cache_limit)
            cache_.clear();
        cache_.emplace(sender_, c);
    }
    if (!refusal_)
        refusal_ = std::make_shared<Refusal>();
    c.authority = [ask = std::make_shared<Ask>(polkit_, sender_, details, refusal_)](Right r) {
        return ask->grants(r);
    };
    return c;
}

std::function<std::string()> CallerIdentity::refusal_reader() {
    if (!refusal_)
        refusal_ = std::make_shared<Refusal>();
    return [r = refusal_] {
        std::lock_guard lock(r->mutex);
        return r->reason;
    };
}

std::string CallerIdentity::refusal() const {
    if (!refusal_)
        return {};
    std::lock_guard lock(refusal_->mutex);
    return refusal_->reason;
}

void CallerIdentity::message_done() {
    sender_.clear();
    refusal_.reset();
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
