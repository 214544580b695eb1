#include "bus_fixture.hpp"

#include <fstream>
#include <iostream>
#include <regex>
#include <sqlite3.h>
#include <thread>

namespace ntms::bustest {

using namespace std::chrono_literals;

void BusTest::SetUp() {
    dir_ = std::make_unique<TempDir>("dbus");
    bus_ = std::make_unique<PrivateBus>(dir_->path(), env_path("NTMS_DBUS_POLICY"));
}

void BusTest::TearDown() {
    client_.reset();
    // A clean exit at SIGTERM, also under the sanitizers (which exit non-zero on a finding).
    if (ntmsd_) {
        EXPECT_EQ(ntmsd_->stop(), 0) << "ntmsd did not exit cleanly";
    }
    ntmsd_.reset();
    bus_.reset();
    if (HasFailure()) {
        std::cerr << "---- ntmsd log ----\n" << read_file(dir_->file("ntmsd.log"));
        std::cerr << "---- dbus-daemon log ----\n" << read_file(dir_->file("dbus-daemon.log"));
    }
    dir_.reset();
}

std::string BusTest::sim(const std::string& name, const std::string& options) const {
    return name + "=sim:" + name + ",state=" + state_file(name) +
           (options.empty() ? "" : "," + options);
}

void BusTest::start_daemon(const std::vector<std::string>& libraries, const std::string& config,
                           const std::vector<std::string>& extra_args) {
    const std::string conf = dir_->file("ntmsd.conf");
    {
        std::ofstream c(conf);
        c << "[Daemon]\nJobRetentionSec=" << retention_sec_ << "\n" << config;
    }
    std::vector<std::string> args{"--config", conf, "--database", database()};
    for (const auto& l : libraries) {
        args.push_back("--library");
        args.push_back(l);
    }
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    ntmsd_ = std::make_unique<Ntmsd>(bus_->address(), args, dir_->file("ntmsd.log"), discover_);
    std::string why;
    ASSERT_TRUE(ntmsd_->wait_for_name(why)) << why;

    // A library is usable once its worker has read the element status (or found it offline).
    auto manager = proxy(root_path);
    std::vector<sdbus::ObjectPath> paths;
    manager->callMethod("ListLibraries").onInterface(manager_iface).storeResultsTo(paths);
    for (const auto& p : paths) {
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        for (;;) {
            const bool offline = get_as<std::string>(p, library_iface, "State") == "offline";
            if (offline || get_as<uint32_t>(p, library_iface, "Slots") > 0)
                break;
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << p << " never settled";
            std::this_thread::sleep_for(20ms);
        }
    }
}

void BusTest::stop_daemon() {
    client_.reset();
    ASSERT_TRUE(ntmsd_);
    EXPECT_EQ(ntmsd_->stop(), 0);
    ntmsd_.reset();
}

void BusTest::operator_do(const std::string& name, const std::vector<std::string>& args) {
    std::vector<std::string> argv{env_path("NTMS_SIM"), state_file(name)};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run_command(argv);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
}

std::unique_ptr<sdbus::IConnection> BusTest::connect() const {
    return sdbus::createSessionBusConnectionWithAddress(bus_->address());
}

sdbus::IConnection& BusTest::client() {
    if (!client_)
        client_ = connect();
    return *client_;
}

std::unique_ptr<sdbus::IProxy> BusTest::proxy(const std::string& path) {
    return sdbus::createProxy(client(), service, path);
}

sdbus::ObjectPath BusTest::library_path(const std::string& name) {
    sdbus::ObjectPath path;
    proxy(root_path)
        ->callMethod("GetLibrary")
        .onInterface(manager_iface)
        .withArguments(name)
        .storeResultsTo(path);
    return path;
}

std::string BusTest::library_guid(const std::string& name) {
    return get_as<std::string>(library_path(name), library_iface, "Id");
}

sdbus::Variant BusTest::get(const std::string& path, const std::string& iface,
                            const std::string& name) {
    return proxy(path)->getProperty(name).onInterface(iface);
}

InjectReply BusTest::inject_from_port(const std::string& name,
                                      const std::vector<std::string>& ports) {
    auto reply = inject(library_guid(name), inject_start);
    wait_state(std::get<1>(reply), [](uint32_t s) { return s == lm_waiting; });
    for (const auto& a : ports) {
        operator_do(name, {"insert", a, "FUL00" + a.substr(a.size() - 1) + "L8"});
        if (::testing::Test::HasFatalFailure())
            return reply;
    }
    operator_do(name, {"close-port"});
    return reply;
}

InjectReply BusTest::inject(const std::string& library_guid, uint32_t action,
                            const std::string& job, const Options& options) {
    InjectReply r;
    proxy(root_path)
        ->callMethod("InjectMedia")
        .onInterface(manager_iface)
        .withArguments(library_guid, action, job, options)
        .storeResultsTo(r);
    return r;
}

std::string BusTest::error_of(const std::function<void()>& fn) {
    last_message_.clear();
    try {
        fn();
    } catch (const sdbus::Error& e) {
        last_message_ = e.getMessage();
        return e.getName();
    }
    return {};
}

uint32_t BusTest::wait_state(const sdbus::ObjectPath& job,
                             const std::function<bool(uint32_t)>& pred,
                             std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        const uint32_t s = job_state(job);
        if (pred(s))
            return s;
        if (std::chrono::steady_clock::now() > deadline) {
            ADD_FAILURE() << job << " stayed in state " << s;
            return s;
        }
        std::this_thread::sleep_for(20ms);
    }
}

uint32_t BusTest::wait_final(const sdbus::ObjectPath& job) {
    return wait_state(job, [](uint32_t s) {
        return s == lm_passed || s == lm_failed || s == lm_cancelled || s == lm_stopped || s == 4;
    });
}

std::vector<std::string> BusTest::managed_objects(const std::string& kind) {
    std::map<sdbus::ObjectPath, std::map<std::string, std::map<std::string, sdbus::Variant>>> all;
    proxy(root_path)
        ->callMethod("GetManagedObjects")
        .onInterface("org.freedesktop.DBus.ObjectManager")
        .storeResultsTo(all);
    std::vector<std::string> out;
    const std::string prefix = std::string(root_path) + "/" + kind + "/";
    for (const auto& [path, ifaces] : all)
        if (path.rfind(prefix, 0) == 0)
            out.push_back(path);
    return out;
}

std::vector<std::string> BusTest::as_prefix(As who) {
    switch (who.kind) {
    case As::Root:
        return {};
    case As::Nobody:
        return {"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"};
    case As::NobodyWithGroup:
        return {"setpriv", "--reuid=nobody", "--regid=nogroup",
                "--groups=" + std::to_string(who.gid), "--"};
    }
    return {};
}

std::string quoted(const std::string& s, size_t nth) {
    std::smatch m;
    std::string rest = s;
    for (size_t i = 0; std::regex_search(rest, m, std::regex("\"([^\"]*)\"")); ++i) {
        if (i == nth)
            return m[1];
        rest = m.suffix();
    }
    return {};
}

std::string BusTest::medium_guid(const std::string& lib_path, const std::string& barcode) {
    auto r = busctl({"call", service, lib_path, library_iface, "ListMedia"});
    EXPECT_EQ(r.status, 0) << r.err;
    std::smatch m;
    const std::regex entry("\"([0-9a-f-]{36})\" \"" + barcode + "\" \"([a-z-]+)\"");
    EXPECT_TRUE(std::regex_search(r.out, m, entry)) << r.out;
    return m.size() > 1 ? m[1].str() : std::string();
}

void BusTest::wait_busctl_state(const std::string& job_path, const std::string& want) {
    std::string last;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        last = busctl({"get-property", service, job_path, job_iface, "State"}).out;
        if (last == want + "\n")
            return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << job_path << " State is " << last << ", never " << want;
}

CommandResult BusTest::busctl(const std::vector<std::string>& args, As who) {
    auto argv = as_prefix(who);
    argv.push_back("busctl");
    argv.push_back("--address=" + bus_->address());
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
}

CommandResult BusTest::dbus_call(const std::vector<std::string>& args, As who) {
    auto argv = as_prefix(who);
    argv.push_back(env_path("NTMS_DBUS_CALL"));
    argv.push_back(bus_->address());
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
}

int BusTest::erase_history_of(const std::vector<std::string>& jobs) {
    std::string sql = "DELETE FROM media_history WHERE job IN (";
    for (size_t i = 0; i < jobs.size(); ++i)
        sql += (i ? ", '" : "'") + jobs[i] + "'";
    sql += ")";
    sqlite3* db = nullptr;
    int deleted = -1;
    if (sqlite3_open_v2(database().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK)
            deleted = sqlite3_changes(db);
        else
            ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    }
    sqlite3_close(db);
    return deleted;
}

} // namespace ntms::bustest
