// Typed SMC operations over a Transport: retries with bounded backoff for unit attention,
// becoming-ready and BUSY; optional commands probed once and remembered as unsupported;
// READ ELEMENT STATUS chunked by address range and allocation length; every tgt quirk survived.
#pragma once

#include "element.hpp"
#include "element_status.hpp"
#include "large_pages.hpp"
#include "transport.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sgio {

// What the commands of a device did, for monitoring: counted by every Changer that is handed
// them (ChangerOptions::counters), read from any thread.
struct CommandCounters {
    // Commands that ended in an error: a check condition that retrying did not clear, a status
    // other than GOOD, a transport failure or time-out, retries given up. An optional command
    // found unsupported by its first probe is not an error of the device.
    std::atomic<uint64_t> errors{0};
    // Commands sent again after a unit attention, BUSY, TASK SET FULL or "becoming ready".
    std::atomic<uint64_t> retries{0};
};

struct ChangerOptions {
    std::chrono::milliseconds command_timeout{60'000};
    std::chrono::milliseconds move_timeout{300'000};
    std::chrono::milliseconds initialize_timeout{3'600'000};
    unsigned max_retries = 8; // per command, for UA / becoming ready / BUSY
    std::chrono::milliseconds backoff_initial{50};
    std::chrono::milliseconds backoff_max{2'000};
    // Largest single data-in transfer we ask for, and READ ELEMENT STATUS's chunk in elements.
    // 0: from the transport's max_transfer() (one request per element type where it carries any
    // allocation length), or 512 KiB and 4096 elements where it cannot tell.
    uint32_t max_transfer = 0;
    uint16_t max_elements_per_request = 0;
    CommandCounters* counters = nullptr; // counted here when given; outlives the Changer
};

struct Identity {
    std::string vendor, product, revision;
    std::string serial;    // VPD 80h, may be empty
    std::string device_id; // best VPD 83h designator as text, may be empty
    uint8_t peripheral_type = 0;

    // Stable identity for a library: "naa:..." / "t10:..." from 83h, else
    // "serial:VENDOR:PRODUCT:SN", else empty (caller falls back to the transport name).
    std::string stable_key() const;
};

struct Support {
    // nullopt: not probed yet.
    std::optional<bool> prevent_allow;
    std::optional<bool> open_close_ie;
    std::optional<bool> voltag;
    std::optional<bool> initialize_range;
    std::optional<bool> dvcid; // drives' identifiers in READ ELEMENT STATUS
};

class Changer {
public:
    explicit Changer(Transport& transport, ChangerOptions options = {});

    Transport& transport() { return transport_; }
    const Support& support() const { return support_; }
    const ChangerOptions& options() const { return options_; }

    // INQUIRY + VPD 80h/83h. NotAChanger when type != 8.
    Result<Identity> identify();
    Result<void> test_unit_ready();
    // MODE SENSE(6) page 1Dh, falling back to MODE SENSE(10). Cached after the first success.
    Result<ElementMap> element_map(bool refresh = false);
    // MODE SENSE page 1Fh; a device without the page yields present == false, not an error.
    // Asks the device each time; a first READ ELEMENT STATUS takes the last answer, when there is
    // one, to know whether to ask for volume tags.
    Result<Capabilities> capabilities();

    // Status of count elements of one type from first (count 0 = to the end of the type's range in
    // the element map). Chunked; asks VOLTAG when the device has a reader (probed), DVCID never.
    // Only elements inside [first, first+count) of that type are returned, in address order.
    Result<std::vector<ElementStatus>> read_status(ElementType type, uint16_t first = 0,
                                                   uint16_t count = 0);
    Result<std::vector<ElementStatus>> read_all(ElementType type) { return read_status(type); }

    // Streams every element of a type through sink without holding them all (bounded memory):
    // each decoded into one ElementStatus that is reused for the next.
    Result<void> for_each_status(ElementType type,
                                 const std::function<void(const ElementStatus&)>& sink);
    // The same without decoding: each element is a view over the reply buffer, valid during the
    // call of sink only (the next request reuses the buffer). sink must not call this Changer.
    Result<void> for_each_element(ElementType type,
                                  const std::function<void(const ElementView&)>& sink);

    // MOVE MEDIUM with the first transport element from the map (0 when the map has none).
    Result<void> move(uint16_t source, uint16_t destination);
    // INITIALIZE ELEMENT STATUS; with a range (first, count), WITH RANGE (37h) where the device
    // supports it (fast: presence only, no volume tags), else the plain command over everything.
    Result<void> initialize(std::optional<std::pair<uint16_t, uint16_t>> range = std::nullopt,
                            bool fast = false);

    // Optional commands: Unsupported is returned once and remembered; later calls return
    // Unsupported at once without touching the device.
    Result<void> prevent_removal(bool prevent);
    Result<void> open_import_export(uint16_t address);
    Result<void> close_import_export(uint16_t address);

    // The reply of the last READ ELEMENT STATUS and the views over it are kept for the next read,
    // which then takes no page faults for them. After a read of all of a library's elements,
    // which is seldom repeated, its user lets go of what is more than a small read needs (a
    // look at the ports): 64 libraries of 10,000 slots held 42 MB that way (0.5 MB of reply and
    // 160 KiB of views each) from one full inventory to the next.
    void release_buffers() noexcept;
    // The bytes kept for the next read.
    size_t kept_bytes() const;

    // What a Changer learned of its device: its element map, what it supports, the descriptor
    // lengths it answers with. learn() gives one Changer what another learned of the same device
    // (the start-up reading's Changer, which ends with it, to the library's own): its first
    // commands then ask as the other's last did, without a MODE SENSE to begin with.
    struct Learned {
        Support support;
        std::optional<ElementMap> map;
        std::array<std::array<uint32_t, 2>, 8> descriptor_seen{};
    };
    Learned learned() const;
    void learn(const Learned& learned);

    // True once after the device reported 28h/01h (import/export element accessed) on any command.
    bool take_ie_accessed();
    // True once after the device may have forgotten or changed its state since the last call:
    // a power-on/reset or "medium may have changed" unit attention, or a new connection to it
    // (Transport::reconnects()). What was read of it before should be read again.
    bool take_reset();

    // Lowest level: run a CDB with the retry policy. Check condition becomes Error
    // (CheckCondition), except that 28h/01h and 29h/xx unit attentions are consumed and retried.
    Result<CommandResult> run(std::span<const uint8_t> cdb, Direction direction,
                              std::span<uint8_t> buffer, std::chrono::milliseconds timeout);

private:
    // run() without counting its error (retries are counted).
    Result<CommandResult> attempt(std::span<const uint8_t> cdb, Direction direction,
                                  std::span<uint8_t> buffer, std::chrono::milliseconds timeout);
    void count_error();
    Result<std::vector<uint8_t>> mode_sense(uint8_t page, bool& ten_byte);
    uint32_t transfer_limit() const;
    uint16_t elements_limit() const;
    // The descriptor length another type of this device used, for a type not read yet (0: none).
    uint32_t sibling_descriptor(ElementType type, bool voltag) const;
    Result<void> scan(ElementType type, uint16_t first, uint16_t count,
                      const std::function<void(const ElementView&)>& sink);
    Result<void> optional_command(std::span<const uint8_t> cdb, std::optional<bool>& supported,
                                  const char* what);

    Transport& transport_;
    ChangerOptions options_;
    Support support_;
    std::optional<ElementMap> map_;
    std::optional<Capabilities> capabilities_; // the last answer of capabilities()
    bool ie_accessed_ = false;
    bool reset_ = false;
    uint64_t reconnects_seen_ = 0;
    // Descriptor length last seen per element type, without and with volume tags (0: unknown).
    std::array<std::array<uint32_t, 2>, 8> descriptor_seen_{};
    // The reply of the last READ ELEMENT STATUS and the views over it, both reused: a full read
    // of a large library allocates them once (16 bytes of view per element of a chunk). What
    // release_buffers() keeps of them:
    static constexpr size_t kept_reply_bytes = 64 * 1024;
    static constexpr size_t kept_views = 4096;
    std::vector<uint8_t, LargePageAllocator<uint8_t>> buffer_;
    std::vector<ElementView> views_;
};

} // namespace sgio
