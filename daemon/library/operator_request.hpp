// The operator requests a library's jobs and its port watcher post and end: each change recorded
// in the database first, then announced on the bus (PropertiesChanged, OperatorRequestNew) and in
// the journal.
#pragma once

#include "daemon/model.hpp"
#include "daemon/status.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace ntms {

class Library;
class Store;

struct PostedRequest {
    OpRequestRecord record;
    std::optional<uint16_t> port; // the port element it is about, for the journal
};

// A new SUBMITTED request of the library, tied to `job` unless it is null.
Expected<PostedRequest> post_operator_request(Library& lib, Store& db, OpRequestType type,
                                              std::string message, const Guid& job,
                                              std::optional<uint16_t> port);
// Ends it (COMPLETE or REFUSED). A change that cannot be recorded is logged and not announced.
void end_operator_request(Library& lib, Store& db, PostedRequest request, OpRequestState to);

} // namespace ntms
