// The domain as ntmsd's main wires it (database, job ledger, registry of libraries, front door),
// in one object for tests: the Manager's calls, and the registry's start, stop and hot-plug.
#pragma once

#include "daemon/jobs/ledger.hpp"
#include "daemon/library/library.hpp"
#include "daemon/manager.hpp"
#include "daemon/registry/registry.hpp"
#include "daemon/store/shared_store.hpp"

namespace ntms::test {

struct DomainParts {
    DomainParts(const DaemonConfig& config, EventSink& events, TransportFactory transports,
                OperationFactory operations)
        : db(config.database), ledger(db, events),
          registry(config, db, ledger, events, std::move(transports), std::move(operations)) {}

    SharedStore db;
    JobLedger ledger;
    Registry registry;
};

class Domain : public DomainParts, public Manager {
public:
    Domain(const DaemonConfig& config, EventSink& events, TransportFactory transports = {},
           OperationFactory operations = {})
        : DomainParts(config, events, std::move(transports), std::move(operations)),
          Manager(registry, db, ledger, events) {}

    void start(const std::vector<FoundDevice>& present = {}) { registry.start(present); }
    void stop() { registry.stop(); }
    void device_added(const FoundDevice& d) { registry.device_added(d); }
    void device_removed(const FoundDevice& d) { registry.device_removed(d); }
    bool workers_alive() const { return registry.workers_alive(); }
    bool wait_first_inventory(std::chrono::milliseconds limit) const {
        return registry.wait_first_inventory(limit);
    }
};

} // namespace ntms::test
