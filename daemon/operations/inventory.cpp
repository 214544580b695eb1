#include "daemon/operations/inventory.hpp"

#include "daemon/journal.hpp"
#include "daemon/library/library.hpp"
#include "daemon/library/reconcile.hpp"
#include "daemon/scsi_status.hpp"
#include "daemon/store/store.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace ntms {

const char* inventory_method_name(uint32_t method) {
    switch (static_cast<InventoryMethod>(method)) {
    case InventoryMethod::None:
        return "none";
    case InventoryMethod::Fast:
        return "fast";
    case InventoryMethod::Omid:
        return "omid";
    case InventoryMethod::Default:
        return "default";
    case InventoryMethod::Slot:
        return "slot";
    case InventoryMethod::Stop:
        return "stop";
    }
    return nullptr;
}

namespace {

// The span of element addresses from the lowest to the highest element of the map, as (first,
// count) for INITIALIZE ELEMENT STATUS WITH RANGE; nullopt for an empty map.
std::optional<std::pair<uint16_t, uint16_t>> whole_range(const sgio::ElementMap& map) {
    uint32_t lo = UINT32_MAX, hi = 0;
    for (auto type : {sgio::ElementType::Transport, sgio::ElementType::Storage,
                      sgio::ElementType::ImportExport, sgio::ElementType::DataTransfer}) {
        const uint16_t n = map.count(type);
        if (n == 0)
            continue;
        lo = std::min<uint32_t>(lo, map.first(type));
        hi = std::max<uint32_t>(hi, uint32_t{map.first(type)} + n - 1);
    }
    if (lo > hi)
        return std::nullopt;
    return std::pair<uint16_t, uint16_t>{
        static_cast<uint16_t>(lo), static_cast<uint16_t>(std::min<uint32_t>(hi - lo + 1, 0xFFFF))};
}

std::string summary(const ReconcileReport& r) {
    return fmt::format("inventory: {} new, {} moved, {} no longer in the library, {} updated",
                       r.added, r.relocated, r.gone, r.updated);
}

} // namespace

Outcome run_inventory(JobContext& ctx, InventoryMethod method) {
    Library& lib = ctx.library();
    sgio::Changer& ch = *lib.device().changer();
    if (method == InventoryMethod::Default)
        method = static_cast<InventoryMethod>(lib.config().inventory_method);
    if (method == InventoryMethod::Omid)
        return Outcome::failed(fail(win32::NotSupported,
                                    "OMID inventory (reading each tape's label in a drive) is not "
                                    "supported: ntmsd does not use drives yet"));
    if (method != InventoryMethod::Fast && method != InventoryMethod::Default &&
        method != InventoryMethod::Slot)
        return Outcome::failed(fail(win32::InvalidParameter,
                                    fmt::format("inventory method {} is not FAST, DEFAULT or SLOT",
                                                static_cast<uint32_t>(method))));
    if (ctx.peek_control() == JobControl::Stop)
        return Outcome::stopped();

    if (method != InventoryMethod::Slot) {
        auto map = ch.element_map(true);
        if (!map) {
            if (is_offline_error(map.error()))
                lib.catalogue().set_state(LibraryState::Offline, map.error().message);
            return Outcome::failed(from_scsi(map.error(), "read the element map"));
        }
        log(LOG_INFO,
            fmt::format("Library {}: inventory job {}: INITIALIZE ELEMENT STATUS{}", lib.name(),
                        ctx.job().id.str(), method == InventoryMethod::Fast ? " (fast)" : ""));
        // tgt's answers GOOD and does nothing; the re-read below is the truth either way.
        if (auto r = ch.initialize(whole_range(*map), method == InventoryMethod::Fast); !r) {
            if (is_offline_error(r.error()))
                lib.catalogue().set_state(LibraryState::Offline, r.error().message);
            return Outcome::failed(from_scsi(r.error(), "initialize element status"));
        }
        // The scan may take long; a STOP that came meanwhile leaves the catalogue as it was.
        if (ctx.peek_control() == JobControl::Stop)
            return Outcome::stopped();
    }

    bool device_read = false;
    ReconcileReport report;
    auto r = reconcile(lib, ctx.db(), device_read, &report, ctx.job().id);
    // Its history rows name the media it found, lost or moved: the job's list, read here on the
    // worker's thread rather than by each reader.
    if (auto media = ctx.db().media_of_job(ctx.job().id))
        ctx.job().media = std::move(media).value();
    // What the device may have forgotten before this read is in the database now.
    (void)ch.take_reset();
    if (!r)
        return Outcome::failed(r.error());
    if (lib.catalogue().state() != LibraryState::Online)
        lib.catalogue().set_state(LibraryState::Online);
    const std::string what = summary(report);
    log(LOG_INFO, fmt::format("Library {}: job {}: {}", lib.name(), ctx.job().id.str(), what));
    return Outcome{JobState::Passed, Status{win32::Success, what}};
}

Outcome InventoryOperation::run(JobContext& ctx) {
    if (auto r = ctx.transition(JobState::InProcess); !r)
        return Outcome::failed(r.error());
    return run_inventory(ctx, static_cast<InventoryMethod>(ctx.job().action));
}

std::string InventoryOperation::account_interrupted(JobContext& ctx, bool device_read) {
    (void)ctx;
    return device_read ? "the element status was read again when ntmsd started; the database "
                         "matches the library"
                       : "the element status is read again when the library is back";
}

} // namespace ntms
