#include "daemon/jobs/ledger.hpp"

#include "daemon/jobs/queue.hpp"
#include "daemon/journal.hpp"
#include "daemon/store/shared_store.hpp"

#include <fmt/format.h>

namespace ntms {

Expected<void> JobLedger::commit_new(JobRecord& record,
                                     const std::function<Expected<void>(Store&)>& also) {
    record.state = JobState::Queued;
    if (record.time_queued == 0)
        record.time_queued = now_usec();
    return db_.with([&](Store& s) -> Expected<void> {
        if (!also)
            return s.insert_job(record);
        return s.transaction([&]() -> Expected<void> {
            if (auto r = s.insert_job(record); !r)
                return r;
            return also(s);
        });
    });
}

Expected<JobPtr> JobLedger::create(JobRecord record, std::string library_name,
                                   const std::function<Expected<void>(Store&)>& also) {
    if (auto inserted = commit_new(record, also); !inserted)
        return inserted.error();
    events_.job_added(record);
    return std::make_unique<Job>(Job::Key{}, std::move(record), std::move(library_name));
}

Expected<Guid> JobLedger::enqueue(JobRecord record, std::string library_name, JobQueue& into,
                                  const std::function<Expected<void>(Store&)>& also) {
    if (auto inserted = commit_new(record, also); !inserted)
        return inserted.error();
    const Guid id = record.id;
    into.push(std::make_unique<Job>(Job::Key{}, std::move(record), std::move(library_name)),
              [this](const JobRecord& queued) { events_.job_added(queued); });
    return id;
}

JobPtr JobLedger::adopt(JobRecord record, std::string library_name) {
    return std::make_unique<Job>(Job::Key{}, std::move(record), std::move(library_name));
}

Expected<void> JobLedger::transition(Job& job, JobState state) {
    JobRecord& r = job.record();
    r.state = state;
    if (state == JobState::InProcess && r.time_started == 0)
        r.time_started = now_usec();
    if (auto u = db_.with([&](Store& s) { return s.update_job(r); }); !u)
        return u;
    events_.job_changed(r);
    return {};
}

void JobLedger::announce(const Job& job) {
    events_.job_changed(job.record());
}

void JobLedger::end(JobPtr job, Outcome how) {
    if (!job)
        return;
    JobRecord& r = job->record();
    if (!is_final(how.state)) {
        how = Outcome::failed(
            fail(win32::InvalidState,
                 fmt::format("ended in state {}, which is not final", job_state_name(how.state))));
    }
    r.state = how.state;
    r.error = how.status.code;
    r.error_message = std::move(how.status.message);
    r.time_completed = now_usec();
    metrics_.record(r.operation, r.state, r.time_completed - r.time_queued);
    // A job that cannot be recorded still ends: its clients are told, and start-up recovery ends
    // the row that stayed behind.
    if (auto u = db_.with([&](Store& s) { return s.update_job(r); }); !u)
        log(LOG_ERR, fmt::format("Library {}: cannot record the end of job {}: {}",
                                 job->library_name(), r.id.str(), u.error().message));
    events_.job_changed(r);
    journal_job_end(r, job->library_name());
}

Outcome JobLedger::interrupted(const std::string& account) {
    std::string message = "interrupted: ntmsd stopped while the job was running";
    if (!account.empty())
        message += "; " + account;
    return Outcome::failed(fail(win32::OperationAborted, std::move(message)));
}

JobLedger::Recovered JobLedger::recover() {
    Recovered found;
    auto running = db_.with([](Store& s) {
        return s.jobs_in_states({JobState::InProcess, JobState::Waiting});
    });
    if (running)
        found.interrupted = std::move(running).value();
    // No job runs yet: a request still open of a job belongs to an interrupted wait.
    auto requests = db_.with([](Store& s) { return s.list_oprequests(); });
    if (requests) {
        for (auto r : *requests) {
            const bool open = r.state == OpRequestState::Submitted ||
                              r.state == OpRequestState::Active ||
                              r.state == OpRequestState::InProgress;
            // An inject's insert request or a door job's: their waits are over.
            const bool waits =
                r.type == OpRequestType::NewMedia || r.type == OpRequestType::DeviceService;
            if (!waits || r.job.is_null() || !open)
                continue;
            r.state = OpRequestState::Refused;
            r.changed = now_usec();
            if (auto u = db_.with([&](Store& s) { return s.update_oprequest(r); }); !u)
                log(LOG_ERR, fmt::format("cannot end orphaned operator request {}: {}", r.id.str(),
                                         u.error().message));
            else
                journal_oprequest(r, {});
        }
    }
    auto queued = db_.with([](Store& s) { return s.jobs_in_states({JobState::Queued}); });
    if (queued)
        found.queued = std::move(queued).value();
    return found;
}

} // namespace ntms
