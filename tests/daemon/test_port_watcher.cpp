// The port watcher on the virtual changer: cartridges put into and taken out of the port while no
// job runs, AutoImport, and what an idle poll costs (only the port's elements are read, and no
// record while nothing changes).
#include "daemon/operations/inventory.hpp"
#include "inject_fixture.hpp"
#include "sgio/cdb.hpp"

#include <set>
#include <sqlite3.h>
#include <thread>

using namespace ntms;
using namespace ntms::test;
using namespace std::chrono_literals;

namespace {

class WatcherFixture : public InjectFixture {
protected:
    LibraryConfig watched(const std::string& device, const std::string& name = "lab1") {
        LibraryConfig c = library(device, name);
        c.check_interval_sec = 1;
        return c;
    }
    // Like start(), with every device's commands logged per library name.
    void start_counted(std::vector<LibraryConfig> libs) {
        start(std::move(libs), counted_devices());
    }
    std::optional<MediumRecord> at(uint16_t element) {
        auto m = open_store()->medium_at(lib_id(), element);
        EXPECT_TRUE(m);
        return m ? *m : std::nullopt;
    }
    std::optional<MediumRecord> with(const std::string& barcode) {
        auto all = open_store()->list_media(lib_id());
        EXPECT_TRUE(all);
        for (const auto& m : *all)
            if (m.barcode == barcode)
                return m;
        return std::nullopt;
    }
};

} // namespace

TEST_F(WatcherFixture, ACartridgePutIntoThePortIsListedAndAnnounced) {
    start({watched(sim("slots=10,ie=1,fill=2"))});
    ASSERT_TRUE(device().operator_insert(100, "PORT01L8"));
    ASSERT_TRUE(events_.wait_until([&] { return at(100).has_value(); }, 10s))
        << "the watcher listed the cartridge";
    auto m = at(100);
    EXPECT_EQ(m->barcode, "PORT01L8");
    EXPECT_EQ(m->state, MediumState::InPort);
    auto hist = open_store()->history(m->id);
    ASSERT_TRUE(hist);
    ASSERT_EQ(hist->size(), 1u);
    EXPECT_EQ(hist->front().reason, "arrived-in-port");

    auto req = events_.wait_opreq([](const OpRequestRecord& r) {
        return r.type == OpRequestType::Message &&
               r.message.find("PORT01L8 waits in port element 100") != std::string::npos;
    });
    ASSERT_TRUE(req);
    EXPECT_EQ(req->state, OpRequestState::Submitted);
    // The port's state on the bus follows (set once the look is over).
    EXPECT_TRUE(events_.wait_until(
        [&] {
            auto snap = manager_->library(lib_id(), Caller::root());
            return snap && snap->ports.size() == 1 && snap->ports[0].full == 1;
        },
        10s));
    EXPECT_FALSE(device().port_open()) << "the watcher never opens the port";

    // Taken out again: outside the library, the request complete.
    ASSERT_TRUE(device().operator_remove(100));
    ASSERT_TRUE(events_.wait_until(
        [&] {
            auto g = with("PORT01L8");
            return g && g->state == MediumState::Gone;
        },
        10s));
    EXPECT_FALSE(at(100));
    auto done = events_.wait_opreq([&](const OpRequestRecord& r) {
        return r.id == req->id && r.state == OpRequestState::Complete;
    });
    EXPECT_TRUE(done);

    // Put in again later: the same identity.
    ASSERT_TRUE(device().operator_insert(100, "PORT01L8"));
    ASSERT_TRUE(events_.wait_until([&] { return at(100).has_value(); }, 10s));
    EXPECT_EQ(at(100)->id, m->id);
}

TEST_F(WatcherFixture, AutoImportImportsWithoutACallAndWithoutOpeningThePort) {
    LibraryConfig c = watched(sim("slots=10,ie=1,fill=2"));
    c.auto_import = true;
    start({c});
    ASSERT_TRUE(device().operator_insert(100, "AUTO01L8"));
    ASSERT_TRUE(events_.wait_until(
        [&] {
            auto m = with("AUTO01L8");
            return m && m->state == MediumState::InLibrary;
        },
        15s))
        << "AutoImport moved the cartridge into a slot";
    auto m = with("AUTO01L8");
    EXPECT_EQ(m->element, std::optional<uint16_t>(1002));
    EXPECT_TRUE(device().element(1002)->full);
    EXPECT_FALSE(device().element(100)->full);
    EXPECT_FALSE(device().port_open());
    auto jobs = open_store()->list_jobs();
    ASSERT_TRUE(jobs);
    ASSERT_EQ(jobs->size(), 1u);
    EXPECT_EQ(jobs->front().operation, OperationKind::Inject);
    EXPECT_EQ(jobs->front().application, "ntmsd AutoImport");
    EXPECT_EQ(jobs->front().timeout_sec, 0u);
    auto done = events_.wait_final(jobs->front().id);
    EXPECT_EQ(done.state, JobState::Passed);
    EXPECT_EQ(done.media_moved, 1u);
    for (const auto& r : events_.opreqs())
        EXPECT_NE(r.type, OpRequestType::NewMedia) << "no one was asked to load the port";
}

TEST_F(WatcherFixture, AnIdlePollReadsOnlyThePortWhateverTheLibrarysSize) {
    start_counted({watched(sim("slots=20,ie=1,fill=2", "small"), "small"),
                   watched(sim("slots=5000,ie=1,fill=2", "large"), "large")});
    std::map<std::string, size_t> from; // the start-up read is over
    {
        std::lock_guard l(log_mutex_);
        for (const auto& [name, log] : logs_)
            from[name] = log.size();
    }
    std::this_thread::sleep_for(2500ms); // two checks at CheckIntervalSec=1
    std::lock_guard l(log_mutex_);
    std::map<std::string, size_t> bytes;
    for (const auto& name : {"small", "large"}) {
        const auto& all = logs_[name];
        ASSERT_GE(all.size(), from[name] + 2) << name << " was polled";
        const std::vector<Sent> log(all.begin() + static_cast<std::ptrdiff_t>(from[name]),
                                    all.end());
        size_t polls = 0;
        for (const auto& s : log) {
            const uint8_t op = s.cdb[0];
            EXPECT_TRUE(op == sgio::opcode::TestUnitReady || op == sgio::opcode::ReadElementStatus)
                << name << " sent opcode " << int(op);
            if (op == sgio::opcode::ReadElementStatus) {
                EXPECT_EQ(s.cdb[1] & 0x0F, 3) << name << " read only import/export elements";
                ++polls;
                if (bytes.count(name)) {
                    EXPECT_EQ(bytes[name], s.transferred);
                }
                bytes[name] = s.transferred;
            }
        }
        EXPECT_GE(polls, 1u);
    }
    EXPECT_EQ(bytes["small"], bytes["large"]) << "a poll costs the same at 20 and 5000 slots";
}

// An idle look that finds the port as the last one left it, with nothing committed since, reads
// no record; a commit makes the next look compare again. The record of a cartridge in the port is
// changed behind ntmsd's back (another connection, not ntmsd's writer): two idle looks leave it so.
// Then an inventory of another library commits through ntmsd, and the next look of this one finds
// the cartridge unrecorded in its port and lists it again, under its own identity.
TEST_F(WatcherFixture, AnIdleLookReadsNoRecordUntilSomethingIsCommitted) {
    start({watched(sim("slots=10,ie=1,fill=2")),
           library(sim("slots=10,ie=1,fill=2", "lab2"), "lab2")});
    ASSERT_TRUE(device().operator_insert(100, "PORT02L8"));
    ASSERT_TRUE(events_.wait_until([&] { return at(100).has_value(); }, 10s));
    const Guid id = at(100)->id;
    std::this_thread::sleep_for(1500ms); // a look after the one that listed it

    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open_v2(db_path_.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(raw, 5000);
    const int rc =
        sqlite3_exec(raw, "UPDATE media SET element = NULL, state = 3 WHERE barcode = 'PORT02L8'",
                     nullptr, nullptr, nullptr);
    const int changed = sqlite3_changes(raw);
    sqlite3_close(raw);
    ASSERT_EQ(rc, SQLITE_OK);
    ASSERT_EQ(changed, 1);

    std::this_thread::sleep_for(2500ms); // two looks at CheckIntervalSec=1
    EXPECT_FALSE(at(100)) << "an idle look with nothing committed compared the records";
    ASSERT_EQ(with("PORT02L8")->state, MediumState::Gone);

    auto inventory = manager_->inventory(
        lib_id("lab2"), static_cast<uint32_t>(InventoryMethod::Fast), "test", Caller::root());
    ASSERT_TRUE(inventory) << inventory.error().message;
    EXPECT_EQ(events_.wait_final(*inventory).state, JobState::Passed);
    ASSERT_TRUE(events_.wait_until([&] { return at(100).has_value(); }, 10s))
        << "the look after a commit compared the records again";
    EXPECT_EQ(at(100)->id, id);
    EXPECT_EQ(at(100)->state, MediumState::InPort);
}
