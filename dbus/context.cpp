#include "context.hpp"

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

Caller caller_for(BusContext& ctx, const Guid& library) {
    Polkit::Details details{{"library_guid", library.str()}};
    if (auto snap = ctx.manager.library(library, Caller::root()))
        details.emplace("library", snap->name);
    return ctx.callers.current(details);
}

sdbus::ObjectPath job_object(BusContext& ctx, const Guid& id) {
    if (ctx.directory.exported_job(id))
        return job_path(id);
    return ctx.directory.show_job(value_or_throw(ctx.manager.job(id)));
}

void answer_with_job(BusContext& ctx, JobReply&& result,
                     std::function<std::string()> refusal, std::function<Expected<Guid>()> work) {
    auto reply = std::make_shared<JobReply>(std::move(result));
    std::function<void()> task = [&ctx, reply, refusal = std::move(refusal),
                                  work = std::move(work)]() mutable {
        // What work throws becomes the reply's error as a method's would (guarded()).
        std::optional<Expected<Guid>> made;
        std::optional<sdbus::Error> thrown;
        try {
            guarded([&] { made = work(); });
        } catch (const sdbus::Error& e) {
            thrown = e;
        }
        std::string why = refusal(); // polkit was asked (if at all) by work, on this thread
        // The reply goes with the task (no copy stays here): it is made and freed on the bus
        // thread, the only one that touches the connection.
        ctx.directory.post([&ctx, reply = std::move(reply), refusal = std::move(why),
                            made = std::move(made), thrown = std::move(thrown)]() {
            try {
                if (thrown)
                    throw *thrown;
                if (!*made) {
                    const Status& status = made->error();
                    std::string message = status.message;
                    if (status.code == win32::AccessDenied && !refusal.empty())
                        message += "; " + refusal;
                    throw make_error(status.code, message);
                }
                const Guid id = made->value();
                if (id.is_null()) {
                    reply->returnResults(std::string(), sdbus::ObjectPath("/"));
                    return;
                }
                ctx.directory.flush_events();
                sdbus::ObjectPath path = guarded([&] { return job_object(ctx, id); });
                reply->returnResults(id.str(), std::move(path));
            } catch (const sdbus::Error& e) {
                try {
                    reply->returnError(e);
                } catch (const std::exception&) {
                }
            } catch (const std::exception&) {
                // The caller left meanwhile, or no memory for the reply: nobody to answer.
            }
        });
    };
    if (!ctx.submitter.submit(task))
        throw make_error(win32::Busy, "ntmsd has too many job requests waiting; try again");
}

} // namespace ntms::dbus
