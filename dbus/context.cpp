#include "context.hpp"

#include "dbus/event_queue.hpp"

#include <memory>
#include <optional>

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

Caller caller_for(BusContext& ctx, const std::optional<Guid>& library) {
    if (!library)
        return ctx.callers.current();
    Polkit::Details details{{"library_guid", library->str()}};
    if (auto snap = ctx.manager.library(*library, Caller::root()))
        details.emplace("library", snap->name);
    return ctx.callers.current(details);
}

sdbus::ObjectPath job_object(BusContext& ctx, const Guid& id) {
    if (ctx.directory.exported_job(id))
        return job_path(id);
    return ctx.directory.show_job(value_or_throw(ctx.manager.job(id)));
}

void answer_later(BusContext& ctx, Submitter& thread, std::function<std::string()> refusal,
                  std::function<void()> work, std::function<void()> ok,
                  std::function<void(const sdbus::Error&)> fail) {
    std::function<void()> task = [&ctx, refusal = std::move(refusal), work = std::move(work),
                                  ok = std::move(ok), fail = std::move(fail)]() mutable {
        // The events work causes (JobNew) and the reply reach the bus thread together.
        EventQueue::Hold together;
        std::optional<sdbus::Error> error;
        try {
            guarded(work);
        } catch (const sdbus::Error& e) {
            error = e;
        }
        // polkit was asked (if at all) by work, on this thread.
        if (error && error->getName() == error_name(win32::AccessDenied)) {
            if (std::string why = refusal(); !why.empty())
                error = sdbus::Error(error->getName(), error->getMessage() + "; " + why);
        }
        // The reply goes with the task (no copy stays here): it is made and freed on the bus
        // thread, the only one that touches the connection.
        ctx.directory.post(
            [ok = std::move(ok), fail = std::move(fail), error = std::move(error)]() {
                try {
                    if (error)
                        throw *error;
                    guarded(ok);
                } catch (const sdbus::Error& e) {
                    try {
                        fail(e);
                    } catch (const std::exception&) {
                    }
                } catch (const std::exception&) {
                    // The caller left meanwhile, or no memory for the reply: nobody to answer.
                }
            });
    };
    if (!thread.submit(task))
        throw make_error(win32::Busy, "ntmsd has too many requests waiting; try again");
}

void answer_with_job(BusContext& ctx, JobReply&& result, std::function<std::string()> refusal,
                     std::function<Expected<Guid>()> work) {
    auto reply = std::make_shared<JobReply>(std::move(result));
    auto made = std::make_shared<Guid>();
    answer_later(
        ctx, ctx.submitter, std::move(refusal),
        [made, work = std::move(work)] { *made = value_or_throw(work()); },
        [&ctx, reply, made] {
            // A null GUID: a request that made no job (EjectMedia's QUEUE).
            if (made->is_null()) {
                reply->returnResults(std::string(), sdbus::ObjectPath("/"));
                return;
            }
            ctx.directory.flush_events();
            sdbus::ObjectPath path = job_object(ctx, *made);
            reply->returnResults(made->str(), std::move(path));
        },
        [reply](const sdbus::Error& e) { reply->returnError(e); });
}

void answer_with_change(BusContext& ctx, sdbus::Result<>&& result,
                        std::function<std::string()> refusal,
                        std::function<Expected<void>()> work) {
    auto reply = std::make_shared<sdbus::Result<>>(std::move(result));
    answer_later(
        ctx, ctx.submitter, std::move(refusal), [work = std::move(work)] { ok_or_throw(work()); },
        [&ctx, reply] {
            ctx.directory.flush_events();
            reply->returnResults();
        },
        [reply](const sdbus::Error& e) { reply->returnError(e); });
}

} // namespace ntms::dbus
