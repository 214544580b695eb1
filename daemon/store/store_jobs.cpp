// The store: jobs and operator requests.
#include "daemon/store/statement.hpp"

#include <algorithm>
#include <iterator>
#include <tuple>

namespace ntms {

using namespace store_detail;

// ---- Jobs

Expected<void> Store::insert_job(const JobRecord& job) {
    static constexpr const char* what = "insert job";
    return run<void>(what, true, [&]() -> Expected<void> {
        Statement s(
            conn(), path_, what, store_sql::insert_job);
        bind_job(s, job);
        return s.run();
    });
}

Expected<void> Store::update_job(const JobRecord& job) {
    static constexpr const char* what = "update job";
    return run<void>(what, true, [&]() -> Expected<void> {
        Statement s(conn(), path_, what, store_sql::update_job);
        bind_job(s, job);
        if (auto r = s.run(); !r)
            return r;
        if (s.changes() == 0)
            return fail(win32::ObjectNotFound, fmt::format("no job {}", job.id.str()));
        return {};
    });
}

Expected<std::optional<JobRecord>> Store::get_job(const Guid& id) {
    static constexpr const char* what = "read job";
    auto job =
        run<std::optional<JobRecord>>(what, false, [&]() -> Expected<std::optional<JobRecord>> {
            Statement s(conn(), path_, what, store_sql::get_job);
            s.bind_guid(1, id);
            return first(s, read_job);
        });
    if (!job || !*job)
        return job;
    if (auto r = read_job_lists(**job); !r)
        return r.error();
    return job;
}

Expected<void> Store::read_job_lists(JobRecord& job) {
    auto media = media_of_job(job.id);
    if (!media)
        return media.error();
    job.media = std::move(media).value();
    job.drives.clear();
    if (job.operation != OperationKind::Mount)
        return {};
    auto rows = moves_of_job(job.id);
    if (!rows)
        return rows.error();
    for (const auto& r : *rows)
        if (r.reason == "mount" && r.to)
            job.mounted(r.medium, *r.to);
    return {};
}

Expected<std::vector<JobRecord>> Store::list_jobs(const std::optional<Guid>& library) {
    static constexpr const char* what = "list jobs";
    return run<std::vector<JobRecord>>(what, false, [&]() -> Expected<std::vector<JobRecord>> {
        if (!library) {
            Statement s(conn(), path_, what, store_sql::list_jobs);
            return collect(s, read_job);
        }
        Statement s(conn(), path_, what, store_sql::list_jobs_of_library);
        s.bind_guid(1, *library);
        return collect(s, read_job);
    });
}

Expected<std::vector<JobRecord>> Store::jobs_in_states(const std::vector<JobState>& states) {
    static constexpr const char* what = "list jobs by state";
    auto jobs = run<std::vector<JobRecord>>(what, false, [&]() -> Expected<std::vector<JobRecord>> {
        std::vector<JobState> wanted = states;
        std::sort(wanted.begin(), wanted.end());
        wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
        // One indexed query per state (a handful at most), merged in queue order.
        struct Row {
            int64_t queued;
            int64_t rowid;
            JobRecord job;
        };
        std::vector<Row> rows;
        for (JobState state : wanted) {
            Statement s(
                conn(), path_, what, store_sql::jobs_in_state);
            s.bind_int(1, static_cast<uint32_t>(state));
            auto part = collect(s, [](Statement& st) {
                JobRecord j = read_job(st);
                return Row{j.time_queued, st.integer(16), std::move(j)};
            });
            if (!part)
                return part.error();
            std::move(part->begin(), part->end(), std::back_inserter(rows));
        }
        std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
            return std::tie(a.queued, a.rowid) < std::tie(b.queued, b.rowid);
        });
        std::vector<JobRecord> out;
        out.reserve(rows.size());
        for (auto& r : rows)
            out.push_back(std::move(r.job));
        return out;
    });
    if (!jobs)
        return jobs;
    for (auto& j : *jobs)
        if (auto r = read_job_lists(j); !r)
            return r.error();
    return jobs;
}

// ---- Operator requests

Expected<void> Store::insert_oprequest(const OpRequestRecord& r) {
    static constexpr const char* what = "insert operator request";
    return run<void>(what, true, [&]() -> Expected<void> {
        Statement s(conn(), path_, what, store_sql::insert_oprequest);
        bind_oprequest(s, r);
        return s.run();
    });
}

Expected<void> Store::update_oprequest(const OpRequestRecord& r) {
    static constexpr const char* what = "update operator request";
    return run<void>(what, true, [&]() -> Expected<void> {
        Statement s(conn(), path_, what, store_sql::update_oprequest);
        bind_oprequest(s, r);
        if (auto u = s.run(); !u)
            return u;
        if (s.changes() == 0)
            return fail(win32::ObjectNotFound, fmt::format("no operator request {}", r.id.str()));
        return {};
    });
}

Expected<std::optional<OpRequestRecord>> Store::get_oprequest(const Guid& id) {
    static constexpr const char* what = "read operator request";
    return run<std::optional<OpRequestRecord>>(
        what, false, [&]() -> Expected<std::optional<OpRequestRecord>> {
            Statement s(conn(), path_, what, store_sql::get_oprequest);
            s.bind_guid(1, id);
            return first(s, read_oprequest);
        });
}

Expected<std::vector<OpRequestRecord>> Store::list_oprequests() {
    static constexpr const char* what = "list operator requests";
    return run<std::vector<OpRequestRecord>>(
        what, false, [&]() -> Expected<std::vector<OpRequestRecord>> {
            Statement s(conn(), path_, what, store_sql::list_oprequests);
            return collect(s, read_oprequest);
        });
}

} // namespace ntms
