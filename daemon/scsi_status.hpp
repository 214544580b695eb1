// Chooses the Win32 code for an sgio error: the one place where SCSI meets RSM semantics.
#pragma once

#include "sgio/result.hpp"
#include "status.hpp"

#include <string_view>

namespace ntms {

// The device is unreachable (vanished, timed out, transport down): the library goes offline.
bool is_offline_error(const sgio::Error& e);
Status from_scsi(const sgio::Error& e, std::string_view context);

} // namespace ntms
