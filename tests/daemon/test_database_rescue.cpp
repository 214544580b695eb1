// A database file deleted or replaced while ntmsd runs, and online backups: real SQLite files in a
// temporary directory, the StoreKeeper's thread, and what the journal (on stderr) says.
#include "daemon/journal.hpp"
#include "daemon/store/keeper.hpp"
#include "daemon/store/store.hpp"
#include "tests/daemon/must.hpp"

#include <chrono>
#include <condition_variable>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <future>
#include <gtest/gtest.h>
#include <mutex>
#include <sqlite3.h>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace ntms {
namespace {

using test::must;

MediumRecord medium(const Guid& lib, uint16_t element, const std::string& barcode) {
    MediumRecord m;
    m.id = Guid::random();
    m.library = lib;
    m.barcode = barcode;
    m.element = element;
    m.updated = now_usec();
    return m;
}

JobRecord job(const Guid& lib) {
    JobRecord j;
    j.id = Guid::random();
    j.library = lib;
    j.time_queued = now_usec();
    j.application = "test";
    j.uid = 1000;
    j.timeout_sec = 60;
    return j;
}

std::string contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> barcodes(Store& s, const Guid& lib) {
    std::vector<std::string> out;
    for (const auto& m : must(s.list_media(lib), "list_media"))
        out.push_back(m.barcode);
    return out;
}

class DatabaseRescueTest : public ::testing::Test {
protected:
    static constexpr auto interval = 300ms;

    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "ntms-rescue-XXXXXX").string();
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        path_ = (dir_ / "ntmsd.db").string();
        set_log_target_stderr(true);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    std::unique_ptr<Store> open() { return must(Store::open(path_), "open"); }

    // The catalogue of a daemon: a library with two media and a job, written by two connections
    // (the shared one and a worker's).
    void fill(Store& shared, Store& worker) {
        lib_ = must(shared.upsert_library("vpd:rescue", "lab1", "/dev/sg3"), "upsert");
        must(worker.put_medium(medium(lib_.id, 1, "A00001L8"), std::nullopt), "put 1");
        must(shared.put_medium(medium(lib_.id, 2, "A00002L8"), std::nullopt), "put 2");
        job_ = job(lib_.id);
        must(shared.insert_job(job_), "insert job");
    }

    // After everything is closed: what a restarted ntmsd finds at the path.
    void expect_restart_finds(const std::vector<std::string>& expected) {
        auto again = open();
        auto lib = must(again->upsert_library("vpd:rescue", "lab1", "/dev/sg3"), "upsert again");
        EXPECT_EQ(lib.id, lib_.id) << "the library kept its GUID";
        EXPECT_EQ(barcodes(*again, lib.id), expected);
        auto j = must(again->get_job(job_.id), "get job");
        EXPECT_TRUE(j.has_value());
    }

    bool appears_within(std::chrono::milliseconds limit) {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < end) {
            if (fs::exists(path_))
                return true;
            std::this_thread::sleep_for(10ms);
        }
        return fs::exists(path_);
    }

    fs::path dir_;
    std::string path_;
    LibraryRecord lib_;
    JobRecord job_;
};

// The main case: rm of the database (its -wal and -shm stay) while two connections have it open.
// The keeper notices within its interval, the journal says so, and the file is back, private;
// later writes of both connections go into it, and a restart finds the same library and media.
TEST_F(DatabaseRescueTest, DeletedDatabaseIsWrittenBackWithinTheInterval) {
    testing::internal::CaptureStderr();
    {
        auto shared = open();
        auto worker = open();
        fill(*shared, *worker);
        StoreKeeper keeper(path_, interval);
        keeper.start();

        ASSERT_EQ(unlink(path_.c_str()), 0);
        const auto deleted = std::chrono::steady_clock::now();
        ASSERT_TRUE(appears_within(interval * 3)) << "not written back";
        EXPECT_LE(std::chrono::steady_clock::now() - deleted, interval * 2);
        struct stat st {};
        ASSERT_EQ(lstat(path_.c_str(), &st), 0);
        EXPECT_TRUE(S_ISREG(st.st_mode));
        EXPECT_EQ(st.st_mode & 0777, 0600u);

        // Both connections now write into the file at the path.
        must(worker->put_medium(medium(lib_.id, 3, "A00003L8"), std::nullopt), "put 3");
        must(shared->put_medium(medium(lib_.id, 4, "A00004L8"), std::nullopt), "put 4");
        keeper.stop();
    }
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_NE(log.find(std::string("MESSAGE_ID=") + message_id::DatabaseWrittenBack),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("NTMS_DATABASE_FOUND=deleted"), std::string::npos) << log;
    EXPECT_NE(log.find("Database " + path_ + " was deleted"), std::string::npos) << log;
    expect_restart_finds({"A00001L8", "A00002L8", "A00003L8", "A00004L8"});
}

// rm ntmsd.db* takes the -wal (with commits not yet checkpointed) too: they are not lost, as the
// open connections still read them.
TEST_F(DatabaseRescueTest, DeletedDatabaseWithItsWalKeepsEveryCommit) {
    testing::internal::CaptureStderr();
    {
        auto shared = open();
        auto worker = open();
        fill(*shared, *worker);
        ASSERT_TRUE(fs::exists(path_ + "-wal"));
        StoreKeeper keeper(path_, 1h); // only the explicit check
        keeper.start();
        for (const auto& f : {path_, path_ + "-wal", path_ + "-shm"})
            ASSERT_EQ(unlink(f.c_str()), 0) << f;
        keeper.check_now();
        ASSERT_TRUE(fs::exists(path_));
        must(worker->put_medium(medium(lib_.id, 3, "A00003L8"), std::nullopt), "put 3");
    }
    testing::internal::GetCapturedStderr();
    expect_restart_finds({"A00001L8", "A00002L8", "A00003L8"});
}

// The writer's checkpointer has a connection of its own: a rescue moves it to the file written
// back with the others, and it goes on checkpointing there (a connection left on the deleted file
// would, at its close, delete the -wal beside the path: the new file's).
TEST_F(DatabaseRescueTest, TheCheckpointersConnectionMovesWithTheOthers) {
    testing::internal::CaptureStderr();
    {
        StoreOptions options;
        options.checkpoint_pages = 4;
        auto shared = must(Store::open(path_, options), "open shared");
        auto worker = must(Store::open(path_, options), "open worker");
        fill(*shared, *worker);
        for (int i = 0; shared->checkpoints().background == 0 && i < 500; ++i) {
            must(shared->insert_job(job(lib_.id)), "insert job");
            std::this_thread::sleep_for(1ms);
        }
        const uint64_t before = shared->checkpoints().background;
        ASSERT_GT(before, 0u) << "the checkpointer has its connection";

        StoreKeeper keeper(path_, 1h); // only the explicit check
        keeper.start();
        ASSERT_EQ(unlink(path_.c_str()), 0);
        keeper.check_now();
        ASSERT_TRUE(fs::exists(path_));
        must(worker->put_medium(medium(lib_.id, 3, "A00003L8"), std::nullopt), "put 3");
        for (int i = 0; shared->checkpoints().background == before && i < 500; ++i) {
            must(shared->insert_job(job(lib_.id)), "insert job");
            std::this_thread::sleep_for(1ms);
        }
        EXPECT_GT(shared->checkpoints().background, before) << "checkpoints after the rescue";
        must(shared->put_medium(medium(lib_.id, 4, "A00004L8"), std::nullopt), "put 4");
        keeper.stop();
    }
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(log.find("cannot be checkpointed"), std::string::npos) << log;
    expect_restart_finds({"A00001L8", "A00002L8", "A00003L8", "A00004L8"});
}

// Someone put another file where the database was (mv other.db ntmsd.db). It is not overwritten:
// it is moved aside, byte for byte, the journal names where, and ntmsd's catalogue is back.
TEST_F(DatabaseRescueTest, ReplacedDatabaseIsMovedAsideNotOverwritten) {
    testing::internal::CaptureStderr();
    const std::string foreign = "not ntmsd's catalogue\n";
    {
        auto shared = open();
        auto worker = open();
        fill(*shared, *worker);
        StoreKeeper keeper(path_, 1h);
        keeper.start();
        { std::ofstream(path_ + ".new") << foreign; }
        ASSERT_EQ(rename((path_ + ".new").c_str(), path_.c_str()), 0);
        keeper.check_now();
        must(worker->put_medium(medium(lib_.id, 3, "A00003L8"), std::nullopt), "put 3");
    }
    const std::string log = testing::internal::GetCapturedStderr();
    std::vector<fs::path> aside;
    for (const auto& e : fs::directory_iterator(dir_))
        if (e.path().filename().string().rfind("ntmsd.db.replaced-", 0) == 0)
            aside.push_back(e.path());
    ASSERT_EQ(aside.size(), 1u) << log;
    EXPECT_EQ(contents(aside.front().string()), foreign);
    EXPECT_NE(log.find(std::string("MESSAGE_ID=") + message_id::DatabaseWrittenBack),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("NTMS_DATABASE_FOUND=replaced"), std::string::npos) << log;
    EXPECT_NE(log.find("NTMS_DATABASE_ASIDE=" + aside.front().string()), std::string::npos) << log;
    expect_restart_finds({"A00001L8", "A00002L8", "A00003L8"});
}

// A transaction under way when the file goes: the rescue waits for it, and its commit is in the
// file written back.
TEST_F(DatabaseRescueTest, ATransactionUnderWayIsInTheFileWrittenBack) {
    testing::internal::CaptureStderr();
    {
        auto shared = open();
        auto worker = open();
        fill(*shared, *worker);
        StoreKeeper keeper(path_, 1h);
        keeper.start();

        std::promise<void> inside, go_on;
        auto resume = go_on.get_future().share();
        std::thread writer([&] {
            auto r = worker->transaction([&]() -> Expected<void> {
                if (auto p = worker->put_medium(medium(lib_.id, 5, "A00005L8"), std::nullopt); !p)
                    return p;
                inside.set_value();
                resume.wait();
                return {};
            });
            EXPECT_TRUE(r) << r.error().message;
        });
        inside.get_future().wait();
        ASSERT_EQ(unlink(path_.c_str()), 0);
        std::thread checker([&] { keeper.check_now(); });
        std::this_thread::sleep_for(100ms);
        EXPECT_FALSE(fs::exists(path_)) << "written back under an open transaction";
        go_on.set_value();
        writer.join();
        checker.join();
        EXPECT_TRUE(fs::exists(path_));
    }
    testing::internal::GetCapturedStderr();
    expect_restart_finds({"A00001L8", "A00002L8", "A00005L8"});
}

// A connection opened after the file went (a library found by hot-plug) is not given a new empty
// database beside the others: the catalogue is written back first, and it sees it.
TEST_F(DatabaseRescueTest, AConnectionOpenedAfterTheDeletionSeesTheCatalogue) {
    testing::internal::CaptureStderr();
    auto shared = open();
    auto worker = open();
    fill(*shared, *worker);
    ASSERT_EQ(unlink(path_.c_str()), 0);
    auto late = open();
    EXPECT_EQ(barcodes(*late, lib_.id), (std::vector<std::string>{"A00001L8", "A00002L8"}));
    must(late->put_medium(medium(lib_.id, 3, "A00003L8"), std::nullopt), "put 3");
    EXPECT_EQ(barcodes(*shared, lib_.id).size(), 3u) << "the others moved to the same file";
    late.reset();
    worker.reset();
    shared.reset();
    testing::internal::GetCapturedStderr();
    expect_restart_finds({"A00001L8", "A00002L8", "A00003L8"});
}

// The path cannot take the file back (its directory is gone): the journal says so once, ntmsd goes
// on with the file it has open, and nothing is lost meanwhile.
TEST_F(DatabaseRescueTest, AFailedWriteBackIsReportedOnceAndNothingIsLost) {
    const std::string sub = (dir_ / "state").string();
    ASSERT_EQ(mkdir(sub.c_str(), 0700), 0);
    const std::string path = sub + "/ntmsd.db";
    testing::internal::CaptureStderr();
    {
        auto s = must(Store::open(path), "open");
        auto lib = must(s->upsert_library("vpd:x", "lab1", "/dev/sg3"), "upsert");
        StoreKeeper keeper(path, 1h);
        keeper.start();
        fs::remove_all(sub);
        keeper.check_now();
        keeper.check_now();
        must(s->put_medium(medium(lib.id, 1, "A00001L8"), std::nullopt), "put after");
        EXPECT_EQ(barcodes(*s, lib.id), std::vector<std::string>{"A00001L8"});
        keeper.stop();
    }
    const std::string log = testing::internal::GetCapturedStderr();
    const std::string id = std::string("MESSAGE_ID=") + message_id::DatabaseNotWrittenBack;
    const auto first = log.find(id);
    ASSERT_NE(first, std::string::npos) << log;
    EXPECT_EQ(log.find(id, first + 1), std::string::npos) << "reported at every check: " << log;
}

// ---- Online backups

class BackupTest : public DatabaseRescueTest {
protected:
    Expected<BackupReport> backup_into(StoreKeeper& keeper, int fd) {
        std::promise<Expected<BackupReport>> result;
        auto done = result.get_future();
        auto queued = keeper.backup(
            UniqueFd(dup(fd)), [&](Expected<BackupReport> r) { result.set_value(std::move(r)); });
        if (!queued)
            return queued.error();
        return done.get();
    }
};

// The backup is a database that opens (and passes quick_check) with the same rows, made while a
// writer goes on; the file handed over had other content, which is replaced.
TEST_F(BackupTest, BackupIsAConsistentCopyWithTheSameRows) {
    auto shared = open();
    auto worker = open();
    fill(*shared, *worker);
    StoreKeeper keeper(path_, 1h);
    keeper.start();

    const std::string target = (dir_ / "backup.db").string();
    { std::ofstream(target) << std::string(200000, 'x'); }
    UniqueFd fd(::open(target.c_str(), O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(fd);
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        for (uint16_t e = 100; !stop && e < 2000; ++e)
            must(worker->put_medium(medium(lib_.id, e, "W" + std::to_string(e)), std::nullopt),
                 "put");
    });
    auto report = backup_into(keeper, fd.get());
    stop = true;
    writer.join();
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(static_cast<uintmax_t>(report->bytes), fs::file_size(target));

    auto copy = must(Store::open(target), "open the backup");
    EXPECT_EQ(must(copy->get_library(lib_.id), "library")->identity, "vpd:rescue");
    EXPECT_TRUE(must(copy->get_job(job_.id), "job").has_value());
    const auto media = barcodes(*copy, lib_.id);
    ASSERT_GE(media.size(), 2u);
    EXPECT_EQ(media[0], "A00001L8");
    EXPECT_EQ(media[1], "A00002L8");
    // No leftovers of the staging beside the database.
    for (const auto& e : fs::directory_iterator(dir_))
        EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

// Files the backup cannot go into are refused before anything is queued or written.
TEST_F(BackupTest, AFileThatCannotTakeTheBackupIsRefusedUntouched) {
    auto shared = open();
    StoreKeeper keeper(path_, 1h);
    keeper.start();
    const std::string target = (dir_ / "backup.db").string();
    { std::ofstream(target) << "keep me"; }
    bool called = false;
    auto done = [&](Expected<BackupReport>) { called = true; };

    UniqueFd read_only(::open(target.c_str(), O_RDONLY | O_CLOEXEC));
    auto r = keeper.backup(std::move(read_only), done);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::InvalidParameter);
    EXPECT_NE(r.error().message.find("not open for writing"), std::string::npos);

    UniqueFd append(::open(target.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
    r = keeper.backup(std::move(append), done);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::InvalidParameter);

    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    UniqueFd pipe_read(pipe_fds[0]);
    r = keeper.backup(UniqueFd(pipe_fds[1]), done);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("not a regular file"), std::string::npos);

    EXPECT_FALSE(called);
    EXPECT_EQ(contents(target), "keep me");
}

// A stopped keeper makes no backup, and says why.
TEST_F(BackupTest, NoBackupOnceStopped) {
    auto shared = open();
    StoreKeeper keeper(path_, 1h);
    keeper.start();
    keeper.stop();
    const std::string target = (dir_ / "backup.db").string();
    UniqueFd fd(::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    auto r = keeper.backup(std::move(fd), [](Expected<BackupReport>) {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::OperationAborted);
    EXPECT_EQ(fs::file_size(target), 0u);
}

} // namespace
} // namespace ntms
