// Drives on tgt over iSCSI: READ ELEMENT STATUS with DVCID names each tape LU bound to a
// data-transfer element by its unit serial number; tgt cuts the last descriptor of every reply
// short, so the last drive's serial cannot be read whole and is left empty, never half a serial.
#include "daemon/library/drives.hpp"
#include "tgt_domain.hpp"

#include <gtest/gtest.h>

using namespace ntms;
using sgio::ElementType;

namespace {

class TgtDrives : public peer::TgtDomainTest {
protected:
    std::vector<DriveState> drives() {
        auto s = manager_->library(lib(), Caller::root());
        EXPECT_TRUE(s);
        return s ? s->drive_list : std::vector<DriveState>{};
    }
};

} // namespace

TEST_F(TgtDrives, DriveSerialsComeFromDvcid) {
    start_tgt(1, 20, 4);
    ASSERT_TRUE(start_manager());
    const uint16_t first = harness_.library().drive_first;
    const auto list = drives();
    ASSERT_EQ(list.size(), 2u);
    for (uint32_t i = 0; i < 2; ++i) {
        EXPECT_EQ(list[i].number, i);
        EXPECT_EQ(list[i].element, first + i);
        EXPECT_EQ(list[i].id, drive_id(lib(), list[i].element));
        EXPECT_FALSE(list[i].full);
    }
    // The harness binds tape LU 1 (tid 1) to the first drive; tgt's default unit serial number
    // of a LU is "beaf" followed by its tid and LUN.
    EXPECT_EQ(list[0].vendor, "IET");
    EXPECT_EQ(list[0].product, "VIRTUAL-TAPE");
    EXPECT_EQ(list[0].serial, "beaf11");
    // The last descriptor of tgt's reply is 8 bytes short: the second drive's identifier is cut
    // and stays empty rather than naming another device.
    EXPECT_EQ(list[1].serial, "");
    const auto raw = device(ElementType::DataTransfer);
    ASSERT_EQ(raw.size(), 2u);
    EXPECT_TRUE(raw[1].truncated);
}
