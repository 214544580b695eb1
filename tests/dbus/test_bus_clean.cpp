// Manager.CleanDrive over the real bus: a library whose cleaner (CleanerPrefix=) is good for one
// cleaning cleans a drive once (busctl as the client), DescribeMedia counts the cleanings left,
// the second cleaning fails spent; MountMedia of the cleaner and bad CleanDrive calls are refused.
#include "bus_fixture.hpp"
#include "sgio/virtual_changer.hpp"

#include <regex>
#include <thread>

namespace ntms::bustest {
namespace {

using namespace std::chrono_literals;


using Details = std::map<std::string, sdbus::Variant>;
using Described = std::vector<sdbus::Struct<std::string, Details>>;

class BusClean : public BusTest {
protected:
    // lab1 with one drive, S00001L8 in slot 1000 and the cleaner CLN001L1 in slot 1005.
    void start() {
        const std::string spec =
            "sim:lab1,state=" + state_file("lab1") + ",slots=10,ie=1," + "drives=1,fill=1";
        {
            auto vc = sgio::VirtualChanger::open(*sgio::VirtualChangerConfig::parse(spec));
            ASSERT_TRUE(vc);
            ASSERT_TRUE((*vc)->place(1005, "CLN001L1"));
        }
        ASSERT_NO_FATAL_FAILURE(start_daemon({}, "[Library lab1]\nDevice=" + spec +
                                                     "\nMaxCleanings=1\nCleaningTimeSec=0\n"));
    }
    Described describe() {
        Described out;
        proxy(library_path("lab1"))
            ->callMethod("DescribeMedia")
            .onInterface(library_iface)
            .storeResultsTo(out);
        return out;
    }
    const Details* details_of(const Described& all, const std::string& barcode) {
        for (const auto& m : all)
            if (m.get<1>().at("barcode").get<std::string>() == barcode)
                return &m.get<1>();
        ADD_FAILURE() << "no medium " << barcode;
        return nullptr;
    }
    std::string guid_of(const std::string& barcode) {
        for (const auto& m : describe())
            if (m.get<1>().at("barcode").get<std::string>() == barcode)
                return m.get<0>();
        return {};
    }
    std::string drive_guid() {
        auto paths = get_as<std::vector<sdbus::ObjectPath>>(library_path("lab1"), library_iface,
                                                            "DrivePaths");
        EXPECT_EQ(paths.size(), 1u);
        return paths.empty() ? std::string() : get_as<std::string>(paths[0], drive_iface, "Id");
    }
    // The job's final State and Error.
    std::pair<uint32_t, uint32_t> finished(const std::string& job_path) {
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        uint32_t state = 0;
        while (std::chrono::steady_clock::now() < deadline) {
            state = job_state(job_path);
            if (state == 2 || state == 3 || state == 7 || state == 8)
                break;
            std::this_thread::sleep_for(50ms);
        }
        return {state, get_as<uint32_t>(job_path, job_iface, "Error")};
    }
    std::string clean_error(const std::string& drive, const Options& options) {
        return error_of([&] {
            std::string job;
            sdbus::ObjectPath path;
            proxy(root_path)
                ->callMethod("CleanDrive")
                .onInterface(manager_iface)
                .withArguments(drive, options)
                .storeResultsTo(job, path);
        });
    }
};

TEST_F(BusClean, BusctlCleansADriveAndTheCleanerIsSpentAfterItsCleanings) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto before = describe();
    const Details* cleaner = details_of(before, "CLN001L1");
    ASSERT_TRUE(cleaner);
    EXPECT_TRUE(cleaner->at("cleaner").get<bool>());
    EXPECT_EQ(cleaner->at("cleanings-left").get<uint32_t>(), 1u);
    const Details* data = details_of(before, "S00001L8");
    ASSERT_TRUE(data);
    EXPECT_FALSE(data->at("cleaner").get<bool>());
    EXPECT_EQ(data->count("cleanings-left"), 0u);

    const std::string drive = drive_guid();
    auto call = busctl({"call", service, root_path, manager_iface, "CleanDrive", "sa{sv}", drive,
                        "1", "application", "s", "busctl"});
    ASSERT_EQ(call.status, 0) << call.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(call.out, m, std::regex("\"(/org/ntms/Ntms1/job/[0-9a-f]+)\"")))
        << call.out;
    const std::string job = m[1];
    EXPECT_EQ(finished(job), (std::pair<uint32_t, uint32_t>{2, 0})); // PASSED
    auto props = busctl({"get-property", service, job, job_iface, "Operation", "MediaMoved",
                         "Application", "Drives"});
    EXPECT_EQ(props.out, "s \"cleandrive\"\nu 2\ns \"busctl\"\nas 1 \"" + drive + "\"\n")
        << props.err;
    auto after = describe();
    cleaner = details_of(after, "CLN001L1");
    ASSERT_TRUE(cleaner);
    EXPECT_EQ(cleaner->at("cleanings-left").get<uint32_t>(), 0u);
    EXPECT_EQ(cleaner->at("element").get<uint16_t>(), 1005u);

    // Spent: the next cleaning fails with ERROR_CLEANER_CARTRIDGE_SPENT.
    std::string again;
    sdbus::ObjectPath again_path;
    proxy(root_path)
        ->callMethod("CleanDrive")
        .onInterface(manager_iface)
        .withArguments(drive, Options{})
        .storeResultsTo(again, again_path);
    EXPECT_EQ(finished(again_path), (std::pair<uint32_t, uint32_t>{3, 4333u})); // FAILED
}

TEST_F(BusClean, BadCallsAnswerTheirErrorsAndChangeNothing) {
    ASSERT_NO_FATAL_FAILURE(start());
    const std::string prefix = "org.ntms.Ntms1.Error.";
    const std::string drive = drive_guid();
    const auto before = busctl({"call", service, library_path("lab1"), library_iface, "ListMedia"});
    EXPECT_EQ(clean_error("nonsense", {}), prefix + "InvalidDrive");
    EXPECT_EQ(clean_error("0badc0de-0000-4000-8000-000000000001", {}), prefix + "InvalidDrive");
    EXPECT_EQ(clean_error(drive, {{"element", sdbus::Variant(uint16_t{1001})}}),
              prefix + "InvalidParameter");
    EXPECT_NE(last_message_.find("unknown option 'element'"), std::string::npos) << last_message_;

    const std::string cleaner = guid_of("CLN001L1");
    const std::string refused = error_of([&] {
        std::string job;
        sdbus::ObjectPath path;
        proxy(root_path)
            ->callMethod("MountMedia")
            .onInterface(manager_iface)
            .withArguments(std::vector<std::string>{cleaner}, std::vector<std::string>{},
                           uint32_t{0}, int32_t{0}, Options{})
            .storeResultsTo(job, path);
    });
    EXPECT_EQ(refused, prefix + "MediaIncompatible");
    EXPECT_NE(last_message_.find("cleaning cartridge"), std::string::npos) << last_message_;
    EXPECT_EQ(busctl({"call", service, library_path("lab1"), library_iface, "ListMedia"}).out,
              before.out);
    EXPECT_TRUE(managed_objects("job").empty());
}

} // namespace
} // namespace ntms::bustest
