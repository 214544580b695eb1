// The front door's library operations besides inject: InventoryNtmsLibrary and
// AccessNtmsLibraryDoor. Same shape as inject (manager.cpp): parameters first, then the checks in
// RSM's order, each changing nothing when it fails, then one job durably queued.
#include "daemon/jobs/ledger.hpp"
#include "daemon/library/library.hpp"
#include "daemon/manager.hpp"
#include "daemon/operations/inventory.hpp"
#include "daemon/registry/registry.hpp"
#include "daemon/request_limits.hpp"
#include "daemon/store/shared_store.hpp"

#include <fmt/format.h>
#include <new>

namespace ntms {

Expected<Library*> Manager::operable(const Guid& id, const Caller& who) const {
    if (!db_.usable())
        return db_.status();
    auto found = with_right(id, who, Right::Control);
    if (!found)
        return found.error();
    const LibrarySnapshot snap = (*found)->snapshot();
    if (!snap.enabled)
        return fail(win32::DeviceNotAvailable, fmt::format("library {} is disabled", snap.name));
    if (!snap.online())
        return fail(win32::LibraryOffline,
                    fmt::format("library {} is offline: {}", snap.name, snap.offline_reason));
    return found;
}

Expected<Guid> Manager::submit(Library& lib, OperationKind kind, uint32_t action,
                               const std::string& application, const Caller& who) {
    if (lib.queue().queued_count() >= lib.config().max_queued_jobs)
        return fail(win32::Busy,
                    fmt::format("library {} already has {} jobs queued (MaxQueuedJobs=)",
                                lib.name(), lib.config().max_queued_jobs));
    JobRecord job;
    job.id = Guid::random();
    job.library = lib.id();
    job.operation = kind;
    // The record's action column holds each kind's own action code.
    job.action = static_cast<InjectAction>(action);
    job.application = application;
    job.uid = who.uid;
    return ledger_.enqueue(std::move(job), lib.name(), lib.queue());
}

Expected<Guid> Manager::inventory(const Guid& library, uint32_t action,
                                  const std::string& application, const Caller& who) try {
    // RSM's InventoryNtmsLibrary takes OMID, FAST, DEFAULT and STOP; SLOT is a library's
    // InventoryMethod (what DEFAULT does), not an action.
    const auto method = static_cast<InventoryMethod>(action);
    if (method != InventoryMethod::Fast && method != InventoryMethod::Omid &&
        method != InventoryMethod::Default && method != InventoryMethod::Stop)
        return fail(
            win32::InvalidParameter,
            fmt::format("action {} is not one of FAST 1, OMID 2, DEFAULT 3, STOP 5{}", action,
                        method == InventoryMethod::Slot
                            ? " (SLOT is an InventoryMethod= of ntmsd.conf, done by DEFAULT)"
                            : ""));
    if (auto bad = application_over_bound(application))
        return *bad;
    auto found = operable(library, who);
    if (!found)
        return found.error();
    Library& lib = **found;
    if (method == InventoryMethod::Omid)
        return fail(win32::NotSupported,
                    fmt::format("library {}: OMID inventory (reading each tape's label in a drive) "
                                "is not supported; use FAST or DEFAULT",
                                lib.name()));
    if (method == InventoryMethod::Stop) {
        if (auto running = lib.queue().running();
            running && lib.queue().control(*running, JobControl::Stop, OperationKind::Inventory))
            return *running;
        // One still waiting in the queue never starts.
        for (const Guid& queued : lib.queue().queued()) {
            if (lib.queue().cancel(queued, who.name, OperationKind::Inventory) !=
                JobQueue::CancelResult::NotHere)
                return queued;
        }
        return fail(win32::InvalidOperation,
                    fmt::format("library {} has no inventory running or queued", lib.name()));
    }
    return submit(lib, OperationKind::Inventory, action, application, who);
} catch (const std::bad_alloc&) {
    return fail(win32::NotEnoughMemory, "out of memory");
}

Expected<Guid> Manager::access_door(const Guid& library, uint32_t action,
                                    const std::string& application, const Caller& who) try {
    // RSM's dwAction here is the inventory to run once the door is closed again.
    const auto method = static_cast<InventoryMethod>(action);
    if (method != InventoryMethod::None && method != InventoryMethod::Fast &&
        method != InventoryMethod::Omid && method != InventoryMethod::Default)
        return fail(win32::InvalidParameter,
                    fmt::format("action {} is not one of NTMS_INVENTORY_NONE 0, FAST 1, OMID 2, "
                                "DEFAULT 3",
                                action));
    if (auto bad = application_over_bound(application))
        return *bad;
    auto found = operable(library, who);
    if (!found)
        return found.error();
    Library& lib = **found;
    if (!lib.snapshot().door)
        return fail(win32::ResourceNotPresent,
                    fmt::format("library {} has no door that ntmsd can release (Door= in "
                                "ntmsd.conf)",
                                lib.name()));
    if (method == InventoryMethod::Omid)
        return fail(win32::NotSupported,
                    fmt::format("library {}: OMID inventory (reading each tape's label in a drive) "
                                "is not supported; use NONE, FAST or DEFAULT",
                                lib.name()));
    return submit(lib, OperationKind::DoorAccess, action, application, who);
} catch (const std::bad_alloc&) {
    return fail(win32::NotEnoughMemory, "out of memory");
}

} // namespace ntms
