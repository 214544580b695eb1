// Every refusal of the API over the real bus, with its exact error name, and nothing changed by
// any of them: no job object, no job row.
#include "bus_fixture.hpp"
#include "daemon/store/store.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sys/mount.h>

namespace ntms::bustest {
namespace {

using namespace std::chrono_literals;

constexpr const char* invalid_parameter = "org.ntms.Ntms1.Error.InvalidParameter";
constexpr const char* invalid_args = "org.freedesktop.DBus.Error.InvalidArgs";
constexpr const char* random_guid = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";

size_t jobs_in_database(const std::string& path) {
    auto store = Store::open(path);
    EXPECT_TRUE(store) << store.error().message;
    if (!store)
        return 0;
    auto jobs = (*store)->list_jobs();
    EXPECT_TRUE(jobs) << jobs.error().message;
    return jobs ? jobs->size() : 0;
}

class BusErrors : public BusTest {
protected:
    void SetUp() override {
        BusTest::SetUp();
        ASSERT_NO_FATAL_FAILURE(
            start_daemon({sim("lab1", "slots=10,ie=1"), sim("full", "slots=4,ie=1,fill=4"),
                          sim("noport", "slots=4,ie=0"), "gone=/dev/sg-ntms-test-absent"},
                         "[Library off]\nDevice=sim:off,state=" + state_file("off") +
                             ",slots=4,ie=1\n"
                             "Enabled=no\n"));
        lab1_ = library_guid("lab1");
    }

    std::string inject_error(const std::string& library, uint32_t action,
                             const std::string& job = {}, const Options& o = {}) {
        return error_of([&] { inject(library, action, job, o); });
    }

    std::string manager_call_error(const std::string& method, const std::string& arg) {
        return error_of([&] {
            sdbus::ObjectPath p;
            proxy(root_path)
                ->callMethod(method)
                .onInterface(manager_iface)
                .withArguments(arg)
                .storeResultsTo(p);
        });
    }

    std::string lab1_;
};

TEST_F(BusErrors, UnknownLibrary) {
    EXPECT_EQ(inject_error(random_guid, inject_start), "org.ntms.Ntms1.Error.ObjectNotFound");
    EXPECT_NE(last_message_.find(random_guid), std::string::npos) << last_message_;
    EXPECT_EQ(manager_call_error("GetLibrary", random_guid), "org.ntms.Ntms1.Error.ObjectNotFound");
    EXPECT_EQ(manager_call_error("GetLibrary", "no-such-library"),
              "org.ntms.Ntms1.Error.ObjectNotFound");
    EXPECT_EQ(manager_call_error("GetJob", random_guid), "org.ntms.Ntms1.Error.ObjectNotFound");
    EXPECT_EQ(manager_call_error("GetOperatorRequest", random_guid),
              "org.ntms.Ntms1.Error.ObjectNotFound");
    EXPECT_EQ(jobs_in_database(database()), 0u);
}

TEST_F(BusErrors, MalformedGuids) {
    const std::string lab1_hex = [&] {
        std::string h;
        for (char c : lab1_)
            if (c != '-')
                h += c;
        return h;
    }();
    for (const std::string& bad : std::vector<std::string>{
             std::string(), std::string("lab1"), lab1_.substr(0, 35), lab1_ + "0",
             "{" + lab1_ + "}", std::string("zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"),
             lab1_hex.substr(0, 31), std::string(lab1_).replace(8, 1, "_"),
             std::string("\xc3\xa9") + lab1_.substr(2)}) {
        EXPECT_EQ(inject_error(bad, inject_start), invalid_parameter) << bad;
        EXPECT_EQ(manager_call_error("GetJob", bad), invalid_parameter) << bad;
        EXPECT_EQ(manager_call_error("GetOperatorRequest", bad), invalid_parameter) << bad;
        EXPECT_EQ(inject_error(lab1_, inject_stop, bad), invalid_parameter) << bad;
        EXPECT_EQ(inject_error(lab1_, inject_retract, bad), invalid_parameter) << bad;
    }
    // Both spellings of a GUID are accepted, in any case.
    EXPECT_EQ(manager_call_error("GetLibrary", lab1_hex), "");
    std::string upper = lab1_;
    for (auto& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(manager_call_error("GetLibrary", upper), "");
    EXPECT_TRUE(managed_objects("job").empty());
    EXPECT_EQ(jobs_in_database(database()), 0u);
}

TEST_F(BusErrors, ActionOutOfRange) {
    for (uint32_t action : {4u, 5u, 0x7fffffffu, 0xffffffffu}) {
        EXPECT_EQ(inject_error(lab1_, action), invalid_parameter) << action;
        EXPECT_NE(last_message_.find(std::to_string(action)), std::string::npos) << last_message_;
    }
    EXPECT_EQ(jobs_in_database(database()), 0u);
}

TEST_F(BusErrors, StopOrRetractOfAnUnknownOrFinishedJob) {
    EXPECT_EQ(inject_error(lab1_, inject_stop, random_guid),
              "org.ntms.Ntms1.Error.InvalidOperation");
    EXPECT_EQ(inject_error(lab1_, inject_retract, random_guid),
              "org.ntms.Ntms1.Error.InvalidOperation");

    // A START whose port timeout is one second ends PASSED with nothing imported.
    auto [job, path] = inject(lab1_, inject_start, {}, {{"timeout", sdbus::Variant(uint32_t{1})}});
    EXPECT_EQ(wait_final(path), lm_passed);
    EXPECT_EQ(inject_error(lab1_, inject_stop, job), "org.ntms.Ntms1.Error.InvalidOperation");
    EXPECT_EQ(inject_error(lab1_, inject_retract, job), "org.ntms.Ntms1.Error.InvalidOperation");
    // The job of one library is not a job of another.
    EXPECT_EQ(inject_error(library_guid("full"), inject_stop, job),
              "org.ntms.Ntms1.Error.InvalidOperation");
    EXPECT_EQ(error_of([&] {
                  proxy(path)->callMethod("Cancel").onInterface(job_iface).withArguments(Options{});
              }),
              "org.ntms.Ntms1.Error.ObjectNotFound");
    EXPECT_EQ(job_state(path), lm_passed);
    EXPECT_EQ(jobs_in_database(database()), 1u);
}

TEST_F(BusErrors, WrongArgumentTypesAreRefusedBySdBus) {
    auto call = [&](const std::string& path, const std::string& iface, const std::string& method,
                    auto&&... args) {
        return error_of([&] {
            auto p = proxy(path);
            auto m = p->createMethodCall(iface, method);
            ((m << args), ...);
            p->callMethod(m);
        });
    };
    const Options none;
    EXPECT_EQ(
        call(root_path, manager_iface, "InjectMedia", lab1_, std::string("0"), std::string(), none),
        invalid_args);
    EXPECT_EQ(call(root_path, manager_iface, "InjectMedia", lab1_, uint32_t{0}, std::string()),
              invalid_args);
    EXPECT_EQ(call(root_path, manager_iface, "InjectMedia", lab1_, int32_t{0}, std::string(), none),
              invalid_args);
    EXPECT_EQ(call(root_path, manager_iface, "InjectMedia", lab1_, uint32_t{0}, std::string(), none,
                   uint32_t{1}),
              invalid_args);
    EXPECT_EQ(call(root_path, manager_iface, "InjectMedia", uint32_t{0}, uint32_t{0}, std::string(),
                   none),
              invalid_args);
    EXPECT_EQ(call(root_path, manager_iface, "GetJob", uint32_t{1}), invalid_args);
    EXPECT_EQ(call(root_path, manager_iface, "GetLibrary"), invalid_args);
    EXPECT_EQ(call(root_path, manager_iface, "ListLibraries", std::string("x")), invalid_args);
    EXPECT_EQ(call(library_path("lab1"), library_iface, "ListMedia", true), invalid_args);
    EXPECT_EQ(call(root_path, manager_iface, "NoSuchMethod"),
              "org.freedesktop.DBus.Error.UnknownMethod");

    // busctl as the client: the same refusal, in its words.
    auto r = busctl({"call", service, root_path, manager_iface, "InjectMedia", "sssa{sv}", lab1_,
                     "0", "", "0"});
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("Invalid arguments 'sssa{sv}'"), std::string::npos) << r.err;
    EXPECT_EQ(jobs_in_database(database()), 0u);
}

TEST_F(BusErrors, Options) {
    auto with = [&](const std::string& key, sdbus::Variant v) {
        return inject_error(lab1_, inject_start, {}, {{key, std::move(v)}});
    };
    EXPECT_EQ(with("timeout", sdbus::Variant(std::string("60"))), invalid_parameter);
    EXPECT_NE(last_message_.find("'timeout'"), std::string::npos) << last_message_;
    EXPECT_EQ(with("timeout", sdbus::Variant(int32_t{60})), invalid_parameter);
    EXPECT_EQ(with("timeout", sdbus::Variant(uint32_t{65536})), invalid_parameter);
    EXPECT_EQ(with("application", sdbus::Variant(uint32_t{1})), invalid_parameter);
    EXPECT_NE(last_message_.find("'application'"), std::string::npos) << last_message_;
    EXPECT_EQ(with("port", sdbus::Variant(uint32_t{70000})), invalid_parameter);
    EXPECT_EQ(with("port", sdbus::Variant(uint32_t{1000})), invalid_parameter); // a storage slot
    EXPECT_NE(last_message_.find("1000"), std::string::npos) << last_message_;
    EXPECT_EQ(with("prot", sdbus::Variant(uint32_t{100})), invalid_parameter);
    EXPECT_NE(last_message_.find("'prot'"), std::string::npos) << last_message_;
    EXPECT_EQ(jobs_in_database(database()), 0u);
    // The right port is taken.
    auto [job, path] = inject(lab1_, inject_start, {}, {{"port", sdbus::Variant(uint32_t{100})}});
    EXPECT_FALSE(job.empty());
}

TEST_F(BusErrors, LibraryStatesRefusedInTheDocumentedOrder) {
    EXPECT_EQ(inject_error(library_guid("off"), inject_start),
              "org.ntms.Ntms1.Error.DeviceNotAvailable");
    EXPECT_EQ(get_as<bool>(library_path("off"), library_iface, "Enabled"), false);

    EXPECT_EQ(inject_error(library_guid("gone"), inject_start),
              "org.ntms.Ntms1.Error.LibraryOffline");
    EXPECT_EQ(get_as<std::string>(library_path("gone"), library_iface, "State"), "offline");
    EXPECT_NE(get_as<std::string>(library_path("gone"), library_iface, "OfflineReason"), "");

    EXPECT_EQ(inject_error(library_guid("noport"), inject_start),
              "org.ntms.Ntms1.Error.NotSupported");
    EXPECT_NE(last_message_.find("AccessNtmsLibraryDoor"), std::string::npos) << last_message_;

    EXPECT_EQ(inject_error(library_guid("full"), inject_start), "org.ntms.Ntms1.Error.LibraryFull");
    EXPECT_EQ(get_as<uint32_t>(library_path("full"), library_iface, "FreeSlots"), 0u);

    EXPECT_TRUE(managed_objects("job").empty());
    EXPECT_EQ(jobs_in_database(database()), 0u);
}

// A database file that is not a database: ntmsd still takes its name and answers every call
// with ERROR_DATABASE_FAILURE, bad parameters still being reported as such.
TEST_F(BusTest, UnreadableDatabaseIsDatabaseFailure) {
    {
        std::ofstream out(database(), std::ios::binary);
        for (int i = 0; i < 64 * 1024; ++i)
            out.put(static_cast<char>((i * 7919) ^ (i >> 3)));
    }
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=10,ie=1")}));
    EXPECT_EQ(error_of([&] { inject(random_guid, inject_start); }),
              "org.ntms.Ntms1.Error.DatabaseFailure");
    EXPECT_NE(last_message_.find(database()), std::string::npos) << last_message_;
    EXPECT_EQ(error_of([&] {
                  sdbus::ObjectPath p;
                  proxy(root_path)
                      ->callMethod("GetJob")
                      .onInterface(manager_iface)
                      .withArguments(std::string(random_guid))
                      .storeResultsTo(p);
              }),
              "org.ntms.Ntms1.Error.DatabaseFailure");
    EXPECT_EQ(error_of([&] { inject("nonsense", inject_start); }), invalid_parameter);
    EXPECT_EQ(get_as<std::string>(root_path, manager_iface, "Version"), NTMS_VERSION);
}

// The database on a filesystem with no space left: ERROR_DATABASE_FULL, and service again once
// space comes back. Needs root to mount a tiny tmpfs.
class BusDatabaseFull : public BusTest {
protected:
    void SetUp() override {
        BusTest::SetUp();
        mount_point_ = dir_->file("tiny");
        std::filesystem::create_directories(mount_point_);
        if (geteuid() != 0 ||
            mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, "size=2m,mode=0755") != 0)
            GTEST_SKIP() << "needs root to mount a tiny tmpfs: " << std::strerror(errno);
        mounted_ = true;
    }
    void TearDown() override {
        client_.reset();
        if (ntmsd_) {
            EXPECT_EQ(ntmsd_->stop(), 0) << "ntmsd did not exit cleanly";
        }
        if (mounted_)
            umount2(mount_point_.c_str(), MNT_DETACH);
        BusTest::TearDown();
    }

    std::string mount_point_;
    bool mounted_ = false;
};

TEST_F(BusDatabaseFull, InjectOnAFullDatabaseIsDatabaseFull) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=10,ie=1")}, {},
                                         {"--database", mount_point_ + "/ntmsd.db"}));
    const std::string lab1 = library_guid("lab1");
    const std::string filler = mount_point_ + "/filler";
    {
        std::ofstream out(filler, std::ios::binary);
        std::vector<char> block(4096, 'x');
        while (out.write(block.data(), static_cast<std::streamsize>(block.size())))
            out.flush();
        out.clear();
        for (int i = 0; i < 4096 && out.put('x'); ++i)
            out.flush();
    }
    EXPECT_EQ(error_of([&] { inject(lab1, inject_start); }), "org.ntms.Ntms1.Error.DatabaseFull");
    // Still answering.
    EXPECT_EQ(get_as<std::string>(library_path("lab1"), library_iface, "State"), "online");
    EXPECT_TRUE(managed_objects("job").empty());

    std::filesystem::remove(filler);
    auto [job, path] = inject(lab1, inject_start);
    EXPECT_EQ(get_as<std::string>(path, job_iface, "Id"), job);
}

} // namespace
} // namespace ntms::bustest
