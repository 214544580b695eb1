#include "polkit.hpp"

#include <fmt/format.h>
#include <sdbus-c++/Error.h>
#include <sdbus-c++/Types.h>
#include <vector>

namespace ntms::dbus {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* authority_name = "org.freedesktop.PolicyKit1";
constexpr const char* authority_path = "/org/freedesktop/PolicyKit1/Authority";
constexpr const char* authority_iface = "org.freedesktop.PolicyKit1.Authority";
constexpr uint32_t no_interaction = 0; // CheckAuthorization flags without AllowUserInteraction (1)

// The right asked for first, then the rights that imply it.
std::vector<Right> granting(Right r) {
    switch (r) {
    case Right::Use:
        return {Right::Use, Right::Modify, Right::Control};
    case Right::Modify:
        return {Right::Modify, Right::Control};
    case Right::Control:
        return {Right::Control};
    case Right::Backup:
        return {Right::Backup};
    }
    return {};
}

std::string listed(const std::vector<const char*>& actions) {
    std::string out;
    for (const char* a : actions)
        out += (out.empty() ? "" : ", ") + std::string(a);
    return out;
}

} // namespace

const char* polkit_action(Right r) {
    switch (r) {
    case Right::Use:
        return "org.ntms.ntms1.use";
    case Right::Modify:
        return "org.ntms.ntms1.modify";
    case Right::Control:
        return "org.ntms.ntms1.control";
    case Right::Backup:
        return "org.ntms.ntms1.backup";
    }
    return "org.ntms.ntms1.unknown";
}

Polkit::Polkit(Connect connect, std::chrono::milliseconds budget, std::chrono::milliseconds quiet)
    : connect_(std::move(connect)), budget_(budget), quiet_(quiet) {}

Polkit::~Polkit() {
    disconnect();
}

void Polkit::disconnect() {
    authority_.reset();
    connection_.reset();
}

Polkit::Answer Polkit::ask(const std::string& bus_name, const char* action, const Details& details,
                           std::chrono::microseconds timeout) {
    if (!connection_) {
        connection_ = connect_();
        authority_ = sdbus::createProxy(*connection_, authority_name, authority_path);
    }
    // The subject is the caller's unique name: polkitd learns its pid and uid from the bus, which
    // cannot be raced the way a pid read by ntmsd could.
    const sdbus::Struct<std::string, std::map<std::string, sdbus::Variant>> subject{
        std::string("system-bus-name"), {{"name", sdbus::Variant(bus_name)}}};
    sdbus::Struct<bool, bool, std::map<std::string, std::string>> result;
    authority_->callMethod("CheckAuthorization")
        .onInterface(authority_iface)
        .withTimeout(timeout)
        .withArguments(subject, std::string(action), details, no_interaction, std::string())
        .storeResultsTo(result);
    // Nothing else is expected on this connection but the bus's NameAcquired: drop what came.
    while (connection_->processPendingRequest()) {
    }
    if (std::get<0>(result))
        return Answer::Yes;
    return std::get<1>(result) ? Answer::Challenge : Answer::No;
}

Polkit::Verdict Polkit::check(const std::string& bus_name, Right r, const Details& details) {
    std::lock_guard lock(mutex_);
    const auto start = Clock::now();
    if (start < quiet_until_)
        return {false,
                fmt::format("polkit was not asked: it did not answer within {} ms a moment "
                            "ago, and is left alone for {} s",
                            budget_.count(),
                            std::chrono::duration_cast<std::chrono::seconds>(quiet_).count())};
    const auto deadline = start + budget_;
    std::vector<const char*> refused, challenged;
    for (const Right each : granting(r)) {
        const char* action = polkit_action(each);
        // Every call gets what is left of the budget, rounded up so that a timeout is past the
        // deadline, and at least a millisecond (0 would be sd-bus's default of 25 s).
        const auto left =
            std::max(std::chrono::ceil<std::chrono::microseconds>(deadline - Clock::now()),
                     std::chrono::microseconds(1000));
        try {
            switch (ask(bus_name, action, details, left)) {
            case Answer::Yes:
                return {true, {}};
            case Answer::No:
                refused.push_back(action);
                break;
            case Answer::Challenge:
                challenged.push_back(action);
                break;
            }
        } catch (const std::exception& e) {
            // A fresh connection next time: a late reply or a broken connection stays behind.
            disconnect();
            if (Clock::now() >= deadline) {
                quiet_until_ = Clock::now() + quiet_;
                return {false, fmt::format("polkit did not answer within {} ms", budget_.count())};
            }
            const auto* bus_error = dynamic_cast<const sdbus::Error*>(&e);
            return {false,
                    fmt::format("polkit could not be asked about {}: {}", action,
                                bus_error ? bus_error->getName() + ": " + bus_error->getMessage()
                                          : std::string(e.what()))};
        }
    }
    if (!challenged.empty())
        return {false, fmt::format("polkit would authorize {} only after an authentication, which "
                                   "ntmsd does not ask for",
                                   listed(challenged))};
    if (refused.size() == 1)
        return {false, fmt::format("polkit does not authorize {}", refused.front())};
    return {false, fmt::format("polkit authorizes none of {}", listed(refused))};
}

} // namespace ntms::dbus
