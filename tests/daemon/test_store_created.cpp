// A medium's creation time (RSM's Created) in the store: kept from its first record on, and given
// by schema version 3 to the media of older databases, against real database files.
#include "daemon/model.hpp"
#include "daemon/store/store.hpp"
#include "tests/daemon/must.hpp"
#include "tests/daemon/old_database.hpp"

#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>
#include <string>

namespace fs = std::filesystem;

namespace ntms {
namespace {

using test::must;

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
    const Guid lib_id = Guid::random(), with_history = Guid::random(),
               without_history = Guid::random();
    const std::string lib = "'" + lib_id.str() + "'", a_id = "'" + with_history.str() + "'",
                      b_id = "'" + without_history.str() + "'";
    test::make_database_at_version(
        path_, 2,
        "INSERT INTO libraries (guid, identity, name, device, created) VALUES (" + lib +
            ", 'vpd:lib1', 'lab1', '/dev/sg3', 1);"
            "INSERT INTO media (guid, library, barcode, element, state, updated) VALUES (" +
            a_id + ", " + lib + ", 'AB1000L8', 1000, 1, 30000000), (" + b_id + ", " + lib +
            ", 'AB1001L8', 1001, 1, 40000000);"
            "INSERT INTO media_history (medium, to_element, time, reason) VALUES (" +
            a_id + ", 1000, 20000000, 'inventory'), (" + a_id + ", 1000, 10000000, 'inject');");

    auto s = open();
    EXPECT_EQ(must(s->settings(), "settings").user_version, Store::schema_version);
    auto a = must(s->get_medium(with_history), "get_medium a");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->created, 10'000'000);
    EXPECT_EQ(a->updated, 30'000'000);
    EXPECT_EQ(a->barcode, "AB1000L8");
    EXPECT_EQ(a->element, std::optional<uint16_t>(1000));
    EXPECT_EQ(must(s->history(with_history), "history a").size(), 2u);
    auto b = must(s->get_medium(without_history), "get_medium b");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->created, 40'000'000);
    EXPECT_EQ(b->library, lib_id);
}

} // namespace
} // namespace ntms
