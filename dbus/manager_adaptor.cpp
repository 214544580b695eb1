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

void ManagerAdaptor::InjectMedia(JobReply&& result, std::string library, uint32_t action,
                                 std::string job, OptionMap options) {
    guarded(ctx_, [&] {
        // Who calls, and polkit's verdict, are known only while the call is handled here.
        const Caller caller = caller_for(ctx_, Guid::parse(library));
        const InjectOptions opts = value_or_throw(parse_inject_options(options));
        Manager& manager = ctx_.manager;
        answer_with_job(ctx_, std::move(result), ctx_.callers.refusal_reader(),
                        [&manager, library = std::move(library), action, job = std::move(job),
                         opts, caller] { return manager.inject(library, action, job, opts, caller); });
    });
}

void ManagerAdaptor::EjectMedia(JobReply&& result, std::string media, uint32_t action,
                                std::string job, OptionMap options) {
    guarded(ctx_, [&] {
        // polkit is told the library the medium (or the job to stop) belongs to.
        const Caller caller = caller_for(ctx_, ctx_.manager.eject_library(media, job));
        const EjectOptions opts = value_or_throw(parse_inject_options(options));
        Manager& manager = ctx_.manager;
        answer_with_job(ctx_, std::move(result), ctx_.callers.refusal_reader(),
                        [&manager, media = std::move(media), action, job = std::move(job), opts,
                         caller] { return manager.eject(media, action, job, opts, caller); });
    });
}

void ManagerAdaptor::MountMedia(JobReply&& result, std::vector<std::string> media,
                                std::vector<std::string> drives, uint32_t flags, int32_t priority,
                                OptionMap options) {
    guarded(ctx_, [&] {
        // polkit is told the library of the first medium.
        const Caller caller = caller_for(ctx_, ctx_.manager.media_library(media));
        const MountOptions opts = value_or_throw(parse_mount_options(options));
        Manager& manager = ctx_.manager;
        answer_with_job(ctx_, std::move(result), ctx_.callers.refusal_reader(),
                        [&manager, media = std::move(media), drives = std::move(drives), flags,
                         priority, opts, caller] {
                            return manager.mount(media, drives, flags, priority, opts, caller);
                        });
    });
}

void ManagerAdaptor::DismountMedia(JobReply&& result, std::vector<std::string> media,
                                   uint32_t flags, OptionMap options) {
    guarded(ctx_, [&] {
        const Caller caller = caller_for(ctx_, ctx_.manager.media_library(media));
        const MountOptions opts = value_or_throw(parse_dismount_options(options));
        Manager& manager = ctx_.manager;
        answer_with_job(ctx_, std::move(result), ctx_.callers.refusal_reader(),
                        [&manager, media = std::move(media), flags, opts, caller] {
                            return manager.dismount(media, flags, opts, caller);
                        });
    });
}

void ManagerAdaptor::CleanDrive(JobReply&& result, std::string drive, OptionMap options) {
    guarded(ctx_, [&] {
        // polkit is told the drive's library.
        const Caller caller = caller_for(ctx_, ctx_.manager.drive_library(drive));
        const MountOptions opts = value_or_throw(parse_mount_options(options));
        Manager& manager = ctx_.manager;
        answer_with_job(ctx_, std::move(result), ctx_.callers.refusal_reader(),
                        [&manager, drive = std::move(drive), opts, caller] {
                            return manager.clean(drive, opts, caller);
                        });
    });
}

void ManagerAdaptor::MoveMedia(JobReply&& result, std::string medium, uint16_t element,
                               OptionMap options) {
    guarded(ctx_, [&] {
        const Caller caller = caller_for(ctx_, ctx_.manager.media_library({medium}));
        const MountOptions opts = value_or_throw(parse_mount_options(options));
        Manager& manager = ctx_.manager;
        answer_with_job(ctx_, std::move(result), ctx_.callers.refusal_reader(),
                        [&manager, medium = std::move(medium), element, opts, caller] {
                            return manager.move(medium, element, opts, caller);
                        });
    });
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

namespace {

// GetJob and GetOperatorRequest: an object on the bus is answered at once; one that is not is read
// on the reader's thread and exported on the bus thread.
template <typename Record>
void answer_object(BusContext& ctx, sdbus::Result<sdbus::ObjectPath>&& result, bool exported,
                   const sdbus::ObjectPath& path, std::function<Record()> read,
                   std::function<sdbus::ObjectPath(const Record&)> show) {
    if (exported)
        return result.returnResults(path);
    answer_with_read<Record>(ctx, std::move(result), std::move(read),
                             [show = std::move(show)](Record&& r) { return std::tuple(show(r)); });
}

} // namespace

void ManagerAdaptor::GetJob(sdbus::Result<sdbus::ObjectPath>&& result, std::string job) {
    guarded(ctx_, [&] {
        const Guid id = parse_guid(job, "job");
        answer_object<JobRecord>(
            ctx_, std::move(result), ctx_.directory.exported_job(id), job_path(id),
            [&manager = ctx_.manager, id] { return value_or_throw(manager.job(id)); },
            [&directory = ctx_.directory](const JobRecord& j) { return directory.show_job(j); });
    });
}

void ManagerAdaptor::GetOperatorRequest(sdbus::Result<sdbus::ObjectPath>&& result,
                                        std::string request) {
    guarded(ctx_, [&] {
        const Guid id = parse_guid(request, "operator request");
        answer_object<OpRequestRecord>(
            ctx_, std::move(result), ctx_.directory.exported_oprequest(id), oprequest_path(id),
            [&manager = ctx_.manager, id] { return value_or_throw(manager.oprequest(id)); },
            [&directory = ctx_.directory](const OpRequestRecord& r) {
                return directory.show_oprequest(r);
            });
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

// Answered from the keeper's thread once the check is done, as Backup is.
void ManagerAdaptor::CheckDatabase(sdbus::Result<bool, std::vector<std::string>>&& result) {
    guarded(ctx_, [&] {
        const Caller caller = ctx_.callers.current();
        auto reply =
            std::make_shared<sdbus::Result<bool, std::vector<std::string>>>(std::move(result));
        Directory& directory = ctx_.directory;
        auto done = [&directory, reply](Expected<DatabaseCheck> outcome) mutable {
            directory.post([reply = std::move(reply), outcome = std::move(outcome)] {
                try {
                    if (outcome)
                        reply->returnResults(outcome->ok, outcome->problems);
                    else
                        reply->returnError(
                            make_error(outcome.error().code, outcome.error().message));
                } catch (const std::exception&) {
                    // The caller left meanwhile: nobody to answer.
                }
            });
        };
        ok_or_throw(ctx_.manager.check_database(caller, std::move(done)));
    });
}

std::string ManagerAdaptor::Version() {
    return guarded([&] { return version_; });
}

} // namespace ntms::dbus
