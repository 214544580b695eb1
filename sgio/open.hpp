// Opens the right Transport for a library device string.
#pragma once

#include "transport.hpp"

#include <memory>
#include <string>

namespace sgio {

// "sim:..." -> VirtualChanger, "iscsi://..." -> IscsiTransport, anything else -> SgTransport
// (a /dev/sgN node or a symlink to one, such as /dev/tape/by-id/...).
Result<std::unique_ptr<Transport>> open_transport(const std::string& device);

} // namespace sgio
