// The names of ntmsd's D-Bus API (org.ntms.Ntms1(5)): its service, the roots of its objects and
// its interfaces. One definition for ntmsd's bus layer, libntms and the bus tests; C++ only.
#pragma once

namespace ntms::bus {

inline constexpr const char* service = "org.ntms.Ntms1";
inline constexpr const char* root_path = "/org/ntms/Ntms1";
inline constexpr const char* jobs_path = "/org/ntms/Ntms1/job";
inline constexpr const char* oprequests_path = "/org/ntms/Ntms1/oprequest";

inline constexpr const char* manager_iface = "org.ntms.Ntms1.Manager";
inline constexpr const char* library_iface = "org.ntms.Ntms1.Library";
inline constexpr const char* job_iface = "org.ntms.Ntms1.Job";
inline constexpr const char* oprequest_iface = "org.ntms.Ntms1.OperatorRequest";
inline constexpr const char* drive_iface = "org.ntms.Ntms1.Drive";

} // namespace ntms::bus
