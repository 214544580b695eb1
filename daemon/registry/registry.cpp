#include "daemon/registry/registry.hpp"

#include "daemon/jobs/ledger.hpp"
#include "daemon/journal.hpp"
#include "daemon/library/tape_devices.hpp"
#include "daemon/store/shared_store.hpp"
#include "sgio/changer.hpp"
#include "sgio/open.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <thread>

namespace ntms {

namespace {

// A device path with its links resolved (/dev/tape/by-id/scsi-... -> /dev/sg3), so that two
// spellings of one node compare equal. Device strings that are not paths (sim:, iscsi://) and
// paths that do not exist (a node already removed) stay as they are.
std::string canonical_device(const std::string& device) {
    if (device.empty() || device.front() != '/')
        return device;
    std::error_code ec;
    auto p = std::filesystem::canonical(device, ec);
    return ec ? device : p.string();
}

TransportFactory or_default(TransportFactory f) {
    if (f)
        return f;
    return [](const std::string& device) { return sgio::open_transport(device); };
}

OperationFactory or_default(OperationFactory f) {
    return f ? std::move(f) : standard_operations();
}

} // namespace

Registry::Registry(DaemonConfig config, SharedStore& db, JobLedger& ledger, EventSink& events,
                   TransportFactory transports, OperationFactory operations)
    : config_(std::move(config)), db_(db),
      ledger_(ledger), services_{db.path(), events, ledger, or_default(std::move(transports)),
                                 or_default(std::move(operations))} {}

Registry::~Registry() {
    stop();
}

void Registry::start(const std::vector<FoundDevice>& present) {
    std::lock_guard hotplug(hotplug_mutex_);
    // The configured devices first, and the first few read, while the database is being opened.
    std::vector<Opening> openings;
    openings.reserve(config_.libraries.size());
    for (const auto& cfg : config_.libraries)
        openings.push_back(open_device(cfg, openings.size() < Worker::parallel_first_reads));
    // Then the changers found present that no configured library names, read within the same
    // number of readings: each changer once, and none that answers as a configured library's
    // device (another path to it, which add_device() keeps in reserve or attaches).
    std::vector<std::optional<Opening>> present_openings(present.size());
    {
        std::set<std::string> configured_nodes, read_identities;
        size_t readings = 0;
        for (size_t i = 0; i < openings.size(); ++i) {
            configured_nodes.insert(canonical_device(config_.libraries[i].device));
            if (!openings[i].identity.empty())
                read_identities.insert(openings[i].identity);
            readings += openings[i].reading.valid() ? 1u : 0u;
        }
        for (size_t i = 0; i < present.size(); ++i) {
            if (configured_nodes.count(canonical_device(present[i].devnode)))
                continue; // its configured library's; opened above
            Opening o = open_found(present[i]);
            if (o.transport && readings < Worker::parallel_first_reads &&
                read_identities.insert(o.identity).second) {
                start_reading(o, LibraryConfig{});
                readings += o.reading.valid() ? 1u : 0u;
            }
            present_openings[i] = std::move(o);
        }
    }
    if (!db_.usable()) {
        log(LOG_ERR, fmt::format("database {} cannot be used: {}; every request will report it",
                                 db_.path(), db_.status().message));
        return;
    }
    // Jobs that were running when the daemon stopped are over: each library's worker ends them
    // after its reconciliation has settled their unresolved moves and read the port.
    JobLedger::Recovered found = ledger_.recover();

    for (size_t i = 0; i < openings.size(); ++i)
        open_library(config_.libraries[i], std::move(openings[i]));
    for (size_t i = 0; i < present.size(); ++i)
        add_device(present[i], false, std::move(present_openings[i]));
    // Queued jobs go back to their libraries, oldest first; jobs of libraries no longer
    // configured (nor found present) cannot run.
    std::map<Guid, std::vector<JobPtr>> per_library, interrupted;
    for (auto& j : found.queued) {
        if (Library* lib = find(j.library)) {
            per_library[j.library].push_back(ledger_.adopt(std::move(j), lib->name()));
            continue;
        }
        ledger_.end(ledger_.adopt(std::move(j), {}),
                    Outcome::failed(fail(win32::ObjectNotFound,
                                         "the job's library is no longer configured or present")));
    }
    for (auto& j : found.interrupted) {
        if (Library* lib = find(j.library)) {
            interrupted[j.library].push_back(ledger_.adopt(std::move(j), lib->name()));
            continue;
        }
        ledger_.end(ledger_.adopt(std::move(j), {}),
                    JobLedger::interrupted("its library is no longer configured or present"));
    }
    std::shared_lock lock(libraries_mutex_);
    for (auto& [id, lib] : libraries_)
        lib->start(std::move(per_library[id]), std::move(interrupted[id]));
    started_ = true;
}

Registry::Opening Registry::open_device(const LibraryConfig& cfg, bool read) {
    Opening o;
    auto t = services_.transports(cfg.device);
    if (!t) {
        o.reason = t.error().message;
        return o;
    }
    o.transport = std::move(t).value();
    sgio::Changer probe(*o.transport);
    if (auto id = probe.identify()) {
        o.ident = *id;
        o.identity = id->stable_key();
    } else {
        o.reason = id.error().message;
        if (id.error().code == sgio::Errc::NotAChanger) {
            log(LOG_ERR, fmt::format("Library {}: {} cannot be used as a library: {}", cfg.name,
                                     cfg.device, o.reason));
        }
        o.transport.reset();
        return o;
    }
    if (o.identity.empty())
        o.identity = o.transport->name(); // iSCSI URL or sim name: stable by construction
    // Its first reading, on a thread of its own, for the first few libraries (their workers
    // then take the first turns); the others are read by their workers, each in its turn. No
    // more: every reading waiting for its worker holds the library's elements.
    if (read)
        start_reading(o, cfg);
    return o;
}

void Registry::start_reading(Opening& o, const LibraryConfig& cfg) {
    try {
        o.reading = std::async(std::launch::async, [device = o.transport.get(), ident = o.ident,
                                                    options = changer_options(cfg)]() mutable {
            FirstReading first;
            try {
                sgio::CommandCounters counts;
                options.counters = &counts;
                sgio::Changer changer(*device, options);
                const char* what = "";
                if (auto r = read_device(changer, what, &ident)) // identified by the probe
                    first.reading = std::move(r).value();
                first.errors = counts.errors;
                first.retries = counts.retries;
            } catch (...) {
                first.reading.reset(); // the worker reads it again, and says what happens
            }
            return first;
        });
    } catch (const std::system_error&) {
        // no thread: its worker reads it
    }
}

void Registry::open_library(const LibraryConfig& cfg, Opening opening) {
    const std::string& identity = opening.identity;
    const std::string& reason = opening.reason;
    Expected<LibraryRecord> rec = db_.with([&](Store& s) -> Expected<LibraryRecord> {
        if (!identity.empty())
            return s.upsert_library(identity, cfg.name, cfg.device);
        // The device is absent: keep the GUID it had under this name.
        if (auto all = s.list_libraries()) {
            for (const auto& l : *all)
                if (l.name == cfg.name)
                    return l;
        }
        return s.upsert_library("name:" + cfg.name, cfg.name, cfg.device);
    });
    if (!rec) {
        log(LOG_ERR,
            fmt::format("Library {}: cannot be recorded: {}", cfg.name, rec.error().message));
        return;
    }
    if (find(rec->id)) {
        log(LOG_ERR, fmt::format("Library {}: {} is the same device as another configured library; "
                                 "ignored",
                                 cfg.name, cfg.device));
        return;
    }
    auto lib = std::make_unique<Library>(*rec, cfg, services_);
    if (!opening.transport)
        log(LOG_WARNING, fmt::format("Library {} is offline: {}", cfg.name, reason));
    else
        attached_[canonical_device(cfg.device)] = rec->id;
    lib->attach(std::move(opening.transport), reason);
    if (opening.reading.valid())
        lib->expect_first_reading(std::move(opening.reading));
    configured_.insert(rec->id);
    insert_library(std::move(lib));
}

void Registry::insert_library(std::unique_ptr<Library> lib) {
    std::unique_lock lock(libraries_mutex_);
    const Guid id = lib->id();
    libraries_.emplace(id, std::move(lib));
}

void Registry::device_added(const FoundDevice& device) {
    std::lock_guard hotplug(hotplug_mutex_);
    if (!stopped_)
        add_device(device, true);
}

Library* Registry::configured_at(const std::string& canonical) const {
    for (const auto& id : configured_) {
        Library* lib = find(id);
        if (lib && canonical_device(lib->config().device) == canonical)
            return lib;
    }
    return nullptr;
}

Library* Registry::with_identity(const std::string& identity) const {
    std::shared_lock lock(libraries_mutex_);
    for (const auto& [id, lib] : libraries_)
        if (lib->identity() == identity)
            return lib.get();
    return nullptr;
}

std::string Registry::unique_name(const std::string& identity, const std::string& wanted) {
    // A library seen before keeps the name the database has for it.
    std::string base = wanted;
    if (auto all = db_.with([](Store& s) { return s.list_libraries(); })) {
        for (const auto& l : *all)
            if (l.identity == identity && !l.name.empty())
                base = l.name;
    }
    std::shared_lock lock(libraries_mutex_);
    auto taken = [&](const std::string& name) {
        for (const auto& [id, lib] : libraries_)
            if (lib->config().name == name)
                return true;
        return false;
    };
    std::string name = base;
    for (unsigned n = 2; taken(name); ++n)
        name = fmt::format("{}-{}", base, n);
    return name;
}

void Registry::add_device(const FoundDevice& device, bool start_worker,
                          std::optional<Opening> opened) {
    if (!db_.usable())
        return; // without a database no library can be recorded; every call reports why
    const std::string node = canonical_device(device.devnode);
    if (attached_.count(node) || spares_.count(node))
        return; // ours already: the start-up listing and an add event can both report a node

    // A configured library named by this node (or a link to it) is that library, whatever it
    // answers; otherwise INQUIRY tells whether it is a library we know.
    Library* lib = configured_at(node);
    Opening o = opened ? std::move(*opened) : open_found(device);
    if (!o.transport)
        return; // open_found() said why
    std::unique_ptr<sgio::Transport> transport = std::move(o.transport);
    const sgio::Identity& ident = o.ident;
    const std::string& identity = o.identity;
    if (!lib)
        lib = with_identity(identity);

    if (lib) {
        // In use: attached through a node, and answering (or being read for the first time).
        const LibrarySnapshot now = lib->snapshot();
        const bool in_use = std::any_of(attached_.begin(), attached_.end(),
                                        [&](const auto& a) { return a.second == lib->id(); }) &&
                            (now.online() || now.state == LibraryState::Reading);
        if (in_use) {
            log(LOG_INFO, fmt::format("{} is another path to library {}, which is in use "
                                      "through {}; kept in reserve",
                                      device.devnode, lib->config().name, now.device));
            spares_[node] = {lib->id(), device};
            return;
        }
        std::erase_if(attached_, [&](const auto& a) { return a.second == lib->id(); });
        attached_[node] = lib->id();
        // A configured library keeps its own spelling (a stable link); a found one its node.
        const bool configured =
            configured_.count(lib->id()) && canonical_device(lib->config().device) == node;
        log(LOG_NOTICE, fmt::format("Library {}: its device is present at {}; reading its "
                                    "element status",
                                    lib->config().name, device.devnode));
        // No reading of start-up's comes this way: it read no changer that answers as one of
        // the libraries already here. Its worker reads it.
        lib->device_arrived(std::move(transport),
                            configured ? lib->config().device : device.devnode);
        return;
    }

    LibraryConfig cfg;
    cfg.name = unique_name(identity, discovered_library_name(ident, device.sysname));
    cfg.device = device.devnode;
    cfg.origin = "udev";
    Expected<LibraryRecord> rec =
        db_.with([&](Store& s) { return s.upsert_library(identity, cfg.name, cfg.device); });
    if (!rec) {
        log(LOG_ERR, fmt::format("medium changer {} found but it cannot be recorded: {}",
                                 device.devnode, rec.error().message));
        return;
    }
    if (find(rec->id))
        return; // with_identity() found every library we run
    auto created = std::make_unique<Library>(*rec, cfg, services_);
    Library& added = *created;
    // Offline until its element status has been read: until then it has no free slot to offer.
    added.attach(nullptr, Catalogue::reading_reason);
    if (o.reading.valid())
        added.expect_first_reading(std::move(o.reading));
    added.device_arrived(std::move(transport), device.devnode);
    attached_[node] = rec->id;
    insert_library(std::move(created));
    log(LOG_NOTICE, fmt::format("Library {}: medium changer {} {}{} found at {}, library {}",
                                cfg.name, ident.vendor, ident.product,
                                ident.serial.empty() ? std::string() : " serial " + ident.serial,
                                device.devnode, rec->id.str()));
    services_.events.library_added(rec->id);
    if (start_worker)
        added.start({});
}

Registry::Opening Registry::open_found(const FoundDevice& device) {
    Opening o;
    auto opened = services_.transports(device.devnode);
    if (!opened) {
        log(LOG_WARNING, fmt::format("medium changer {} found but cannot be opened: {}",
                                     device.devnode, opened.error().message));
        return o;
    }
    o.transport = std::move(opened).value();
    sgio::Changer probe(*o.transport);
    auto id = probe.identify();
    if (!id) {
        log(LOG_WARNING, fmt::format("medium changer {} found but it does not identify "
                                     "itself: {}; ignored",
                                     device.devnode, id.error().message));
        o.transport.reset();
        return o;
    }
    o.ident = *id;
    o.identity = o.ident.stable_key();
    if (o.identity.empty())
        o.identity = o.transport->name(); // no serial number: the node is all there is
    return o;
}

void Registry::device_removed(const FoundDevice& device) {
    std::lock_guard hotplug(hotplug_mutex_);
    if (stopped_)
        return;
    const std::string node = canonical_device(device.devnode);
    if (spares_.erase(node))
        return; // a path held in reserve: the library goes on through its own
    auto it = attached_.find(node);
    if (it == attached_.end())
        return; // not a node of ours (a device other than a changer, or one we ignored)
    Library* lib = find(it->second);
    attached_.erase(it);
    if (!lib)
        return;
    log(LOG_NOTICE,
        fmt::format("Library {}: device {} removed", lib->config().name, device.devnode));
    lib->device_removed(); // its queued jobs fail at once, the running one at its next command

    // Another path to the same changer takes over; the rest stay in reserve.
    std::vector<FoundDevice> paths;
    for (auto s = spares_.begin(); s != spares_.end();) {
        if (s->second.first == lib->id()) {
            paths.push_back(s->second.second);
            s = spares_.erase(s);
        } else {
            ++s;
        }
    }
    for (const auto& p : paths) {
        if (lib->device().removed())
            add_device(p, true); // it is the library's device again if it still answers
        else
            spares_[canonical_device(p.devnode)] = {lib->id(), p};
    }
}

void Registry::stop() {
    {
        std::lock_guard hotplug(hotplug_mutex_);
        stopped_ = true;
    }
    // Workers are joined without the registry's lock: a job ending meanwhile may still look a
    // library up. Libraries are never removed while the registry lives.
    std::vector<Library*> all;
    {
        std::shared_lock lock(libraries_mutex_);
        for (auto& [id, lib] : libraries_)
            all.push_back(lib.get());
    }
    for (Library* lib : all)
        lib->stop();
}

bool Registry::workers_alive() const {
    if (!started_)
        return true; // start() is opening the libraries; their workers start together
    std::shared_lock lock(libraries_mutex_);
    for (const auto& [id, lib] : libraries_)
        if (!lib->worker_alive())
            return false;
    return true;
}

std::pair<size_t, size_t> Registry::first_inventory_progress() const {
    std::shared_lock lock(libraries_mutex_);
    size_t read = 0;
    for (const auto& [id, lib] : libraries_)
        if (!lib->worker_alive() || lib->catalogue().state() != LibraryState::Reading)
            ++read;
    return {started_ ? read : 0, libraries_.size()};
}

bool Registry::wait_first_inventory(std::chrono::milliseconds limit) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        bool reading = false;
        {
            std::shared_lock lock(libraries_mutex_);
            for (const auto& [id, lib] : libraries_)
                if (lib->worker_alive() && lib->catalogue().state() == LibraryState::Reading)
                    reading = true;
        }
        if (!reading)
            return true;
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

Library* Registry::find(const Guid& id) const {
    std::shared_lock lock(libraries_mutex_);
    auto it = libraries_.find(id);
    return it == libraries_.end() ? nullptr : it->second.get();
}

Library* Registry::find_by_name(const std::string& name) const {
    std::shared_lock lock(libraries_mutex_);
    for (const auto& [id, lib] : libraries_)
        if (lib->name() == name)
            return lib.get();
    return nullptr;
}

void Registry::tape_devices_changed() {
    const std::vector<TapeDevice> tapes = tape_directory().list();
    std::shared_lock lock(libraries_mutex_);
    for (const auto& [id, lib] : libraries_) {
        const auto& configured = lib->config().drive_devices;
        lib->catalogue().update_drives([&](std::vector<DriveState>& drives) {
            assign_tape_devices(drives, configured, tapes);
        });
    }
}

std::vector<Guid> Registry::libraries() const {
    std::shared_lock lock(libraries_mutex_);
    std::vector<Guid> out;
    for (const auto& [id, lib] : libraries_)
        out.push_back(id);
    return out;
}

} // namespace ntms
