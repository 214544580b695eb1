// Library.Inventory over the real bus: busctl queues an inventory after cartridges were moved
// behind ntmsd's back, the job is announced and passes, and ListMedia then says what the library
// holds; the call-time errors come back as their org.ntms.Ntms1.Error names.
#include "bus_fixture.hpp"
#include "sgio/changer.hpp"
#include "sgio/virtual_changer.hpp"

#include <algorithm>
#include <thread>

namespace ntms::bustest {
namespace {

using namespace std::chrono_literals;
using Medium = sdbus::Struct<std::string, std::string, std::string, uint16_t, uint32_t>;

std::string between_quotes(const std::string& s, size_t nth) {
    size_t pos = 0;
    for (size_t i = 0;; ++i) {
        const auto a = s.find('"', pos);
        const auto b = a == std::string::npos ? a : s.find('"', a + 1);
        if (b == std::string::npos)
            return {};
        if (i == nth)
            return s.substr(a + 1, b - a - 1);
        pos = b + 1;
    }
}

class BusInventory : public BusTest {
protected:
    std::vector<Medium> list_media(const std::string& library) {
        std::vector<Medium> media;
        proxy(library_path(library))
            ->callMethod("ListMedia")
            .onInterface(library_iface)
            .storeResultsTo(media);
        return media;
    }
    std::tuple<std::string, sdbus::ObjectPath> inventory(const std::string& library,
                                                         uint32_t action) {
        std::string job;
        sdbus::ObjectPath path;
        proxy(library_path(library))
            ->callMethod("Inventory")
            .onInterface(library_iface)
            .withArguments(action)
            .storeResultsTo(job, path);
        return {job, path};
    }
};

const Medium* with_barcode(const std::vector<Medium>& media, const std::string& barcode) {
    auto it = std::find_if(media.begin(), media.end(),
                           [&](const Medium& m) { return m.get<1>() == barcode; });
    return it == media.end() ? nullptr : &*it;
}

TEST_F(BusInventory, BusctlInventoryMakesTheListEqualTheDevice) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=10,ie=1,fill=3")}));
    const auto before = list_media("lab1");
    ASSERT_EQ(before.size(), 3u);
    const Medium* s1 = with_barcode(before, "S00001L8");
    ASSERT_NE(s1, nullptr);
    const std::string s1_id = s1->get<0>();

    // Behind ntmsd's back: one cartridge put in by hand, one taken away.
    ASSERT_NO_FATAL_FAILURE(operator_do("lab1", {"place", "1008", "HAND01L8"}));
    {
        // Another program moves S00001L8 to the port through the same changer.
        auto cfg = sgio::VirtualChangerConfig::from_state_file(state_file("lab1"));
        ASSERT_TRUE(cfg) << cfg.error().message;
        auto vc = sgio::VirtualChanger::open(*cfg);
        ASSERT_TRUE(vc) << vc.error().message;
        sgio::Changer other(**vc);
        auto moved = other.move(1000, 100);
        ASSERT_TRUE(moved) << moved.error().message;
    }
    ASSERT_NO_FATAL_FAILURE(operator_do("lab1", {"remove", "100"}));
    EXPECT_EQ(get_as<uint32_t>(library_path("lab1"), library_iface, "InventoryMethod"), 3u);

    const std::string lib = library_path("lab1");
    auto call = busctl({"call", service, lib, library_iface, "Inventory", "u", "1"});
    ASSERT_EQ(call.status, 0) << call.err;
    ASSERT_EQ(call.out.rfind("so ", 0), 0u) << call.out;
    const sdbus::ObjectPath job_path(between_quotes(call.out, 1));
    EXPECT_EQ(wait_final(job_path), 2u); // PASSED
    EXPECT_EQ(get_as<std::string>(job_path, job_iface, "Operation"), "inventory");
    EXPECT_EQ(get_as<uint32_t>(job_path, job_iface, "Action"), 1u);
    EXPECT_EQ(get_as<std::string>(job_path, job_iface, "ErrorMessage"),
              "inventory: 1 new, 0 moved, 1 no longer in the library, 0 updated");

    const auto after = list_media("lab1");
    const Medium* hand = with_barcode(after, "HAND01L8");
    ASSERT_NE(hand, nullptr);
    EXPECT_EQ(hand->get<2>(), "in-library");
    EXPECT_EQ(hand->get<3>(), 1008);
    const Medium* gone = with_barcode(after, "S00001L8");
    ASSERT_NE(gone, nullptr);
    EXPECT_EQ(gone->get<0>(), s1_id) << "the record is kept under its GUID";
    EXPECT_EQ(gone->get<2>(), "gone");
    EXPECT_EQ(gone->get<4>(), 3u);
}

TEST_F(BusInventory, CallTimeErrorsHaveTheirNames) {
    ASSERT_NO_FATAL_FAILURE(
        start_daemon({sim("lab1", "slots=10,ie=1,fill=3"), "gone=/dev/sg-ntms-test-absent"}));
    EXPECT_EQ(error_of([&] { inventory("lab1", 0); }), "org.ntms.Ntms1.Error.InvalidParameter");
    EXPECT_EQ(error_of([&] { inventory("lab1", 4); }), "org.ntms.Ntms1.Error.InvalidParameter");
    EXPECT_EQ(error_of([&] { inventory("lab1", 2); }), "org.ntms.Ntms1.Error.NotSupported");
    EXPECT_EQ(error_of([&] { inventory("lab1", 5); }), "org.ntms.Ntms1.Error.InvalidOperation");
    EXPECT_EQ(error_of([&] { inventory("gone", 1); }), "org.ntms.Ntms1.Error.LibraryOffline");
    EXPECT_TRUE(managed_objects("job").empty()) << "no job was made";
}

TEST_F(BusInventory, AccessDoorWaitsForTheOperatorThenInventories) {
    ASSERT_NO_FATAL_FAILURE(start_daemon(
        {sim("lab1", "slots=10,ie=1,fill=3,door=yes"), sim("plain", "slots=10,ie=1,fill=1")}));
    EXPECT_TRUE(get_as<bool>(library_path("lab1"), library_iface, "Door"));
    EXPECT_FALSE(get_as<bool>(library_path("plain"), library_iface, "Door"));
    EXPECT_EQ(error_of([&] {
                  proxy(library_path("plain"))
                      ->callMethod("AccessDoor")
                      .onInterface(library_iface)
                      .withArguments(uint32_t{0});
              }),
              "org.ntms.Ntms1.Error.ResourceNotPresent");

    const std::string lib = library_path("lab1");
    auto call = busctl({"call", service, lib, library_iface, "AccessDoor", "u", "1"});
    ASSERT_EQ(call.status, 0) << call.err;
    const sdbus::ObjectPath job_path(between_quotes(call.out, 1));
    EXPECT_EQ(wait_state(job_path, [](uint32_t s) { return s == 5; }), 5u); // WAITING
    EXPECT_EQ(get_as<std::string>(job_path, job_iface, "Operation"), "dooraccess");
    ASSERT_NO_FATAL_FAILURE(operator_do("lab1", {"open-door"}));
    std::this_thread::sleep_for(300ms);
    ASSERT_NO_FATAL_FAILURE(operator_do("lab1", {"place", "1009", "DBUSDR1"}));
    ASSERT_NO_FATAL_FAILURE(operator_do("lab1", {"close-door"}));
    EXPECT_EQ(wait_final(job_path), 2u);
    EXPECT_EQ(get_as<std::string>(job_path, job_iface, "ErrorMessage"),
              "inventory: 1 new, 0 moved, 0 no longer in the library, 0 updated");
    // The list outlives the pointer into it.
    const std::vector<Medium> media = list_media("lab1");
    const Medium* m = with_barcode(media, "DBUSDR1");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->get<3>(), 1009);
}

} // namespace
} // namespace ntms::bustest
