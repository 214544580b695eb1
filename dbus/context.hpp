// What every adaptor needs: the domain, the identity of the caller, and the directory of exported
// objects kept by the bus service. Object paths are built here, in one place.
#pragma once

#include "common/bus_names.hpp"
#include "daemon/manager.hpp"
#include "dbus/caller_identity.hpp"
#include "dbus/guard.hpp"
#include "dbus/submitter.hpp"

#include <functional>
#include <optional>
#include <sdbus-c++/MethodResult.h>
#include <sdbus-c++/Types.h>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace ntms::dbus {

using bus::root_path;

sdbus::ObjectPath library_path(const Guid& id);
sdbus::ObjectPath job_path(const Guid& id);
sdbus::ObjectPath oprequest_path(const Guid& id);
sdbus::ObjectPath drive_path(const Guid& id);

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
    // Runs task on the bus thread (from any thread): how a reply made elsewhere is sent.
    virtual void post(std::function<void()> task) = 0;
};

struct BusContext {
    Manager& manager;
    CallerIdentity& callers;
    Directory& directory;
    Submitter& submitter;
    // The thread of the methods whose reply is read from the database (answer_with_read), apart
    // from the submitter's so that a long list never waits behind job commits, nor they behind it.
    Submitter& reader;
};

// The job's object, exported again from the database when it is not on the bus. Bus thread.
sdbus::ObjectPath job_object(BusContext& ctx, const Guid& id);

using JobReply = sdbus::Result<std::string, sdbus::ObjectPath>;

// Answers a method that queues a job without holding the bus thread while the job is committed:
// `work` runs on the submitter's thread; then, on the bus thread, the events it caused go out
// (JobNew before the reply), the job is exported and `result` gets its GUID and path, or the
// error (with polkit's reason, read from `refusal` once work is done, added to an AccessDenied). A
// null GUID is answered
// ("", "/"): a request that made no job (EjectMedia's QUEUE). When too many calls are waiting
// already, the caller gets Busy at once. Called on the bus thread, inside the method.
void answer_with_job(BusContext& ctx, JobReply&& result, std::function<std::string()> refusal,
                     std::function<Expected<Guid>()> work);

// Answers a method that changes a record and returns nothing (Job.Cancel, OperatorRequest's
// Satisfy and Cancel) as answer_with_job does: `work` runs on the submitter's thread, where
// polkit is asked and the change committed; then, on the bus thread, the events it caused go out
// (PropertiesChanged, Completed) and the empty reply follows, or the error.
void answer_with_change(BusContext& ctx, sdbus::Result<>&& result,
                        std::function<std::string()> refusal, std::function<Expected<void>()> work);

// What answer_with_job, answer_with_change and answer_with_read share: `work` runs on `thread`
// (what it throws is converted as guarded() does, and an AccessDenied gets polkit's reason from
// `refusal`); then, on the bus thread, `ok` sends the reply, or `fail` sends the error that work
// threw or ok threw. Throws Busy when `thread` has too many calls waiting. Called on the bus
// thread.
void answer_later(BusContext& ctx, Submitter& thread, std::function<std::string()> refusal,
                  std::function<void()> work, std::function<void()> ok,
                  std::function<void(const sdbus::Error&)> fail);

// Answers a method whose reply is read from the database (ListMedia, DescribeMedia,
// ListElements) without holding the bus thread while it is read and the caller's right is
// checked: `read` runs on the reader's thread, then `reply_of` turns what it read into the
// reply's values on the bus thread. Whatever holds an sdbus::Variant is made there: a Variant
// is a message of its thread's own sd-bus object, which is not safe to share between threads.
// Take what needs the message being handled (caller_for) before, on the bus thread. Errors as
// answer_with_job's.
template <typename T, typename... R>
void answer_with_read(BusContext& ctx, sdbus::Result<R...>&& result,
                      std::type_identity_t<std::function<T()>> read,
                      std::type_identity_t<std::function<std::tuple<R...>(T&&)>> reply_of) {
    auto reply = std::make_shared<sdbus::Result<R...>>(std::move(result));
    auto got = std::make_shared<std::optional<T>>();
    answer_later(
        ctx, ctx.reader, ctx.callers.refusal_reader(),
        [got, read = std::move(read)] { got->emplace(read()); },
        [reply, got, reply_of = std::move(reply_of)] {
            std::tuple<R...> values = reply_of(std::move(got->value()));
            std::apply([&](const auto&... v) { reply->returnResults(v...); }, values);
        },
        [reply](const sdbus::Error& e) { reply->returnError(e); });
}

// Authorization is the manager's: the methods that act on a library or return its data (inject,
// cancel, satisfy, ListMedia) check the caller's right there, before any work. Properties, signals
// and the lookups that return object paths are open to every caller the bus policy admits: the
// same data is broadcast in InterfacesAdded and PropertiesChanged anyway.

// The caller of the message being handled, with the library acted on as polkit details:
// "library" (its name) and "library_guid"; without details when the call names no library.
Caller caller_for(BusContext& ctx, const std::optional<Guid>& library);

// guarded() for a method whose rights the manager checks: when polkit refused the caller, its
// reason is added to the AccessDenied message.
template <typename F> auto guarded(BusContext& ctx, F&& f) -> decltype(f()) {
    try {
        return guarded(std::forward<F>(f));
    } catch (const sdbus::Error& e) {
        std::string why = ctx.callers.refusal();
        if (why.empty() || e.getName() != error_name(win32::AccessDenied))
            throw;
        throw sdbus::Error(e.getName(), e.getMessage() + "; " + why);
    }
}

} // namespace ntms::dbus
