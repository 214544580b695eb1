// Library.ListElements over the real bus: a library with a cartridge in a drive, one in the port
// and three in slots lists every element in address order with its kind, and each medium of
// ListMedia once, at the element whose kind says where it is.
#include "bus_fixture.hpp"

#include <algorithm>
#include <map>

namespace ntms::bustest {
namespace {

using Medium = sdbus::Struct<std::string, std::string, std::string, uint16_t, uint32_t>;
using Element = sdbus::Struct<uint16_t, std::string, bool, std::string, std::string>;

class BusElements : public BusTest {
protected:
    template <typename T> std::vector<T> list(const std::string& library, const char* method) {
        std::vector<T> out;
        proxy(library_path(library))
            ->callMethod(method)
            .onInterface(library_iface)
            .storeResultsTo(out);
        return out;
    }
};

TEST_F(BusElements, EveryElementInOrderEachMediumOnceWhereItIs) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({sim("lab1", "slots=6,ie=1,drives=2,fill=3")}));
    // Behind ntmsd's back: a cartridge loaded in drive 3; then an inventory records it there.
    ASSERT_NO_FATAL_FAILURE(operator_do("lab1", {"place", "3", "DRV001L8"}));
    const std::string lib = library_path("lab1");
    auto call = busctl({"call", service, lib, library_iface, "Inventory", "u", "1"});
    ASSERT_EQ(call.status, 0) << call.err;
    const auto q = call.out.find("\"/");
    ASSERT_NE(q, std::string::npos) << call.out;
    const sdbus::ObjectPath job(call.out.substr(q + 1, call.out.find('"', q + 1) - q - 1));
    ASSERT_EQ(wait_final(job), 2u); // PASSED
    // The operator puts a cartridge into the port: the watcher lists it there.
    ASSERT_NO_FATAL_FAILURE(operator_do("lab1", {"insert", "100", "PRT001L8"}));
    std::vector<Element> elements;
    for (int i = 0; i < 300; ++i) { // the watcher looks between jobs, within 30 s
        elements = list<Element>("lab1", "ListElements");
        auto port = std::find_if(elements.begin(), elements.end(),
                                 [](const Element& e) { return e.get<0>() == 100; });
        if (port != elements.end() && port->get<4>() == "PRT001L8")
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }

    // transport 1, drives 2-3, port 100, slots 1000-1005.
    std::vector<uint16_t> addresses;
    std::map<uint16_t, Element> at;
    for (const auto& e : elements) {
        addresses.push_back(e.get<0>());
        at[e.get<0>()] = e;
    }
    EXPECT_EQ(addresses, (std::vector<uint16_t>{1, 2, 3, 100, 1000, 1001, 1002, 1003, 1004, 1005}));
    EXPECT_EQ(at[1].get<1>(), "transport");
    EXPECT_FALSE(at[1].get<2>());
    EXPECT_EQ(at[2].get<1>(), "drive");
    EXPECT_FALSE(at[2].get<2>());
    EXPECT_EQ(at[2].get<3>(), "");
    EXPECT_EQ(at[3].get<1>(), "drive");
    EXPECT_TRUE(at[3].get<2>());
    EXPECT_EQ(at[3].get<4>(), "DRV001L8");
    EXPECT_EQ(at[100].get<1>(), "port");
    EXPECT_TRUE(at[100].get<2>());
    EXPECT_EQ(at[100].get<4>(), "PRT001L8");
    EXPECT_EQ(at[1000].get<1>(), "storage");
    EXPECT_TRUE(at[1000].get<2>());
    EXPECT_EQ(at[1000].get<4>(), "S00001L8");
    EXPECT_EQ(at[1002].get<4>(), "S00003L8");
    EXPECT_FALSE(at[1003].get<2>());
    EXPECT_EQ(at[1003].get<3>(), "");
    EXPECT_FALSE(at[1005].get<2>());

    // Each medium of ListMedia once, at its element: the drive's medium at the drive.
    const auto media = list<Medium>("lab1", "ListMedia");
    ASSERT_EQ(media.size(), 5u);
    for (const auto& m : media) {
        const auto n = std::count_if(elements.begin(), elements.end(),
                                     [&](const Element& e) { return e.get<3>() == m.get<0>(); });
        EXPECT_EQ(n, 1) << m.get<1>();
        EXPECT_EQ(at[m.get<3>()].get<3>(), m.get<0>()) << m.get<1>();
    }
    auto drv = std::find_if(media.begin(), media.end(),
                            [](const Medium& m) { return m.get<1>() == "DRV001L8"; });
    ASSERT_NE(drv, media.end());
    EXPECT_EQ(drv->get<3>(), 3);
    EXPECT_EQ(drv->get<2>(), "in-library");
}

TEST_F(BusElements, AnOfflineLibraryHasNoElementsAndTheErrorsHaveNames) {
    ASSERT_NO_FATAL_FAILURE(start_daemon({"gone=/dev/sg-ntms-test-absent"}));
    EXPECT_TRUE(list<Element>("gone", "ListElements").empty());
    auto call = busctl({"call", service, "/org/ntms/Ntms1/library/00000000000000000000000000000001",
                        library_iface, "ListElements"});
    EXPECT_NE(call.status, 0);
}

} // namespace
} // namespace ntms::bustest
