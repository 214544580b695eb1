// The SCSI stack against tgt's changer emulation over iSCSI on 127.0.0.1: an SMC device we did
// not write, with its quirks (reference/tgt-changer.md).
#include "sgio/cdb.hpp"
#include "sgio/changer.hpp"
#include "sgio/element_status.hpp"
#include "sgio/iscsi_transport.hpp"
#include "sgio/open.hpp"
#include "tgt_fixture.hpp"

#include <algorithm>
#include <array>
#include <csignal>
#include <gtest/gtest.h>
#include <map>
#include <netinet/in.h>
#include <optional>
#include <sys/socket.h>
#include <unistd.h>

using namespace std::chrono_literals;
using sgio::Changer;
using sgio::Direction;
using sgio::ElementStatus;
using sgio::ElementType;
using sgio::Errc;

namespace {

// Passes commands through and counts them by opcode, so a test can see what reached the device.
class CountingTransport final : public sgio::Transport {
public:
    explicit CountingTransport(sgio::Transport& inner) : inner_(inner) {}
    sgio::Result<sgio::CommandResult> execute(std::span<const uint8_t> cdb, Direction direction,
                                              std::span<uint8_t> buffer,
                                              std::chrono::milliseconds timeout) override {
        if (!cdb.empty())
            ++sent_[cdb[0]];
        return inner_.execute(cdb, direction, buffer, timeout);
    }
    std::string name() const override { return inner_.name(); }
    unsigned sent(uint8_t opcode) const {
        const auto it = sent_.find(opcode);
        return it == sent_.end() ? 0 : it->second;
    }

private:
    sgio::Transport& inner_;
    std::map<uint8_t, unsigned> sent_;
};

} // namespace

class TgtChanger : public peer::TgtTest {
protected:
    void SetUp() override {
        peer::TgtTest::SetUp();
        if (IsSkipped() || HasFatalFailure())
            return;
        auto t = sgio::IscsiTransport::open(library().url);
        ASSERT_TRUE(t.ok()) << t.error().describe();
        transport_ = std::move(t).value();
        counting_ = std::make_unique<CountingTransport>(*transport_);
        changer_ = std::make_unique<Changer>(*counting_);
    }

    // Status of one element, read through the Changer.
    ElementStatus element(ElementType type, uint16_t address) {
        auto r = changer_->read_status(type, address, 1);
        EXPECT_TRUE(r.ok()) << r.error().describe();
        if (!r.ok() || r->size() != 1) {
            ADD_FAILURE() << "no status for element " << address;
            return {};
        }
        return r->front();
    }

    std::unique_ptr<sgio::IscsiTransport> transport_;
    std::unique_ptr<CountingTransport> counting_;
    std::unique_ptr<Changer> changer_;
};

TEST_F(TgtChanger, IdentityIsTgtsVirtualChanger) {
    auto id = changer_->identify();
    ASSERT_TRUE(id.ok()) << id.error().describe();
    EXPECT_EQ(id->peripheral_type, 0x08);
    EXPECT_EQ(id->vendor, "IET");
    EXPECT_EQ(id->product, "VIRTUAL-CHANGER");
    EXPECT_FALSE(id->serial.empty());
    EXPECT_FALSE(id->stable_key().empty());
}

TEST_F(TgtChanger, ElementMapMatchesTheHarnessLayout) {
    auto map = changer_->element_map();
    ASSERT_TRUE(map.ok()) << map.error().describe();
    const auto& lib = library();
    EXPECT_EQ(map->transport_first, lib.transport);
    EXPECT_EQ(map->transport_count, 1);
    EXPECT_EQ(map->drive_first, lib.drive_first);
    EXPECT_EQ(map->drive_count, lib.drives);
    EXPECT_EQ(map->ie_first, lib.ie_first);
    EXPECT_EQ(map->ie_count, lib.ie);
    EXPECT_EQ(map->storage_first, lib.storage_first);
    EXPECT_EQ(map->storage_count, lib.slots);
}

TEST_F(TgtChanger, StatusOfEveryTypeDespiteTheShortReply) {
    const auto& lib = library();
    const std::array<std::pair<ElementType, std::pair<uint16_t, uint16_t>>, 4> types = {{
        {ElementType::Transport, {lib.transport, 1}},
        {ElementType::DataTransfer, {lib.drive_first, lib.drives}},
        {ElementType::ImportExport, {lib.ie_first, lib.ie}},
        {ElementType::Storage, {lib.storage_first, lib.slots}},
    }};
    for (const auto& [type, range] : types) {
        SCOPED_TRACE(sgio::element_type_name(type));
        auto r = changer_->read_status(type);
        ASSERT_TRUE(r.ok()) << r.error().describe();
        ASSERT_EQ(r->size(), range.second);
        for (size_t i = 0; i < r->size(); ++i) {
            EXPECT_EQ((*r)[i].type, type);
            EXPECT_EQ((*r)[i].address, range.first + i);
        }
    }
    // The first FILL slots hold the harness's cartridges, the next one is empty.
    auto slots = changer_->read_status(ElementType::Storage);
    ASSERT_TRUE(slots.ok());
    EXPECT_TRUE((*slots)[0].full);
    EXPECT_EQ((*slots)[0].primary_tag, "S00001L8");
    EXPECT_TRUE((*slots)[lib.fill - 1].full);
    EXPECT_EQ((*slots)[lib.fill - 1].primary_tag, "S00008L8");
    EXPECT_FALSE((*slots)[lib.fill + 1].full);
    // tgt cuts 8 bytes off every reply: the last descriptor arrives short but still counts.
    EXPECT_TRUE(slots->back().truncated);
    EXPECT_EQ(slots->back().address, lib.storage_first + lib.slots - 1);
}

TEST_F(TgtChanger, ReplyReallyIsEightBytesShortAndTransferredSaysSo) {
    const auto& lib = library();
    std::vector<uint8_t> buf(64 * 1024);
    const auto cdb =
        sgio::cdb::read_element_status(ElementType::Storage, lib.storage_first, lib.slots, true,
                                       false, static_cast<uint32_t>(buf.size()));
    auto r = changer_->run(cdb.span(), Direction::FromDevice, buf, 10s);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    auto report = sgio::parse_element_status(std::span(buf).first(r->transferred));
    ASSERT_TRUE(report.ok()) << report.error().describe();
    EXPECT_EQ(r->transferred + 8, report->needed());
    EXPECT_EQ(r->residual, buf.size() - r->transferred);
    EXPECT_TRUE(report->truncated);
}

TEST_F(TgtChanger, PartialRangeReturnsOnlyWhatWasAsked) {
    // tgt ignores NUMBER OF ELEMENTS; the Changer must not pass the surplus on.
    const uint16_t first = library().storage_first + 5;
    auto r = changer_->read_status(ElementType::Storage, first, 3);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_EQ(r->size(), 3U);
    EXPECT_EQ((*r)[0].address, first);
    EXPECT_EQ((*r)[2].address, first + 2);
    EXPECT_EQ((*r)[0].primary_tag, "S00006L8");
}

TEST_F(TgtChanger, MoveIeToSlotAndBack) {
    const auto& lib = library();
    const uint16_t port = lib.ie_first;
    const uint16_t back_port = lib.ie_first + 1;
    const uint16_t slot = lib.storage_first + 10;
    std::string err;
    ASSERT_TRUE(harness().insert(port, "MOV001L8", &err)) << err;

    ElementStatus in = element(ElementType::ImportExport, port);
    EXPECT_TRUE(in.full);
    EXPECT_EQ(in.primary_tag, "MOV001L8");

    auto m = changer_->move(port, slot);
    ASSERT_TRUE(m.ok()) << m.error().describe();
    EXPECT_FALSE(element(ElementType::ImportExport, port).full);
    ElementStatus stored = element(ElementType::Storage, slot);
    EXPECT_TRUE(stored.full);
    EXPECT_EQ(stored.primary_tag, "MOV001L8");
    EXPECT_TRUE(stored.svalid);
    EXPECT_EQ(stored.source, port);

    m = changer_->move(slot, back_port);
    ASSERT_TRUE(m.ok()) << m.error().describe();
    EXPECT_FALSE(element(ElementType::Storage, slot).full);
    ElementStatus out = element(ElementType::ImportExport, back_port);
    EXPECT_TRUE(out.full);
    EXPECT_EQ(out.primary_tag, "MOV001L8");
    EXPECT_TRUE(out.svalid);
    EXPECT_EQ(out.source, slot);

    ASSERT_TRUE(harness().remove(back_port, &err)) << err;
    EXPECT_FALSE(element(ElementType::ImportExport, back_port).full);
}

TEST_F(TgtChanger, OperatorInsertAndRemoveAreSeenOnTheNextRead) {
    const uint16_t port = library().ie_first + 2;
    EXPECT_FALSE(element(ElementType::ImportExport, port).full);
    std::string err;
    ASSERT_TRUE(harness().insert(port, "OPS001L8", &err)) << err;
    ElementStatus e = element(ElementType::ImportExport, port);
    EXPECT_TRUE(e.full);
    EXPECT_EQ(e.primary_tag, "OPS001L8");
    // tgt never sets IMPEXP and never raises 28h/01h: only FULL tells the operator was there.
    EXPECT_FALSE(e.impexp);
    EXPECT_TRUE(changer_->test_unit_ready().ok());
    EXPECT_FALSE(changer_->take_ie_accessed());

    ASSERT_TRUE(harness().remove(port, &err)) << err;
    EXPECT_FALSE(element(ElementType::ImportExport, port).full);
}

TEST_F(TgtChanger, FullDestinationAndEmptySourceAreTypedErrors) {
    const auto& lib = library();
    const uint16_t full_a = lib.storage_first;     // S00001L8
    const uint16_t full_b = lib.storage_first + 1; // S00002L8
    const auto empty_a = static_cast<uint16_t>(lib.storage_first + lib.fill + 2);
    const auto empty_b = static_cast<uint16_t>(lib.storage_first + lib.fill + 3);

    auto dest_full = changer_->move(full_a, full_b);
    ASSERT_FALSE(dest_full.ok());
    EXPECT_EQ(dest_full.error().code, Errc::CheckCondition);
    EXPECT_TRUE(dest_full.error().sense.is(sgio::sense_key::IllegalRequest, 0x3B, 0x0D))
        << dest_full.error().describe();

    auto source_empty = changer_->move(empty_a, empty_b);
    ASSERT_FALSE(source_empty.ok());
    EXPECT_EQ(source_empty.error().code, Errc::CheckCondition);
    EXPECT_TRUE(source_empty.error().sense.is(sgio::sense_key::IllegalRequest, 0x3B, 0x0E))
        << source_empty.error().describe();

    // Neither cartridge moved.
    EXPECT_EQ(element(ElementType::Storage, full_a).primary_tag, "S00001L8");
    EXPECT_EQ(element(ElementType::Storage, full_b).primary_tag, "S00002L8");
}

TEST_F(TgtChanger, OptionalCommandsAreUnsupportedOnceAndRemembered) {
    const uint16_t port = library().ie_first + 3;
    auto prevent = changer_->prevent_removal(true);
    ASSERT_FALSE(prevent.ok());
    EXPECT_EQ(prevent.error().code, Errc::Unsupported) << prevent.error().describe();
    EXPECT_EQ(changer_->support().prevent_allow, std::optional<bool>(false));
    EXPECT_EQ(counting_->sent(sgio::opcode::PreventAllowMediumRemoval), 1U);

    auto open = changer_->open_import_export(port);
    ASSERT_FALSE(open.ok());
    EXPECT_EQ(open.error().code, Errc::Unsupported) << open.error().describe();
    EXPECT_EQ(changer_->support().open_close_ie, std::optional<bool>(false));
    EXPECT_EQ(counting_->sent(sgio::opcode::OpenCloseImportExport), 1U);

    // Later calls answer from memory, without another command on the wire.
    EXPECT_EQ(changer_->prevent_removal(false).error().code, Errc::Unsupported);
    EXPECT_EQ(changer_->close_import_export(port).error().code, Errc::Unsupported);
    EXPECT_EQ(counting_->sent(sgio::opcode::PreventAllowMediumRemoval), 1U);
    EXPECT_EQ(counting_->sent(sgio::opcode::OpenCloseImportExport), 1U);

    // And an import still works without them.
    const uint16_t slot = library().storage_first + 12;
    std::string err;
    ASSERT_TRUE(harness().insert(port, "OPT001L8", &err)) << err;
    ASSERT_TRUE(changer_->move(port, slot).ok());
    EXPECT_EQ(element(ElementType::Storage, slot).primary_tag, "OPT001L8");
    EXPECT_FALSE(element(ElementType::ImportExport, port).full);
}

TEST_F(TgtChanger, ReconnectsOnceAfterTheTargetDropsTheSession) {
    ASSERT_TRUE(changer_->test_unit_ready().ok());
    std::string err;
    ASSERT_TRUE(harness().drop_sessions(&err)) << err;
    // The next command finds the connection closed, logs in again and is sent once more.
    auto r = changer_->read_status(ElementType::Storage, library().storage_first, 1);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->front().primary_tag, "S00001L8");
}

TEST_F(TgtChanger, MoveIsNotResentAfterALostSession) {
    const auto& lib = library();
    const auto from = static_cast<uint16_t>(lib.storage_first + 2);
    const auto to = static_cast<uint16_t>(lib.storage_first + 13);
    std::string err;
    ASSERT_TRUE(changer_->element_map().ok()); // so that MOVE MEDIUM is the next command
    ASSERT_TRUE(harness().drop_sessions(&err)) << err;
    // The MOVE goes out on a dead connection; after the reconnect it is not sent again, because
    // in general nobody knows whether the robot already acted. The caller reads the status.
    auto m = changer_->move(from, to);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, Errc::TransportFailed) << m.error().describe();
    EXPECT_NE(m.error().message.find("reconnected"), std::string::npos) << m.error().message;
    EXPECT_EQ(counting_->sent(sgio::opcode::MoveMedium), 1U);
    EXPECT_TRUE(element(ElementType::Storage, from).full);
    EXPECT_FALSE(element(ElementType::Storage, to).full);
}

TEST_F(TgtChanger, TimeoutWhenTheTargetHangsThenRecovers) {
    ASSERT_TRUE(changer_->test_unit_ready().ok());
    const pid_t tgtd = library().tgtd_pid;
    ASSERT_EQ(::kill(tgtd, SIGSTOP), 0);
    const auto cdb = sgio::cdb::test_unit_ready();
    auto r = transport_->execute(cdb.span(), Direction::None, {}, 300ms);
    ASSERT_EQ(::kill(tgtd, SIGCONT), 0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::Timeout) << r.error().describe();
    // The session was dropped; the next command logs in again.
    EXPECT_TRUE(changer_->test_unit_ready().ok());
}

TEST_F(TgtChanger, OpenTransportPicksIscsi) {
    auto t = sgio::open_transport(library().url);
    ASSERT_TRUE(t.ok()) << t.error().describe();
    EXPECT_EQ((*t)->name(), library().url);
}

TEST_F(TgtChanger, LoginErrorsAreClear) {
    const auto& lib = library();
    auto bad_target = sgio::IscsiTransport::open("iscsi://127.0.0.1:" + std::to_string(lib.port) +
                                                 "/iqn.2025-01.test.ntms:nobody/1");
    ASSERT_FALSE(bad_target.ok());
    EXPECT_EQ(bad_target.error().code, Errc::OpenFailed);
    EXPECT_NE(bad_target.error().message.find("nobody"), std::string::npos);

    auto bad_lun = sgio::IscsiTransport::open("iscsi://127.0.0.1:" + std::to_string(lib.port) +
                                              "/" + lib.iqn + "/42");
    ASSERT_FALSE(bad_lun.ok());
    EXPECT_EQ(bad_lun.error().code, Errc::OpenFailed) << bad_lun.error().describe();

    // A port nobody listens on: bind one, note it, close it.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    ::close(fd);
    auto refused = sgio::IscsiTransport::open(
        "iscsi://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/" + lib.iqn + "/1");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::OpenFailed);
    EXPECT_NE(refused.error().message.find("refused"), std::string::npos)
        << refused.error().message;
}
