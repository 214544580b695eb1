#include "daemon/model.hpp"

#include "common/vocabulary.hpp"

#include <algorithm>
#include <chrono>

namespace ntms {

bool JobRecord::add_medium(const Guid& medium) {
    if (std::find(media.begin(), media.end(), medium) != media.end())
        return false;
    media.push_back(medium);
    return true;
}

void JobRecord::mounted(const Guid& medium, uint16_t drive) {
    const auto at = std::find(media.begin(), media.end(), medium);
    if (at == media.end())
        return;
    drives.resize(media.size());
    drives[static_cast<size_t>(at - media.begin())] = drive;
}

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
    return vocabulary::job_state_name(static_cast<uint32_t>(s));
}

const char* operation_name(OperationKind k) {
    return vocabulary::operation_name(static_cast<uint32_t>(k));
}

std::optional<OperationKind> operation_from_name(std::string_view name) {
    if (auto code = vocabulary::operation_code(name))
        return static_cast<OperationKind>(*code);
    return std::nullopt;
}

int64_t now_usec() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace ntms
