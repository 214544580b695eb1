#include "daemon/store/statement.hpp"

namespace ntms::store_detail {

LibraryRecord read_library(Statement& s) {
    LibraryRecord r;
    r.id = s.guid(0);
    r.identity = s.text(1);
    r.name = s.text(2);
    r.device = s.text(3);
    r.enabled = s.integer(4) != 0;
    r.created = s.integer(5);
    return r;
}

// Column order of every job SELECT and of bind_job's parameters.
JobRecord read_job(Statement& s) {
    JobRecord j;
    j.id = s.guid(0);
    j.library = s.guid(1);
    j.operation = operation_from_name(s.text(2)).value_or(OperationKind::Inject);
    j.action = s.enumerated(3, InjectAction::StartMany);
    j.state = s.enumerated(4, JobState::Stopped);
    j.error = s.u32(5);
    j.error_message = s.text(6);
    j.time_queued = s.integer(7);
    j.time_started = s.integer(8);
    j.time_completed = s.integer(9);
    j.application = s.text(10);
    j.uid = s.u32(11);
    j.media_moved = s.u32(12);
    j.timeout_sec = s.u32(13);
    j.port = s.element(14);
    j.priority = static_cast<int32_t>(s.integer(15));
    return j;
}

void bind_job(Statement& s, const JobRecord& j) {
    s.bind_guid(1, j.id);
    s.bind_guid(2, j.library);
    s.bind_text(3, operation_name(j.operation));
    s.bind_int(4, static_cast<uint32_t>(j.action));
    s.bind_int(5, static_cast<uint32_t>(j.state));
    s.bind_int(6, j.error);
    s.bind_text(7, j.error_message);
    s.bind_int(8, j.time_queued);
    s.bind_int(9, j.time_started);
    s.bind_int(10, j.time_completed);
    s.bind_text(11, j.application);
    s.bind_int(12, j.uid);
    s.bind_int(13, j.media_moved);
    s.bind_int(14, j.timeout_sec);
    s.bind_element(15, j.port);
    s.bind_int(16, j.priority);
}

MediumRecord read_medium(Statement& s) {
    MediumRecord m;
    m.id = s.guid(0);
    m.library = s.guid(1);
    m.barcode = s.text(2);
    m.element = s.element(3);
    m.state = s.enumerated(4, MediumState::Gone);
    m.updated = s.integer(5);
    m.created = s.integer(6);
    return m;
}

MediumMove read_move(Statement& s) {
    MediumMove h;
    h.medium = s.guid(0);
    h.job = s.guid(1);
    h.from = s.element(2);
    h.to = s.element(3);
    h.time = s.integer(4);
    h.reason = s.text(5);
    return h;
}

MoveIntent read_intent(Statement& s) {
    MoveIntent in;
    in.id = s.integer(0);
    in.job = s.guid(1);
    in.library = s.guid(2);
    in.medium = s.guid(3);
    in.barcode = s.text(4);
    in.source = s.element(5).value_or(0);
    in.destination = s.element(6).value_or(0);
    in.created = s.integer(7);
    return in;
}

OpRequestRecord read_oprequest(Statement& s) {
    OpRequestRecord r;
    r.id = s.guid(0);
    r.type = s.enumerated(1, OpRequestType::Message);
    r.state = s.enumerated(2, OpRequestState::Complete);
    r.message = s.text(3);
    r.library = s.guid(4);
    r.job = s.guid(5);
    r.submitted = s.integer(6);
    r.changed = s.integer(7);
    return r;
}

void bind_oprequest(Statement& s, const OpRequestRecord& r) {
    s.bind_guid(1, r.id);
    s.bind_int(2, static_cast<uint32_t>(r.type));
    s.bind_int(3, static_cast<uint32_t>(r.state));
    s.bind_text(4, r.message);
    s.bind_guid(5, r.library);
    s.bind_guid(6, r.job);
    s.bind_int(7, r.submitted);
    s.bind_int(8, r.changed);
}

Expected<int64_t> library_key(sqlite3* db, const std::string& path, const char* what,
                              const Guid& library) {
    Statement s(db, path, what, store_sql::library_key);
    s.bind_guid(1, library);
    auto key = first(s, [](Statement& row) { return row.integer(0); });
    if (!key)
        return key.error();
    if (!*key)
        return fail(win32::DatabaseFailure,
                    fmt::format("database {}: {}: library {} is not recorded (FOREIGN KEY)", path,
                                what, library.str()));
    return **key;
}

void bind_medium(Statement& s, int first, const MediumRecord& m, int64_t library) {
    s.bind_guid(first, m.id);
    s.bind_int(first + 1, library);
    s.bind_optional_text(first + 2, m.barcode);
    s.bind_element(first + 3, m.element);
    s.bind_int(first + 4, static_cast<uint32_t>(m.state));
    s.bind_int(first + 5, m.updated);
    // Kept from the first write on: the upsert's update never sets it.
    s.bind_int(first + 6, m.created != 0 ? m.created : m.updated);
}

Expected<void> write_medium(sqlite3* db, const std::string& path, const char* what,
                            const MediumRecord& m) {
    auto library = library_key(db, path, what, m.library);
    if (!library)
        return library.error();
    Statement s(db, path, what, store_sql::upsert_medium);
    bind_medium(s, 1, m, *library);
    return s.run();
}

void bind_history(Statement& s, int first, const MediumMove& h, std::optional<int64_t> medium) {
    if (medium)
        s.bind_int(first, *medium);
    else
        s.bind_guid(first, h.medium);
    s.bind_guid(first + 1, h.job);
    s.bind_element(first + 2, h.from);
    s.bind_element(first + 3, h.to);
    s.bind_int(first + 4, h.time);
    s.bind_text(first + 5, h.reason);
}

Expected<void> write_history(sqlite3* db, const std::string& path, const char* what,
                             const MediumMove& h) {
    Statement s(db, path, what, store_sql::insert_history);
    bind_history(s, 1, h);
    return s.run();
}

Expected<std::string> journal_mode(sqlite3* db, const std::string& path, const char* what,
                                   const store_sql::Sql& sql) {
    Statement s(db, path, what, sql);
    auto row = s.step();
    if (!row)
        return row.error();
    if (!*row)
        return fail(win32::DatabaseFailure,
                    fmt::format("database {}: {}: no journal mode reported", path, what));
    return s.text(0);
}

} // namespace ntms::store_detail
