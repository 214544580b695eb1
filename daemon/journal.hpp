// Structured logging to the systemd journal (stderr when no journal is reachable), with fixed
// MESSAGE_IDs explained in systemd/ntmsd.catalog and NTMS_* fields.
#pragma once

#include "model.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <syslog.h>

namespace ntms {

namespace message_id {
inline constexpr const char* OperatorRequest = "3bde3ec0b22048f4bb6e69d68cec059e";
// "Put cartridges into the port": the NEWMEDIA request of a waiting inject.
inline constexpr const char* InsertRequest = "01b984393b154aa88a35618cee0fc4fb";
inline constexpr const char* JobCompleted = "fc4187bee1514ca8953865f96f4536b2";
inline constexpr const char* JobFailed = "a9d7145af7484125af499cb1cffe5543";
inline constexpr const char* LibraryOnline = "00e6dd16ae944cdd9f1e440bb834b99d";
inline constexpr const char* LibraryOffline = "360f56304a3d4219b49176f0379bdcec";
inline constexpr const char* MediumReconciled = "4974a161b5ed46fdbfa7b51a86d9475a";
} // namespace message_id

// Plain message at a syslog priority.
void log(int priority, std::string_view message);

// Fields: NTMS_LIBRARY (GUID), NTMS_LIBRARY_NAME (the GUID when unnamed) on every record, plus
// the ones named below. On stderr a record is one line:
//   ntmsd[PID]: PRIORITY: MESSAGE [MESSAGE_ID=... NTMS_...=... NTMS_...="value with blanks"]

// Operator request posted / changed state. r.message is what the operator is asked to do; the
// record reads "Library NAME: <r.message>" unless r.message starts with "library NAME".
// NTMS_OPREQUEST, NTMS_OPREQUEST_TYPE/STATE ("message", "submitted"...), NTMS_JOB when tied to a
// job, NTMS_PORT (first element of the port) when given. MESSAGE_ID is InsertRequest for a
// NEWMEDIA request (an inject waiting for cartridges), OperatorRequest for any other type.
void journal_oprequest(const OpRequestRecord& r, const std::string& library_name,
                       std::optional<uint16_t> port = std::nullopt);
// A job reached a final state (JobCompleted for PASSED/STOPPED/CANCELLED, JobFailed for FAILED).
// NTMS_JOB, NTMS_JOB_OPERATION, NTMS_JOB_STATE ("passed"...), NTMS_MEDIA_MOVED, NTMS_ERROR,
// NTMS_ERROR_NAME.
void journal_job_end(const JobRecord& job, const std::string& library_name);
// NTMS_DEVICE, and NTMS_REASON when reason is not empty.
void journal_library_state(const LibraryRecord& lib, bool online, const std::string& reason);
// The database was corrected from the library's element status; NTMS_RECONCILED is what.
void journal_reconciled(const LibraryRecord& lib, const std::string& what);

// Where log lines go: journal when /run/systemd/journal/socket exists (or forced), else stderr.
void set_log_target_stderr(bool force_stderr);

} // namespace ntms
