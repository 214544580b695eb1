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
            conn(), path_, what,
            "INSERT INTO jobs (guid, library, operation, action, state, error, "
            "error_message, time_queued, time_started, time_completed, application, uid, "
            "media_moved, timeout_sec, port, priority) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
        bind_job(s, job);
        return s.run();
    });
}

Expected<void> Store::update_job(const JobRecord& job) {
    static constexpr const char* what = "update job";
    return run<void>(what, true, [&]() -> Expected<void> {
        Statement s(conn(), path_, what,
                    "UPDATE jobs SET library = ?2, operation = ?3, action = ?4, state = ?5, "
                    "error = ?6, error_message = ?7, time_queued = ?8, time_started = ?9, "
                    "time_completed = ?10, application = ?11, uid = ?12, media_moved = ?13, "
                    "timeout_sec = ?14, port = ?15, priority = ?16 WHERE guid = ?1");
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
    return run<std::optional<JobRecord>>(what, false, [&]() -> Expected<std::optional<JobRecord>> {
        Statement s(conn(), path_, what,
                    "SELECT guid, library, operation, action, state, error, error_message, "
                    "time_queued, time_started, time_completed, application, uid, media_moved, "
                    "timeout_sec, port, priority FROM jobs WHERE guid = ?1");
        s.bind_guid(1, id);
        return first(s, read_job);
    });
}

Expected<std::vector<JobRecord>> Store::list_jobs(const std::optional<Guid>& library) {
    static constexpr const char* what = "list jobs";
    return run<std::vector<JobRecord>>(what, false, [&]() -> Expected<std::vector<JobRecord>> {
        if (!library) {
            Statement s(conn(), path_, what,
                        "SELECT guid, library, operation, action, state, error, error_message, "
                        "time_queued, time_started, time_completed, application, uid, "
                        "media_moved, timeout_sec, port, priority FROM jobs "
                        "ORDER BY time_queued DESC, rowid DESC");
            return collect(s, read_job);
        }
        Statement s(conn(), path_, what,
                    "SELECT guid, library, operation, action, state, error, error_message, "
                    "time_queued, time_started, time_completed, application, uid, media_moved, "
                    "timeout_sec, port, priority FROM jobs WHERE library = ?1 "
                    "ORDER BY time_queued DESC, rowid DESC");
        s.bind_guid(1, *library);
        return collect(s, read_job);
    });
}

Expected<std::vector<JobRecord>> Store::jobs_in_states(const std::vector<JobState>& states) {
    static constexpr const char* what = "list jobs by state";
    return run<std::vector<JobRecord>>(what, false, [&]() -> Expected<std::vector<JobRecord>> {
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
                conn(), path_, what,
                "SELECT guid, library, operation, action, state, error, error_message, "
                "time_queued, time_started, time_completed, application, uid, "
                "media_moved, timeout_sec, port, priority, rowid FROM jobs WHERE state = ?1");
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
}

// ---- Operator requests

Expected<void> Store::insert_oprequest(const OpRequestRecord& r) {
    static constexpr const char* what = "insert operator request";
    return run<void>(what, true, [&]() -> Expected<void> {
        Statement s(conn(), path_, what,
                    "INSERT INTO oprequests (guid, type, state, message, library, job, submitted, "
                    "changed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        bind_oprequest(s, r);
        return s.run();
    });
}

Expected<void> Store::update_oprequest(const OpRequestRecord& r) {
    static constexpr const char* what = "update operator request";
    return run<void>(what, true, [&]() -> Expected<void> {
        Statement s(conn(), path_, what,
                    "UPDATE oprequests SET type = ?2, state = ?3, message = ?4, library = ?5, "
                    "job = ?6, submitted = ?7, changed = ?8 WHERE guid = ?1");
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
            Statement s(conn(), path_, what,
                        "SELECT guid, type, state, message, library, job, submitted, changed "
                        "FROM oprequests WHERE guid = ?1");
            s.bind_guid(1, id);
            return first(s, read_oprequest);
        });
}

Expected<std::vector<OpRequestRecord>> Store::list_oprequests() {
    static constexpr const char* what = "list operator requests";
    return run<std::vector<OpRequestRecord>>(
        what, false, [&]() -> Expected<std::vector<OpRequestRecord>> {
            Statement s(conn(), path_, what,
                        "SELECT guid, type, state, message, library, job, submitted, changed "
                        "FROM oprequests ORDER BY submitted, rowid");
            return collect(s, read_oprequest);
        });
}

} // namespace ntms
