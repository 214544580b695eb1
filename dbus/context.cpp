#include "context.hpp"

namespace ntms::dbus {

sdbus::ObjectPath library_path(const Guid& id) {
    return sdbus::ObjectPath(std::string(root_path) + "/library/" + id.hex());
}

sdbus::ObjectPath job_path(const Guid& id) {
    return sdbus::ObjectPath(std::string(root_path) + "/job/" + id.hex());
}

sdbus::ObjectPath oprequest_path(const Guid& id) {
    return sdbus::ObjectPath(std::string(root_path) + "/oprequest/" + id.hex());
}

sdbus::ObjectPath drive_path(const Guid& id) {
    return sdbus::ObjectPath(std::string(root_path) + "/drive/" + id.hex());
}

Caller caller_for(BusContext& ctx, const Guid& library) {
    Polkit::Details details{{"library_guid", library.str()}};
    if (auto snap = ctx.manager.library(library, Caller::root()))
        details.emplace("library", snap->name);
    return ctx.callers.current(details);
}

} // namespace ntms::dbus
