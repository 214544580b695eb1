// ntmsd's face on the system bus: one connection, one thread. The thread polls the bus descriptor
// and the event queue's eventfd, handles one message at a time (sdbus-c++ handlers call the
// Manager, which answers from memory; the methods that make a job hand it to the Submitter's
// thread and are answered when it is committed, those that list a library's media or elements
// are read on a second one) and turns domain
// events into objects and signals. No other thread touches the connection.
#pragma once

#include "dbus/context.hpp"
#include "dbus/event_queue.hpp"
#include "dbus/expiries.hpp"
#include "dbus/request_filter.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <sdbus-c++/IConnection.h>
#include <string>
#include <thread>

namespace ntms::dbus {

class ManagerAdaptor;
class LibraryAdaptor;
class JobAdaptor;
class OpRequestAdaptor;
class DriveAdaptor;

struct BusOptions {
    std::string version;
    // How long a finished job (or an answered operator request) stays on the bus.
    std::chrono::seconds retention{3600};
    // What one method call may carry; checked before sdbus-c++ copies anything.
    RequestLimits limits{};
};

class BusService final : private Directory {
public:
    BusService(Manager& manager, EventQueue& events, BusOptions options);
    ~BusService() override;
    BusService(const BusService&) = delete;
    BusService& operator=(const BusService&) = delete;

    // Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS when set), exports the root, every
    // library and the jobs and requests still open, then requests org.ntms.Ntms1 and starts the
    // bus thread. Libraries found later are exported as the Manager reports them. Throws
    // sdbus::Error when the bus or the name cannot be had.
    void start();
    // Stops the bus thread and drops the connection (the name goes with it).
    void stop();
    // The bus thread ended on its own (the bus went away); it then raised SIGTERM.
    bool failed() const { return failed_; }

private:
    void run();
    void apply(const Event& e);
    void on_job(const JobRecord& job); // added or changed: the same
    void on_oprequest(const OpRequestRecord& r);
    // Exports a library not on the bus yet (InterfacesAdded once the name is ours).
    void add_library(const Guid& id);
    // Exports, updates and removes the library's drives to match its current snapshot.
    void sync_drives(const Guid& library);
    // Removes what has been finished for longer than the retention; the delay until the next
    // removal in ms, or -1 when nothing waits.
    int expire();
    void remove_job(const Guid& id);
    void remove_oprequest(const Guid& id);

    // Directory
    void flush_events() override;
    const JobRecord* exported_job(const Guid& id) const override;
    const OpRequestRecord* exported_oprequest(const Guid& id) const override;
    sdbus::ObjectPath show_job(const JobRecord& job) override;
    sdbus::ObjectPath show_oprequest(const OpRequestRecord& request) override;
    void post(std::function<void()> task) override;
    JobAdaptor& add_job(const JobRecord& job);
    OpRequestAdaptor& add_oprequest(const OpRequestRecord& r);

    using Clock = std::chrono::steady_clock;

    Manager& manager_;
    EventQueue& events_;
    BusOptions options_;
    std::unique_ptr<sdbus::IConnection> connection_;
    std::unique_ptr<RequestFilter> filter_;
    std::unique_ptr<CallerIdentity> callers_;
    std::unique_ptr<Submitter> submitter_;
    std::unique_ptr<Submitter> reader_;
    std::unique_ptr<BusContext> ctx_;
    std::unique_ptr<ManagerAdaptor> root_;
    std::map<Guid, std::unique_ptr<LibraryAdaptor>> libraries_;
    std::map<Guid, std::unique_ptr<JobAdaptor>> jobs_;
    std::map<Guid, std::unique_ptr<OpRequestAdaptor>> oprequests_;
    std::map<Guid, std::unique_ptr<DriveAdaptor>> drives_; // by drive GUID
    Expiries job_expiry_, oprequest_expiry_;
    bool announce_ = false; // objects exported before the name was taken are not announced
    int stop_fd_ = -1;
    std::thread thread_;
    std::atomic<bool> failed_{false};
};

} // namespace ntms::dbus
