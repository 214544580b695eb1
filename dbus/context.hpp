// What every adaptor needs: the domain, the identity of the caller, and the directory of exported
// objects kept by the bus service. Object paths are built here, in one place.
#pragma once

#include "daemon/manager.hpp"
#include "dbus/caller_identity.hpp"

#include <sdbus-c++/Types.h>
#include <string>

namespace ntms::dbus {

inline constexpr const char* bus_name = "org.ntms.Ntms1";
inline constexpr const char* root_path = "/org/ntms/Ntms1";

sdbus::ObjectPath library_path(const Guid& id);
sdbus::ObjectPath job_path(const Guid& id);
sdbus::ObjectPath oprequest_path(const Guid& id);

// Implemented by the bus service; called by adaptors on the bus thread.
class Directory {
public:
    virtual ~Directory() = default;
    // Applies the domain events waiting in the queue, so that a method's effects (JobNew,
    // PropertiesChanged) are on the bus before its reply.
    virtual void flush_events() = 0;
    // The job's record as exported, or null when it is not on the bus.
    virtual const JobRecord* exported_job(const Guid& id) const = 0;
    virtual const OpRequestRecord* exported_oprequest(const Guid& id) const = 0;
    // Exports the job (or request) if it is not on the bus yet; its path.
    virtual sdbus::ObjectPath show_job(const JobRecord& job) = 0;
    virtual sdbus::ObjectPath show_oprequest(const OpRequestRecord& request) = 0;
};

struct BusContext {
    Manager& manager;
    CallerIdentity& callers;
    Directory& directory;
};

// Reading a library's objects (the library, its jobs and operator requests) needs USE on it. A
// library no longer configured is known to root only. Throws the D-Bus error.
void require_use(BusContext& ctx, const Guid& library, const Caller& caller);

} // namespace ntms::dbus
