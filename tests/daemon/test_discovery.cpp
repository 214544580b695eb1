// Hot-plug of changers, driven through Manager::device_added/device_removed the way the udev
// thread drives them, on virtual changers: removal fails the running and queued jobs offline,
// re-adding brings the same library back (reconciled), new changers become libraries with a GUID
// kept per identity, unusable ones are offline with a reason, configured ones are never doubled.
// Then the sd-device side on this host.
#include "tests/domain.hpp"
#include "daemon/registry/discovery.hpp"
#include "daemon/journal.hpp"
#include "inject_fixture.hpp"
#include "sgio/changer.hpp"

#include <atomic>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

using namespace ntms;
using namespace ntms::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* no_smc_prefix = "nosmc:";

std::optional<MediumRecord> medium_with(Store& db, const Guid& lib, const std::string& barcode) {
    auto media = db.list_media(lib);
    EXPECT_TRUE(media);
    for (const auto& m : *media)
        if (m.barcode == barcode)
            return m;
    return std::nullopt;
}

// The journal records ntmsd wrote while fn ran (the stderr form: one line per record).
std::string journal_of(const std::function<void()>& fn) {
    set_log_target_stderr(true);
    ::testing::internal::CaptureStderr();
    fn();
    std::string out = ::testing::internal::GetCapturedStderr();
    set_log_target_stderr(false);
    return out;
}

// The line of the journal text that holds every one of the pieces, or "".
std::string line_with(const std::string& text, const std::vector<std::string>& pieces) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        bool all = true;
        for (const auto& p : pieces)
            all = all && line.find(p) != std::string::npos;
        if (all)
            return line;
    }
    return {};
}

} // namespace

class Hotplug : public InjectFixture {
protected:
    // The test's device layer: "sim:..." as the daemon opens it; a path is a device node whose
    // file holds the sim it stands for (so that links to it can be resolved like /dev/tape/by-id);
    // "nosmc:sim:..." answers INQUIRY as a changer but rejects READ ELEMENT STATUS with ILLEGAL
    // REQUEST, as Linux's scsi_debug with ptype=8 does.
    sgio::Result<std::unique_ptr<sgio::Transport>> open_any(const std::string& device) {
        if (!device.empty() && device.front() == '/') {
            std::ifstream node(device);
            std::string spec;
            if (!node || !std::getline(node, spec))
                return sgio::make_error(sgio::Errc::OpenFailed, device + ": no such device");
            return open_device(spec);
        }
        if (device.rfind(no_smc_prefix, 0) == 0) {
            auto t = open_device(device.substr(std::strlen(no_smc_prefix)));
            if (!t)
                return t;
            sgio::Fault f;
            f.opcode = 0xB8; // READ ELEMENT STATUS
            f.count = 1'000'000;
            f.key = 0x05;
            f.asc = 0x20; // invalid command operation code
            static_cast<sgio::VirtualChanger&>(**t).inject_fault(f);
            return t;
        }
        return open_device(device);
    }

    void start_with(std::vector<LibraryConfig> libs, std::vector<FoundDevice> present = {}) {
        DaemonConfig cfg;
        cfg.database = db_path_;
        cfg.libraries = std::move(libs);
        manager_ = std::make_unique<ntms::test::Domain>(
            cfg, events_, [this](const std::string& device) { return open_any(device); });
        manager_->start(present);
        for (const auto& id : manager_->libraries())
            ASSERT_TRUE(settled(id));
    }

    // Inventoried (slots known) or offline with a reason other than being read.
    bool settled(const Guid& id) {
        return wait_library(id, [](const LibrarySnapshot& s) {
            return (s.online() && s.slots > 0) || (!s.online() && !s.offline_reason.empty() &&
                                                 s.state != LibraryState::Reading);
        });
    }
    bool wait_library(const Guid& id, const std::function<bool(const LibrarySnapshot&)>& pred) {
        return events_.wait_until([&] {
            auto s = manager_->library(id, Caller::root());
            return s && pred(*s);
        });
    }
    LibrarySnapshot snap(const Guid& id) {
        auto s = manager_->library(id, Caller::root());
        EXPECT_TRUE(s);
        return s ? *s : LibrarySnapshot{};
    }

    static FoundDevice node(const std::string& devnode, const std::string& sysname = {}) {
        return FoundDevice{devnode, {}, sysname};
    }

    // Acts on a sim's state file through an instance of the test's own, as someone at the
    // library would while it is away from the daemon.
    void by_hand(const std::string& name, const std::function<void(sgio::Changer&)>& fn) {
        auto cfg = sgio::VirtualChangerConfig::from_state_file(state_path(name));
        ASSERT_TRUE(cfg) << cfg.error().message;
        auto vc = sgio::VirtualChanger::open(*cfg);
        ASSERT_TRUE(vc) << vc.error().message;
        sgio::Changer ch(**vc);
        fn(ch);
    }
};

TEST_F(Hotplug, RemovalFailsTheRunningAndQueuedJobsOfflineAndRefusesNewOnes) {
    const std::string dev = sim("slots=10,ie=1");
    ASSERT_NO_FATAL_FAILURE(start_with({library(dev)}));
    const Guid lab1 = lib_id();
    auto running = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(running) << running.error().message;
    events_.wait_state(*running, JobState::Waiting);
    auto queued1 = inject("lab1", InjectAction::Start);
    auto queued2 = inject("lab1", InjectAction::StartMany);
    ASSERT_TRUE(queued1 && queued2);
    ASSERT_EQ(manager_->job(*queued1)->state, JobState::Queued);

    std::string journal = journal_of([&] {
        manager_->device_removed(node(dev));
        for (const auto& id : {*running, *queued1, *queued2}) {
            auto j = events_.wait_final(id);
            EXPECT_EQ(j.state, JobState::Failed) << id.str();
            EXPECT_EQ(j.error, win32::LibraryOffline) << id.str() << ": " << j.error_message;
            EXPECT_NE(j.error_message.find("device removed"), std::string::npos) << j.error_message;
        }
        auto again = inject("lab1", InjectAction::Start);
        ASSERT_FALSE(again);
        EXPECT_EQ(again.error().code, win32::LibraryOffline);
        EXPECT_NE(again.error().message.find("device removed"), std::string::npos);
        // The worker journals a job's end after reporting it; once stopped, it has.
        manager_->stop();
    });

    // The database says the same; the device was left alone after the removal.
    auto db = open_store();
    for (const auto& id : {*running, *queued1, *queued2}) {
        auto row = db->get_job(id);
        ASSERT_TRUE(row && *row);
        EXPECT_EQ((*row)->state, JobState::Failed);
        EXPECT_EQ((*row)->error, win32::LibraryOffline);
    }
    const auto s = snap(lab1);
    EXPECT_FALSE(s.online());
    EXPECT_EQ(s.offline_reason, "device removed");

    // Journalled: the library offline with its reason, each job's failure.
    EXPECT_NE(line_with(journal, {message_id::LibraryOffline, "NTMS_REASON=\"device removed\""}),
              "")
        << journal;
    for (const auto& id : {*running, *queued1, *queued2})
        EXPECT_NE(line_with(journal, {message_id::JobFailed, "NTMS_JOB=" + id.str(),
                                      "NTMS_ERROR_NAME=ERROR_LIBRARY_OFFLINE"}),
                  "")
            << id.str() << "\n"
            << journal;
    EXPECT_NE(line_with(journal, {"device " + dev + " removed"}), "") << journal;
}

TEST_F(Hotplug, ReaddedLibraryKeepsItsGuidAndFindsWhatMovedWhileAway) {
    const std::string dev = sim("slots=12,ie=1,fill=3");
    ASSERT_NO_FATAL_FAILURE(start_with({library(dev)}));
    const Guid lab1 = lib_id();
    auto before = medium_with(*open_store(), lab1, "S00001L8");
    ASSERT_TRUE(before);
    ASSERT_EQ(before->element, std::optional<uint16_t>(1000));

    manager_->device_removed(node(dev));
    ASSERT_TRUE(wait_library(lab1, [](const LibrarySnapshot& s) { return !s.online(); }));
    ASSERT_NO_FATAL_FAILURE(by_hand("lab1", [](sgio::Changer& ch) {
        ASSERT_TRUE(ch.move(1000, 1009)); // moved by hand while the library was away
    }));

    // Back under another node name (renumbered), recognised by its identity.
    const std::string renumbered = dev + ",poweron=no";
    manager_->device_added(node(renumbered));
    ASSERT_TRUE(wait_library(lab1, [](const LibrarySnapshot& s) { return s.online(); }));
    EXPECT_EQ(manager_->libraries(), std::vector<Guid>{lab1});
    EXPECT_EQ(lib_id(), lab1);
    EXPECT_TRUE(events_.added().empty()) << "the same library, not a new one";
    const auto s = snap(lab1);
    EXPECT_EQ(s.device, renumbered);
    EXPECT_EQ(s.offline_reason, "");

    auto after = medium_with(*open_store(), lab1, "S00001L8");
    ASSERT_TRUE(after);
    EXPECT_EQ(after->id, before->id);
    EXPECT_EQ(after->element, std::optional<uint16_t>(1009));
    auto h = open_store()->history(after->id);
    ASSERT_TRUE(h && !h->empty());
    EXPECT_EQ(h->back().reason, "reconcile");

    // And it works again: an inject on the device found again.
    auto job = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(job) << job.error().message;
    events_.wait_state(*job, JobState::Waiting);
    ASSERT_TRUE(device().operator_insert(100, "BACK01L8"));
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
    EXPECT_EQ(done.media_moved, 1u);
}

TEST_F(Hotplug, NewChangerBecomesALibraryWhoseGuidOutlivesRemovalAndRestart) {
    ASSERT_NO_FATAL_FAILURE(start_with({}));
    ASSERT_TRUE(manager_->libraries().empty());
    const std::string dev = sim("slots=8,ie=1", "lab2");
    std::string journal = journal_of([&] { manager_->device_added(node(dev, "sg7")); });
    ASSERT_EQ(events_.added().size(), 1u);
    const Guid id = events_.added().front();
    EXPECT_EQ(manager_->libraries(), std::vector<Guid>{id});
    ASSERT_TRUE(settled(id));

    auto vc = sgio::VirtualChangerConfig::parse(dev);
    ASSERT_TRUE(vc);
    sgio::Identity ident;
    {
        auto probe = sgio::VirtualChanger::open(*vc);
        ASSERT_TRUE(probe);
        auto i = sgio::Changer(**probe).identify();
        ASSERT_TRUE(i);
        ident = *i;
    }
    const std::string name = discovered_library_name(ident, "sg7");
    auto s = snap(id);
    EXPECT_TRUE(s.online()) << s.offline_reason;
    EXPECT_EQ(s.name, name);
    EXPECT_EQ(s.device, dev);
    EXPECT_EQ(s.slots, 8u);
    auto by_name = manager_->find_library(name);
    ASSERT_TRUE(by_name) << name;
    EXPECT_EQ(*by_name, id);
    EXPECT_NE(line_with(journal, {"found at " + dev, id.str()}), "") << journal;
    // Recorded under its identity, like a configured library.
    auto rec = open_store()->get_library(id);
    ASSERT_TRUE(rec && *rec);
    EXPECT_EQ((*rec)->identity, ident.stable_key());

    manager_->device_removed(node(dev, "sg7"));
    ASSERT_TRUE(wait_library(id, [](const LibrarySnapshot& l) { return !l.online(); }));
    EXPECT_EQ(snap(id).offline_reason, "device removed");
    manager_->device_added(node(dev, "sg7"));
    ASSERT_TRUE(wait_library(id, [](const LibrarySnapshot& l) { return l.online(); }));
    EXPECT_EQ(events_.added().size(), 1u);

    // A restart finds it present at start: the same GUID and name.
    manager_.reset();
    ASSERT_NO_FATAL_FAILURE(start_with({}, {node(dev, "sg3")}));
    EXPECT_EQ(manager_->libraries(), std::vector<Guid>{id});
    EXPECT_EQ(snap(id).name, name) << "the name the database has, not one from sg3";
    EXPECT_TRUE(snap(id).online());
}

TEST_F(Hotplug, ChangerWithoutSmcIsAnOfflineLibraryWithAReasonAndDisturbsNothing) {
    const std::string good = sim("slots=6,ie=1");
    ASSERT_NO_FATAL_FAILURE(start_with({library(good)}));
    const Guid lab1 = lib_id();
    auto job = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(job);
    events_.wait_state(*job, JobState::Waiting);

    const std::string bad = std::string(no_smc_prefix) + sim("slots=4,ie=1", "scsidebug");
    Guid id;
    std::string journal = journal_of([&] {
        manager_->device_added(node(bad, "sg9"));
        ASSERT_EQ(events_.added().size(), 1u);
        id = events_.added().front();
        ASSERT_TRUE(settled(id));
        const auto s = snap(id);
        EXPECT_FALSE(s.online());
        EXPECT_NE(s.offline_reason.find("does not work as a medium changer"), std::string::npos)
            << s.offline_reason;
        EXPECT_NE(s.offline_reason.find("ILLEGAL REQUEST"), std::string::npos) << s.offline_reason;
        auto r = manager_->inject(id.str(), 0, {}, {}, Caller::root());
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, win32::LibraryOffline);
        EXPECT_NE(r.error().message.find("does not work as a medium changer"), std::string::npos);

        // The real library went on with its job meanwhile.
        EXPECT_EQ(manager_->job(*job)->state, JobState::Waiting);
        ASSERT_TRUE(device("lab1").operator_insert(100, "GOOD01L8"));
        auto done = events_.wait_final(*job);
        EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
        EXPECT_TRUE(snap(lab1).online());
        manager_->stop(); // every record written
    });
    EXPECT_NE(line_with(journal, {message_id::LibraryOffline, "NTMS_LIBRARY=" + id.str(),
                                  "ILLEGAL REQUEST"}),
              "")
        << journal;
    EXPECT_EQ(line_with(journal, {message_id::LibraryOffline, "NTMS_LIBRARY=" + lab1.str()}), "")
        << journal;
}

TEST_F(Hotplug, ConfiguredLibraryFoundByLinkOrByIdentityIsNeverDoubled) {
    // A node file and a by-id style link to it; the configuration names the link.
    const fs::path sg = dir_ / "sg3";
    fs::create_directories(dir_ / "by-id");
    std::ofstream(sg) << sim("slots=10,ie=1") << "\n"; // closed at the end of the statement
    const fs::path link = dir_ / "by-id" / "scsi-lab1";
    fs::create_symlink("../sg3", link);
    ASSERT_NO_FATAL_FAILURE(start_with({library(link.string())}, {node(sg.string(), "sg3")}));
    const Guid lab1 = lib_id();
    EXPECT_EQ(manager_->libraries(), std::vector<Guid>{lab1});
    EXPECT_TRUE(snap(lab1).online());

    manager_->device_added(node(sg.string(), "sg3"));              // the add event, again
    manager_->device_added(node(sim("slots=10,ie=1,poweron=no"))); // another path, same identity
    EXPECT_EQ(manager_->libraries(), std::vector<Guid>{lab1});
    EXPECT_TRUE(events_.added().empty());
    EXPECT_EQ(snap(lab1).device, link.string());
    manager_->device_removed(node(sim("slots=10,ie=1,poweron=no"))); // the reserve path goes
    EXPECT_TRUE(snap(lab1).online());

    // Removed by its node, found again through it: the configured spelling stays.
    manager_->device_removed(node(sg.string(), "sg3"));
    ASSERT_TRUE(wait_library(lab1, [](const LibrarySnapshot& s) { return !s.online(); }));
    manager_->device_added(node(sg.string(), "sg3"));
    ASSERT_TRUE(wait_library(lab1, [](const LibrarySnapshot& s) { return s.online(); }));
    EXPECT_EQ(snap(lab1).device, link.string());
    EXPECT_EQ(manager_->libraries(), std::vector<Guid>{lab1});
}

TEST_F(Hotplug, ASecondPathTakesOverWhenThePathInUseIsRemoved) {
    const std::string first = sim("slots=10,ie=1");
    const std::string second = first + ",poweron=no"; // the same changer through another port
    ASSERT_NO_FATAL_FAILURE(start_with({}, {node(first, "sg3"), node(second, "sg8")}));
    ASSERT_EQ(events_.added().size(), 1u);
    const Guid id = events_.added().front();
    ASSERT_TRUE(wait_library(id, [](const LibrarySnapshot& s) { return s.online(); }));
    EXPECT_EQ(snap(id).device, first);
    auto job = manager_->inject(id.str(), 0, {}, {}, Caller::root());
    ASSERT_TRUE(job);
    events_.wait_state(*job, JobState::Waiting);

    manager_->device_removed(node(first, "sg3"));
    // The job was on the path that went; the library carries on through the other.
    auto end = events_.wait_final(*job);
    EXPECT_EQ(end.error, win32::LibraryOffline) << end.error_message;
    ASSERT_TRUE(wait_library(id, [&](const LibrarySnapshot& s) {
        return s.online() && s.device == second;
    })) << snap(id).offline_reason;
    EXPECT_EQ(manager_->libraries(), std::vector<Guid>{id});

    // With no path left it is offline, and stays known.
    manager_->device_removed(node(second, "sg8"));
    EXPECT_FALSE(snap(id).online());
    EXPECT_EQ(snap(id).offline_reason, "device removed");
}

TEST_F(Hotplug, ConfiguredLibraryAbsentAtStartComesOnlineWhenItsDeviceAppears) {
    const fs::path sg = dir_ / "sg5";
    const fs::path link = dir_ / "scsi-lab1";
    fs::create_symlink(sg.filename(), link); // dangling until the node appears
    ASSERT_NO_FATAL_FAILURE(start_with({library(link.string())}));
    const Guid lab1 = lib_id();
    EXPECT_FALSE(snap(lab1).online());

    std::ofstream(sg) << sim("slots=5,ie=1") << "\n"; // closed at the end of the statement
    manager_->device_added(node(sg.string(), "sg5"));
    ASSERT_TRUE(wait_library(lab1, [](const LibrarySnapshot& s) { return s.online(); }));
    EXPECT_EQ(snap(lab1).slots, 5u);
    EXPECT_EQ(manager_->libraries(), std::vector<Guid>{lab1});
    EXPECT_TRUE(events_.added().empty());
}

TEST_F(Hotplug, UnknownNodesAndUnopenableDevicesChangeNothing) {
    const std::string dev = sim("slots=4,ie=1");
    ASSERT_NO_FATAL_FAILURE(start_with({library(dev)}));
    manager_->device_removed(node("/dev/sg-ntms-test-unknown"));
    manager_->device_added(node((dir_ / "no-such-node").string()));
    EXPECT_EQ(manager_->libraries().size(), 1u);
    EXPECT_TRUE(snap(lib_id()).online());
    EXPECT_TRUE(events_.added().empty());
}

TEST_F(Hotplug, EventsAfterStopAreIgnored) {
    ASSERT_NO_FATAL_FAILURE(start_with({}));
    manager_->stop();
    manager_->device_added(node(sim("slots=4,ie=1", "late")));
    EXPECT_TRUE(manager_->libraries().empty());
}

// Adds and removes from several threads while the bus side reads: one library, consistent, at the
// end (ASan and UBSan watch the unit suite for the rest).
TEST_F(Hotplug, ConcurrentAddsRemovesAndReadsSettleOnOneLibrary) {
    ASSERT_NO_FATAL_FAILURE(start_with({}));
    const std::string dev = sim("slots=6,ie=1", "busy");
    std::atomic<bool> done{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 15; ++i) {
                manager_->device_added(node(dev));
                manager_->device_removed(node(dev));
            }
        });
    std::thread reader([&] {
        int injects = 0;
        while (!done) {
            for (const auto& id : manager_->libraries()) {
                (void)manager_->library(id, Caller::root());
                if (injects < 10 && manager_->inject(id.str(), 0, {}, {}, Caller::root()))
                    ++injects;
            }
            (void)manager_->find_library("busy");
            (void)manager_->workers_alive();
        }
    });
    for (auto& t : threads)
        t.join();
    done = true;
    reader.join();

    manager_->device_added(node(dev));
    ASSERT_EQ(manager_->libraries().size(), 1u);
    const Guid id = manager_->libraries().front();
    EXPECT_EQ(events_.added(), std::vector<Guid>{id});
    ASSERT_TRUE(wait_library(id, [](const LibrarySnapshot& s) { return s.online(); }));
    EXPECT_TRUE(manager_->workers_alive());
    // Jobs that slipped in between failed offline or are still running; none is left queued.
    manager_->device_removed(node(dev));
    auto jobs = manager_->jobs();
    ASSERT_TRUE(jobs);
    for (const auto& j : *jobs) {
        auto end = events_.wait_final(j.id);
        EXPECT_EQ(end.error, win32::LibraryOffline) << end.error_message;
    }
}

TEST(DiscoveryNames, VendorProductAndSerialFromInquiry) {
    sgio::Identity id;
    id.vendor = "IBM     ";
    id.product = "3573-TL         ";
    id.serial = "00X4U78A9931";
    EXPECT_EQ(discovered_library_name(id, "sg3"), "IBM_3573-TL_00X4U78A9931");
    id.serial.clear();
    EXPECT_EQ(discovered_library_name(id, "sg3"), "IBM_3573-TL_sg3");
    id.vendor = "HP/Q";
    id.product = "MSL G3 Series";
    id.serial = "DEC:0042 ";
    EXPECT_EQ(discovered_library_name(id, "sg3"), "HP_Q_MSL_G3_Series_DEC_0042");
    // A part that ends or starts with a replaced character still meets the next with one '_'.
    id.vendor = "IBM/";
    id.product = "ULT3580 (c)";
    id.serial = ":0042";
    EXPECT_EQ(discovered_library_name(id, "sg3"), "IBM_ULT3580_c_0042");
    EXPECT_EQ(discovered_library_name(sgio::Identity{}, "sg4"), "sg4");
    EXPECT_EQ(discovered_library_name(sgio::Identity{}, ""), "changer");
}

TEST(DiscoveryTypes, OnlyPeripheralTypeEightIsAChanger) {
    EXPECT_TRUE(is_medium_changer_type("8"));
    EXPECT_TRUE(is_medium_changer_type("8\n"));
    EXPECT_FALSE(is_medium_changer_type("0"));
    EXPECT_FALSE(is_medium_changer_type("1"));
    EXPECT_FALSE(is_medium_changer_type("18"));
    EXPECT_FALSE(is_medium_changer_type("8x"));
    EXPECT_FALSE(is_medium_changer_type(""));
}

// sd-device on the machine the tests run on: what it lists are the type-8 sg nodes sysfs has
// (all of them once udev has set them up), and the monitor thread starts and stops.
TEST(DiscoveryHost, ListsTheChangersSysfsHasAndFollowsUntilStopped) {
    std::set<std::string> sysfs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/sys/class/scsi_generic", ec)) {
        std::ifstream type(e.path() / "device" / "type");
        std::string t;
        if (type && std::getline(type, t) && is_medium_changer_type(t))
            sysfs.insert("/dev/" + e.path().filename().string());
    }
    Discovery d;
    auto found = d.open();
    ASSERT_TRUE(found) << found.error().message;
    std::set<std::string> listed;
    for (const auto& f : *found) {
        listed.insert(f.devnode);
        EXPECT_EQ(f.devnode, "/dev/" + f.sysname);
        EXPECT_NE(f.syspath.find("/scsi_generic/" + f.sysname), std::string::npos) << f.syspath;
    }
    for (const auto& n : listed)
        EXPECT_TRUE(sysfs.count(n)) << n << " is not a type-8 sg node in sysfs";
    if (fs::exists("/run/udev/control")) {
        EXPECT_EQ(listed, sysfs);
    }

    std::atomic<int> calls{0};
    d.start([&](DeviceAction, const FoundDevice&) { ++calls; });
    EXPECT_TRUE(d.following());
    d.stop();
    EXPECT_FALSE(d.following());
}
