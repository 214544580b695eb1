// Database faults seen from the daemon's core: a full filesystem under the database gives
// ERROR_DATABASE_FULL and the core keeps serving; a corrupt file gives ERROR_DATABASE_FAILURE with
// a message naming it. Neither crashes, neither half-changes anything.
#include "inject_fixture.hpp"

#include <fstream>
#include <sys/mount.h>
#include <unistd.h>

using namespace ntms;
using namespace ntms::test;

namespace {

// Fills the filesystem holding `path` until it has no space left; returns the filler's path.
std::string fill_filesystem(const std::filesystem::path& dir) {
    const auto filler = dir / "filler";
    std::ofstream out(filler, std::ios::binary);
    std::vector<char> block(4096, 'x');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size())))
        out.flush();
    // Partial blocks too, down to the last byte.
    out.clear();
    for (int i = 0; i < 4096 && out.put('x'); ++i)
        out.flush();
    return filler.string();
}

} // namespace

class DatabaseFaults : public InjectFixture {
protected:
    void TearDown() override {
        manager_.reset();
        if (mounted_)
            umount2(mount_point_.c_str(), MNT_DETACH);
        InjectFixture::TearDown();
    }

    // A real, tiny filesystem for the database: full means the kernel says ENOSPC.
    bool mount_tiny(const char* size) {
        mount_point_ = (dir_ / "tiny").string();
        std::filesystem::create_directories(mount_point_);
        const std::string opts = std::string("size=") + size + ",mode=0700";
        if (mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, opts.c_str()) != 0)
            return false;
        mounted_ = true;
        return true;
    }

    std::string mount_point_;
    bool mounted_ = false;
};

TEST_F(DatabaseFaults, FullFilesystemGivesDatabaseFullAndTheCoreKeepsServing) {
    if (geteuid() != 0 || !mount_tiny("2m"))
        GTEST_SKIP() << "needs root to mount a tiny tmpfs (" << strerror(errno) << ")";
    db_path_ = mount_point_ + "/ntmsd.db";
    start({library(sim("slots=10,ie=1"))});
    auto first = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_TRUE(manager_->cancel_job(*first, Caller::root()));
    events_.wait_final(*first);

    const auto jobs_before = manager_->jobs();
    ASSERT_TRUE(jobs_before);
    const auto filler = fill_filesystem(mount_point_);

    auto r = inject("lab1", InjectAction::Start);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::DatabaseFull) << r.error().message;
    EXPECT_NE(r.error().message.find("full"), std::string::npos) << r.error().message;

    // Still answering: libraries, jobs, and nothing half-recorded.
    auto lib = manager_->library(lib_id(), Caller::root());
    ASSERT_TRUE(lib);
    EXPECT_TRUE(lib->online());
    auto jobs_after = manager_->jobs();
    ASSERT_TRUE(jobs_after) << jobs_after.error().message;
    EXPECT_EQ(jobs_after->size(), jobs_before->size());

    // Space comes back, and so does service.
    std::filesystem::remove(filler);
    auto again = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(again) << again.error().message;
    ASSERT_TRUE(manager_->cancel_job(*again, Caller::root()));
    const auto end = events_.wait_final(*again).state;
    EXPECT_TRUE(end == JobState::Stopped || end == JobState::Cancelled) << job_state_name(end);
}

TEST_F(DatabaseFaults, CorruptFileGivesDatabaseFailureNamingIt) {
    {
        std::ofstream out(db_path_, std::ios::binary);
        std::string junk(65536, '\0');
        for (size_t i = 0; i < junk.size(); ++i)
            junk[i] = static_cast<char>((i * 7919) ^ (i >> 3));
        out << junk;
    }
    start({library(sim("slots=10,ie=1"))});
    EXPECT_EQ(manager_->database_status().code, win32::DatabaseFailure);
    auto r = manager_->inject(Guid::random().str(), 0, {}, {}, Caller::root());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::DatabaseFailure);
    EXPECT_NE(r.error().message.find(db_path_), std::string::npos) << r.error().message;
    auto jobs = manager_->jobs();
    ASSERT_FALSE(jobs);
    EXPECT_EQ(jobs.error().code, win32::DatabaseFailure);
    // Bad parameters are still reported as such.
    auto bad = manager_->inject("nonsense", 0, {}, {}, Caller::root());
    EXPECT_EQ(bad.error().code, win32::InvalidParameter);
}

TEST_F(DatabaseFaults, CorruptedPagesOfARealDatabaseAreDetected) {
    start({library(sim("slots=10,ie=1"))});
    auto job = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(job);
    ASSERT_TRUE(manager_->cancel_job(*job, Caller::root()));
    events_.wait_final(*job);
    manager_.reset();
    // Overwrite everything after the header page with garbage.
    {
        std::fstream f(db_path_, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(4096);
        std::string junk(8192, '\xA5');
        f << junk;
    }
    std::filesystem::remove(db_path_ + "-wal");
    std::filesystem::remove(db_path_ + "-shm");
    start({library(sim("slots=10,ie=1"))});
    EXPECT_EQ(manager_->database_status().code, win32::DatabaseFailure)
        << manager_->database_status().message;
}
