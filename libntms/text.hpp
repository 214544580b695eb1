// Conversions between the RSM C types and what travels on the bus: GUID strings and object
// paths, UTF-8 and UTF-16 strings in fixed arrays, microseconds and SYSTEMTIME; error texts.
#pragma once

#include <ntmsapi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ntms::lib {

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lowercase.
std::string guid_string(const NTMS_GUID& g);
// The 8-4-4-4-12 form (any case) or 32 hex digits; nullopt for anything else.
std::optional<NTMS_GUID> parse_guid(std::string_view s);
// The GUID at the end of an object path such as /org/ntms/Ntms1/job/<32 hex digits>.
std::optional<NTMS_GUID> path_guid(std::string_view path);
bool same_guid(const NTMS_GUID& a, const NTMS_GUID& b);

// An IE port has no identity of its own on the bus: its GUID is derived from its library's and
// its first element address, so that it is stable and distinct per port.
NTMS_GUID port_guid(const NTMS_GUID& library, uint16_t address);
// Storage slots (by element address) and a library's changer, derived the same way with masks of
// their own.
NTMS_GUID slot_guid(const NTMS_GUID& library, uint16_t address);
NTMS_GUID changer_guid(const NTMS_GUID& library);
// A changer type is a vendor and a product: its GUID is made from the two names (FNV-1a), the
// same on every host and in every session.
NTMS_GUID changer_type_guid(std::string_view vendor, std::string_view product);

// NtmsErrorString's text of a Win32 code (common/ntms_vocabulary.h), "unknown error" for others.
const char* error_text(uint32_t code);

// Copies a UTF-8 string into a fixed array, truncated on a character boundary, always terminated.
void put(char* dst, size_t n, std::string_view utf8);
void put(WCHAR* dst, size_t n, std::string_view utf8);
template <typename C, size_t N> void put(C (&dst)[N], std::string_view utf8) { put(dst, N, utf8); }

// UTF-16 (NUL-terminated) to UTF-8; nullopt for malformed input.
std::optional<std::string> utf8(const WCHAR* s);

// Microseconds since the epoch as UTC SYSTEMTIME; 0 gives all zeros ("not yet").
SYSTEMTIME system_time(uint64_t usec);

} // namespace ntms::lib
