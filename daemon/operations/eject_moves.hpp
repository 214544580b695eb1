// The robot work and records an eject shares between its run and its account after a stop of
// ntmsd: a move with its durable intent, the element's status read back, and the records of a
// cartridge presented in the port, taken out by the operator, or brought back to a slot.
#pragma once

#include "daemon/model.hpp"
#include "daemon/status.hpp"
#include "sgio/element.hpp"
#include "sgio/result.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sgio {
class Changer;
}

namespace ntms {

class Library;
class Store;

// "NEW001L8", or "(unlabelled)".
std::string cartridge_label(const std::string& barcode);

// The media a job is to eject, from their "eject-requested" history rows, oldest first.
Expected<std::vector<Guid>> media_of_eject(Store& db, const Guid& job);

class EjectMoves {
public:
    EjectMoves(Library& lib, Store& db, JobRecord& job);

    // One element's status as the device has it now.
    Expected<sgio::ElementStatus> read_one(sgio::ElementType type, uint16_t address);
    // The port's elements.
    Expected<std::vector<sgio::ElementStatus>> read_port(uint16_t first, uint16_t count);

    // Storage slot -> port element, with the intent recorded first: the medium is then Exported
    // at `to` with an "eject" history row, and the job's count is one more.
    // (From a drive for an eject with FORCE of a mounted medium.)
    Expected<void> present(MediumRecord& m, uint16_t to,
                           sgio::ElementType from = sgio::ElementType::Storage);
    // Port element -> storage slot (its own slot when free, else the first free one); the medium
    // is InLibrary there again ("eject-returned"). nullopt: no free slot, it stays in the port.
    Expected<std::optional<uint16_t>> bring_back(MediumRecord& m, std::optional<uint16_t> home);
    // The operator took it out of the port: Gone, with an "operator-removed" row.
    Expected<void> taken(MediumRecord& m);

    // MOVE MEDIUM from m's element (of from_type) to `to` (of to_type), with the intent recorded
    // first and the move confirmed by reading both. Out of a drive, its tape is unloaded first
    // through its tape device when that is known (tape_unload.hpp); a changer that refuses the
    // move because the drive still holds the tape fails it with ERROR_MEDIUM_NOT_ACCESSIBLE and
    // what the unload did. On arrival `m` is recorded at `to` in state
    // `state` with a history row `reason`, in one transaction with the intent's end (and the
    // job's count one more with `count`). The catalogue's free slots follow.
    Expected<void> transfer(MediumRecord& m, sgio::ElementType from_type, uint16_t to,
                            sgio::ElementType to_type, MediumState state, const char* reason,
                            bool count);

private:
    // The tape device of the drive at `element` (Drive.Device); empty when not known.
    std::string drive_device(uint16_t element);
    // Slot -> port or port -> slot.
    Expected<void> move(MediumRecord& m, sgio::ElementType from_type, uint16_t to,
                        MediumState state, const char* reason, bool count);
    void offline(const sgio::Error& e);

    Library& lib_;
    Store& db_;
    JobRecord& job_;
    sgio::Changer& ch_;
};

} // namespace ntms
