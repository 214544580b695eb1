#include "daemon/library/port_watcher.hpp"

#include "daemon/jobs/ledger.hpp"
#include "daemon/journal.hpp"
#include "daemon/library/library.hpp"
#include "daemon/library/operator_request.hpp"
#include "daemon/scsi_status.hpp"
#include "daemon/store/store.hpp"

#include <fmt/format.h>

namespace ntms {

namespace {

bool in_port(const MediumRecord& m) {
    return m.state == MediumState::InPort || m.state == MediumState::Exported;
}

} // namespace

Expected<void> PortWatcher::look(Store& db) {
    sgio::Changer* ch = library_.device().changer();
    if (ch == nullptr)
        return {};
    Catalogue& cat = library_.catalogue();
    for (PortState port : cat.snapshot().ports) {
        auto els = ch->read_status(sgio::ElementType::ImportExport, port.first, port.count);
        if (!els) {
            if (is_offline_error(els.error()))
                cat.set_state(LibraryState::Offline, els.error().message);
            return from_scsi(els.error(), "read the port");
        }
        std::vector<Seen> now;
        now.reserve(els->size());
        for (const auto& e : *els)
            now.push_back(Seen{e.address, e.full, e.primary_tag});
        const auto at = std::chrono::steady_clock::now();
        if (auto last = seen_.find(port.first);
            last != seen_.end() && last->second.elements == now &&
            last->second.commits == db.write_transactions() &&
            at - last->second.when < std::chrono::minutes(1))
            continue; // as the last look left it, and no record changed since
        seen_.erase(port.first); // until this look is complete
        uint16_t full = 0;
        bool import = false;
        for (const auto& e : *els) {
            full = static_cast<uint16_t>(full + (e.full ? 1 : 0));
            auto known = db.medium_at(library_.id(), e.address);
            if (!known)
                return known.error();
            const MediumRecord* m = *known ? &**known : nullptr;
            // Another cartridge than the recorded one: the recorded one has left.
            const bool swapped = m && e.full && !e.primary_tag.empty() && !m->barcode.empty() &&
                                 e.primary_tag != m->barcode;
            if (m && in_port(*m) && (!e.full || swapped)) {
                if (auto r = left(db, *m, e.address); !r)
                    return r;
                m = nullptr;
            }
            if (e.full && !m) {
                if (auto r = arrived(db, e.address, e.primary_tag); !r)
                    return r;
                import = true;
            }
            if (!e.full)
                settle_request(db, e.address);
        }
        if (full != port.full) {
            port.full = full;
            cat.set_port(port);
        }
        if (import && library_.config().auto_import)
            queue_import(port.first);
        seen_[port.first] = PortSeen{std::move(now), db.write_transactions(), at};
    }
    return {};
}

Expected<void> PortWatcher::arrived(Store& db, uint16_t element, const std::string& barcode) {
    MediumRecord m;
    m.id = Guid::random();
    // A bar code known here (a cartridge that left the library) keeps its identity.
    if (!barcode.empty()) {
        auto all = db.list_media(library_.id());
        if (!all)
            return all.error();
        for (const auto& k : *all)
            if (k.barcode == barcode && !k.element)
                m.id = k.id;
    }
    m.library = library_.id();
    m.barcode = barcode;
    m.element = element;
    m.state = MediumState::InPort;
    m.updated = now_usec();
    if (auto r = db.put_medium(
            m, MediumMove{m.id, Guid{}, std::nullopt, element, m.updated, "arrived-in-port"});
        !r)
        return r;
    journal_port_change(library_.journal_record(), m, element, true);
    if (library_.config().auto_import)
        return {};
    auto r = post_operator_request(
        library_, db, OpRequestType::Message,
        fmt::format("library {}: {} waits in port element {}; inject it or take it out",
                    library_.name(),
                    barcode.empty() ? "an unlabelled cartridge" : "cartridge " + barcode, element),
        Guid{}, element);
    if (!r)
        return r.error();
    requests_[element] = std::move(r).value();
    return {};
}

Expected<void> PortWatcher::left(Store& db, const MediumRecord& m, uint16_t element) {
    MediumRecord g = m;
    g.element.reset();
    g.state = MediumState::Gone;
    g.updated = now_usec();
    if (auto r = db.put_medium(
            g, MediumMove{g.id, Guid{}, element, std::nullopt, g.updated, "operator-removed"});
        !r)
        return r;
    journal_port_change(library_.journal_record(), g, element, false);
    settle_request(db, element);
    return {};
}

void PortWatcher::settle_request(Store& db, uint16_t element) {
    auto it = requests_.find(element);
    if (it == requests_.end())
        return;
    PostedRequest r = std::move(it->second);
    requests_.erase(it);
    // The operator may have answered it meanwhile.
    if (auto now = db.get_oprequest(r.record.id);
        now && *now &&
        ((*now)->state == OpRequestState::Complete || (*now)->state == OpRequestState::Refused))
        return;
    end_operator_request(library_, db, std::move(r), OpRequestState::Complete);
}

void PortWatcher::queue_import(uint16_t port) {
    JobRecord job;
    job.id = Guid::random();
    job.library = library_.id();
    job.operation = OperationKind::Inject;
    job.action = InjectAction::Start;
    job.application = "ntmsd AutoImport";
    job.timeout_sec = 0; // import what is in the port now, without opening it
    job.port = port;
    const Guid id = job.id;
    auto created = ledger_.enqueue(std::move(job), library_.name(), library_.queue());
    if (!created) {
        log(LOG_ERR, fmt::format("Library {}: AutoImport cannot queue an inject: {}",
                                 library_.name(), created.error().message));
        return;
    }
    log(LOG_INFO, fmt::format("Library {}: AutoImport queued inject job {} for port {}",
                              library_.name(), id.str(), port));
}

} // namespace ntms
