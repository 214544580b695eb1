// What the domain tells its observers (the D-Bus adaptor, tests). Called from worker threads:
// implementations must not block and must not call back into the Manager synchronously.
#pragma once

#include "model.hpp"

namespace ntms {

class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void job_added(const JobRecord&) {}
    virtual void job_changed(const JobRecord&) {} // any field, including the final state
    virtual void library_changed(const Guid&) {}  // snapshot fields changed (online, slots, ports)
    virtual void library_added(const Guid&) {}    // a new library, found while running
    virtual void oprequest_changed(const OpRequestRecord&) {}
};

} // namespace ntms
