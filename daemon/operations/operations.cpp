// The operation kinds ntmsd has steps for. A kind not listed here is refused by the front door
// and, should a job of it reach a worker anyway (a database written by a newer ntmsd), ends
// FAILED with ERROR_NOT_SUPPORTED.
#include "daemon/jobs/operation.hpp"
#include "daemon/operations/clean.hpp"
#include "daemon/operations/eject.hpp"
#include "daemon/operations/door.hpp"
#include "daemon/operations/inject.hpp"
#include "daemon/operations/inventory.hpp"
#include "daemon/operations/mount.hpp"
#include "daemon/operations/move.hpp"

namespace ntms {

OperationFactory standard_operations() {
    return [](const JobRecord& job) -> std::unique_ptr<Operation> {
        switch (job.operation) {
        case OperationKind::Inject:
            return std::make_unique<InjectOperation>();
        case OperationKind::Eject:
            return std::make_unique<EjectOperation>();
        case OperationKind::DoorAccess:
            return std::make_unique<DoorOperation>();
        case OperationKind::Inventory:
            return std::make_unique<InventoryOperation>();
        case OperationKind::Mount:
            return std::make_unique<MountOperation>();
        case OperationKind::Dismount:
            return std::make_unique<DismountOperation>();
        case OperationKind::CleanDrive:
            return std::make_unique<CleanOperation>();
        case OperationKind::Move:
            return std::make_unique<MoveOperation>();
        default:
            return nullptr;
        }
    };
}

} // namespace ntms
