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
// A cartridge the database knew is no longer in the library: its record is kept, outside it.
inline constexpr const char* MediumGone = "cf3ddcaa53604b0ea070096759d335d8";
// A cartridge appeared in a port, or left it, with no job running (the port watcher).
inline constexpr const char* PortChanged = "831b49d77c874ffcacfaee34379dc83d";
// The database file was deleted or replaced while ntmsd ran, and was written back.
inline constexpr const char* DatabaseWrittenBack = "c362e2fc023e4d6e82d52722fc87e72a";
// It was found deleted or replaced, but could not be written back (yet).
inline constexpr const char* DatabaseNotWrittenBack = "1654e405b351490d8110bb42df79054f";
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
// The cartridge of medium m, last at element `from`, is no longer in the library (found missing by
// an inventory or reconciliation, or taken out of a port): NTMS_MEDIUM, NTMS_BARCODE, NTMS_ELEMENT
// when known, NTMS_JOB when an inventory job found it.
void journal_medium_gone(const LibraryRecord& lib, const MediumRecord& m,
                         std::optional<uint16_t> from, const Guid& job);
// The port watcher saw a cartridge appear in (arrived) or leave port element `element` with no
// job running: NTMS_MEDIUM, NTMS_BARCODE, NTMS_ELEMENT, NTMS_PORT_EVENT ("arrived", "removed").
void journal_port_change(const LibraryRecord& lib, const MediumRecord& m, uint16_t element,
                         bool arrived);

// The database path no longer named ntmsd's file (what: "no file", "another file (inode N)"...);
// the catalogue of bytes bytes was written back, and a file found in its place moved to aside.
// NTMS_DATABASE, NTMS_DATABASE_FOUND ("deleted" or "replaced"), NTMS_DATABASE_ASIDE when replaced.
void journal_database_written_back(const std::string& path, bool replaced, const std::string& what,
                                   const std::string& aside, int64_t bytes);
// The same finding, but writing back failed: NTMS_DATABASE and NTMS_REASON.
void journal_database_rescue_failed(const std::string& path, const std::string& reason);

// Where log lines go: journal when /run/systemd/journal/socket exists (or forced), else stderr.
void set_log_target_stderr(bool force_stderr);

} // namespace ntms
