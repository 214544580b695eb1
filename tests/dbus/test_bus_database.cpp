// The database of a running ntmsd: deleted or replaced under it, and backed up over the bus
// (Manager.Backup with a file descriptor), with the real daemon on a private bus.
#include "bus_fixture.hpp"

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sqlite3.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace ntms::bustest {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Rows read with a plain read-only connection.
std::string rows(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    std::string out;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
            while (sqlite3_step(st) == SQLITE_ROW) {
                for (int i = 0; i < sqlite3_column_count(st); ++i) {
                    const auto* t = sqlite3_column_text(st, i);
                    out += t ? reinterpret_cast<const char*>(t) : "NULL";
                    out += '|';
                }
                out += '\n';
            }
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return out;
}

constexpr const char* media_sql =
    "SELECT m.guid, l.guid, m.barcode, m.element FROM media m JOIN libraries l ON l.id = m.library "
    "ORDER BY m.guid";

class BusDatabase : public BusTest {
protected:
    std::vector<std::string> libraries() { return {sim("lab1", "slots=20,ie=1,fill=5")}; }
    std::string log() { return read_file(dir_->file("ntmsd.log")); }

    void backup(int fd) {
        proxy(root_path)
            ->callMethod("Backup")
            .onInterface(manager_iface)
            .withArguments(sdbus::UnixFd(fd));
    }

    bool exists_within(const std::string& path, std::chrono::milliseconds limit) {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (!fs::exists(path) && std::chrono::steady_clock::now() < end)
            std::this_thread::sleep_for(20ms);
        return fs::exists(path);
    }
};

// rm of the database while ntmsd runs: within DatabaseCheckSec the journal says so and the file is
// back; a job started afterwards is recorded in it; a restart finds the same library GUID, the
// same media and that job.
TEST_F(BusDatabase, ADeletedDatabaseIsWrittenBackAndARestartFindsEverything) {
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries(), "DatabaseCheckSec=1\n"));
    const std::string lab1 = library_guid("lab1");
    const std::string media = rows(database(), media_sql);
    ASSERT_FALSE(media.empty());

    ASSERT_EQ(unlink(database().c_str()), 0);
    ASSERT_TRUE(exists_within(database(), 3s)) << log();
    struct stat st {};
    ASSERT_EQ(stat(database().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    // The journal line follows the rename by the reopening of the connections.
    std::string text = log();
    for (int i = 0; i < 100 && text.find("was deleted while ntmsd ran") == std::string::npos; ++i) {
        std::this_thread::sleep_for(20ms);
        text = log();
    }
    EXPECT_NE(text.find("MESSAGE_ID=c362e2fc023e4d6e82d52722fc87e72a"), std::string::npos) << text;
    EXPECT_NE(text.find("was deleted while ntmsd ran"), std::string::npos) << text;

    // Written after the rescue: goes into the file at the path.
    const auto [job, path] = inject(lab1, inject_start);
    wait_state(path, [](uint32_t s) { return s == lm_waiting; });
    inject(lab1, inject_stop, job);
    EXPECT_EQ(wait_final(path), lm_stopped);

    ASSERT_NO_FATAL_FAILURE(stop_daemon());
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries(), "DatabaseCheckSec=1\n"));
    EXPECT_EQ(library_guid("lab1"), lab1);
    EXPECT_EQ(rows(database(), media_sql), media);
    sdbus::ObjectPath again;
    proxy(root_path)
        ->callMethod("GetJob")
        .onInterface(manager_iface)
        .withArguments(job)
        .storeResultsTo(again);
    EXPECT_EQ(job_state(again), lm_stopped);
}

// Another file moved over the database: kept aside, byte for byte, and ntmsd's catalogue is back.
TEST_F(BusDatabase, AReplacedDatabaseIsMovedAsideAndTheCatalogueWrittenBack) {
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries(), "DatabaseCheckSec=1\n"));
    const std::string lab1 = library_guid("lab1");
    const std::string media = rows(database(), media_sql);
    { std::ofstream(dir_->file("other.db")) << "someone else's file\n"; }
    ASSERT_EQ(rename(dir_->file("other.db").c_str(), database().c_str()), 0);
    const auto end = std::chrono::steady_clock::now() + 3s;
    std::string aside;
    while (aside.empty() && std::chrono::steady_clock::now() < end) {
        for (const auto& e : fs::directory_iterator(dir_->path()))
            if (e.path().filename().string().rfind("ntmsd.db.replaced-", 0) == 0)
                aside = e.path().string();
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_FALSE(aside.empty()) << log();
    EXPECT_EQ(read_file(aside), "someone else's file\n");
    std::string text = log();
    for (int i = 0; i < 100 && text.find("NTMS_DATABASE_ASIDE=") == std::string::npos; ++i) {
        std::this_thread::sleep_for(20ms);
        text = log();
    }
    EXPECT_NE(text.find("NTMS_DATABASE_ASIDE=" + aside), std::string::npos) << text;
    EXPECT_EQ(rows(database(), media_sql), media);
    ASSERT_NO_FATAL_FAILURE(stop_daemon());
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries()));
    EXPECT_EQ(library_guid("lab1"), lab1);
}

// Backup: the reply comes once the file holds a database with the same rows.
TEST_F(BusDatabase, BackupWritesADatabaseWithTheSameRows) {
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries()));
    const std::string target = dir_->file("backup.db");
    const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(error_of([&] { backup(fd); }), "") << last_message_;
    close(fd);
    EXPECT_EQ(rows(target, "PRAGMA integrity_check"), "ok|\n");
    EXPECT_EQ(rows(target, media_sql), rows(database(), media_sql));
    EXPECT_EQ(rows(target, "SELECT guid FROM libraries"), library_guid("lab1") + "|\n");
}

// Without the right (not root, no polkit grant): AccessDenied, and the file is untouched.
TEST_F(BusDatabase, BackupIsRefusedWithoutTheRight) {
    if (geteuid() != 0)
        GTEST_SKIP() << "needs root to run a caller as nobody";
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries()));
    char name[] = "/tmp/ntms-backup-XXXXXX";
    const int fd = mkstemp(name);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "mine", 4), 4);
    close(fd);
    ASSERT_EQ(chown(name, 65534, 65534), 0);
    const auto r = dbus_call({"backup", name}, As{As::Nobody});
    const std::string content = read_file(name);
    unlink(name);
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("error org.ntms.Ntms1.Error.AccessDenied"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("BACKUP"), std::string::npos) << r.out;
    EXPECT_EQ(content, "mine");
}

// A descriptor that cannot take the backup is refused with the reason; nothing is written.
TEST_F(BusDatabase, BackupIntoAFileNotOpenForWritingIsRefused) {
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries()));
    const std::string target = dir_->file("ro.db");
    { std::ofstream(target) << "keep"; }
    const int fd = ::open(target.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(error_of([&] { backup(fd); }), "org.ntms.Ntms1.Error.InvalidParameter");
    EXPECT_NE(last_message_.find("not open for writing"), std::string::npos) << last_message_;
    close(fd);
    EXPECT_EQ(read_file(target), "keep");
}

} // namespace
} // namespace ntms::bustest

namespace ntms::bustest {
namespace {

class BusCheckDatabase : public BusTest {
protected:
    std::vector<std::string> libraries() { return {sim("lab1", "slots=20,ie=1,fill=5")}; }
    std::tuple<bool, std::vector<std::string>> check() {
        bool ok = false;
        std::vector<std::string> problems;
        proxy(root_path)
            ->callMethod("CheckDatabase")
            .onInterface(manager_iface)
            .storeResultsTo(ok, problems);
        return {ok, problems};
    }
};

// A sound database: ok, nothing listed. Then a medium whose library does not exist, written
// behind ntmsd's back with foreign keys off: not ok, and the problem names the table.
TEST_F(BusCheckDatabase, FindsNothingInASoundDatabaseAndNamesABrokenReference) {
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries()));
    std::tuple<bool, std::vector<std::string>> r;
    EXPECT_EQ(error_of([&] { r = check(); }), "") << last_message_;
    EXPECT_TRUE(std::get<0>(r));
    EXPECT_TRUE(std::get<1>(r).empty()) << std::get<1>(r).front();

    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(database().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    const char* orphan =
        "PRAGMA foreign_keys = OFF;"
        "INSERT INTO media (guid, library, barcode, element, state, updated, created) VALUES"
        " ('0badc0de-0000-4000-8000-000000000001', 255, 'ORPHAN01', NULL, 3, 1, 1);";
    EXPECT_EQ(sqlite3_exec(db, orphan, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);

    EXPECT_EQ(error_of([&] { r = check(); }), "") << last_message_;
    EXPECT_FALSE(std::get<0>(r));
    ASSERT_EQ(std::get<1>(r).size(), 1u);
    EXPECT_NE(std::get<1>(r).front().find("foreign_key_check: row"), std::string::npos)
        << std::get<1>(r).front();
    EXPECT_NE(std::get<1>(r).front().find("of media refers to a row of libraries"),
              std::string::npos)
        << std::get<1>(r).front();
}

// Without the right to back up (not root, no polkit grant): AccessDenied, naming the right.
TEST_F(BusCheckDatabase, IsRefusedWithoutTheRight) {
    if (geteuid() != 0)
        GTEST_SKIP() << "needs root to run a caller as nobody";
    ASSERT_NO_FATAL_FAILURE(start_daemon(libraries()));
    const auto r = dbus_call({"call", root_path, manager_iface, "CheckDatabase"}, As{As::Nobody});
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("error org.ntms.Ntms1.Error.AccessDenied"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("BACKUP"), std::string::npos) << r.out;
}

} // namespace
} // namespace ntms::bustest
