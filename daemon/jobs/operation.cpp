#include "daemon/jobs/operation.hpp"

#include "daemon/jobs/ledger.hpp"
#include "daemon/jobs/queue.hpp"

namespace ntms {

Expected<void> JobContext::transition(JobState s) {
    return ledger_.transition(job_, s);
}

void JobContext::announce() {
    ledger_.announce(job_);
}

JobControl JobContext::wait_control(std::chrono::milliseconds d) {
    return queue_.wait_control(d);
}

JobControl JobContext::peek_control() const {
    return queue_.peek_control();
}

} // namespace ntms
