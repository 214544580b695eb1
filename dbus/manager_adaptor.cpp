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
    return guarded(ctx_, [&] {
        const auto id = Guid::parse(library);
        const Caller caller = id ? caller_for(ctx_, *id) : ctx_.callers.current();
        const InjectOptions opts = value_or_throw(parse_inject_options(options));
        const Guid started =
            value_or_throw(ctx_.manager.inject(library, action, job, opts, caller));
        // The manager reported the new job synchronously: export it now, so that JobNew and
        // InterfacesAdded reach subscribers before this reply.
        ctx_.directory.flush_events();
        return std::tuple<std::string, sdbus::ObjectPath>(started.str(), job_object(started));
    });
}

std::tuple<std::string, sdbus::ObjectPath> ManagerAdaptor::EjectMedia(const std::string& media,
                                                                      const uint32_t& action,
                                                                      const std::string& job,
                                                                      const OptionMap& options) {
    return guarded(ctx_, [&] {
        // polkit is told the library the medium (or the job to stop) belongs to.
        const auto lib = ctx_.manager.eject_library(media, job);
        const Caller caller = lib ? caller_for(ctx_, *lib) : ctx_.callers.current();
        const EjectOptions opts = value_or_throw(parse_inject_options(options));
        const Guid started = value_or_throw(ctx_.manager.eject(media, action, job, opts, caller));
        if (started.is_null()) // QUEUE: no job
            return std::tuple<std::string, sdbus::ObjectPath>(std::string(),
                                                              sdbus::ObjectPath("/"));
        ctx_.directory.flush_events();
        return std::tuple<std::string, sdbus::ObjectPath>(started.str(), job_object(started));
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
        return library_path(value_or_throw(ctx_.manager.find_library(library)));
    });
}

std::vector<sdbus::ObjectPath> ManagerAdaptor::ListLibraries() {
    return guarded([&] {
        ctx_.directory.flush_events();
        std::vector<sdbus::ObjectPath> out;
        for (const auto& id : ctx_.manager.libraries())
            out.push_back(library_path(id));
        return out;
    });
}

sdbus::ObjectPath ManagerAdaptor::GetJob(const std::string& job) {
    return guarded([&] {
        const Guid id = parse_guid(job, "job");
        if (ctx_.directory.exported_job(id))
            return job_path(id);
        return ctx_.directory.show_job(value_or_throw(ctx_.manager.job(id)));
    });
}

sdbus::ObjectPath ManagerAdaptor::GetOperatorRequest(const std::string& request) {
    return guarded([&] {
        const Guid id = parse_guid(request, "operator request");
        if (ctx_.directory.exported_oprequest(id))
            return oprequest_path(id);
        return ctx_.directory.show_oprequest(value_or_throw(ctx_.manager.oprequest(id)));
    });
}

// Answered from the keeper's thread once the backup is written: the reply is handed to the bus
// thread, the only one that touches the connection, and the Result goes with it.
void ManagerAdaptor::Backup(sdbus::Result<>&& result, sdbus::UnixFd file) {
    guarded(ctx_, [&] {
        const Caller caller = ctx_.callers.current();
        auto reply = std::make_shared<sdbus::Result<>>(std::move(result));
        Directory& directory = ctx_.directory;
        auto done = [&directory, reply](Expected<BackupReport> outcome) mutable {
            directory.post([reply = std::move(reply), outcome = std::move(outcome)] {
                try {
                    if (outcome)
                        reply->returnResults();
                    else
                        reply->returnError(
                            make_error(outcome.error().code, outcome.error().message));
                } catch (const std::exception&) {
                    // The caller left meanwhile: nobody to answer.
                }
            });
        };
        // A refusal here is thrown, and sdbus-c++ sends it as the reply; then done never runs.
        ok_or_throw(ctx_.manager.backup(UniqueFd(file.release()), caller, std::move(done)));
    });
}

std::string ManagerAdaptor::Version() {
    return guarded([&] { return version_; });
}

} // namespace ntms::dbus
