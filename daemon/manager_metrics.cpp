// Manager::metrics(): what a monitoring system reads of the daemon, from what it already keeps in
// memory (the libraries' catalogues and device counters, the job ledger's counters) and two
// stat(2) calls. No SCSI, no database query: cheap enough for the bus thread.
#include "daemon/jobs/ledger.hpp"
#include "daemon/library/library.hpp"
#include "daemon/manager.hpp"
#include "daemon/registry/registry.hpp"
#include "daemon/store/database_file.hpp"
#include "daemon/store/shared_store.hpp"

#include <fmt/format.h>

namespace ntms {

namespace {

const char* state_label(LibraryState s) {
    switch (s) {
    case LibraryState::Reading:
        return "reading";
    case LibraryState::Online:
        return "online";
    case LibraryState::Offline:
        return "offline";
    case LibraryState::Removed:
        return "removed";
    }
    return "offline";
}

constexpr LibraryState all_states[] = {LibraryState::Online, LibraryState::Offline,
                                       LibraryState::Reading, LibraryState::Removed};

MetricFamily family(std::string name, std::string type, std::string help) {
    return {std::move(name), std::move(type), std::move(help), {}};
}

void add(MetricFamily& f, std::map<std::string, std::string> labels, double value) {
    f.samples.push_back({f.name, std::move(labels), value});
}

struct LibraryFigures {
    LibrarySnapshot snap;
    uint64_t scsi_errors = 0, scsi_retries = 0;
};

std::vector<MetricFamily> library_families(const std::vector<LibraryFigures>& libs) {
    auto by_state = family("ntms_libraries", "gauge", "Libraries by state.");
    for (LibraryState s : all_states) {
        double n = 0;
        for (const auto& l : libs)
            n += l.snap.state == s ? 1 : 0;
        add(by_state, {{"state", state_label(s)}}, n);
    }
    auto online = family("ntms_library_online", "gauge",
                         "1 when the library is online, 0 when it is not (offline, removed, or "
                         "its element status being read).");
    auto slots = family("ntms_slots", "gauge", "Storage slots of the library, full and free.");
    auto elements = family("ntms_port_elements", "gauge",
                           "Import/export elements of the port (1: a single-cartridge port).");
    auto cartridges = family("ntms_port_cartridges", "gauge", "Cartridges in the port's elements.");
    auto errors = family("ntms_scsi_errors_total", "counter",
                         "SCSI commands to the library's device that ended in an error.");
    auto retries = family("ntms_scsi_retries_total", "counter",
                          "SCSI commands sent again after a unit attention, BUSY or "
                          "becoming ready.");
    auto offline = family("ntms_library_offline_transitions_total", "counter",
                          "Times the library went from online to offline or removed.");
    for (const auto& l : libs) {
        const std::string& name = l.snap.name;
        add(online, {{"library", name}}, l.snap.online() ? 1 : 0);
        add(slots, {{"library", name}, {"state", "full"}},
            static_cast<double>(l.snap.slots - std::min(l.snap.slots, l.snap.free_slots)));
        add(slots, {{"library", name}, {"state", "free"}}, l.snap.free_slots);
        for (const PortState& p : l.snap.ports) {
            const std::string port = fmt::format("{}", p.first);
            add(elements, {{"library", name}, {"port", port}}, p.count);
            add(cartridges, {{"library", name}, {"port", port}}, p.full);
        }
        add(errors, {{"library", name}}, static_cast<double>(l.scsi_errors));
        add(retries, {{"library", name}}, static_cast<double>(l.scsi_retries));
        add(offline, {{"library", name}}, static_cast<double>(l.snap.offline_transitions));
    }
    return {by_state, online, slots, elements, cartridges, errors, retries, offline};
}

std::vector<MetricFamily> job_families(const JobMetrics& jobs) {
    auto ended = family("ntms_jobs_total", "counter",
                        "Jobs ended since ntmsd started, by operation and final state.");
    auto duration = family("ntms_job_duration_seconds", "histogram",
                           "Time from a job's submission to its end, of the jobs ended since "
                           "ntmsd started.");
    for (const auto& k : jobs.read()) {
        const std::string kind = operation_name(k.kind);
        for (size_t i = 0; i < JobMetrics::outcomes.size(); ++i)
            add(ended, {{"kind", kind}, {"outcome", job_state_name(JobMetrics::outcomes[i])}},
                static_cast<double>(k.ended[i]));
        for (size_t i = 0; i < k.buckets.size(); ++i) {
            const std::string le = i < JobMetrics::bucket_bounds.size()
                                       ? fmt::format("{}", JobMetrics::bucket_bounds[i])
                                       : std::string("+Inf");
            duration.samples.push_back({"ntms_job_duration_seconds_bucket",
                                        {{"kind", kind}, {"le", le}},
                                        static_cast<double>(k.buckets[i])});
        }
        duration.samples.push_back(
            {"ntms_job_duration_seconds_sum", {{"kind", kind}}, k.sum_seconds});
        duration.samples.push_back({"ntms_job_duration_seconds_count",
                                    {{"kind", kind}},
                                    static_cast<double>(k.buckets.back())});
    }
    return {ended, duration};
}

} // namespace

std::vector<MetricFamily> Manager::metrics() const {
    std::vector<LibraryFigures> libs;
    for (const Guid& id : registry_.libraries()) {
        Library* lib = registry_.find(id);
        if (lib == nullptr)
            continue;
        const sgio::CommandCounters& c = lib->device().counters();
        libs.push_back({lib->snapshot(), c.errors.load(std::memory_order_relaxed),
                        c.retries.load(std::memory_order_relaxed)});
    }
    std::vector<MetricFamily> out = library_families(libs);
    for (auto& f : job_families(ledger_.metrics()))
        out.push_back(std::move(f));
    auto size = family("ntms_database_size_bytes", "gauge",
                       "Size of ntmsd's SQLite database on disk: the database file and its "
                       "write-ahead log.");
    const auto disk = DatabaseFile::of(db_.path())->disk_size();
    add(size, {{"file", "database"}}, static_cast<double>(disk.database));
    add(size, {{"file", "wal"}}, static_cast<double>(disk.wal));
    out.push_back(std::move(size));
    return out;
}

} // namespace ntms
