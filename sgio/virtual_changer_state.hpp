// Private to the virtual changer: its element state, the text form of that state, and the state
// file shared between processes (flock on a sibling lock file, atomic replace on save).
#pragma once

#include "virtual_changer.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sgio::detail {

struct VcElement {
    ElementType type = ElementType::Storage;
    uint16_t address = 0;
    bool full = false;
    std::string barcode; // the label on the cartridge; empty = unlabelled
    bool impexp = false; // IE only: the operator put it there
    bool svalid = false; // the robot put it there, from `source`
    uint16_t source = 0;
    uint64_t cleaning_until = 0; // drive only: it cleans until then (CLOCK_REALTIME, ms)
};

struct VcUnitAttention {
    uint8_t asc = 0;
    uint8_t ascq = 0;
};

// Everything that survives in the state file.
struct VcPersisted {
    std::vector<VcElement> elements; // ascending address
    bool port_open = false;          // extended to the operator
    bool door_open = false;
    bool prevented = false;
    // The process whose PREVENT holds (0: unknown, never expires). Prevention ends with the I_T
    // nexus of the initiator that asked for it; here that is the life of its process.
    int prevent_pid = 0;
    std::vector<VcUnitAttention> unit_attentions; // oldest first

    VcElement* find(uint16_t address);
    const VcElement* find(uint16_t address) const;
};

// One element type's address range in a configuration; name as written in the state file.
struct VcRange {
    ElementType type;
    const char* name;
    uint16_t first;
    uint16_t count;
};
// Transport, drive, import/export, storage, in that order.
std::vector<VcRange> element_ranges(const VirtualChangerConfig& config);

// Checks that a configuration describes a device we can model: address ranges that fit in 16 bits
// and do not overlap, INQUIRY strings that fit their fields, fill <= slots.
Result<void> validate_config(const VirtualChangerConfig& config);
bool valid_barcode(std::string_view barcode);
// "S00001L8" for the n-th (1-based) cartridge of fill=N.
std::string fill_barcode(uint32_t n);
// The elements of a freshly powered-on library, with fill cartridges in the first slots.
VcPersisted initial_state(const VirtualChangerConfig& config);
// True when both describe the same element addresses and types.
bool same_geometry(const VirtualChangerConfig& a, const VirtualChangerConfig& b);
// "transport 1+1, drive 2+2, ie 100+1, storage 1000+20" for messages.
std::string geometry_text(const VirtualChangerConfig& c);
// "what: strerror(err)" with sys_errno set.
Error errno_error(Errc code, const std::string& what, int err);

std::string serialize_state(const VirtualChangerConfig& config, const VcPersisted& state,
                            uint64_t id, uint64_t generation);
struct VcParsed {
    VirtualChangerConfig config;
    VcPersisted state;
    uint64_t id = 0;
    uint64_t generation = 0;
};
// origin names the file in error messages.
Result<VcParsed> parse_state(std::string_view text, const std::string& origin);
// The first line of a state file: its id and generation.
struct Header {
    uint64_t id = 0;
    uint64_t generation = 0;
};
// Returns an error text, empty on success.
std::string parse_header(std::string_view line, Header& h);

// The state file and its lock. All methods except attach() expect lock() to be held.
class VcStateFile {
public:
    VcStateFile() = default;
    ~VcStateFile();
    VcStateFile(const VcStateFile&) = delete;
    VcStateFile& operator=(const VcStateFile&) = delete;

    bool enabled() const { return !path_.empty(); }
    const std::string& path() const { return path_; }

    // Opens (creating) PATH.lock; the state file itself is replaced on every save, so it cannot
    // carry the lock.
    Result<void> attach(const std::string& path);
    Result<void> lock();
    void unlock();

    Result<bool> exists() const;
    // Reads the file when it changed since this process last read or wrote it (identity, size,
    // mtime and the generation in its first line); true when out was filled.
    Result<bool> load_if_changed(VcParsed& out);
    // Writes a new file with a fresh identity, recording config as the library's description.
    Result<void> create(const VirtualChangerConfig& config, const VcPersisted& state);
    // Writes the next generation: temporary file, fsync, rename, fsync of the directory. The
    // configuration written is the one recorded in the file, not this instance's: the file keeps
    // describing the library its creator configured, whoever acts on it.
    Result<void> save(const VcPersisted& state);
    // After a failed save: the next load_if_changed reads the file whatever its stamp.
    void forget() { known_ = false; }

private:
    struct Stamp {
        uint64_t dev = 0, ino = 0, size = 0;
        int64_t mtime_sec = 0, mtime_nsec = 0;
        bool operator==(const Stamp&) const = default;
    };
    Result<std::string> read_all(int fd) const;

    std::string path_;
    int lock_fd_ = -1;
    bool known_ = false;
    uint64_t id_ = 0;
    uint64_t generation_ = 0;
    Stamp stamp_{};
    VirtualChangerConfig recorded_;
};

// In-process model of one VirtualChanger instance.
struct VcModel {
    VcPersisted data;
    bool dirty = false;            // data differs from the state file
    bool power_on_pending = false; // per instance: each open() is a power-on for its initiator
    bool vanished = false;
    VcStateFile file;

    // Queues a unit attention once (a second 28h/01h before the first is reported adds nothing).
    void raise(uint8_t asc, uint8_t ascq);
    // Drops a prevention whose process has died, as a real library does on I_T nexus loss.
    void expire_prevention();
};

} // namespace sgio::detail

namespace sgio {
struct VirtualChanger::State : detail::VcModel {};
} // namespace sgio
