// Every element of a library with the medium recorded there: the pure listing, and the manager's
// from a library whose device holds a cartridge in a drive.
#include "daemon/library/elements.hpp"
#include "inject_fixture.hpp"
#include "sgio/changer.hpp"

#include <algorithm>

using namespace ntms;
using namespace ntms::test;

namespace {

MediumRecord medium(const std::string& barcode, std::optional<uint16_t> element,
                    MediumState state = MediumState::InLibrary) {
    MediumRecord m;
    m.id = Guid::random();
    m.barcode = barcode;
    m.element = element;
    m.state = state;
    return m;
}

std::vector<uint16_t> addresses(const std::vector<ElementEntry>& list) {
    std::vector<uint16_t> out;
    for (const auto& e : list)
        out.push_back(e.address);
    return out;
}

} // namespace

TEST(ListElements, AddressOrderKindsFullAndTheMediumAtEach) {
    const std::vector<ElementRange> ranges{{ElementKind::Storage, 1000, 3},
                                           {ElementKind::Port, 100, 1},
                                           {ElementKind::Transport, 1, 1},
                                           {ElementKind::Drive, 2, 2}};
    const auto a = medium("A", 1000), b = medium("B", 3), c = medium("C", 100, MediumState::InPort),
               gone = medium("G", std::nullopt, MediumState::Gone), twin = medium("D", 1000);
    const auto list = list_elements(ranges, {1001}, {a, b, c, gone, twin});
    ASSERT_EQ(addresses(list), (std::vector<uint16_t>{1, 2, 3, 100, 1000, 1001, 1002}));
    EXPECT_EQ(list[0].kind, ElementKind::Transport);
    EXPECT_FALSE(list[0].full);
    EXPECT_EQ(list[1].kind, ElementKind::Drive);
    EXPECT_FALSE(list[1].full);
    EXPECT_FALSE(list[1].medium);
    ASSERT_TRUE(list[2].medium);
    EXPECT_EQ(list[2].medium->id, b.id);
    EXPECT_TRUE(list[2].full);
    EXPECT_EQ(list[3].kind, ElementKind::Port);
    ASSERT_TRUE(list[3].medium);
    EXPECT_EQ(list[3].medium->barcode, "C");
    ASSERT_TRUE(list[4].medium);
    EXPECT_EQ(list[4].medium->id, a.id) << "the first record of an address is taken";
    EXPECT_FALSE(list[5].full) << "a free slot";
    EXPECT_FALSE(list[5].medium);
    EXPECT_TRUE(list[6].full) << "not free, though no medium is known there";
    EXPECT_FALSE(list[6].medium);
    EXPECT_STREQ(element_kind_name(ElementKind::Storage), "storage");
    EXPECT_STREQ(element_kind_name(ElementKind::Port), "port");
    EXPECT_STREQ(element_kind_name(ElementKind::Drive), "drive");
    EXPECT_STREQ(element_kind_name(ElementKind::Transport), "transport");
}

class Elements : public InjectFixture {};

TEST_F(Elements, TheManagerListsEachMediumOnceAtItsElement) {
    const std::string spec = sim("slots=4,ie=1,drives=2,fill=2");
    {
        // A cartridge already loaded in drive 3 when ntmsd first reads the device.
        auto cfg = sgio::VirtualChangerConfig::parse(spec);
        ASSERT_TRUE(cfg);
        auto vc = sgio::VirtualChanger::open(*cfg);
        ASSERT_TRUE(vc) << vc.error().message;
        ASSERT_TRUE((*vc)->place(3, "DRV001L8"));
    }
    start({library(spec)});
    auto list = manager_->elements(lib_id(), Caller::root());
    ASSERT_TRUE(list) << list.error().message;
    ASSERT_EQ(addresses(*list), (std::vector<uint16_t>{1, 2, 3, 100, 1000, 1001, 1002, 1003}));
    const auto& drive = (*list)[2];
    EXPECT_EQ(drive.kind, ElementKind::Drive);
    EXPECT_TRUE(drive.full);
    ASSERT_TRUE(drive.medium);
    EXPECT_EQ(drive.medium->barcode, "DRV001L8");
    EXPECT_EQ((*list)[4].kind, ElementKind::Storage);
    ASSERT_TRUE((*list)[4].medium);
    EXPECT_EQ((*list)[4].medium->barcode, "S00001L8");
    EXPECT_FALSE((*list)[6].full);
    EXPECT_FALSE((*list)[3].full) << "the port is empty";

    auto media = open_store()->list_media(lib_id());
    ASSERT_TRUE(media);
    ASSERT_EQ(media->size(), 3u);
    for (const auto& m : *media) {
        const auto n = std::count_if(list->begin(), list->end(), [&](const ElementEntry& e) {
            return e.medium && e.medium->id == m.id;
        });
        EXPECT_EQ(n, 1) << m.barcode;
    }
    EXPECT_FALSE(manager_->elements(Guid::random(), Caller::root()));
}
