// Private to the virtual changer: the SMC-3 command set, as functions of the model and a CDB.
#pragma once

#include "virtual_changer_state.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace sgio::detail {

// What a command produced, before it is fitted into the caller's buffer.
struct VcReply {
    uint8_t status = status::Good;
    uint8_t key = 0, asc = 0, ascq = 0;
    std::optional<uint16_t> field; // byte of the CDB at fault (ILLEGAL REQUEST)
    int bit = -1;                  // bit within that byte, -1 = whole byte
    bool has_data = false;
    std::vector<uint8_t> data;
    uint32_t allocation = 0;
};

// CDB length of the opcode's group: 6, 10, 12 or 16; 1 for the reserved and vendor groups.
size_t cdb_length(uint8_t opcode);

// Runs one CDB (at least cdb_length bytes) against the model: a pending unit attention first,
// then the command. Sets model.dirty when the persisted state changed.
VcReply run_command(const VirtualChangerConfig& config, VcModel& model,
                    std::span<const uint8_t> cdb);

// Fixed-format (70h) sense data, 18 bytes, with the sense-key-specific field pointer when known.
std::vector<uint8_t> fixed_sense(uint8_t key, uint8_t asc, uint8_t ascq,
                                 std::optional<uint16_t> field = {}, int bit = -1);

// The element as READ ELEMENT STATUS reports it, for assertions and tools.
ElementStatus element_status_of(const VirtualChangerConfig& config, const VcModel& model,
                                const VcElement& element);

} // namespace sgio::detail
