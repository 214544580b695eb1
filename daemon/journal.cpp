// Journal records with MESSAGE_ID and NTMS_* fields; one stderr line per record when journald is
// not there (containers, tests, a daemon started by hand).
#include "journal.hpp"

#include "common/vocabulary.hpp"

#include "status.hpp"

#include <atomic>
#include <cstdio>
#include <fmt/format.h>
#include <mutex>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>
#include <vector>

namespace ntms {

namespace {

constexpr const char* journal_socket = "/run/systemd/journal/socket";

std::atomic<bool> force_stderr{false};
std::mutex stderr_mutex; // keeps lines from several threads whole

struct Field {
    const char* key;
    std::string value;
};

const char* priority_name(int priority) {
    static constexpr const char* names[] = {"emerg",   "alert",  "crit", "err",
                                            "warning", "notice", "info", "debug"};
    return names[priority & LOG_PRIMASK];
}

// One line per record: control characters (a newline in a device's error text) become blanks.
void append_one_line(std::string& out, std::string_view s) {
    for (char c : s)
        out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
}

void append_field_value(std::string& out, std::string_view v) {
    bool quote = v.empty() || v.find_first_of(" \t\"]") != std::string_view::npos;
    if (!quote) {
        append_one_line(out, v);
        return;
    }
    out.push_back('"');
    for (char c : v) {
        if (c == '"' || c == '\\')
            out.push_back('\\');
        append_one_line(out, std::string_view(&c, 1));
    }
    out.push_back('"');
}

void write_stderr(int priority, std::string_view message, const std::vector<Field>& fields) {
    std::string line = fmt::format("ntmsd[{}]: {}: ", ::getpid(), priority_name(priority));
    append_one_line(line, message);
    if (!fields.empty()) {
        line += " [";
        for (size_t i = 0; i < fields.size(); ++i) {
            if (i)
                line.push_back(' ');
            line += fields[i].key;
            line.push_back('=');
            append_field_value(line, fields[i].value);
        }
        line.push_back(']');
    }
    line.push_back('\n');
    std::lock_guard lock(stderr_mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

bool write_journal(int priority, std::string_view message, const std::vector<Field>& fields) {
    std::vector<std::string> items;
    items.reserve(fields.size() + 3);
    items.push_back(fmt::format("MESSAGE={}", message));
    items.push_back(fmt::format("PRIORITY={}", priority));
    items.emplace_back("SYSLOG_IDENTIFIER=ntmsd");
    for (const auto& f : fields)
        items.push_back(fmt::format("{}={}", f.key, f.value));
    std::vector<iovec> iov(items.size());
    for (size_t i = 0; i < items.size(); ++i)
        iov[i] = iovec{items[i].data(), items[i].size()};
    // sd_journal_sendv is thread-safe and copes with newlines inside values.
    return sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) >= 0;
}

// Checked per record: journald may start (or stop) while the daemon runs.
void emit(int priority, std::string_view message, const std::vector<Field>& fields) noexcept {
    try {
        priority &= LOG_PRIMASK;
        if (!force_stderr.load(std::memory_order_relaxed) && ::access(journal_socket, F_OK) == 0 &&
            write_journal(priority, message, fields))
            return;
        write_stderr(priority, message, fields);
    } catch (...) {
        // Logging never fails its caller.
    }
}

std::string library_label(const std::string& name, const Guid& id) {
    return name.empty() ? id.str() : name;
}

const char* oprequest_type_name(OpRequestType t) {
    return vocabulary::name_of(vocabulary::opreq_types, static_cast<uint32_t>(t));
}

const char* oprequest_state_name(OpRequestState s) {
    return vocabulary::name_of(vocabulary::opreq_states, static_cast<uint32_t>(s));
}

// What the operator is asked to do when the request carries no text of its own.
const char* oprequest_default_text(OpRequestType t) {
    switch (t) {
    case OpRequestType::NewMedia:
        return "insert new media";
    case OpRequestType::Cleaner:
        return "insert a cleaning cartridge";
    case OpRequestType::DeviceService:
        return "the library needs service";
    case OpRequestType::MoveMedia:
        return "move media as requested";
    case OpRequestType::Message:
    case OpRequestType::Unknown:
        break;
    }
    return "operator attention needed";
}

// "Library lab1: TEXT", unless TEXT already names the library first (texts written to stand
// alone on D-Bus do), then TEXT with a capital letter.
std::string about_library(const std::string& lib, const std::string& text) {
    std::string prefix = "library " + lib;
    bool named = text.size() >= prefix.size() && (text[0] == 'l' || text[0] == 'L') &&
                 text.compare(1, prefix.size() - 1, prefix, 1) == 0 &&
                 (text.size() == prefix.size() || text[prefix.size()] == ' ' ||
                  text[prefix.size()] == ':' || text[prefix.size()] == ',');
    if (!named)
        return fmt::format("Library {}: {}", lib, text);
    std::string out = text;
    out[0] = 'L';
    return out;
}

std::string cartridges(uint32_t n) {
    if (n == 0)
        return "no cartridges";
    return n == 1 ? "1 cartridge" : fmt::format("{} cartridges", n);
}

} // namespace

void set_log_target_stderr(bool force) {
    force_stderr.store(force, std::memory_order_relaxed);
}

void log(int priority, std::string_view message) {
    emit(priority, message, {});
}

void journal_oprequest(const OpRequestRecord& r, const std::string& library_name,
                       std::optional<uint16_t> port) {
    try {
        std::string lib = library_label(library_name, r.library);
        std::string text = r.message.empty() ? oprequest_default_text(r.type) : r.message;
        std::string message;
        int priority = LOG_NOTICE;
        switch (r.state) {
        case OpRequestState::Submitted:
        case OpRequestState::Active:
            message = about_library(lib, text);
            // A plain prompt within an inject is routine; anything else means something is wrong.
            priority = r.type == OpRequestType::NewMedia || r.type == OpRequestType::MoveMedia
                           ? LOG_NOTICE
                           : LOG_WARNING;
            break;
        case OpRequestState::InProgress:
            message = fmt::format("Library {}: operator is handling the request: {}", lib, text);
            priority = LOG_INFO;
            break;
        case OpRequestState::Complete:
            message = fmt::format("Library {}: operator request done: {}", lib, text);
            priority = LOG_INFO;
            break;
        case OpRequestState::Refused:
            message =
                fmt::format("Library {}: operator request refused or cancelled: {}", lib, text);
            break;
        case OpRequestState::Unknown:
            message = fmt::format("Library {}: operator request: {}", lib, text);
            break;
        }
        std::vector<Field> f{
            {"MESSAGE_ID", r.type == OpRequestType::NewMedia ? message_id::InsertRequest
                                                             : message_id::OperatorRequest},
            {"NTMS_OPREQUEST", r.id.str()},
            {"NTMS_OPREQUEST_TYPE", oprequest_type_name(r.type)},
            {"NTMS_OPREQUEST_STATE", oprequest_state_name(r.state)},
            {"NTMS_LIBRARY", r.library.str()},
            {"NTMS_LIBRARY_NAME", lib},
        };
        if (!r.job.is_null())
            f.push_back({"NTMS_JOB", r.job.str()});
        if (port)
            f.push_back({"NTMS_PORT", std::to_string(*port)});
        emit(priority, message, f);
    } catch (...) {
    }
}

void journal_job_end(const JobRecord& job, const std::string& library_name) {
    try {
        std::string lib = library_label(library_name, job.library);
        std::string what = fmt::format("{} job {}", operation_name(job.operation), job.id.str());
        std::string moved = cartridges(job.media_moved) +
                            (job.operation == OperationKind::Inject ? " imported" : " moved");
        bool failed = job.state == JobState::Failed || job.state == JobState::Invalid;
        std::string message;
        int priority = LOG_INFO;
        switch (job.state) {
        case JobState::Passed:
            message = fmt::format("Library {}: {} finished: {}", lib, what, moved);
            break;
        case JobState::Stopped:
            message = fmt::format("Library {}: {} stopped on request: {}", lib, what, moved);
            break;
        case JobState::Cancelled:
            message = fmt::format("Library {}: {} cancelled before it started; the library was "
                                  "not touched",
                                  lib, what);
            priority = LOG_NOTICE;
            break;
        case JobState::Failed:
        case JobState::Invalid: {
            std::string why = job.error_message.empty() ? win32_name(job.error) : job.error_message;
            message = fmt::format("Library {}: {} failed: {} ({}); {}", lib, what, why,
                                  win32_name(job.error), moved);
            priority = LOG_ERR;
            break;
        }
        default:
            message = fmt::format("Library {}: {} is {}", lib, what, job_state_name(job.state));
            break;
        }
        std::vector<Field> f{
            {"MESSAGE_ID", failed ? message_id::JobFailed : message_id::JobCompleted},
            {"NTMS_JOB", job.id.str()},
            {"NTMS_JOB_OPERATION", operation_name(job.operation)},
            {"NTMS_JOB_STATE", job_state_name(job.state)},
            {"NTMS_LIBRARY", job.library.str()},
            {"NTMS_LIBRARY_NAME", lib},
            {"NTMS_MEDIA_MOVED", std::to_string(job.media_moved)},
            {"NTMS_ERROR", std::to_string(job.error)},
            {"NTMS_ERROR_NAME", win32_name(job.error)},
        };
        emit(priority, message, f);
    } catch (...) {
    }
}

void journal_library_state(const LibraryRecord& lib, bool online, const std::string& reason) {
    try {
        std::string name = library_label(lib.name, lib.id);
        std::string message = fmt::format("Library {}{} is {}", name,
                                          lib.device.empty() ? "" : " (" + lib.device + ")",
                                          online ? "online" : "offline");
        if (!reason.empty())
            message += ": " + reason;
        std::vector<Field> f{
            {"MESSAGE_ID", online ? message_id::LibraryOnline : message_id::LibraryOffline},
            {"NTMS_LIBRARY", lib.id.str()},
            {"NTMS_LIBRARY_NAME", name},
            {"NTMS_DEVICE", lib.device},
        };
        if (!reason.empty())
            f.push_back({"NTMS_REASON", reason});
        emit(online ? LOG_NOTICE : LOG_WARNING, message, f);
    } catch (...) {
    }
}

void journal_reconciled(const LibraryRecord& lib, const std::string& what) {
    try {
        std::string name = library_label(lib.name, lib.id);
        std::string message =
            fmt::format("Library {}: database corrected to match the library: {}", name, what);
        std::vector<Field> f{
            {"MESSAGE_ID", message_id::MediumReconciled},
            {"NTMS_LIBRARY", lib.id.str()},
            {"NTMS_LIBRARY_NAME", name},
            {"NTMS_RECONCILED", what},
        };
        emit(LOG_NOTICE, message, f);
    } catch (...) {
    }
}

void journal_medium_gone(const LibraryRecord& lib, const MediumRecord& m,
                         std::optional<uint16_t> from, const Guid& job) {
    try {
        std::string name = library_label(lib.name, lib.id);
        std::string label =
            m.barcode.empty() ? "an unlabelled cartridge" : "cartridge " + m.barcode;
        std::string message =
            fmt::format("Library {}: {}{} is no longer in the library; its record is kept outside "
                        "it",
                        name, label, from ? fmt::format(" (last at element {})", *from) : "");
        std::vector<Field> f{
            {"MESSAGE_ID", message_id::MediumGone},
            {"NTMS_LIBRARY", lib.id.str()},
            {"NTMS_LIBRARY_NAME", name},
            {"NTMS_MEDIUM", m.id.str()},
            {"NTMS_BARCODE", m.barcode},
        };
        if (from)
            f.push_back({"NTMS_ELEMENT", std::to_string(*from)});
        if (!job.is_null())
            f.push_back({"NTMS_JOB", job.str()});
        emit(LOG_NOTICE, message, f);
    } catch (...) {
    }
}

void journal_port_change(const LibraryRecord& lib, const MediumRecord& m, uint16_t element,
                         bool arrived) {
    try {
        std::string name = library_label(lib.name, lib.id);
        std::string label =
            m.barcode.empty() ? "an unlabelled cartridge" : "cartridge " + m.barcode;
        std::string message =
            arrived
                ? fmt::format("Library {}: {} was put into port element {}", name, label, element)
                : fmt::format("Library {}: {} was taken out of port element {}", name, label,
                              element);
        std::vector<Field> f{
            {"MESSAGE_ID", message_id::PortChanged},
            {"NTMS_LIBRARY", lib.id.str()},
            {"NTMS_LIBRARY_NAME", name},
            {"NTMS_MEDIUM", m.id.str()},
            {"NTMS_BARCODE", m.barcode},
            {"NTMS_ELEMENT", std::to_string(element)},
            {"NTMS_PORT_EVENT", arrived ? "arrived" : "removed"},
        };
        emit(LOG_NOTICE, message, f);
    } catch (...) {
    }
}

void journal_database_written_back(const std::string& path, bool replaced, const std::string& what,
                                   const std::string& aside, int64_t bytes) {
    try {
        std::string message =
            replaced ? fmt::format("Database {} was replaced while ntmsd ran ({} was there); that "
                                   "file was moved to {} and ntmsd's catalogue ({} bytes) was "
                                   "written back in its place",
                                   path, what, aside, bytes)
                     : fmt::format("Database {} was deleted while ntmsd ran; its catalogue ({} "
                                   "bytes) was written back",
                                   path, bytes);
        std::vector<Field> f{
            {"MESSAGE_ID", message_id::DatabaseWrittenBack},
            {"NTMS_DATABASE", path},
            {"NTMS_DATABASE_FOUND", replaced ? "replaced" : "deleted"},
        };
        if (replaced)
            f.push_back({"NTMS_DATABASE_ASIDE", aside});
        emit(LOG_WARNING, message, f);
    } catch (...) {
    }
}

void journal_database_rescue_failed(const std::string& path, const std::string& reason) {
    try {
        std::string message = fmt::format(
            "Database {} was deleted or replaced while ntmsd ran and cannot be written back: {}; "
            "ntmsd goes on with the file it has open and tries again",
            path, reason);
        std::vector<Field> f{
            {"MESSAGE_ID", message_id::DatabaseNotWrittenBack},
            {"NTMS_DATABASE", path},
            {"NTMS_REASON", reason},
        };
        emit(LOG_CRIT, message, f);
    } catch (...) {
    }
}

} // namespace ntms
