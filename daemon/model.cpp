#include "model.hpp"

#include <chrono>
#include <utility>

namespace ntms {

bool is_final(JobState s) {
    switch (s) {
    case JobState::Passed:
    case JobState::Failed:
    case JobState::Invalid:
    case JobState::Cancelled:
    case JobState::Stopped:
        return true;
    case JobState::Queued:
    case JobState::InProcess:
    case JobState::Waiting:
    case JobState::Deferred:
        return false;
    }
    return false;
}

const char* job_state_name(JobState s) {
    switch (s) {
    case JobState::Queued:
        return "queued";
    case JobState::InProcess:
        return "inprocess";
    case JobState::Passed:
        return "passed";
    case JobState::Failed:
        return "failed";
    case JobState::Invalid:
        return "invalid";
    case JobState::Waiting:
        return "waiting";
    case JobState::Deferred:
        return "deferred";
    case JobState::Cancelled:
        return "cancelled";
    case JobState::Stopped:
        return "stopped";
    }
    return "unknown";
}

namespace {

constexpr std::pair<OperationKind, const char*> operation_names[] = {
    {OperationKind::Inventory, "inventory"},   {OperationKind::DoorAccess, "dooraccess"},
    {OperationKind::Eject, "eject"},           {OperationKind::EjectCleaner, "ejectcleaner"},
    {OperationKind::Inject, "inject"},         {OperationKind::InjectCleaner, "injectcleaner"},
    {OperationKind::CleanDrive, "cleandrive"}, {OperationKind::Dismount, "dismount"},
    {OperationKind::Mount, "mount"},
};

} // namespace

const char* operation_name(OperationKind k) {
    for (const auto& [kind, name] : operation_names)
        if (kind == k)
            return name;
    return "unknown";
}

std::optional<OperationKind> operation_from_name(std::string_view name) {
    for (const auto& [kind, n] : operation_names)
        if (n == name)
            return kind;
    return std::nullopt;
}

int64_t now_usec() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace ntms
