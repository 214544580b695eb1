#include "model.hpp"

#include <chrono>

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

int64_t now_usec() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace ntms
