// Win32 error codes (the RSM contract, chosen in daemon/) to D-Bus error names
// org.ntms.Ntms1.Error.<Name> and back, for the codes common/ntms_vocabulary.h marks NTMS_BUS. The
// daemon maps codes to names, libntms maps names back; both use this file, so it depends on
// nothing but common/, the standard library and sdbus-c++.
#pragma once

#include "common/ntms_vocabulary.h"

#include <cstdint>
#include <optional>
#include <sdbus-c++/Error.h>
#include <span>
#include <string>
#include <string_view>

namespace ntms::dbus {

inline constexpr std::string_view error_prefix = NTMS_DBUS_ERROR_PREFIX;
// For a code the table does not name; the message then starts with "error <code>: ".
inline constexpr std::string_view error_failed = NTMS_DBUS_ERROR_PREFIX "Failed";

struct ErrorEntry {
    uint32_t code;
    std::string_view name; // without the prefix: "AccessDenied"
};

std::span<const ErrorEntry> error_table();

// "org.ntms.Ntms1.Error.LibraryFull" for 4322; error_failed for a code not in the table.
std::string error_name(uint32_t code);
// The exact reverse of error_name for the names of the table; nullopt for anything else.
std::optional<uint32_t> error_code(std::string_view name);
// The Win32 code an error reply stands for: the table's code, or for Failed the code written at
// the start of its message; nullopt when the error carries no code (a foreign error name).
std::optional<uint32_t> error_code(std::string_view name, std::string_view message);

// The error to throw from a handler: name from the table, message as given (prefixed with
// "error <code>: " for codes without a name, so that no information is lost).
sdbus::Error make_error(uint32_t code, const std::string& message);

} // namespace ntms::dbus
