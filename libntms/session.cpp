#include "session.hpp"
#include "signals.hpp"

#include "org.ntms.Ntms1.Job.proxy.h"
#include "org.ntms.Ntms1.Manager.proxy.h"
#include "org.ntms.Ntms1.OperatorRequest.proxy.h"

#include <chrono>
#include <cstdint>

namespace ntms::lib {

namespace {

// The generated classes are used for their typed calls only: no signal is ever subscribed (their
// handlers are registered locally and never finished), so a proxy costs no bus round trip.

class ManagerProxy : public org::ntms::Ntms1::Manager_proxy {
public:
    ManagerProxy(sdbus::IConnection& bus)
        : ManagerProxy(sdbus::createProxy(bus, service, root_path)) {}
    virtual ~ManagerProxy() = default;

private:
    explicit ManagerProxy(std::unique_ptr<sdbus::IProxy> p)
        : Manager_proxy(*p), proxy_(std::move(p)) {}
    void onJobNew(const std::string&, const sdbus::ObjectPath&) override {}
    void onJobRemoved(const std::string&, const sdbus::ObjectPath&, const uint32_t&) override {}
    std::unique_ptr<sdbus::IProxy> proxy_;
};

class JobProxy : public org::ntms::Ntms1::Job_proxy {
public:
    JobProxy(sdbus::IConnection& bus, const sdbus::ObjectPath& path)
        : JobProxy(sdbus::createProxy(bus, service, path)) {}
    virtual ~JobProxy() = default;

private:
    explicit JobProxy(std::unique_ptr<sdbus::IProxy> p) : Job_proxy(*p), proxy_(std::move(p)) {}
    void onCompleted(const uint32_t&, const std::string&) override {}
    std::unique_ptr<sdbus::IProxy> proxy_;
};

class OpRequestProxy : public org::ntms::Ntms1::OperatorRequest_proxy {
public:
    OpRequestProxy(sdbus::IConnection& bus, const sdbus::ObjectPath& path)
        : OpRequestProxy(sdbus::createProxy(bus, service, path)) {}

private:
    explicit OpRequestProxy(std::unique_ptr<sdbus::IProxy> p)
        : OperatorRequest_proxy(*p), proxy_(std::move(p)) {}
    std::unique_ptr<sdbus::IProxy> proxy_;
};

std::unique_ptr<sdbus::IConnection> connect(const std::string& host) {
    // sd-bus reads DBUS_SYSTEM_BUS_ADDRESS for the local bus; a remote host is reached by running
    // "ssh HOST systemd-stdio-bridge", exactly as busctl --host does.
    if (host.empty())
        return sdbus::createSystemBusConnection();
    return sdbus::createRemoteSystemBusConnection(host);
}

} // namespace

Session::Session(const std::string& host, std::string application)
    : host_(host), application_(std::move(application)), bus_(connect(host)) {
    // The connection alone proves nothing about ntmsd (and over ssh not even about the bus).
    ManagerProxy(*bus_).Version();
}

std::tuple<std::string, sdbus::ObjectPath>
Session::inject(const std::string& library, uint32_t action, const std::string& job,
                const std::map<std::string, sdbus::Variant>& options) {
    return ManagerProxy(*bus_).InjectMedia(library, action, job, options);
}

std::tuple<std::string, sdbus::ObjectPath>
Session::eject(const std::string& media, uint32_t action, const std::string& job,
               const std::map<std::string, sdbus::Variant>& options) {
    return ManagerProxy(*bus_).EjectMedia(media, action, job, options);
}

std::tuple<std::string, sdbus::ObjectPath>
Session::mount(const std::vector<std::string>& media, const std::vector<std::string>& drives,
               uint32_t flags, int32_t priority,
               const std::map<std::string, sdbus::Variant>& options) {
    return ManagerProxy(*bus_).MountMedia(media, drives, flags, priority, options);
}

std::tuple<std::string, sdbus::ObjectPath>
Session::dismount(const std::vector<std::string>& media, uint32_t flags,
                  const std::map<std::string, sdbus::Variant>& options) {
    return ManagerProxy(*bus_).DismountMedia(media, flags, options);
}

std::tuple<std::string, sdbus::ObjectPath>
Session::clean(const std::string& drive, const std::map<std::string, sdbus::Variant>& options) {
    return ManagerProxy(*bus_).CleanDrive(drive, options);
}

sdbus::ObjectPath Session::library_path(const std::string& library) {
    return ManagerProxy(*bus_).GetLibrary(library);
}

std::tuple<std::string, sdbus::ObjectPath>
Session::library_job(const sdbus::ObjectPath& library, const char* method, uint32_t action) {
    auto p = sdbus::createProxy(*bus_, service, library);
    std::string job;
    sdbus::ObjectPath path;
    p->callMethod(method)
        .onInterface(library_iface)
        .withArguments(action)
        .storeResultsTo(job, path);
    return {job, path};
}

std::vector<sdbus::ObjectPath> Session::library_paths() {
    return ManagerProxy(*bus_).ListLibraries();
}

sdbus::ObjectPath Session::job_path(const std::string& job) {
    return ManagerProxy(*bus_).GetJob(job);
}

sdbus::ObjectPath Session::oprequest_path(const std::string& request) {
    return ManagerProxy(*bus_).GetOperatorRequest(request);
}

ManagedObjects Session::managed_objects() {
    auto p = sdbus::createProxy(*bus_, service, root_path);
    ManagedObjects objects;
    p->callMethod("GetManagedObjects")
        .onInterface("org.freedesktop.DBus.ObjectManager")
        .storeResultsTo(objects);
    return objects;
}

std::vector<Medium> Session::list_media(const sdbus::ObjectPath& library) {
    auto p = sdbus::createProxy(*bus_, service, library);
    std::vector<Medium> media;
    p->callMethod("ListMedia").onInterface(library_iface).storeResultsTo(media);
    return media;
}

std::vector<MediumDescription> Session::describe_media(const sdbus::ObjectPath& library) {
    auto p = sdbus::createProxy(*bus_, service, library);
    std::vector<MediumDescription> media;
    p->callMethod("DescribeMedia").onInterface(library_iface).storeResultsTo(media);
    return media;
}

std::vector<Element> Session::list_elements(const sdbus::ObjectPath& library) {
    auto p = sdbus::createProxy(*bus_, service, library);
    std::vector<Element> elements;
    p->callMethod("ListElements").onInterface(library_iface).storeResultsTo(elements);
    return elements;
}

Properties Session::properties(const sdbus::ObjectPath& path, const std::string& interface) {
    auto p = sdbus::createProxy(*bus_, service, path);
    Properties props;
    p->callMethod("GetAll")
        .onInterface("org.freedesktop.DBus.Properties")
        .withArguments(interface)
        .storeResultsTo(props);
    return props;
}

void Session::backup(int fd) {
    // Minutes, not sd-bus's default 25 s: ntmsd replies only once the copy is written and synced.
    constexpr auto backup_timeout = std::chrono::minutes(30);
    auto p = sdbus::createProxy(*bus_, service, root_path);
    p->callMethod("Backup")
        .onInterface(manager_iface)
        .withTimeout(backup_timeout)
        .withArguments(sdbus::UnixFd(fd));
}

std::tuple<bool, std::vector<std::string>> Session::check_database() {
    // Minutes, as for a backup: the check reads every page of the database.
    constexpr auto check_timeout = std::chrono::minutes(30);
    auto p = sdbus::createProxy(*bus_, service, root_path);
    bool ok = false;
    std::vector<std::string> problems;
    p->callMethod("CheckDatabase")
        .onInterface(manager_iface)
        .withTimeout(check_timeout)
        .storeResultsTo(ok, problems);
    return {ok, std::move(problems)};
}

void Session::cancel_job(const sdbus::ObjectPath& path) { JobProxy(*bus_, path).Cancel({}); }

void Session::satisfy_oprequest(const sdbus::ObjectPath& path) {
    OpRequestProxy(*bus_, path).Satisfy();
}

void Session::cancel_oprequest(const sdbus::ObjectPath& path) {
    OpRequestProxy(*bus_, path).Cancel();
}

sdbus::Slot Session::add_match(const std::string& rule, sdbus::message_handler handler) {
    return bus_->addMatch(rule, std::move(handler));
}

void Session::dispatch() {
    while (bus_->processPendingRequest()) {
    }
}

void Session::dispatch_quietly() noexcept {
    try {
        dispatch();
    } catch (...) {
        // A broken connection: the next call on it says so to its caller.
    }
}

sdbus::IConnection::PollData Session::poll_data() const { return bus_->getEventLoopPollData(); }

void Session::close() noexcept {
    closed_ = true;
    std::lock_guard lock(wakeups_mutex_);
    for (Wakeup* w : wakeups_)
        w->kick();
}

void Session::enlist(Wakeup* w) {
    std::lock_guard lock(wakeups_mutex_);
    wakeups_.insert(w);
}

void Session::dismiss(Wakeup* w) noexcept {
    std::lock_guard lock(wakeups_mutex_);
    wakeups_.erase(w);
}

namespace {

HandleTable<Session>& sessions() {
    static HandleTable<Session> table;
    return table;
}

} // namespace

uintptr_t new_handle_number() {
    // Starts away from 0 and small integers a caller might pass by mistake.
    static std::atomic<uintptr_t> next{0x4e540000};
    return next++;
}

HANDLE register_session(std::shared_ptr<Session> s) {
    return sessions().add(std::move(s));
}

std::shared_ptr<Session> find_session(HANDLE h) {
    return sessions().find(h);
}

bool unregister_session(HANDLE h) {
    std::shared_ptr<Session> gone = sessions().remove(h);
    if (!gone)
        return false;
    // Calls still running on another thread keep their reference; the last one closes the bus.
    // Waits do not end by themselves: they are woken.
    gone->close();
    return true;
}

} // namespace ntms::lib
