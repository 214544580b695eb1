#include "open.hpp"

#include "iscsi_transport.hpp"
#include "sg_transport.hpp"
#include "virtual_changer.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace sgio {

namespace {

// URL schemes are case-insensitive; device paths are not, and are never looked at here.
bool has_scheme(std::string_view device, std::string_view scheme) {
    return device.size() >= scheme.size() &&
           std::equal(scheme.begin(), scheme.end(), device.begin(), [](char a, char b) {
               return a == std::tolower(static_cast<unsigned char>(b));
           });
}

} // namespace

Result<std::unique_ptr<Transport>> open_transport(const std::string& device) {
    const std::string_view d(device);
    if (has_scheme(d, "sim:")) {
        auto config = VirtualChangerConfig::parse(device);
        if (!config)
            return std::move(config).error();
        auto sim = VirtualChanger::open(std::move(config).value());
        if (!sim)
            return std::move(sim).error();
        return std::unique_ptr<Transport>(std::move(sim).value());
    }
    if (has_scheme(d, "iscsi://")) {
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
