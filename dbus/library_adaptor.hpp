// /org/ntms/Ntms1/library/<hex>: org.ntms.Ntms1.Library over Manager::library() snapshots. Every
// read takes a fresh snapshot (no SCSI: the worker keeps it current) and checks USE access; the
// last snapshot announced is kept to tell which properties changed.
#pragma once

#include "dbus/context.hpp"
#include "org.ntms.Ntms1.Library.adaptor.h"

#include <sdbus-c++/sdbus-c++.h>

namespace ntms::dbus {

class LibraryAdaptor final
    : public sdbus::AdaptorInterfaces<org::ntms::Ntms1::Library_adaptor, sdbus::Properties_adaptor,
                                      sdbus::ManagedObject_adaptor> {
public:
    LibraryAdaptor(sdbus::IConnection& connection, BusContext& ctx, LibrarySnapshot initial);
    ~LibraryAdaptor();
    LibraryAdaptor(const LibraryAdaptor&) = delete;
    LibraryAdaptor& operator=(const LibraryAdaptor&) = delete;

    const Guid& id() const { return last_.id; }
    // The snapshot last announced (its drives are what the bus service exports).
    const LibrarySnapshot& last() const { return last_; }
    // Takes a new snapshot and emits PropertiesChanged for the properties that differ.
    void refresh();

private:
    using Port = sdbus::Struct<uint16_t, uint16_t, bool, bool, uint16_t>;
    using Medium = sdbus::Struct<std::string, std::string, std::string, uint16_t, uint32_t>;
    using Element = sdbus::Struct<uint16_t, std::string, bool, std::string, std::string>;

    // The caller's view: a fresh snapshot, or the D-Bus error (AccessDenied without USE).
    LibrarySnapshot read();
    static std::vector<Port> ports(const LibrarySnapshot& s);
    static std::vector<sdbus::ObjectPath> drive_paths(const LibrarySnapshot& s);

    using Described = sdbus::Struct<std::string, std::map<std::string, sdbus::Variant>>;

    // Read on the reader's thread (answer_with_read).
    void ListMedia(sdbus::Result<std::vector<Medium>>&& result) override;
    // library_media.cpp
    void DescribeMedia(sdbus::Result<std::vector<Described>>&& result) override;
    uint64_t TimeCreated() override;
    // Answered from the submitter's thread once the job is committed (answer_with_job).
    void Inventory(JobReply&& result, uint32_t action) override;
    void AccessDoor(JobReply&& result, uint32_t action) override;
    void ListElements(sdbus::Result<std::vector<Element>>&& result) override;
    void CallerAccess(sdbus::Result<uint32_t>&& result) override;
    bool Door() override;
    bool BarcodeReader() override;
    std::string Id() override;
    std::string Name() override;
    std::string Device() override;
    std::string Vendor() override;
    std::string Product() override;
    std::string Serial() override;
    std::string State() override;
    std::string OfflineReason() override;
    bool Enabled() override;
    uint32_t Slots() override;
    uint32_t FreeSlots() override;
    uint32_t Drives() override;
    std::vector<sdbus::ObjectPath> DrivePaths() override;
    std::vector<Port> Ports() override;
    uint32_t InjectTimeout() override;
    uint32_t InventoryMethod() override;

    BusContext& ctx_;
    LibrarySnapshot last_;
};

// "in-library", "in-port", "exported", "gone".
const char* medium_state_name(MediumState s);

} // namespace ntms::dbus
