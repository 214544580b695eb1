// Many libraries starting at once on one database: every first inventory is recorded, none meets
// a locked database, no worker dies, and each library is online with exactly its own media. The
// libraries are virtual changers; the database is a real SQLite file.
//
// make check runs 64 libraries x 10,000 slots (NTMS_MANY_LIBRARIES and NTMS_MANY_SLOTS change
// the size; make bench times the same start against its baseline, tests/bench/bench_startup.cpp).
#include "daemon/library/worker.hpp"
#include "inject_fixture.hpp"
#include "must.hpp"
#include "sgio/cdb.hpp"

#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <future>
#include <sqlite3.h>
#include <thread>

using namespace ntms;
using namespace ntms::test;

namespace {

unsigned env_or(const char* name, unsigned fallback) {
    const char* v = std::getenv(name);
    return v && *v ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : fallback;
}

class ManyLibraries : public InjectFixture {
protected:
    // Library i holds a number of cartridges of its own, so that a record landing in the wrong
    // library (or missing) changes some library's count.
    static uint32_t fill_of(unsigned i, unsigned slots) { return slots / 2 + i * 7 % 97; }

    static std::string device(unsigned i, unsigned slots) {
        return fmt::format("sim:lib{:02},slots={},ie=2,fill={}", i, slots, fill_of(i, slots));
    }
    std::vector<LibraryConfig> configs(unsigned count, unsigned slots) {
        std::vector<LibraryConfig> libs;
        for (unsigned i = 0; i < count; ++i)
            libs.push_back(library(device(i, slots), fmt::format("lib{:02}", i)));
        return libs;
    }

    // READ ELEMENT STATUS commands of library i's storage elements so far (counted_devices()).
    size_t slots_read(unsigned i) {
        return sent(fmt::format("lib{:02}", i), sgio::opcode::ReadElementStatus, 2);
    }

    // Runs start_up while another process holds the write lock of a new database file, so that
    // giving the file its schema waits; the start-up must not end meanwhile. Returns which of
    // libraries 0 to count - 1 had their slots read while the lock held (at most 3 s: the
    // database's busy timeout, 5 s, must not end it).
    std::vector<bool> read_while_the_database_waits(unsigned count,
                                                    const std::function<void()>& start_up) {
        sqlite3* lock = nullptr;
        EXPECT_EQ(sqlite3_open(db_path_.c_str(), &lock), SQLITE_OK);
        EXPECT_EQ(sqlite3_exec(lock, "PRAGMA journal_mode = WAL; BEGIN IMMEDIATE", nullptr, nullptr,
                               nullptr),
                  SQLITE_OK);
        auto started = std::async(std::launch::async, start_up);
        const auto read_so_far = [&] {
            unsigned n = 0;
            for (unsigned i = 0; i < count; ++i)
                n += slots_read(i) > 0;
            return n;
        };
        const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (read_so_far() < Worker::parallel_first_reads &&
               std::chrono::steady_clock::now() < limit)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::this_thread::sleep_for(std::chrono::milliseconds(200)); // no more while it holds
        std::vector<bool> while_locked(count);
        for (unsigned i = 0; i < count; ++i)
            while_locked[i] = slots_read(i) > 0;
        EXPECT_EQ(started.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
            << "start-up went on without its database";
        EXPECT_EQ(sqlite3_exec(lock, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(lock);
        started.get();
        return while_locked;
    }

    // Of the libraries read_while_the_database_waits() saw, the first Worker::parallel_first_reads
    // were read while the database waited and the others not; then each one is online with
    // exactly its media, its slots read once.
    void expect_the_first_read_early_and_each_once(const std::vector<bool>& while_locked,
                                                   unsigned slots) {
        const auto count = static_cast<unsigned>(while_locked.size());
        for (unsigned i = 0; i < count; ++i)
            EXPECT_EQ(while_locked[i], i < Worker::parallel_first_reads)
                << "lib" << i << " read while the database could not be opened";
        expect_each_library_has_its_media(count, slots);
        for (unsigned i = 0; i < count; ++i)
            EXPECT_EQ(slots_read(i), 1u) << "lib" << i << "'s slots were read once";
    }

    // Every library online, with exactly its cartridges recorded, each at its slot.
    void expect_each_library_has_its_media(unsigned count, unsigned slots) {
        auto db = Store::open(db_path_);
        ASSERT_TRUE(db) << db.error().message;
        ASSERT_EQ(manager_->libraries().size(), count);
        for (const auto& id : manager_->libraries()) {
            auto snap = manager_->library(id, Caller::root());
            ASSERT_TRUE(snap);
            EXPECT_TRUE(snap->online()) << snap->name << ": " << snap->offline_reason;
            // Its device, sim:libNN,...: found ones are named by what they answer to INQUIRY.
            ASSERT_EQ(snap->device.rfind("sim:lib", 0), 0u) << snap->device;
            const unsigned i = static_cast<unsigned>(std::stoul(snap->device.substr(7, 2)));
            auto media = (*db)->list_media(id);
            ASSERT_TRUE(media) << media.error().message;
            size_t in_library = 0;
            for (const auto& m : *media)
                in_library += m.state == MediumState::InLibrary ? 1 : 0;
            EXPECT_EQ(in_library, fill_of(i, slots)) << snap->name;
            EXPECT_EQ(media->size(), fill_of(i, slots)) << snap->name;
        }
        EXPECT_TRUE(manager_->workers_alive());
    }
};

} // namespace

TEST_F(ManyLibraries, FirstStartRecordsEveryLibrarysMediaAndRestartKeepsThem) {
    const unsigned count = env_or("NTMS_MANY_LIBRARIES", 64);
    const unsigned slots = env_or("NTMS_MANY_SLOTS", 10000);
    events_.set_limit(std::chrono::minutes(5));

    const auto t0 = std::chrono::steady_clock::now();
    start(configs(count, slots));
    const auto first = std::chrono::steady_clock::now() - t0;
    expect_each_library_has_its_media(count, slots);

    // A restart over the same database: nothing to write, the same media.
    manager_.reset();
    const auto t1 = std::chrono::steady_clock::now();
    start(configs(count, slots));
    const auto again = std::chrono::steady_clock::now() - t1;
    expect_each_library_has_its_media(count, slots);
    fmt::print("{} libraries x {} slots: first start {} ms, restart {} ms\n", count, slots,
               std::chrono::duration_cast<std::chrono::milliseconds>(first).count(),
               std::chrono::duration_cast<std::chrono::milliseconds>(again).count());
}

// At start-up the first few libraries' devices are read while the database is being opened: here
// while another process holds the write lock of a new database file, so that giving the file its
// schema waits. Only that many at once (Worker::parallel_first_reads), and nothing else of the
// start-up meanwhile; each read once, its worker using the reading rather than reading the device
// again; every library online with exactly its media once the lock is gone.
TEST_F(ManyLibraries, TheFirstDevicesAreReadWhileTheDatabaseIsOpened) {
    constexpr unsigned count = Worker::parallel_first_reads + 2, slots = 200;
    const std::vector<bool> while_locked = read_while_the_database_waits(
        count, [&] { start(configs(count, slots), counted_devices()); });
    expect_the_first_read_early_and_each_once(while_locked, slots);
    // A reading taken at start-up takes the identity start-up's probe asked for: half the
    // INQUIRY commands of a library whose worker read it (the probe's and the worker's).
    const size_t identified_twice = sent(fmt::format("lib{:02}", count - 1), sgio::opcode::Inquiry);
    EXPECT_GT(identified_twice, 0u);
    for (unsigned i = 0; i < Worker::parallel_first_reads; ++i)
        EXPECT_EQ(2 * sent(fmt::format("lib{:02}", i), sgio::opcode::Inquiry), identified_twice)
            << "lib" << i;
}

// Changers that discovery lists at start-up are read then too, after the configured libraries and
// within the same number of readings. Another path to a configured library's changer (the same
// changer under another device string) is not read: the library reads its own.
TEST_F(ManyLibraries, FoundChangersAreReadWhileTheDatabaseIsOpenedToo) {
    constexpr unsigned configured = 2, found = Worker::parallel_first_reads, slots = 200;
    constexpr unsigned count = configured + found;
    // The other path listed first: were it read, it would take a reading of the found ones.
    std::vector<FoundDevice> present{FoundDevice{
        fmt::format("sim:lib00,fill={},ie=2,slots={}", fill_of(0, slots), slots), {}, {}}};
    for (unsigned i = configured; i < count; ++i)
        present.push_back(FoundDevice{device(i, slots), {}, {}});
    const std::vector<bool> while_locked = read_while_the_database_waits(
        count, [&] { start(configs(configured, slots), counted_devices(), present); });
    expect_the_first_read_early_and_each_once(while_locked, slots);
}

// The writer commits the writes of concurrent callers together, and one failed call undoes only
// itself.
TEST_F(ManyLibraries, ConcurrentWritersShareCommitsAndAFailureStaysItsOwn) {
    constexpr int threads = 16, each = 50;
    Guid lib;
    {
        auto db = Store::open(db_path_);
        ASSERT_TRUE(db) << db.error().message;
        auto l = (*db)->upsert_library("name:w", "w", "sim:w");
        ASSERT_TRUE(l) << l.error().message;
        lib = l->id;
    }
    auto watcher = Store::open(db_path_);
    ASSERT_TRUE(watcher) << watcher.error().message;
    const uint64_t commits_before = (*watcher)->write_transactions();
    std::atomic<int> failures{0}, refused{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            auto db = Store::open(db_path_);
            if (!db) {
                ++failures;
                return;
            }
            for (int i = 0; i < each; ++i) {
                MediumRecord m;
                m.id = Guid::random();
                m.library = lib;
                m.barcode = fmt::format("W{:02}{:03}L8", t, i);
                m.element = static_cast<uint16_t>(1000 + t * each + i);
                m.state = MediumState::InLibrary;
                m.updated = 1;
                if (!(*db)->put_medium(m, std::nullopt))
                    ++failures;
                // Another record on the same element: refused, and nothing of it is written.
                MediumRecord clash = m;
                clash.id = Guid::random();
                auto r = (*db)->put_medium(clash, std::nullopt);
                if (!r && r.error().code == win32::DatabaseFailure)
                    ++refused;
            }
        });
    }
    for (auto& th : pool)
        th.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(refused.load(), threads * each);
    // 1,600 calls; callers that arrived while a commit was being synced shared the next one.
    const uint64_t commits = (*watcher)->write_transactions() - commits_before;
    EXPECT_GT(commits, 0u);
    EXPECT_LT(commits, static_cast<uint64_t>(2 * threads * each));
    auto db = Store::open(db_path_);
    ASSERT_TRUE(db);
    auto media = (*db)->list_media(lib);
    ASSERT_TRUE(media) << media.error().message;
    EXPECT_EQ(media->size(), static_cast<size_t>(threads * each));
}

// An inventory's records are written all or none: one that cannot be written (a second record on
// an element) leaves none of the others behind.
TEST_F(ManyLibraries, PutMediaIsAllOrNone) {
    auto db = Store::open(db_path_);
    ASSERT_TRUE(db) << db.error().message;
    auto lib = (*db)->upsert_library("name:all", "all", "sim:all");
    ASSERT_TRUE(lib) << lib.error().message;
    std::vector<Store::MediumChange> changes;
    for (uint16_t e = 1000; e < 1100; ++e) {
        MediumRecord m;
        m.id = Guid::time_ordered();
        m.library = lib->id;
        m.barcode = fmt::format("A{:05}L8", e);
        m.element = e;
        m.state = MediumState::InLibrary;
        m.updated = 1;
        changes.emplace_back(m, MediumMove{m.id, Guid{}, std::nullopt, e, 1, "inventory"});
    }
    MediumRecord clash = changes.front().first;
    clash.id = Guid::time_ordered();
    changes.emplace_back(clash, std::nullopt);
    auto r = (*db)->put_media(changes);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::DatabaseFailure);
    EXPECT_TRUE(must((*db)->list_media(lib->id), "media").empty());
    EXPECT_TRUE(must((*db)->history(changes.front().first.id), "history").empty());

    changes.pop_back();
    ASSERT_TRUE((*db)->put_media(changes));
    EXPECT_EQ(must((*db)->list_media(lib->id), "media").size(), 100u);
    EXPECT_EQ(must((*db)->history(changes.back().first.id), "history").size(), 1u);
}
