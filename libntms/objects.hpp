// The RSM objects a client enumerates and reads (EnumerateNtmsObject, GetNtmsObjectInformation),
// made from what ntmsd publishes on the bus: libraries, their changer and its type, ports and
// media, jobs (library requests) and operator requests. The other object types are not modelled
// yet.
#pragma once

#include "session.hpp"

#include <optional>
#include <vector>

namespace ntms::lib {

template <typename T> T prop(const Properties& p, const char* name, T fallback = T{}) {
    auto it = p.find(name);
    if (it == p.end() || !it->second.containsValueOfType<T>())
        return fallback;
    return it->second.get<T>();
}

// The GUID an object path ends in; the null GUID for "/" and the like.
NTMS_GUID guid_of(const sdbus::ObjectPath& path);

// The DeviceType RSM gives tape drives and tape media: FILE_DEVICE_TAPE of winioctl.h.
inline constexpr DWORD file_device_tape = 0x1f;

// The library given as container, else every library ntmsd knows.
std::vector<sdbus::ObjectPath> libraries_of(Session& s, const NTMS_GUID* container);

// ERROR_SUCCESS for a type that is modelled, ERROR_NOT_SUPPORTED for one of RSM's object types
// that is not, ERROR_INVALID_PARAMETER for a number that is no object type.
DWORD type_supported(DWORD type);

// The objects of a type, in a library when container is given (for the types that live in one;
// ERROR_INVALID_PARAMETER for the others). Throws sdbus::Error (an unknown library).
DWORD list_objects(Session& s, const NTMS_GUID* container, DWORD type, std::vector<NTMS_GUID>& out);

// Fills info, whose dwType says what id is, from the bus; ERROR_OBJECT_NOT_FOUND when it is not
// one of those. Throws sdbus::Error.
DWORD fill_object(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONA& info);
DWORD fill_object(Session& s, const NTMS_GUID& id, NTMS_OBJECTINFORMATIONW& info);

} // namespace ntms::lib
