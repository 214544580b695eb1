#include "open.hpp"

#include "fields.hpp"
#include "iscsi_transport.hpp"
#include "sg_transport.hpp"
#include "virtual_changer.hpp"

#include <string_view>

namespace sgio {

Result<std::unique_ptr<Transport>> open_transport(const std::string& device) {
    const std::string_view d(device);
    if (starts_with_nocase(d, "sim:")) {
        auto config = VirtualChangerConfig::parse(device);
        if (!config)
            return std::move(config).error();
        auto sim = VirtualChanger::open(std::move(config).value());
        if (!sim)
            return std::move(sim).error();
        return std::unique_ptr<Transport>(std::move(sim).value());
    }
    if (starts_with_nocase(d, "iscsi://")) {
        auto iscsi = IscsiTransport::open(device);
        if (!iscsi)
            return std::move(iscsi).error();
        return std::unique_ptr<Transport>(std::move(iscsi).value());
    }
    if (device.empty())
        return make_error(Errc::InvalidArgument, "empty device name");
    // Anything else is a path; open() follows symlinks such as /dev/tape/by-id/... itself.
    auto sg = SgTransport::open(device);
    if (!sg)
        return std::move(sg).error();
    return std::unique_ptr<Transport>(std::move(sg).value());
}

} // namespace sgio
