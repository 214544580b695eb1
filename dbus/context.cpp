#include "context.hpp"

#include "dbus/guard.hpp"

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

void require_use(BusContext& ctx, const Guid& library, const Caller& caller) {
    auto snap = ctx.manager.library(library, caller);
    if (snap)
        return;
    if (snap.error().code == win32::ObjectNotFound && caller.uid == 0)
        return;
    throw_status(snap.error());
}

} // namespace ntms::dbus
