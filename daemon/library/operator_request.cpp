#include "daemon/library/operator_request.hpp"

#include "daemon/journal.hpp"
#include "daemon/library/library.hpp"
#include "daemon/store/store.hpp"

#include <fmt/format.h>
#include <syslog.h>
#include <utility>

namespace ntms {

Expected<PostedRequest> post_operator_request(Library& lib, Store& db, OpRequestType type,
                                              std::string message, const Guid& job,
                                              std::optional<uint16_t> port) {
    OpRequestRecord r;
    r.id = Guid::random();
    r.type = type;
    r.state = OpRequestState::Submitted;
    r.message = std::move(message);
    r.library = lib.id();
    r.job = job;
    r.submitted = r.changed = now_usec();
    if (auto s = db.insert_oprequest(r); !s)
        return s.error();
    lib.events().oprequest_changed(r);
    journal_oprequest(r, lib.name(), port);
    return PostedRequest{std::move(r), port};
}

void end_operator_request(Library& lib, Store& db, PostedRequest request, OpRequestState to) {
    OpRequestRecord& r = request.record;
    r.state = to;
    r.changed = now_usec();
    if (auto u = db.update_oprequest(r); !u) {
        log(LOG_ERR, fmt::format("Library {}: cannot end operator request {}: {}", lib.name(),
                                 r.id.str(), u.error().message));
        return;
    }
    lib.events().oprequest_changed(r);
    journal_oprequest(r, lib.name(), request.port);
}

} // namespace ntms
