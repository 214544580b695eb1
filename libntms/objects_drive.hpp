// NTMS_DRIVE and NTMS_DRIVE_TYPE: the drives ntmsd publishes (org.ntms.Ntms1.Drive objects) and
// the drive models among them, for EnumerateNtmsObject and GetNtmsObjectInformation.
#pragma once

#include "session.hpp"

#include <optional>
#include <vector>

namespace ntms::lib {

// The drives of one library (container) or of every library, by library and drive number.
// Throws sdbus::Error (an unknown library).
std::vector<NTMS_GUID> list_drives(Session& s, const NTMS_GUID* container);
// The types of the host's drives, each once; they are in no library (container must be NULL).
DWORD list_drive_types(Session& s, const NTMS_GUID* container, std::vector<NTMS_GUID>& out);

// The drive of `library` at element address `element`, when there is one on the bus.
std::optional<NTMS_GUID> drive_at(Session& s, const sdbus::ObjectPath& library, uint16_t element);

// Fill info (dwType NTMS_DRIVE or NTMS_DRIVE_TYPE); ERROR_OBJECT_NOT_FOUND when id is none.
DWORD fill_drive(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONA& info);
DWORD fill_drive(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONW& info);
DWORD fill_drive_type(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONA& info);
DWORD fill_drive_type(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONW& info);

} // namespace ntms::lib
