#include "manager_adaptor.hpp"

#include "dbus/guard.hpp"

#include <fmt/format.h>

namespace ntms::dbus {

namespace {

Guid parse_guid(const std::string& text, const char* what) {
    auto g = Guid::parse(text);
    if (!g)
        throw make_error(win32::InvalidParameter,
                         fmt::format("'{}' is not a {} GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                                     text, what));
    return *g;
}

} // namespace

ManagerAdaptor::ManagerAdaptor(sdbus::IConnection& connection, BusContext& ctx, std::string version)
    : AdaptorInterfaces(connection, root_path), ctx_(ctx), version_(std::move(version)) {
    registerAdaptor();
}

ManagerAdaptor::~ManagerAdaptor() {
    unregisterAdaptor();
}

std::tuple<std::string, sdbus::ObjectPath> ManagerAdaptor::InjectMedia(const std::string& library,
                                                                       const uint32_t& action,
                                                                       const std::string& job,
                                                                       const OptionMap& options) {
    return guarded([&] {
        const Caller caller = ctx_.callers.current();
        const InjectOptions opts = value_or_throw(parse_inject_options(options));
        const Guid id = value_or_throw(ctx_.manager.inject(library, action, job, opts, caller));
        // The manager reported the new job synchronously: export it now, so that JobNew and
        // InterfacesAdded reach subscribers before this reply.
        ctx_.directory.flush_events();
        return std::tuple<std::string, sdbus::ObjectPath>(id.str(), job_object(id));
    });
}

sdbus::ObjectPath ManagerAdaptor::job_object(const Guid& id) {
    if (ctx_.directory.exported_job(id))
        return job_path(id);
    return ctx_.directory.show_job(value_or_throw(ctx_.manager.job(id)));
}

sdbus::ObjectPath ManagerAdaptor::GetLibrary(const std::string& library) {
    return guarded([&] {
        // A library found a moment ago is exported before its path is handed out.
        ctx_.directory.flush_events();
        const Caller caller = ctx_.callers.current();
        const Guid id = value_or_throw(ctx_.manager.find_library(library));
        (void)value_or_throw(ctx_.manager.library(id, caller));
        return library_path(id);
    });
}

std::vector<sdbus::ObjectPath> ManagerAdaptor::ListLibraries() {
    return guarded([&] {
        ctx_.directory.flush_events();
        const Caller caller = ctx_.callers.current();
        std::vector<sdbus::ObjectPath> out;
        for (const auto& id : ctx_.manager.libraries())
            if (ctx_.manager.library(id, caller))
                out.push_back(library_path(id));
        return out;
    });
}

sdbus::ObjectPath ManagerAdaptor::GetJob(const std::string& job) {
    return guarded([&] {
        const Caller caller = ctx_.callers.current();
        const Guid id = parse_guid(job, "job");
        if (const JobRecord* exported = ctx_.directory.exported_job(id)) {
            require_use(ctx_, exported->library, caller);
            return job_path(id);
        }
        const JobRecord record = value_or_throw(ctx_.manager.job(id));
        require_use(ctx_, record.library, caller);
        return ctx_.directory.show_job(record);
    });
}

sdbus::ObjectPath ManagerAdaptor::GetOperatorRequest(const std::string& request) {
    return guarded([&] {
        const Caller caller = ctx_.callers.current();
        const Guid id = parse_guid(request, "operator request");
        if (const OpRequestRecord* exported = ctx_.directory.exported_oprequest(id)) {
            require_use(ctx_, exported->library, caller);
            return oprequest_path(id);
        }
        const OpRequestRecord record = value_or_throw(ctx_.manager.oprequest(id));
        require_use(ctx_, record.library, caller);
        return ctx_.directory.show_oprequest(record);
    });
}

std::string ManagerAdaptor::Version() {
    return guarded([&] { return version_; });
}

} // namespace ntms::dbus
