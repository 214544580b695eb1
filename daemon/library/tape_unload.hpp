// A real tape drive holds its cartridge until the tape is unloaded (rewound and ejected from the
// drive's path); only then can the robot take it. Before a move out of a drive, ntmsd unloads it
// through the drive's st device when it knows that device (Drive.Device): MTOFFL, which the st
// driver sends as SSC LOAD UNLOAD. Changers that unload their drives themselves (tgt, and many
// libraries) accept the move either way; the move is always tried, and its answer is the truth.
#pragma once

#include "sgio/result.hpp"

#include <string>

namespace ntms {

// What the unload did, for the log and for the message of a move the changer then refuses.
struct TapeUnload {
    bool tried = false;  // a tape device was known and asked
    bool done = false;   // it unloaded
    std::string message; // "/dev/nst0 unloaded", "/dev/nst0: MTOFFL: Input/output error", ...
};

// MTOFFL on `device` (opened read-only and non-blocking, so that an empty drive or one without
// a tape ready does not block the open). An empty `device` is not tried. Blocks while the drive
// rewinds and unloads: call it on a library's worker, never on the bus thread.
TapeUnload unload_tape(const std::string& device);

// The changer's refusal of a move out of a drive that still holds its tape: 53h/02 and 53h/03
// (medium removal prevented, by the data transfer element), 53h/00 (media load or eject failed)
// and 3Bh/0E (source element empty, from a changer whose picker cannot reach a threaded tape),
// the last only when the drive is still full afterwards, which the caller checks.
bool refused_as_not_unloaded(const sgio::Error& e);

} // namespace ntms
