// The element objects of RSM's model that Library.ListElements feeds: storage slots
// (NTMS_STORAGESLOT, one per storage element, its GUID derived from the library's and the
// element address) and doors (NTMS_IEDOOR, one per library whose Door property is true), and
// where a physical medium is (a slot, a port or a drive).
#pragma once

#include "session.hpp"

#include <vector>

namespace ntms::lib {

// A door has no identity on the bus: its GUID is derived from its library's.
NTMS_GUID door_guid(const NTMS_GUID& library);

// EnumerateNtmsObject's lists, of one library (container) or of all. Throw sdbus::Error.
DWORD list_slots(Session& s, const NTMS_GUID* container, std::vector<NTMS_GUID>& out);
DWORD list_doors(Session& s, const NTMS_GUID* container, std::vector<NTMS_GUID>& out);

// GetNtmsObjectInformation's records; ERROR_OBJECT_NOT_FOUND when id is no such object.
DWORD fill_slot(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONA& info);
DWORD fill_slot(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONW& info);
DWORD fill_door(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONA& info);
DWORD fill_door(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONW& info);

// After a physical medium's record was filled (rc: how that went): a medium at an element of
// its library that is a drive is in the drive (LocationType NTMS_DRIVE, no home slot known),
// not in a slot. Returns rc.
DWORD locate_medium(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONA& info, DWORD rc);
DWORD locate_medium(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONW& info, DWORD rc);

} // namespace ntms::lib
