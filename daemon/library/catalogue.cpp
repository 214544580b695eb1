#include "daemon/library/catalogue.hpp"

#include "daemon/journal.hpp"

#include <algorithm>
#include <ctime>
#include <fmt/format.h>

namespace ntms {

Catalogue::Catalogue(const LibraryRecord& record, const LibraryConfig& config, EventSink& events)
    : snap_id_(record.id), events_(events) {
    snap_.id = record.id;
    snap_.name = config.name;
    snap_.device = config.device;
    snap_.enabled = record.enabled && config.enabled;
    snap_.inject_timeout_sec = config.inject_timeout_sec;
    snap_.inventory_method = config.inventory_method;
    snap_.door = config.door.value_or(false);
    snap_.created = record.created;
}

LibrarySnapshot Catalogue::snapshot() const {
    std::lock_guard lock(mutex_);
    LibrarySnapshot s = snap_;
    if (s.state == LibraryState::Offline && s.next_retry > 0) {
        const time_t t = static_cast<time_t>(s.next_retry / 1000000);
        tm local{};
        char when[16] = "?";
        if (localtime_r(&t, &local))
            strftime(when, sizeof when, "%H:%M:%S", &local);
        s.offline_reason += fmt::format("; next retry at {}", when);
    }
    return s;
}

void Catalogue::set_retry(std::optional<int64_t> at_usec) {
    {
        std::lock_guard lock(mutex_);
        const int64_t at = at_usec.value_or(0);
        if (snap_.next_retry == at)
            return;
        snap_.next_retry = at;
    }
    notify();
}

LibraryState Catalogue::state() const {
    std::lock_guard lock(mutex_);
    return snap_.state;
}

void Catalogue::set_state(LibraryState state, const std::string& reason) {
    LibraryRecord rec;
    bool changed = false;
    bool online = false;
    std::string why;
    {
        std::lock_guard lock(mutex_);
        if (snap_.state == LibraryState::Removed && state != LibraryState::Reading)
            state = LibraryState::Removed; // whatever its last commands said, it is gone
        switch (state) {
        case LibraryState::Online:
            why.clear();
            break;
        case LibraryState::Reading:
            why = reading_reason;
            break;
        case LibraryState::Removed:
            why = removed_reason;
            break;
        case LibraryState::Offline:
            why = reason;
            break;
        }
        const bool was_online = snap_.state == LibraryState::Online;
        online = state == LibraryState::Online;
        // The journal hears of what a client sees: online or not, and why not; being read is not
        // news (coming online afterwards is).
        changed = state != LibraryState::Reading &&
                  (was_online != online || (!online && snap_.offline_reason != why));
        const bool any = changed || snap_.state != state;
        // A library that was online and is not any more: a Reading in between (its device read
        // again) does not make it a new one.
        if (state == LibraryState::Online) {
            up_ = true;
        } else if (state != LibraryState::Reading && up_) {
            up_ = false;
            ++snap_.offline_transitions;
        }
        snap_.state = state;
        snap_.offline_reason = why;
        if (state == LibraryState::Removed)
            snap_.drive_list.clear(); // its drives go with its device
        if (state != LibraryState::Offline)
            snap_.next_retry = 0;
        rec.id = snap_.id;
        rec.name = snap_.name;
        rec.device = snap_.device;
        if (!any)
            return;
    }
    if (changed)
        journal_library_state(rec, online, why);
    notify();
}

void Catalogue::start_as(LibraryState state, const std::string& reason) {
    std::lock_guard lock(mutex_);
    snap_.state = state;
    snap_.offline_reason = state == LibraryState::Reading ? std::string(reading_reason) : reason;
}

void Catalogue::set_device(const std::string& device) {
    {
        std::lock_guard lock(mutex_);
        snap_.device = device;
    }
    notify();
}

void Catalogue::set_port(const PortState& p) {
    {
        std::lock_guard lock(mutex_);
        for (auto& q : snap_.ports)
            if (q.first == p.first)
                q = p;
    }
    notify();
}

void Catalogue::set_layout(std::vector<PortState> ports, uint32_t drives, bool barcode_reader,
                           const std::string& vendor, const std::string& product,
                           const std::string& serial) {
    {
        std::lock_guard lock(mutex_);
        snap_.ports = std::move(ports);
        snap_.drives = drives;
        snap_.barcode_reader = barcode_reader;
        snap_.vendor = vendor;
        snap_.product = product;
        snap_.serial = serial;
    }
    notify();
}

void Catalogue::set_storage(const std::vector<std::pair<uint16_t, bool>>& slots) {
    {
        std::lock_guard lock(mutex_);
        free_slots_.clear();
        free_slots_.reserve(slots.size());
        for (const auto& [addr, full] : slots)
            if (!full)
                free_slots_.push_back(addr);
        // A read lists the slots in address order: nothing to sort then (64,535 slots: the sort
        // of the sorted list was a millisecond of a restart).
        if (!std::is_sorted(free_slots_.begin(), free_slots_.end()))
            std::sort(free_slots_.begin(), free_slots_.end());
        snap_.slots = static_cast<uint32_t>(slots.size());
        snap_.free_slots = static_cast<uint32_t>(free_slots_.size());
    }
    notify();
}

void Catalogue::set_slot_full(uint16_t address, bool full) {
    {
        std::lock_guard lock(mutex_);
        auto it = std::lower_bound(free_slots_.begin(), free_slots_.end(), address);
        const bool listed = it != free_slots_.end() && *it == address;
        if (full && listed)
            free_slots_.erase(it);
        else if (!full && !listed)
            free_slots_.insert(it, address);
        snap_.free_slots = static_cast<uint32_t>(free_slots_.size());
    }
    notify();
}

std::optional<uint16_t> Catalogue::pick_free_slot() const {
    std::lock_guard lock(mutex_);
    if (free_slots_.empty())
        return std::nullopt;
    // A slot whose cartridge is out in a drive stays for it while another is free: a backup
    // program knows the volume by that slot number.
    auto someones_home = [&](uint16_t slot) {
        return std::any_of(snap_.drive_list.begin(), snap_.drive_list.end(),
                           [&](const DriveState& d) { return d.full && d.home == slot; });
    };
    for (uint16_t slot : free_slots_)
        if (!someones_home(slot))
            return slot;
    return free_slots_.front();
}

std::optional<PortState> Catalogue::find_port(std::optional<uint16_t> address) const {
    std::lock_guard lock(mutex_);
    if (snap_.ports.empty())
        return std::nullopt;
    if (!address)
        return snap_.ports.front();
    for (const auto& p : snap_.ports)
        if (*address >= p.first && *address < p.first + p.count)
            return p;
    return std::nullopt;
}

} // namespace ntms

namespace ntms {

void Catalogue::set_door(bool door) {
    {
        std::lock_guard lock(mutex_);
        if (snap_.door == door)
            return;
        snap_.door = door;
    }
    notify();
}

} // namespace ntms

namespace ntms {

void Catalogue::set_element_ranges(std::vector<ElementRange> ranges) {
    std::lock_guard lock(mutex_);
    ranges_ = std::move(ranges);
}

std::pair<std::vector<ElementRange>, std::vector<uint16_t>> Catalogue::element_ranges() const {
    std::lock_guard lock(mutex_);
    return {ranges_, free_slots_};
}

void Catalogue::update_drives(const std::function<void(std::vector<DriveState>&)>& change) {
    {
        std::lock_guard lock(mutex_);
        std::vector<DriveState> drives = snap_.drive_list;
        change(drives);
        if (snap_.drive_list == drives)
            return;
        snap_.drive_list = std::move(drives);
    }
    notify();
}

void Catalogue::set_drives(std::vector<DriveState> drives) {
    {
        std::lock_guard lock(mutex_);
        if (snap_.drive_list == drives)
            return;
        snap_.drive_list = std::move(drives);
    }
    notify();
}

void Catalogue::set_drive_content(uint16_t element, bool full, const Guid& medium,
                                  const std::string& barcode, bool in_use,
                                  std::optional<uint16_t> home) {
    {
        std::lock_guard lock(mutex_);
        auto it = std::find_if(snap_.drive_list.begin(), snap_.drive_list.end(),
                               [&](const DriveState& d) { return d.element == element; });
        if (it == snap_.drive_list.end())
            return;
        DriveState d = *it;
        d.full = full;
        d.medium = full ? medium : Guid{};
        d.barcode = full ? barcode : std::string();
        d.in_use = full && in_use;
        d.home = full ? home.value_or(d.home) : uint16_t{0};
        if (d == *it)
            return;
        *it = std::move(d);
    }
    notify();
}

} // namespace ntms
