// InventoryNtmsLibrary on the virtual changer: cartridges moved, added and taken out behind
// ntmsd's back, then an inventory; each test asserts the job, the database rows and their history.
#include "daemon/operations/inventory.hpp"
#include "inject_fixture.hpp"
#include "sgio/cdb.hpp"
#include "sgio/changer.hpp"

#include <sqlite3.h>
#include <string>

using namespace ntms;
using namespace ntms::test;

namespace {

// NTMS_INVENTORY_* as the callers pass them.
constexpr uint32_t NTMS_INVENTORY_NONE = 0, NTMS_INVENTORY_FAST = 1, NTMS_INVENTORY_OMID = 2,
                   NTMS_INVENTORY_DEFAULT = 3, NTMS_INVENTORY_SLOT = 4, NTMS_INVENTORY_STOP = 5;
static_assert(NTMS_INVENTORY_STOP == static_cast<uint32_t>(InventoryMethod::Stop));

std::optional<MediumRecord> medium_with(const std::vector<MediumRecord>& media,
                                        const std::string& barcode) {
    for (const auto& m : media)
        if (m.barcode == barcode)
            return m;
    return std::nullopt;
}

class InventoryFixture : public InjectFixture {
protected:
    Expected<Guid> inventory(uint32_t action, const std::string& name = "lab1") {
        return manager_->inventory(lib_id(name), action, "test", Caller::root());
    }
    std::vector<MediumRecord> media() {
        auto m = open_store()->list_media(lib_id());
        EXPECT_TRUE(m);
        return m ? *m : std::vector<MediumRecord>{};
    }
    // The robot moved by someone else (another program, the library's own panel).
    void move_behind_back(uint16_t from, uint16_t to) {
        sgio::Changer ch(device());
        auto r = ch.move(from, to);
        ASSERT_TRUE(r) << r.error().message;
    }
};

} // namespace

TEST_F(InventoryFixture, CatalogueEqualsTheDeviceAfterChangesBehindItsBack) {
    start({library(sim("slots=10,ie=1,fill=4"))});
    const auto before = media();
    ASSERT_EQ(before.size(), 4u);
    const auto s2 = medium_with(before, "S00002L8");
    const auto s4 = medium_with(before, "S00004L8");
    ASSERT_TRUE(s2 && s4);

    move_behind_back(1001, 1007);                  // S00002L8 moved to another slot
    move_behind_back(1003, 100);                   // S00004L8 out through the port ...
    ASSERT_TRUE(device().operator_remove(100));    // ... and taken away
    ASSERT_TRUE(device().place(1005, "NEW005L8")); // a new one put in by hand

    auto job = inventory(NTMS_INVENTORY_FAST);
    ASSERT_TRUE(job) << job.error().message;
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
    EXPECT_EQ(done.operation, OperationKind::Inventory);
    EXPECT_EQ(static_cast<uint32_t>(done.action), NTMS_INVENTORY_FAST);
    EXPECT_EQ(done.error_message,
              "inventory: 1 new, 1 moved, 1 no longer in the library, 0 updated");

    const auto after = media();
    auto moved = medium_with(after, "S00002L8");
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->id, s2->id) << "a moved cartridge keeps its identity";
    EXPECT_EQ(moved->element, std::optional<uint16_t>(1007));
    EXPECT_EQ(moved->state, MediumState::InLibrary);

    auto gone = medium_with(after, "S00004L8");
    ASSERT_TRUE(gone) << "a missing cartridge's record is kept";
    EXPECT_EQ(gone->id, s4->id);
    EXPECT_EQ(gone->state, MediumState::Gone);
    EXPECT_FALSE(gone->element);

    auto fresh = medium_with(after, "NEW005L8");
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->element, std::optional<uint16_t>(1005));
    EXPECT_EQ(fresh->state, MediumState::InLibrary);

    // The history rows belong to the job.
    auto db = open_store();
    auto rows = db->moves_of_job(*job);
    ASSERT_TRUE(rows);
    EXPECT_EQ(rows->size(), 3u);
    auto hist = db->history(s4->id);
    ASSERT_TRUE(hist);
    ASSERT_FALSE(hist->empty());
    EXPECT_EQ(hist->back().reason, "missing");
    EXPECT_EQ(hist->back().from, std::optional<uint16_t>(1003));

    // Slots and free slots as the device says: 4 cartridges in 10 slots.
    auto snap = manager_->library(lib_id(), Caller::root());
    ASSERT_TRUE(snap);
    EXPECT_EQ(snap->free_slots, 6u);
}

TEST_F(InventoryFixture, AGoneCartridgeFoundAgainGetsItsIdentityBack) {
    start({library(sim("slots=10,ie=1,fill=2"))});
    const auto s1 = medium_with(media(), "S00001L8");
    ASSERT_TRUE(s1);
    move_behind_back(1000, 100);
    ASSERT_TRUE(device().operator_remove(100));
    auto first = inventory(NTMS_INVENTORY_DEFAULT);
    ASSERT_TRUE(first);
    EXPECT_EQ(events_.wait_final(*first).state, JobState::Passed);
    EXPECT_EQ(medium_with(media(), "S00001L8")->state, MediumState::Gone);

    ASSERT_TRUE(device().place(1009, "S00001L8"));
    auto second = inventory(NTMS_INVENTORY_FAST);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(events_.wait_final(*second).state, JobState::Passed);
    auto back = medium_with(media(), "S00001L8");
    ASSERT_TRUE(back);
    EXPECT_EQ(back->id, s1->id);
    EXPECT_EQ(back->state, MediumState::InLibrary);
    EXPECT_EQ(back->element, std::optional<uint16_t>(1009));
}

TEST_F(InventoryFixture, FastAndDefaultSendInitializeElementStatusSlotDoesNot) {
    LibraryConfig slot_method = library(sim("slots=10,ie=1,fill=2"));
    slot_method.inventory_method = NTMS_INVENTORY_SLOT;
    start({slot_method, library(sim("slots=10,ie=1,fill=2", "lab2"), "lab2")});
    // A fault on the first INITIALIZE ELEMENT STATUS WITH RANGE shows that it was sent.
    const sgio::Fault fault{sgio::opcode::InitializeElementStatusWithRange,
                            1,
                            sgio::Fault::Kind::Sense,
                            0x04,
                            0x44,
                            0x00};
    device().inject_fault(fault);
    device("lab2").inject_fault(fault);
    // lab1's DEFAULT is its InventoryMethod=slot: what the library knows, without INITIALIZE.
    auto slot = inventory(NTMS_INVENTORY_DEFAULT);
    ASSERT_TRUE(slot) << slot.error().message;
    EXPECT_EQ(events_.wait_final(*slot).state, JobState::Passed);
    auto lab2_default = inventory(NTMS_INVENTORY_DEFAULT, "lab2");
    ASSERT_TRUE(lab2_default);
    EXPECT_EQ(events_.wait_final(*lab2_default).error, win32::IoDevice)
        << "lab2's DEFAULT is the full INITIALIZE ELEMENT STATUS";

    auto fast = inventory(NTMS_INVENTORY_FAST);
    ASSERT_TRUE(fast);
    auto failed = events_.wait_final(*fast);
    EXPECT_EQ(failed.state, JobState::Failed);
    EXPECT_EQ(failed.error, win32::IoDevice) << failed.error_message;

    auto again = inventory(NTMS_INVENTORY_DEFAULT);
    ASSERT_TRUE(again);
    EXPECT_EQ(events_.wait_final(*again).state, JobState::Passed);
}

TEST_F(InventoryFixture, CallTimeErrorsChangeNothing) {
    start({library(sim("slots=10,ie=1,fill=2"))});
    auto bad = inventory(NTMS_INVENTORY_NONE);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, win32::InvalidParameter);
    bad = inventory(NTMS_INVENTORY_SLOT);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, win32::InvalidParameter);
    bad = inventory(6);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, win32::InvalidParameter);
    auto omid = inventory(NTMS_INVENTORY_OMID);
    ASSERT_FALSE(omid);
    EXPECT_EQ(omid.error().code, win32::NotSupported);
    auto stop = inventory(NTMS_INVENTORY_STOP);
    ASSERT_FALSE(stop);
    EXPECT_EQ(stop.error().code, win32::InvalidOperation);
    auto unknown = manager_->inventory(Guid::random(), NTMS_INVENTORY_FAST, "", Caller::root());
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, win32::ObjectNotFound);
    auto jobs = open_store()->list_jobs();
    ASSERT_TRUE(jobs);
    EXPECT_TRUE(jobs->empty()) << "no job was recorded";
}

TEST_F(InventoryFixture, OfflineLibraryAnswersLibraryOffline) {
    unplugged_ = true;
    start({library(sim("slots=10,ie=1"))});
    auto r = inventory(NTMS_INVENTORY_FAST);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::LibraryOffline);
}

TEST_F(InventoryFixture, StopEndsAQueuedInventoryUntouched) {
    // A slow inject keeps the robot busy so that the inventory waits in the queue.
    start({library(sim("slots=10,ie=1,fill=2"))});
    auto inj = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(inj);
    events_.wait_state(*inj, JobState::Waiting);
    auto inv = inventory(NTMS_INVENTORY_FAST);
    ASSERT_TRUE(inv);
    auto stopped = inventory(NTMS_INVENTORY_STOP);
    ASSERT_TRUE(stopped) << stopped.error().message;
    EXPECT_EQ(*stopped, *inv);
    EXPECT_EQ(events_.wait_final(*inv).state, JobState::Cancelled);
    ASSERT_TRUE(inject("lab1", InjectAction::Stop, inj->str()));
    EXPECT_EQ(events_.wait_final(*inj).state, JobState::Stopped);
}

namespace {

// Counts, with triggers in the database itself, every row an inventory writes: media inserted or
// updated, history rows added. SQLite runs them inside the writer's own statements, so nothing
// that reaches the file escapes them.
class WriteCounter {
public:
    explicit WriteCounter(const std::string& path) {
        EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
        sqlite3_busy_timeout(db_, 5000);
        exec("CREATE TABLE test_writes (what TEXT PRIMARY KEY, n INTEGER NOT NULL);"
             "INSERT INTO test_writes VALUES ('media insert', 0), ('media update', 0),"
             " ('history insert', 0);"
             "CREATE TRIGGER test_media_insert AFTER INSERT ON media BEGIN"
             " UPDATE test_writes SET n = n + 1 WHERE what = 'media insert'; END;"
             "CREATE TRIGGER test_media_update AFTER UPDATE ON media BEGIN"
             " UPDATE test_writes SET n = n + 1 WHERE what = 'media update'; END;"
             "CREATE TRIGGER test_history_insert AFTER INSERT ON media_history BEGIN"
             " UPDATE test_writes SET n = n + 1 WHERE what = 'history insert'; END;");
    }
    ~WriteCounter() { sqlite3_close_v2(db_); }
    WriteCounter(const WriteCounter&) = delete;
    WriteCounter& operator=(const WriteCounter&) = delete;

    // "media insert N, media update N, history insert N"
    std::string counts() {
        std::string out;
        sqlite3_stmt* st = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db_, "SELECT what, n FROM test_writes ORDER BY what DESC",
                                     -1, &st, nullptr),
                  SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW)
            out += (out.empty() ? "" : ", ") +
                   std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) + " " +
                   std::to_string(sqlite3_column_int64(st, 1));
        sqlite3_finalize(st);
        return out;
    }
    void reset() { exec("UPDATE test_writes SET n = 0"); }

private:
    void exec(const char* sql) {
        char* err = nullptr;
        EXPECT_EQ(sqlite3_exec(db_, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
        sqlite3_free(err);
    }
    sqlite3* db_ = nullptr;
};

} // namespace

// Diff, don't rewrite: after the first inventory only the elements that changed are written. An
// inventory of an unchanged library of 150 cartridges writes no medium and no history row; one
// cartridge moved behind ntmsd's back costs its record (lifted off its old slot, then placed:
// two updates) and one history row; a restart over the same library writes nothing either.
TEST_F(InventoryFixture, OnlyChangedElementsAreWritten) {
    start({library(sim("slots=200,ie=1,fill=150"))});
    ASSERT_EQ(media().size(), 150u);
    WriteCounter counter(db_path_);

    auto job = inventory(NTMS_INVENTORY_FAST);
    ASSERT_TRUE(job) << job.error().message;
    EXPECT_EQ(events_.wait_final(*job).state, JobState::Passed);
    EXPECT_EQ(counter.counts(), "media update 0, media insert 0, history insert 0");

    move_behind_back(1010, 1190);
    job = inventory(NTMS_INVENTORY_FAST);
    ASSERT_TRUE(job) << job.error().message;
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed);
    EXPECT_EQ(done.error_message,
              "inventory: 0 new, 1 moved, 0 no longer in the library, 0 updated");
    EXPECT_EQ(counter.counts(), "media update 2, media insert 0, history insert 1");

    counter.reset();
    manager_.reset();
    start({library(sim("slots=200,ie=1,fill=150"))});
    ASSERT_EQ(media().size(), 150u);
    EXPECT_EQ(counter.counts(), "media update 0, media insert 0, history insert 0");
}
