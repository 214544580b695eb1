#include "oprequest_adaptor.hpp"

#include "dbus/guard.hpp"

namespace ntms::dbus {

bool is_answered(OpRequestState s) {
    return s == OpRequestState::Complete || s == OpRequestState::Refused;
}

OpRequestAdaptor::OpRequestAdaptor(sdbus::IConnection& connection, BusContext& ctx,
                                   OpRequestRecord request)
    : AdaptorInterfaces(connection, oprequest_path(request.id)), ctx_(ctx),
      request_(std::move(request)) {
    registerAdaptor();
}

OpRequestAdaptor::~OpRequestAdaptor() {
    unregisterAdaptor();
}

const OpRequestRecord& OpRequestAdaptor::read() {
    return request_; // open to every caller: PropertiesChanged carries the same
}

void OpRequestAdaptor::update(const OpRequestRecord& r) {
    std::vector<std::string> changed;
    if (r.state != request_.state)
        changed.emplace_back("State");
    if (r.message != request_.message)
        changed.emplace_back("Message");
    if (r.changed != request_.changed)
        changed.emplace_back("TimeChanged");
    request_ = r;
    if (!changed.empty())
        emitPropertiesChangedSignal(org::ntms::Ntms1::OperatorRequest_adaptor::INTERFACE_NAME,
                                    changed);
}

void OpRequestAdaptor::Satisfy(sdbus::Result<>&& result) {
    answer(std::move(result), &Manager::satisfy_oprequest);
}

void OpRequestAdaptor::Cancel(sdbus::Result<>&& result) {
    answer(std::move(result), &Manager::cancel_oprequest);
}

void OpRequestAdaptor::answer(sdbus::Result<>&& result,
                              Expected<void> (Manager::*how)(const Guid&, const Caller&)) {
    guarded(ctx_, [&] {
        // Who calls is known only while the call is handled here; polkit is asked, and the
        // answer committed, on the submitter's thread.
        const Caller caller = caller_for(ctx_, request_.library);
        Manager& manager = ctx_.manager;
        answer_with_change(
            ctx_, std::move(result), ctx_.callers.refusal_reader(),
            [&manager, how, id = request_.id, caller] { return (manager.*how)(id, caller); });
    });
}

std::string OpRequestAdaptor::Id() {
    return guarded([&] { return read().id.str(); });
}
uint32_t OpRequestAdaptor::Type() {
    return guarded([&] { return static_cast<uint32_t>(read().type); });
}
uint32_t OpRequestAdaptor::State() {
    return guarded([&] { return static_cast<uint32_t>(read().state); });
}
std::string OpRequestAdaptor::Message() {
    return guarded([&] { return read().message; });
}
sdbus::ObjectPath OpRequestAdaptor::Library() {
    return guarded([&] { return library_path(read().library); });
}
sdbus::ObjectPath OpRequestAdaptor::Job() {
    return guarded([&] {
        const auto& r = read();
        return r.job.is_null() ? sdbus::ObjectPath("/") : job_path(r.job);
    });
}
uint64_t OpRequestAdaptor::TimeSubmitted() {
    return guarded([&] { return static_cast<uint64_t>(std::max<int64_t>(read().submitted, 0)); });
}
uint64_t OpRequestAdaptor::TimeChanged() {
    return guarded([&] {
        const auto& r = read();
        return static_cast<uint64_t>(std::max<int64_t>(std::max(r.changed, r.submitted), 0));
    });
}

} // namespace ntms::dbus
