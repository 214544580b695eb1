#include "sgio/cdb.hpp"

#include <gtest/gtest.h>
#include <vector>

using namespace sgio;

namespace {

std::vector<uint8_t> bytes(const Cdb& c) {
    return {c.span().begin(), c.span().end()};
}

using B = std::vector<uint8_t>;

} // namespace

TEST(Cdb, TestUnitReady) {
    EXPECT_EQ(bytes(cdb::test_unit_ready()), (B{0x00, 0, 0, 0, 0, 0}));
}

TEST(Cdb, RequestSense) {
    EXPECT_EQ(bytes(cdb::request_sense(252)), (B{0x03, 0, 0, 0, 252, 0}));
    EXPECT_EQ(bytes(cdb::request_sense(18)), (B{0x03, 0, 0, 0, 18, 0}));
}

TEST(Cdb, InquiryStandard) {
    EXPECT_EQ(bytes(cdb::inquiry(false, 0, 96)), (B{0x12, 0x00, 0x00, 0x00, 96, 0}));
    // The page code means nothing without EVPD and would be an invalid field in the CDB.
    EXPECT_EQ(bytes(cdb::inquiry(false, 0x80, 0x1234)), (B{0x12, 0x00, 0x00, 0x12, 0x34, 0}));
}

TEST(Cdb, InquiryVpd) {
    EXPECT_EQ(bytes(cdb::inquiry(true, 0x00, 255)), (B{0x12, 0x01, 0x00, 0x00, 0xFF, 0}));
    EXPECT_EQ(bytes(cdb::inquiry(true, 0x80, 252)), (B{0x12, 0x01, 0x80, 0x00, 0xFC, 0}));
    EXPECT_EQ(bytes(cdb::inquiry(true, 0x83, 0xFFFF)), (B{0x12, 0x01, 0x83, 0xFF, 0xFF, 0}));
}

TEST(Cdb, ModeSense6) {
    EXPECT_EQ(bytes(cdb::mode_sense6(0x1D, true, 136)), (B{0x1A, 0x08, 0x1D, 0x00, 136, 0}));
    EXPECT_EQ(bytes(cdb::mode_sense6(0x1F, false, 255)), (B{0x1A, 0x00, 0x1F, 0x00, 255, 0}));
    EXPECT_EQ(bytes(cdb::mode_sense6(0x3F, true, 0)), (B{0x1A, 0x08, 0x3F, 0x00, 0, 0}));
    // Page control bits are not part of the page code: current values only.
    EXPECT_EQ(bytes(cdb::mode_sense6(0xDE, false, 20)), (B{0x1A, 0x00, 0x1E, 0x00, 20, 0}));
}

TEST(Cdb, ModeSense10) {
    EXPECT_EQ(bytes(cdb::mode_sense10(0x1D, true, 0x0102)),
              (B{0x5A, 0x08, 0x1D, 0, 0, 0, 0, 0x01, 0x02, 0}));
    EXPECT_EQ(bytes(cdb::mode_sense10(0x1F, false, 0xFFFF)),
              (B{0x5A, 0x00, 0x1F, 0, 0, 0, 0, 0xFF, 0xFF, 0}));
}

TEST(Cdb, ReadElementStatusAllFields) {
    const Cdb c =
        cdb::read_element_status(ElementType::Storage, 0x03E8, 0x0400, true, true, 0x123456, true);
    EXPECT_EQ(bytes(c), (B{0xB8, 0x12, 0x03, 0xE8, 0x04, 0x00, 0x03, 0x12, 0x34, 0x56, 0, 0}));
    EXPECT_EQ(c.length, 12);
}

TEST(Cdb, ReadElementStatusBits) {
    // VOLTAG is bit 4 of byte 1, the type its low nibble.
    EXPECT_EQ(bytes(cdb::read_element_status(ElementType::ImportExport, 100, 1, true, false, 8)),
              (B{0xB8, 0x13, 0x00, 100, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0, 0}));
    EXPECT_EQ(bytes(cdb::read_element_status(ElementType::DataTransfer, 2, 2, false, false, 1024)),
              (B{0xB8, 0x04, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x04, 0x00, 0, 0}));
    EXPECT_EQ(bytes(cdb::read_element_status(ElementType::Transport, 1, 1, false, false, 0)),
              (B{0xB8, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0, 0}));
    EXPECT_EQ(bytes(cdb::read_element_status(ElementType::All, 0, 0xFFFF, true, false, 0)),
              (B{0xB8, 0x10, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0, 0}));
    // DVCID is bit 0 of byte 6, CURDATA bit 1.
    EXPECT_EQ(bytes(cdb::read_element_status(ElementType::Storage, 0, 0, false, true, 0)).at(6),
              0x01);
    EXPECT_EQ(
        bytes(cdb::read_element_status(ElementType::Storage, 0, 0, false, false, 0, true)).at(6),
        0x02);
}

TEST(Cdb, ReadElementStatusAllocationClampedTo24Bits) {
    const B max_alloc{0xB8, 0x02, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0, 0};
    EXPECT_EQ(bytes(cdb::read_element_status(ElementType::Storage, 0, 0, false, false, 0xFFFFFF)),
              max_alloc);
    EXPECT_EQ(bytes(cdb::read_element_status(ElementType::Storage, 0, 0, false, false, 0x1000000)),
              max_alloc);
    EXPECT_EQ(bytes(cdb::read_element_status(ElementType::Storage, 0, 0, false, false, 0xFFFFFFFF)),
              max_alloc);
}

TEST(Cdb, MoveMedium) {
    EXPECT_EQ(bytes(cdb::move_medium(0x0001, 0x03E8, 0x0064)),
              (B{0xA5, 0, 0x00, 0x01, 0x03, 0xE8, 0x00, 0x64, 0, 0, 0x00, 0}));
    EXPECT_EQ(bytes(cdb::move_medium(0, 0xFFFF, 0x1234, true)),
              (B{0xA5, 0, 0x00, 0x00, 0xFF, 0xFF, 0x12, 0x34, 0, 0, 0x01, 0}));
}

TEST(Cdb, InitializeElementStatus) {
    EXPECT_EQ(bytes(cdb::initialize_element_status()), (B{0x07, 0, 0, 0, 0, 0}));
}

TEST(Cdb, InitializeElementStatusWithRange) {
    EXPECT_EQ(bytes(cdb::initialize_element_status_with_range(0x03E8, 20)),
              (B{0x37, 0x01, 0x03, 0xE8, 0, 0, 0x00, 20, 0, 0}));
    EXPECT_EQ(bytes(cdb::initialize_element_status_with_range(0x0102, 0, true)),
              (B{0x37, 0x03, 0x01, 0x02, 0, 0, 0x00, 0x00, 0, 0}));
    EXPECT_EQ(bytes(cdb::initialize_element_status_with_range(1, 0xABCD)),
              (B{0x37, 0x01, 0x00, 0x01, 0, 0, 0xAB, 0xCD, 0, 0}));
}

TEST(Cdb, PreventAllowMediumRemoval) {
    EXPECT_EQ(bytes(cdb::prevent_allow_medium_removal(Prevent::Prevent)),
              (B{0x1E, 0, 0, 0, 0x01, 0}));
    EXPECT_EQ(bytes(cdb::prevent_allow_medium_removal(Prevent::Allow)),
              (B{0x1E, 0, 0, 0, 0x00, 0}));
}

TEST(Cdb, OpenCloseImportExport) {
    EXPECT_EQ(bytes(cdb::open_close_import_export(100, IeAction::Open)),
              (B{0x1B, 0, 0x00, 100, 0x00, 0}));
    EXPECT_EQ(bytes(cdb::open_close_import_export(0x1234, IeAction::Close)),
              (B{0x1B, 0, 0x12, 0x34, 0x01, 0}));
}

TEST(Cdb, OpcodesAndLengths) {
    struct Case {
        Cdb c;
        uint8_t op;
        uint8_t length;
    };
    const Case cases[] = {
        {cdb::test_unit_ready(), opcode::TestUnitReady, 6},
        {cdb::request_sense(18), opcode::RequestSense, 6},
        {cdb::inquiry(false, 0, 36), opcode::Inquiry, 6},
        {cdb::mode_sense6(0x1D, true, 136), opcode::ModeSense6, 6},
        {cdb::mode_sense10(0x1D, true, 136), opcode::ModeSense10, 10},
        {cdb::read_element_status(ElementType::Storage, 0, 0, false, false, 0),
         opcode::ReadElementStatus, 12},
        {cdb::move_medium(0, 1, 2), opcode::MoveMedium, 12},
        {cdb::initialize_element_status(), opcode::InitializeElementStatus, 6},
        {cdb::initialize_element_status_with_range(0, 0), opcode::InitializeElementStatusWithRange,
         10},
        {cdb::prevent_allow_medium_removal(Prevent::Allow), opcode::PreventAllowMediumRemoval, 6},
        {cdb::open_close_import_export(1, IeAction::Open), opcode::OpenCloseImportExport, 6},
    };
    for (const auto& k : cases) {
        EXPECT_EQ(k.c[0], k.op);
        EXPECT_EQ(k.c.length, k.length);
        EXPECT_EQ(k.c.span().size(), k.length);
        // Nothing is written past the command's length: the transport may send the whole array.
        for (size_t i = k.length; i < k.c.bytes.size(); ++i) {
            EXPECT_EQ(k.c.bytes[i], 0) << "opcode " << int{k.op} << " byte " << i;
        }
    }
}
