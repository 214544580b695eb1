// The port watcher: between jobs, a library's worker looks at its import/export ports (only their
// elements, so a look costs the same at 20 and at 64,535 slots) and keeps the database in step
// with what the operator does there while no job runs. A look that finds every port element as
// the last one left it, with no commit to the database since, reads no record: an idle library
// costs its two commands (see `seen_`).
// What a look does:
//   - a cartridge that appears is listed at once (InPort, at its element; a known bar code keeps
//     its identity), journalled, and announced by an operator request (NTMS_OPREQ_MESSAGE), or,
//     with AutoImport=yes, imported by an inject job queued at once;
//   - a cartridge that leaves the port is recorded as outside the library (Gone) and journalled;
//     the request about it, if any, is complete.
#pragma once

#include "daemon/library/operator_request.hpp"
#include "daemon/model.hpp"
#include "daemon/status.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ntms {

class JobLedger;
class Library;
class Store;

class PortWatcher {
public:
    PortWatcher(Library& library, JobLedger& ledger) : library_(library), ledger_(ledger) {}

    // Reads the ports' elements and records what changed. Runs on the worker thread with no job
    // running; SCSI errors are returned (the caller decides about offline), database errors too.
    Expected<void> look(Store& db);

private:
    Expected<void> arrived(Store& db, uint16_t element, const std::string& barcode);
    Expected<void> left(Store& db, const MediumRecord& m, uint16_t element);
    // Ends the request about `element`, if one is open.
    void settle_request(Store& db, uint16_t element);
    // An inject job that imports what is in the port without opening it (timeout 0).
    void queue_import(uint16_t port);

    // A port element as a look saw it: what the records were compared with.
    struct Seen {
        uint16_t address = 0;
        bool full = false;
        std::string tag;
        bool operator==(const Seen&) const = default;
    };
    // Per port (its first element): the elements as the last complete look left them, with the
    // database's commit count after it and when it was. The next look compares its elements with
    // these and reads no record when they are the same and nothing was committed since (every
    // write of ntmsd goes through one writer, which counts its commits); at least once a minute
    // it compares with the records anyway.
    struct PortSeen {
        std::vector<Seen> elements;
        uint64_t commits = 0;
        std::chrono::steady_clock::time_point when;
    };

    Library& library_;
    JobLedger& ledger_;
    std::map<uint16_t, PostedRequest> requests_; // open request per port element
    std::map<uint16_t, PortSeen> seen_;
};

} // namespace ntms
