// The Win32 <-> D-Bus error name table: complete for the codes the domain uses, one name per code,
// and exactly reversible.
#include "daemon/status.hpp"
#include "dbus/errors.hpp"

#include <gtest/gtest.h>
#include <set>

namespace ntms::dbus {
namespace {

TEST(Errors, EveryDomainCodeHasItsOwnName) {
    const std::pair<uint32_t, const char*> expected[] = {
        {win32::AccessDenied, "AccessDenied"},
        {win32::InvalidHandle, "InvalidHandle"},
        {win32::NotEnoughMemory, "NotEnoughMemory"},
        {win32::NotSupported, "NotSupported"},
        {win32::InvalidParameter, "InvalidParameter"},
        {win32::Busy, "Busy"},
        {win32::OperationAborted, "OperationAborted"},
        {win32::DeviceDoorOpen, "DeviceDoorOpen"},
        {win32::Cancelled, "Cancelled"},
        {win32::Timeout, "Timeout"},
        {win32::IoDevice, "IoDevice"},
        {win32::DeviceNotConnected, "DeviceNotConnected"},
        {win32::InvalidState, "InvalidState"},
        {win32::InvalidLibrary, "InvalidLibrary"},
        {win32::LibraryOffline, "LibraryOffline"},
        {win32::ObjectNotFound, "ObjectNotFound"},
        {win32::DatabaseFailure, "DatabaseFailure"},
        {win32::DatabaseFull, "DatabaseFull"},
        {win32::ResourceNotPresent, "ResourceNotPresent"},
        {win32::InvalidOperation, "InvalidOperation"},
        {win32::DeviceNotAvailable, "DeviceNotAvailable"},
        {win32::RequestRefused, "RequestRefused"},
        {win32::LibraryFull, "LibraryFull"},
        {win32::IeportFull, "IeportFull"},
        {win32::InvalidDrive, "InvalidDrive"},
        {win32::DriveMediaMismatch, "DriveMediaMismatch"},
        {win32::MediaOffline, "MediaOffline"},
        {win32::UnableToEjectMountedMedia, "UnableToEjectMountedMedia"},
        {win32::MediaIncompatible, "MediaIncompatible"},
    };
    for (const auto& [code, name] : expected) {
        EXPECT_EQ(error_name(code), std::string("org.ntms.Ntms1.Error.") + name) << code;
        EXPECT_EQ(error_code(error_name(code)), code) << name;
    }
    EXPECT_EQ(error_table().size(), std::size(expected));
}

TEST(Errors, NamesAndCodesAreUnique) {
    std::set<uint32_t> codes;
    std::set<std::string_view> names;
    for (const auto& e : error_table()) {
        EXPECT_TRUE(codes.insert(e.code).second) << e.code;
        EXPECT_TRUE(names.insert(e.name).second) << e.name;
        EXPECT_NE(e.name, "Failed");
    }
}

TEST(Errors, UnknownCodeIsFailedWithTheCodeInTheMessage) {
    EXPECT_EQ(error_name(4999), "org.ntms.Ntms1.Error.Failed");
    const sdbus::Error e = make_error(4999, "something odd");
    EXPECT_EQ(e.getName(), "org.ntms.Ntms1.Error.Failed");
    EXPECT_EQ(e.getMessage(), "error 4999: something odd");
    EXPECT_EQ(error_code(e.getName()), std::nullopt);
    EXPECT_EQ(error_code(e.getName(), e.getMessage()), 4999u);
}

TEST(Errors, KnownCodeKeepsTheMessage) {
    const sdbus::Error e = make_error(win32::LibraryFull, "library lab1 has no free storage slot");
    EXPECT_EQ(e.getName(), "org.ntms.Ntms1.Error.LibraryFull");
    EXPECT_EQ(e.getMessage(), "library lab1 has no free storage slot");
    EXPECT_EQ(error_code(e.getName(), e.getMessage()), win32::LibraryFull);
}

TEST(Errors, ForeignNamesCarryNoCode) {
    EXPECT_EQ(error_code("org.freedesktop.DBus.Error.InvalidArgs"), std::nullopt);
    EXPECT_EQ(error_code("org.ntms.Ntms1.Error."), std::nullopt);
    EXPECT_EQ(error_code("org.ntms.Ntms1.Error.NoSuchThing"), std::nullopt);
    EXPECT_EQ(error_code("org.ntms.Ntms1.Error.Failed", "error x: y"), std::nullopt);
    EXPECT_EQ(error_code("org.ntms.Ntms1.Error.Failed", "error 12"), std::nullopt);
    EXPECT_EQ(error_code("org.ntms.Ntms1.Error.Failed", "no code here"), std::nullopt);
}

} // namespace
} // namespace ntms::dbus
