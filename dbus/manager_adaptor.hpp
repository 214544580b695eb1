// /org/ntms/Ntms1: org.ntms.Ntms1.Manager and the ObjectManager of every library, job and operator
// request object below it.
#pragma once

#include "dbus/context.hpp"
#include "dbus/options.hpp"
#include "org.ntms.Ntms1.Manager.adaptor.h"

#include <sdbus-c++/sdbus-c++.h>

namespace ntms::dbus {

// Manager.Metrics()'s a(sssa(sa{ss}d)): name, type, help, samples (name, labels, value).
using MetricSampleStruct = sdbus::Struct<std::string, std::map<std::string, std::string>, double>;
using MetricFamilyStruct =
    sdbus::Struct<std::string, std::string, std::string, std::vector<MetricSampleStruct>>;

class ManagerAdaptor final
    : public sdbus::AdaptorInterfaces<org::ntms::Ntms1::Manager_adaptor,
                                      sdbus::ObjectManager_adaptor, sdbus::Properties_adaptor> {
public:
    ManagerAdaptor(sdbus::IConnection& connection, BusContext& ctx, std::string version);
    ~ManagerAdaptor();
    ManagerAdaptor(const ManagerAdaptor&) = delete;
    ManagerAdaptor& operator=(const ManagerAdaptor&) = delete;

private:
    // Answered from the submitter's thread once the job is committed (answer_with_job).
    void InjectMedia(JobReply&& result, std::string library, uint32_t action, std::string job,
                     OptionMap options) override;
    void EjectMedia(JobReply&& result, std::string media, uint32_t action, std::string job,
                    OptionMap options) override;
    void MountMedia(JobReply&& result, std::vector<std::string> media,
                    std::vector<std::string> drives, uint32_t flags, int32_t priority,
                    OptionMap options) override;
    void DismountMedia(JobReply&& result, std::vector<std::string> media, uint32_t flags,
                       OptionMap options) override;
    void CleanDrive(JobReply&& result, std::string drive, OptionMap options) override;
    void MoveMedia(JobReply&& result, std::string medium, uint16_t element,
                   OptionMap options) override;
    sdbus::ObjectPath GetLibrary(const std::string& library) override;
    std::vector<sdbus::ObjectPath> ListLibraries() override;
    void GetJob(sdbus::Result<sdbus::ObjectPath>&& result, std::string job) override;
    void GetOperatorRequest(sdbus::Result<sdbus::ObjectPath>&& result,
                            std::string request) override;
    void Backup(sdbus::Result<>&& result, sdbus::UnixFd file) override;
    // manager_metrics_adaptor.cpp
    std::vector<MetricFamilyStruct> Metrics() override;
    void CheckDatabase(sdbus::Result<bool, std::vector<std::string>>&& result) override;
    std::string Version() override;

    BusContext& ctx_;
    std::string version_;
};

} // namespace ntms::dbus
