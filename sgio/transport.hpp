// The one hardware interface: something that executes a CDB.
#pragma once

#include "result.hpp"

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace sgio {

enum class Direction { None, FromDevice, ToDevice };

namespace status {
inline constexpr uint8_t Good = 0x00;
inline constexpr uint8_t CheckCondition = 0x02;
inline constexpr uint8_t ConditionMet = 0x04;
inline constexpr uint8_t Busy = 0x08;
inline constexpr uint8_t ReservationConflict = 0x18;
inline constexpr uint8_t TaskSetFull = 0x28;
inline constexpr uint8_t TaskAborted = 0x40;
} // namespace status

// Outcome of a command that reached the device. A CHECK CONDITION is a CommandResult, not an Error:
// the Changer decides what it means. Errors are reserved for "the command did not complete".
struct CommandResult {
    uint8_t status = status::Good;
    Sense sense{};
    std::vector<uint8_t> sense_bytes;
    size_t transferred = 0; // bytes actually moved (buffer.size() - residual for data-in)
    size_t residual = 0;
    uint16_t host_status = 0; // SG_IO only
    uint16_t driver_status = 0;

    bool good() const { return status == status::Good; }
};

// The checks every transport makes before sending: CDB of 6..16 bytes, no buffer for a command
// without data, a data length the transport can express (max_length), a non-negative timeout.
Result<void> check_command_arguments(std::span<const uint8_t> cdb, Direction direction,
                                     std::span<const uint8_t> buffer,
                                     std::chrono::milliseconds timeout, size_t max_length);

class Transport {
public:
    virtual ~Transport() = default;
    Transport() = default;
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    // cdb: 6..16 bytes. buffer: data-in destination or data-out source (empty for None).
    virtual Result<CommandResult> execute(std::span<const uint8_t> cdb, Direction direction,
                                          std::span<uint8_t> buffer,
                                          std::chrono::milliseconds timeout) = 0;

    // "/dev/sg3", "iscsi://127.0.0.1:3260/iqn.../3", "sim:lab1"
    virtual std::string name() const = 0;

    // How often it had to connect to the device again (an iSCSI session lost and logged in anew).
    // What was read over an earlier connection may be stale: the device may have been restarted
    // meanwhile, and a new login consumes the unit attention that would have said so.
    virtual uint64_t reconnects() const { return 0; }

    // The largest data-in transfer one command can carry on this path, in bytes; 0 when the
    // transport cannot tell (the Changer then keeps its READ ELEMENT STATUS chunks small).
    virtual uint32_t max_transfer() const { return 0; }
};

} // namespace sgio
