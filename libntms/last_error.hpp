// The thread's last error of RSM's GetLastError, read by NtmsGetLastError: set by the calls that
// return no code of their own (OpenNtmsSession, OpenNtmsNotification) and by the functions that
// are not implemented.
#pragma once

#include <ntmsapi.h>

namespace ntms::lib {

extern thread_local DWORD last_error;

} // namespace ntms::lib
