// What the engine's jobs did since ntmsd started, for monitoring: how many ended, per operation
// kind and final state, and how long they took from submission to their end (a histogram per
// kind). Counted by JobLedger::end(), the one place every job ends; read from any thread without
// a lock and without the database.
#pragma once

#include "daemon/model.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ntms {

class JobMetrics {
public:
    // Upper bounds of the duration buckets, in seconds (a last bucket, +Inf, holds the rest):
    // from a job cancelled in its queue to an inventory of a large library.
    static constexpr std::array<double, 13> bucket_bounds{0.1, 0.5, 1,   5,    15,   30,  60,
                                                          120, 300, 600, 1800, 3600, 7200};
    // The final states a job can end in (is_final), in the order of Kind::ended.
    static constexpr std::array<JobState, 5> outcomes{JobState::Passed, JobState::Failed,
                                                      JobState::Invalid, JobState::Cancelled,
                                                      JobState::Stopped};
    // Every operation kind of the vocabulary, in its order.
    static const std::vector<OperationKind>& kinds();

    // A job of `kind` ended in `state` (a final one) after `duration_usec` (negative: 0).
    void record(OperationKind kind, JobState state, int64_t duration_usec);

    struct Kind {
        OperationKind kind = OperationKind::Inject;
        std::array<uint64_t, outcomes.size()> ended{};
        // Cumulative: buckets[i] jobs took at most bucket_bounds[i]; the last is every job, the
        // histogram's count.
        std::array<uint64_t, bucket_bounds.size() + 1> buckets{};
        double sum_seconds = 0;
    };
    // One entry per kind of kinds(), in that order.
    std::vector<Kind> read() const;

private:
    static constexpr size_t max_kinds = 16;
    struct Counters {
        std::array<std::atomic<uint64_t>, outcomes.size()> ended{};
        std::array<std::atomic<uint64_t>, bucket_bounds.size() + 1> buckets{}; // not cumulative
        std::atomic<uint64_t> sum_usec{0};
    };
    std::array<Counters, max_kinds> counters_{};
};

} // namespace ntms
