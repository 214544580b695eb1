// The names libntms calls ntmsd by: its service, the roots of its objects and its interfaces
// (org.ntms.Ntms1(5)). Shared here, not repeated per source: the sanitized trees compile the
// library's sources as one (Makefile), where a name defined twice does not compile.
#pragma once

namespace ntms::lib {

inline constexpr const char* service = "org.ntms.Ntms1";
inline constexpr const char* root_path = "/org/ntms/Ntms1";
inline constexpr const char* jobs_path = "/org/ntms/Ntms1/job";
inline constexpr const char* oprequests_path = "/org/ntms/Ntms1/oprequest";

inline constexpr const char* library_iface = "org.ntms.Ntms1.Library";
inline constexpr const char* job_iface = "org.ntms.Ntms1.Job";
inline constexpr const char* oprequest_iface = "org.ntms.Ntms1.OperatorRequest";
inline constexpr const char* drive_iface = "org.ntms.Ntms1.Drive";

} // namespace ntms::lib
