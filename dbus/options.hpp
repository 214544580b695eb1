// The a{sv} options of Manager.InjectMedia and Job.Cancel, checked strictly: a key we do not know
// or a value of the wrong type is ERROR_INVALID_PARAMETER naming the key, so that a typo never
// silently changes what a call does.
#pragma once

#include "daemon/manager.hpp"
#include "daemon/status.hpp"

#include <map>
#include <sdbus-c++/Types.h>
#include <string>

namespace ntms::dbus {

using OptionMap = std::map<std::string, sdbus::Variant>;

// timeout (u, seconds), application (s), port (u, an element address: at most 65535).
Expected<InjectOptions> parse_inject_options(const OptionMap& options);
// MountMedia and CleanDrive: timeout (u, seconds), application (s).
Expected<MountOptions> parse_mount_options(const OptionMap& options);
// DismountMedia: element (q, a storage slot), timeout (u), application (s).
Expected<MountOptions> parse_dismount_options(const OptionMap& options);
// No options are defined yet: any key is refused.
Expected<void> parse_cancel_options(const OptionMap& options);

} // namespace ntms::dbus
