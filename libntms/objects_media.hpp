// The RSM objects made from ntmsd's media catalogue (Library.DescribeMedia): media types (one per
// type of cartridge a library holds), media pools (one free pool per media type), partitions
// (one per physical medium: a tape has one side) and logical media (none: ntms allocates no
// media), and the Created/Modified times of libraries and their media.
#pragma once

#include "objects.hpp"

namespace ntms::lib {

// EnumerateNtmsObject for those types. Containers: NTMS_MEDIA_TYPE and NTMS_PARTITION take NULL
// or a library (a partition also its physical medium); NTMS_MEDIA_POOL NULL or one of its pools
// (no sub-pools: an empty list); NTMS_LOGICAL_MEDIA anything (always empty). Throws sdbus::Error.
DWORD list_media_objects(Session& s, const NTMS_GUID* container, DWORD type,
                         std::vector<NTMS_GUID>& out);

// GetNtmsObjectInformation for those types; ERROR_OBJECT_NOT_FOUND for an id that is none of
// them (every logical medium). Throws sdbus::Error.
DWORD fill_media_object(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONA& info);
DWORD fill_media_object(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONW& info);

// A library's Created (its TimeCreated) and Modified (the latest change of its record or of a
// medium in it), for the library and its changer and ports.
void library_times(Session& s, const sdbus::ObjectPath& library, SYSTEMTIME& created,
                   SYSTEMTIME& modified);

// A changer type's Created and Modified: the earliest creation and the latest change among the
// libraries of that type.
void changer_type_times(Session& s, const NTMS_GUID& type, SYSTEMTIME& created,
                        SYSTEMTIME& modified);

// What the catalogue says of one physical medium of a library.
struct MediumFacts {
    SYSTEMTIME created{}, modified{};
    NTMS_GUID media_type{}, media_pool{};
};
// False when the library does not describe that medium (or the caller may not list its media).
bool medium_facts(Session& s, const sdbus::ObjectPath& library, const NTMS_GUID& medium,
                  MediumFacts& out);

} // namespace ntms::lib
