// A complete SMC-3 medium changer in software: the first-class fake used by tests and by `sim:`
// libraries. It answers CDBs through the Transport interface exactly as a well-behaved library
// would (correct IMPEXP/ACCESS/INENAB/EXENAB bits, 28h/01h unit attention after operator access,
// PREVENT ALLOW, OPEN/CLOSE IMPORT/EXPORT ELEMENT), and exposes operator actions for tests.
//
// With a state file the element state lives on disk: each command and each operator action locks
// the file, loads it, applies itself and writes it back atomically, so the state outlives a daemon
// killed mid-move and another process (a test, `ntms-sim`) can act as the operator.
#pragma once

#include "cdb.hpp"
#include "element.hpp"
#include "transport.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sgio {

struct VirtualChangerConfig {
    std::string name = "sim";
    std::string vendor = "NTMS";
    std::string product = "VIRTUAL-CHANGER";
    std::string revision = "0100";
    std::string serial; // default: derived from name
    uint16_t transport_first = 1;
    uint16_t transports = 1;
    uint16_t drive_first = 2;
    uint16_t drives = 2;
    uint16_t ie_first = 100;
    uint16_t ie_count = 1; // 0 = no port, 1 = single-cartridge port, >1 = magazine
    uint16_t storage_first = 1000;
    uint16_t slots = 20;
    bool barcode_reader = true; // VTRP; without it VOLTAG requests get 5/24/00
    bool door = false;
    bool supports_prevent = true;    // PREVENT ALLOW; false answers 5/20/00
    bool supports_open_close = true; // 1Bh; false answers 5/20/00
    std::chrono::milliseconds move_time{0};
    // A drive unloads its tape before the robot can take the cartridge: a move out of a drive
    // takes this much longer than move_time.
    std::chrono::milliseconds unload_time{0};
    // A drive loaded with a cleaning cartridge (a bar code starting with "CLN") cleans its heads
    // for this long: its element reports ACCESS 0 meanwhile, as for a tape the drive holds
    // threaded, then ACCESS 1 again. 0: the drive reports ACCESS 1 at once.
    std::chrono::milliseconds clean_time{0};
    std::string state_file; // empty: memory only
    uint32_t fill = 0;      // cartridges placed in the first slots when the state is created
    // A real device reports 29h/00h (power on) to the first command after power-up; tests that
    // count commands keep it off, sim libraries of the daemon may turn it on.
    bool power_on_unit_attention = false;

    // "sim:NAME[,key=value...]" keys: slots, drives, ie, barcodes=yes|no, door=yes|no,
    // prevent=yes|no, openclose=yes|no, move-ms, unload-ms, clean-ms, state=PATH, fill=N (first N
    // slots get cartridges with barcodes S00001L8...), serial, poweron=yes|no.
    static Result<VirtualChangerConfig> parse(const std::string& spec);

    // The configuration recorded in an existing state file (state_file set to path), so that a
    // tool can act on a library it did not create.
    static Result<VirtualChangerConfig> from_state_file(const std::string& path);
};

// A fault the device will produce for `count` commands whose opcode matches, after letting
// `after` of them through.
struct Fault {
    std::optional<uint8_t> opcode; // nullopt: any command
    unsigned count = 1;
    enum class Kind { Sense, Busy, Timeout, Vanish } kind = Kind::Sense;
    uint8_t key = 0, asc = 0, ascq = 0; // for Kind::Sense
    unsigned after = 0;                 // matching commands that still succeed before the fault
};

class VirtualChanger final : public Transport {
public:
    // Creates the state file when missing (filled from config), otherwise loads it.
    static Result<std::unique_ptr<VirtualChanger>> open(VirtualChangerConfig config);

    ~VirtualChanger() override;

    Result<CommandResult> execute(std::span<const uint8_t> cdb, Direction direction,
                                  std::span<uint8_t> buffer,
                                  std::chrono::milliseconds timeout) override;
    std::string name() const override;
    // An in-memory device: nothing between it and its caller limits a transfer.
    uint32_t max_transfer() const override { return cdb::max_allocation_length; }

    const VirtualChangerConfig& config() const { return config_; }

    // Operator actions (also reachable from another process through the state file).
    Result<void> operator_insert(uint16_t ie_address, const std::string& barcode); // "" = no label
    Result<void> operator_remove(uint16_t ie_address);
    Result<void> operator_open_port();  // operator pulls the port/magazine out: ACCESS 0
    Result<void> operator_close_port(); // pushes it back: ACCESS 1, raises 28h/01h
    Result<void> operator_open_door();
    Result<void> operator_close_door();
    // Put a cartridge directly in any element (test set-up), bypassing the port.
    Result<void> place(uint16_t address, const std::string& barcode);

    void inject_fault(Fault fault);
    void clear_faults();

    // Current state of one element, for assertions.
    Result<ElementStatus> element(uint16_t address) const;
    std::vector<ElementStatus> elements(ElementType type) const;
    bool prevented() const;
    bool port_open() const; // extended to the operator
    bool door_open() const;
    // Unit attentions waiting for the next command, oldest first, as (ASC, ASCQ).
    std::vector<std::pair<uint8_t, uint8_t>> pending_unit_attentions() const;

private:
    explicit VirtualChanger(VirtualChangerConfig config);
    struct State;
    VirtualChangerConfig config_;
    std::unique_ptr<State> state_;
    mutable std::mutex mutex_;
    std::vector<Fault> faults_;
};

} // namespace sgio
