#include "daemon/jobs/job_metrics.hpp"

#include <algorithm>

namespace ntms {

namespace {

// The index of a kind in kinds(), or nullopt for a code outside the vocabulary.
std::optional<size_t> index_of(OperationKind kind) {
    const auto& all = JobMetrics::kinds();
    const auto it = std::find(all.begin(), all.end(), kind);
    if (it == all.end())
        return std::nullopt;
    return static_cast<size_t>(it - all.begin());
}

} // namespace

const std::vector<OperationKind>& JobMetrics::kinds() {
#define NTMS_METRICS_KIND_(constant, value, Name, name) OperationKind::Name,
    static const std::vector<OperationKind> all{NTMS_OPERATIONS(NTMS_METRICS_KIND_)};
#undef NTMS_METRICS_KIND_
    return all;
}

void JobMetrics::record(OperationKind kind, JobState state, int64_t duration_usec) {
    const auto k = index_of(kind);
    const auto o = std::find(outcomes.begin(), outcomes.end(), state);
    if (!k || *k >= max_kinds || o == outcomes.end())
        return;
    Counters& c = counters_[*k];
    const uint64_t usec = duration_usec > 0 ? static_cast<uint64_t>(duration_usec) : 0;
    const double seconds = static_cast<double>(usec) / 1e6;
    size_t b = 0;
    while (b < bucket_bounds.size() && seconds > bucket_bounds[b])
        ++b;
    c.buckets[b].fetch_add(1, std::memory_order_relaxed);
    c.sum_usec.fetch_add(usec, std::memory_order_relaxed);
    c.ended[static_cast<size_t>(o - outcomes.begin())].fetch_add(1, std::memory_order_relaxed);
}

std::vector<JobMetrics::Kind> JobMetrics::read() const {
    std::vector<Kind> out;
    const auto& all = kinds();
    for (size_t k = 0; k < all.size() && k < max_kinds; ++k) {
        const Counters& c = counters_[k];
        Kind view;
        view.kind = all[k];
        for (size_t i = 0; i < outcomes.size(); ++i)
            view.ended[i] = c.ended[i].load(std::memory_order_relaxed);
        uint64_t total = 0;
        for (size_t i = 0; i < view.buckets.size(); ++i) {
            total += c.buckets[i].load(std::memory_order_relaxed);
            view.buckets[i] = total;
        }
        view.sum_seconds = static_cast<double>(c.sum_usec.load(std::memory_order_relaxed)) / 1e6;
        out.push_back(view);
    }
    return out;
}

} // namespace ntms
