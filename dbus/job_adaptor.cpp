#include "job_adaptor.hpp"

#include "dbus/guard.hpp"

namespace ntms::dbus {

namespace {

uint64_t usec(int64_t t) {
    return t > 0 ? static_cast<uint64_t>(t) : 0;
}

} // namespace

JobAdaptor::JobAdaptor(sdbus::IConnection& connection, BusContext& ctx, JobRecord job)
    : AdaptorInterfaces(connection, job_path(job.id)), ctx_(ctx), job_(std::move(job)) {
    registerAdaptor();
}

JobAdaptor::~JobAdaptor() {
    unregisterAdaptor();
}

const JobRecord& JobAdaptor::read() {
    return job_; // open to every caller: PropertiesChanged carries the same
}

bool JobAdaptor::update(const JobRecord& job) {
    const JobRecord& a = job_;
    const JobRecord& b = job;
    std::vector<std::string> changed;
    auto check = [&](bool differs, const char* name) {
        if (differs)
            changed.emplace_back(name);
    };
    check(a.state != b.state, "State");
    check(a.error != b.error, "Error");
    check(a.error_message != b.error_message, "ErrorMessage");
    check(is_final(a.state) != is_final(b.state), "Cancelable");
    check(a.media_moved != b.media_moved, "MediaMoved");
    check(a.time_started != b.time_started, "TimeStarted");
    check(a.time_completed != b.time_completed, "TimeCompleted");
    const bool ended = !is_final(a.state) && is_final(b.state);
    job_ = job;
    if (!changed.empty())
        emitPropertiesChangedSignal(org::ntms::Ntms1::Job_adaptor::INTERFACE_NAME, changed);
    if (ended)
        emitCompleted(job_.error, job_.error_message);
    return ended;
}

void JobAdaptor::Cancel(sdbus::Result<>&& result, OptionMap options) {
    guarded(ctx_, [&] {
        ok_or_throw(parse_cancel_options(options));
        // Who calls is known only while the call is handled here; polkit is asked, and the
        // job's end committed, on the submitter's thread.
        const Caller caller = caller_for(ctx_, job_.library);
        Manager& manager = ctx_.manager;
        answer_with_change(
            ctx_, std::move(result), ctx_.callers.refusal_reader(),
            [&manager, id = job_.id, caller] { return manager.cancel_job(id, caller); });
    });
}

std::string JobAdaptor::Id() {
    return guarded([&] { return read().id.str(); });
}
sdbus::ObjectPath JobAdaptor::Library() {
    return guarded([&] { return library_path(read().library); });
}
std::string JobAdaptor::Operation() {
    return guarded([&] { return std::string(operation_name(read().operation)); });
}
uint32_t JobAdaptor::Action() {
    return guarded([&] { return static_cast<uint32_t>(read().action); });
}
uint32_t JobAdaptor::State() {
    return guarded([&] { return static_cast<uint32_t>(read().state); });
}
uint32_t JobAdaptor::Error() {
    return guarded([&] { return read().error; });
}
std::string JobAdaptor::ErrorMessage() {
    return guarded([&] { return read().error_message; });
}
bool JobAdaptor::Cancelable() {
    return guarded([&] { return !is_final(read().state); });
}
uint32_t JobAdaptor::MediaMoved() {
    return guarded([&] { return read().media_moved; });
}
std::vector<std::string> JobAdaptor::Media() {
    return guarded([&] {
        // The job keeps its list (JobRecord::media): no query on the bus thread.
        std::vector<std::string> out;
        out.reserve(read().media.size());
        for (const auto& m : read().media)
            out.push_back(m.str());
        return out;
    });
}
std::vector<std::string> JobAdaptor::Drives() {
    return guarded([&] {
        // The job keeps them (JobRecord::drives): no query on the bus thread.
        std::vector<std::string> out;
        for (const auto& d : Manager::job_drives(read()))
            out.push_back(d.is_null() ? std::string() : d.str());
        return out;
    });
}
uint64_t JobAdaptor::TimeQueued() {
    return guarded([&] { return usec(read().time_queued); });
}
uint64_t JobAdaptor::TimeStarted() {
    return guarded([&] { return usec(read().time_started); });
}
uint64_t JobAdaptor::TimeCompleted() {
    return guarded([&] { return usec(read().time_completed); });
}
std::string JobAdaptor::Application() {
    return guarded([&] { return read().application; });
}
uint32_t JobAdaptor::StartedByUID() {
    return guarded([&] { return read().uid; });
}

} // namespace ntms::dbus
