// Hot-plug as a client on the bus sees it. udev cannot be made to add or remove a changer on this
// machine, so the daemon is assembled in this process from its real parts (Manager, EventQueue,
// BusService on a private dbus-daemon with the shipped policy) and the test calls the Manager's
// device entry points the way ntmsd's udev thread does. A changer found while running appears
// with InterfacesAdded; removal and return show in State and OfflineReason on the same object.
#include "bus_harness.hpp"
#include "common/bus_names.hpp"
#include "tests/domain.hpp"
#include "dbus/bus_service.hpp"
#include "dbus/event_queue.hpp"

#include <condition_variable>
#include <cstdlib>
#include <gtest/gtest.h>
#include <map>
#include <mutex>
#include <sdbus-c++/sdbus-c++.h>
#include <unistd.h>

namespace ntms::bustest {
namespace {

using namespace std::chrono_literals;
using Interfaces = std::map<std::string, std::map<std::string, sdbus::Variant>>;

using namespace ntms::bus;

struct Seen {
    std::vector<std::pair<std::string, std::string>> added; // path, Name
    std::map<std::string, std::vector<std::string>> states; // path -> State values announced
    std::map<std::string, std::string> reasons;             // path -> last OfflineReason
};

class BusHotplug : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0)
            GTEST_SKIP() << "the shipped policy lets only root or ntmsd own " << service;
        dir_ = std::make_unique<TempDir>("hotplug");
        bus_ = std::make_unique<PrivateBus>(dir_->path(), env_path("NTMS_DBUS_POLICY"));
        ASSERT_EQ(setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_->address().c_str(), 1), 0);

        DaemonConfig cfg;
        cfg.database = dir_->file("ntmsd.db");
        cfg.libraries.push_back(LibraryConfig{});
        cfg.libraries.back().name = "lab1";
        cfg.libraries.back().device = sim("lab1", "slots=6,ie=1");
        manager_ = std::make_unique<ntms::test::Domain>(cfg, events_);
        manager_->start();
        service_ =
            std::make_unique<dbus::BusService>(*manager_, events_, dbus::BusOptions{"test", 3600s});
        service_->start();

        signals_ = sdbus::createSessionBusConnectionWithAddress(bus_->address());
        match_ = signals_->addMatch(
            "type='signal',sender='org.ntms.Ntms1',path_namespace='/org/ntms/Ntms1'",
            [this](sdbus::Message& m) { record(m); });
        signals_->enterEventLoopAsync();
        client_ = sdbus::createSessionBusConnectionWithAddress(bus_->address());
    }

    void TearDown() override {
        client_.reset();
        if (signals_)
            signals_->leaveEventLoop();
        match_.reset();
        signals_.reset();
        if (service_)
            service_->stop();
        if (manager_)
            manager_->stop();
        service_.reset();
        manager_.reset();
        bus_.reset();
        dir_.reset();
        unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
    }

    std::string sim(const std::string& name, const std::string& options) const {
        return "sim:" + name + ",state=" + dir_->file(name + ".state") + "," + options;
    }

    void record(sdbus::Message& m) {
        const std::string member = m.getMemberName();
        std::lock_guard lock(mutex_);
        if (member == "InterfacesAdded") {
            sdbus::ObjectPath path;
            Interfaces ifaces;
            m >> path >> ifaces;
            auto lib = ifaces.find(library_iface);
            if (lib != ifaces.end()) {
                auto& props = lib->second;
                seen_.added.emplace_back(
                    path, props.count("Name") ? props["Name"].get<std::string>() : std::string());
                // The state it was announced in comes first.
                if (props.count("State"))
                    seen_.states[path].push_back(props["State"].get<std::string>());
            }
        } else if (member == "PropertiesChanged") {
            std::string iface;
            std::map<std::string, sdbus::Variant> changed;
            m >> iface >> changed;
            if (iface != library_iface)
                return;
            if (auto it = changed.find("State"); it != changed.end())
                seen_.states[m.getPath()].push_back(it->second.get<std::string>());
            if (auto it = changed.find("OfflineReason"); it != changed.end())
                seen_.reasons[m.getPath()] = it->second.get<std::string>();
        }
        cv_.notify_all();
    }

    bool wait_for(const std::function<bool(const Seen&)>& pred) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, 30s, [&] { return pred(seen_); });
    }

    std::unique_ptr<sdbus::IProxy> proxy(const std::string& path) {
        return sdbus::createProxy(*client_, service, path);
    }
    std::string property(const std::string& path, const std::string& name) {
        return proxy(path)->getProperty(name).onInterface(library_iface).get<std::string>();
    }
    std::vector<sdbus::ObjectPath> list_libraries() {
        std::vector<sdbus::ObjectPath> out;
        proxy(root_path)->callMethod("ListLibraries").onInterface(manager_iface).storeResultsTo(out);
        return out;
    }

    std::unique_ptr<TempDir> dir_;
    std::unique_ptr<PrivateBus> bus_;
    dbus::EventQueue events_;
    std::unique_ptr<ntms::test::Domain> manager_;
    std::unique_ptr<dbus::BusService> service_;
    std::unique_ptr<sdbus::IConnection> signals_, client_;
    sdbus::Slot match_;
    std::mutex mutex_;
    std::condition_variable cv_;
    Seen seen_;
};

TEST_F(BusHotplug, AChangerFoundWhileRunningIsAnnouncedAndFollowsRemovalAndReturn) {
    ASSERT_EQ(list_libraries().size(), 1u);
    const std::string lab2 = sim("lab2", "slots=8,ie=1");
    manager_->device_added(FoundDevice{lab2, {}, "sg4"});

    ASSERT_TRUE(wait_for([](const Seen& s) { return !s.added.empty(); }));
    std::string path, name;
    {
        std::lock_guard lock(mutex_);
        ASSERT_EQ(seen_.added.size(), 1u);
        std::tie(path, name) = seen_.added.front();
    }
    const auto id = manager_->find_library(name);
    ASSERT_TRUE(id) << name;
    EXPECT_EQ(path, std::string(root_path) + "/library/" + id->hex());
    EXPECT_EQ(property(path, "Id"), id->str());
    EXPECT_EQ(property(path, "Device"), lab2);
    const auto listed = list_libraries();
    EXPECT_EQ(listed.size(), 2u);
    EXPECT_NE(std::find(listed.begin(), listed.end(), sdbus::ObjectPath(path)), listed.end());
    sdbus::ObjectPath by_name;
    proxy(root_path)
        ->callMethod("GetLibrary")
        .onInterface(manager_iface)
        .withArguments(name)
        .storeResultsTo(by_name);
    EXPECT_EQ(by_name, path);
    // Online once inventoried, announced on the object.
    ASSERT_TRUE(wait_for([&](const Seen& s) {
        auto it = s.states.find(path);
        return it != s.states.end() && it->second.back() == "online";
    }));
    EXPECT_EQ(proxy(path)->getProperty("Slots").onInterface(library_iface).get<uint32_t>(), 8u);

    manager_->device_removed(FoundDevice{lab2, {}, "sg4"});
    ASSERT_TRUE(wait_for([&](const Seen& s) {
        auto it = s.states.find(path);
        return it != s.states.end() && it->second.back() == "offline";
    }));
    {
        std::lock_guard lock(mutex_);
        EXPECT_EQ(seen_.reasons[path], "device removed");
    }
    EXPECT_EQ(property(path, "OfflineReason"), "device removed");
    try {
        std::tuple<std::string, sdbus::ObjectPath> reply;
        proxy(root_path)
            ->callMethod("InjectMedia")
            .onInterface(manager_iface)
            .withArguments(id->str(), uint32_t{0}, std::string(),
                           std::map<std::string, sdbus::Variant>{})
            .storeResultsTo(reply);
        ADD_FAILURE() << "an inject on a removed library was accepted";
    } catch (const sdbus::Error& e) {
        EXPECT_EQ(e.getName(), "org.ntms.Ntms1.Error.LibraryOffline") << e.getMessage();
    }

    manager_->device_added(FoundDevice{lab2, {}, "sg4"});
    ASSERT_TRUE(wait_for([&](const Seen& s) {
        auto it = s.states.find(path);
        return it != s.states.end() && it->second.back() == "online";
    }));
    EXPECT_EQ(property(path, "Id"), id->str());
    EXPECT_EQ(property(path, "OfflineReason"), "");
    std::lock_guard lock(mutex_);
    EXPECT_EQ(seen_.added.size(), 1u) << "the same object came back; nothing new was announced";
}

} // namespace
} // namespace ntms::bustest
