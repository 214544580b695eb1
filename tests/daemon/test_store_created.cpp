// A medium's creation time (RSM's Created) in the store: kept from its first record on, and given
// by schema version 3 to the media of older databases, against real database files.
#include "daemon/model.hpp"
#include "daemon/store/store.hpp"
#include "tests/daemon/must.hpp"

#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;

namespace ntms {
namespace {

using test::must;

// Runs SQL on a plain connection, behind the Store's back.
void raw_exec(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        sqlite3_close_v2(db);
        throw std::runtime_error("cannot open " + path);
    }
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close_v2(db);
    if (rc != SQLITE_OK)
        throw std::runtime_error(sql + ": " + msg);
}

class StoreCreatedTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "ntms-created-XXXXXX").string();
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        path_ = (dir_ / "ntmsd.db").string();
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::unique_ptr<Store> open() { return must(Store::open(path_), "open"); }

    static MediumRecord medium(const Guid& lib, uint16_t element, int64_t updated) {
        MediumRecord m;
        m.id = Guid::random();
        m.library = lib;
        m.barcode = "AB" + std::to_string(element) + "L8";
        m.element = element;
        m.state = MediumState::InLibrary;
        m.updated = updated;
        return m;
    }

    fs::path dir_;
    std::string path_;
};

TEST_F(StoreCreatedTest, FirstRecordSetsCreatedAndLaterOnesKeepIt) {
    auto s = open();
    auto lib = must(s->upsert_library("vpd:lib1", "lab1", "/dev/sg3"), "upsert_library");
    MediumRecord m = medium(lib.id, 1000, 5'000'000);
    must(s->put_medium(m, std::nullopt), "put_medium");
    auto got = must(s->get_medium(m.id), "get_medium");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->created, 5'000'000);
    EXPECT_EQ(got->updated, 5'000'000);

    // Moved later, written without a creation time (as every writer does): Created stays.
    m.element = 1001;
    m.updated = 9'000'000;
    must(s->put_medium(m, std::nullopt), "put_medium again");
    got = must(s->get_medium(m.id), "get_medium");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->created, 5'000'000);
    EXPECT_EQ(got->updated, 9'000'000);
    // Even a writer that gives one does not change it: it is the first record's.
    m.created = 7'000'000;
    must(s->put_media({{m, std::nullopt}}), "put_media");
    auto listed = must(s->list_media(lib.id), "list_media");
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].created, 5'000'000);

    // A medium first recorded with a creation time keeps that one.
    MediumRecord n = medium(lib.id, 1002, 8'000'000);
    n.created = 6'000'000;
    must(s->put_medium(n, std::nullopt), "put_medium n");
    got = must(s->get_medium(n.id), "get_medium n");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->created, 6'000'000);
}

// A version 2 database (media without "created") is migrated: a medium with history gets its
// first history row's time, one without gets its "updated"; every other field is kept.
TEST_F(StoreCreatedTest, VersionTwoDatabaseGainsCreationTimes) {
    Guid lib_id;
    MediumRecord with_history, without_history;
    {
        auto s = open();
        auto lib = must(s->upsert_library("vpd:lib1", "lab1", "/dev/sg3"), "upsert_library");
        lib_id = lib.id;
        with_history = medium(lib.id, 1000, 30'000'000);
        MediumMove first;
        first.to = 1000;
        first.time = 10'000'000;
        first.reason = "inject";
        must(s->put_medium(with_history, first), "put_medium");
        MediumMove second;
        second.from = 1000;
        second.to = 1000;
        second.time = 20'000'000;
        second.reason = "inventory";
        must(s->put_medium(with_history, second), "put_medium 2");
        without_history = medium(lib.id, 1001, 40'000'000);
        must(s->put_medium(without_history, std::nullopt), "put_medium 3");
    }
    raw_exec(path_, "ALTER TABLE media DROP COLUMN created; PRAGMA user_version = 2");

    auto s = open();
    EXPECT_EQ(must(s->settings(), "settings").user_version, 3);
    auto a = must(s->get_medium(with_history.id), "get_medium a");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->created, 10'000'000);
    EXPECT_EQ(a->updated, 30'000'000);
    EXPECT_EQ(a->barcode, with_history.barcode);
    EXPECT_EQ(a->element, with_history.element);
    auto b = must(s->get_medium(without_history.id), "get_medium b");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->created, 40'000'000);
    EXPECT_EQ(b->library, lib_id);
}

} // namespace
} // namespace ntms
