// One library: its configuration, its device, a snapshot of its state that any thread may read
// without touching SCSI, and the worker thread that owns the robot and runs its jobs one at a time.
#pragma once

#include "access.hpp"
#include "config.hpp"
#include "events.hpp"
#include "model.hpp"
#include "severable_transport.hpp"
#include "sgio/changer.hpp"
#include "sgio/transport.hpp"
#include "status.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace ntms {

class Store;

struct PortState {
    uint16_t first = 0;    // address of its first IE element: the port's number
    uint16_t count = 1;    // 1: single-cartridge port, more: magazine
    bool locked = false;   // PREVENT held by us
    bool extended = false; // open to the operator
    uint16_t full = 0;     // elements holding a cartridge
};

struct LibrarySnapshot {
    Guid id;
    std::string name, device, vendor, product, serial;
    bool online = false;
    std::string offline_reason;
    bool enabled = true;
    uint32_t slots = 0, free_slots = 0, drives = 0;
    bool barcode_reader = false;
    std::vector<PortState> ports;
    uint32_t inject_timeout_sec = 60;
};

enum class JobControl { None, Stop, Retract };

// Opens a device string; sgio::open_transport unless a test hands in its own.
using TransportFactory =
    std::function<sgio::Result<std::unique_ptr<sgio::Transport>>(const std::string& device)>;

class Library {
public:
    // The offline reason of a library found while running, until its element status is read.
    static constexpr const char* reading_reason = "reading its element status";

    Library(LibraryRecord record, LibraryConfig config, std::string db_path, EventSink& events,
            TransportFactory factory);
    ~Library();
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;

    // Called once before start(): the device opened by the manager, or null when absent.
    void attach(std::unique_ptr<sgio::Transport> transport, std::string offline_reason);
    // Hot-plug, from the discovery thread. device_removed(): the device is cut off at once (the
    // running job fails with ERROR_LIBRARY_OFFLINE at its next command), the library goes offline
    // with the reason "device removed" and is not reopened until device_arrived(), which hands
    // the worker the device found again (possibly under another node); the worker then reads the
    // element status again (the offline reason says so meanwhile) and the library is online when
    // that succeeds.
    void device_removed();
    void device_arrived(std::unique_ptr<sgio::Transport> transport, const std::string& device);
    // Removed and not found again since.
    bool removed() const;
    // Takes every job waiting in the queue (the running one stays with the worker).
    std::vector<JobRecord> take_queue();
    // Starts the worker: reconciliation first, then the queued jobs from the database.
    void start(std::vector<JobRecord> queued);
    void stop();
    // The worker thread is running (it ends only on stop() or when it cannot work at all).
    bool worker_alive() const { return worker_alive_.load(); }

    const Guid& id() const { return record_.id; }
    // The stable key its GUID was created for (VPD designator, serial, URL, "name:...").
    const std::string& identity() const { return record_.identity; }
    const LibraryConfig& config() const { return config_; }
    const AccessPolicy& access() const { return access_; }
    LibrarySnapshot snapshot() const;

    // Hands a durably queued job to the worker.
    void enqueue(const JobRecord& job);
    // The job currently being run, if any.
    std::optional<Guid> running_job() const;
    // Removes a queued job from the queue; false when it is not queued (running or unknown).
    bool dequeue(const Guid& job);
    // STOP or RETRACT for the running job; false when that job is not running.
    bool control(const Guid& job, JobControl what);
    // The port that `port` (an IE element address) belongs to; nullopt for no such port. With no
    // address, the library's first port.
    std::optional<PortState> find_port(std::optional<uint16_t> address) const;

    // Worker-side API used by the inject job and reconciliation.
    sgio::Changer* changer() { return changer_.get(); }
    EventSink& events() { return events_; }
    std::string name() const { return config_.name; }
    // Offline takes effect at once; online, during a reconciliation, once it has finished (so that
    // an online library's inventory is in the database and the snapshot). A removed library's
    // offline reason stays "device removed".
    void set_online(bool online, const std::string& reason);
    void set_port(const PortState& p);
    // Element layout found on the device: ports (from configuration or all IE elements as one),
    // number of drives, whether volume tags can be read.
    void set_layout(std::vector<PortState> ports, uint32_t drives, bool barcode_reader,
                    const std::string& vendor, const std::string& product,
                    const std::string& serial);
    // Storage inventory cache: slot address -> full.
    void set_storage(std::vector<std::pair<uint16_t, bool>> slots);
    void set_slot_full(uint16_t address, bool full);
    std::optional<uint16_t> pick_free_slot() const;
    // Waits up to `d` for a control request; returns it (and clears it).
    JobControl wait_control(std::chrono::milliseconds d);
    JobControl peek_control() const;

private:
    void run(std::vector<JobRecord> queued);
    // Reads the element status into the database; a device that cannot be read this way is
    // offline with the reason.
    void settle(Store& db, const char* what);
    void use_device(std::unique_ptr<SeverableTransport> device);
    void fail_offline_job(Store& db, JobRecord& job);
    bool open_device();
    void notify() { events_.library_changed(record_.id); }

    LibraryRecord record_;
    LibraryConfig config_;
    AccessPolicy access_;
    std::string db_path_;
    EventSink& events_;
    TransportFactory factory_;

    // Owned and used by the worker; swapped only by it, under mutex_, so that another thread may
    // sever it.
    std::unique_ptr<SeverableTransport> transport_;
    std::unique_ptr<sgio::Changer> changer_;

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<JobRecord> queue_;
    std::optional<Guid> running_;
    JobControl control_ = JobControl::None;
    bool stopping_ = false;
    bool removed_ = false;             // the device was removed: no reopening on demand
    bool wake_ = false;                // a waiting job polls the device now (it may be gone)
    bool settling_ = false;            // reconciliation under way on the worker
    bool online_when_settled_ = false; // it found the device answering
    std::unique_ptr<SeverableTransport> arriving_; // found again, for the worker to take
    LibrarySnapshot snap_;
    std::vector<uint16_t> free_slots_; // sorted ascending
    std::thread worker_;
    std::atomic<bool> worker_alive_{false};
};

} // namespace ntms
