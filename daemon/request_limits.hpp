#pragma once
// The bounds that requests of every operation share, and their one check each.
#include "daemon/status.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ntms {

// The application name travels in every signal of the job: a name, not a payload.
inline constexpr size_t max_application_bytes = 1024;
// RSM's MaxExtendSecs: how long a job keeps the port open for the operator.
inline constexpr uint32_t max_extend_secs = 65535;

// The InvalidParameter that says what is over its bound, or nothing when it is within.
std::optional<Status> application_over_bound(std::string_view application);
std::optional<Status> extend_secs_over_bound(std::optional<uint32_t> timeout_sec);

} // namespace ntms
