// /org/ntms/Ntms1: org.ntms.Ntms1.Manager and the ObjectManager of every library, job and operator
// request object below it.
#pragma once

#include "dbus/context.hpp"
#include "dbus/options.hpp"
#include "org.ntms.Ntms1.Manager.adaptor.h"

#include <sdbus-c++/sdbus-c++.h>

namespace ntms::dbus {

class ManagerAdaptor final
    : public sdbus::AdaptorInterfaces<org::ntms::Ntms1::Manager_adaptor,
                                      sdbus::ObjectManager_adaptor, sdbus::Properties_adaptor> {
public:
    ManagerAdaptor(sdbus::IConnection& connection, BusContext& ctx, std::string version);
    ~ManagerAdaptor();
    ManagerAdaptor(const ManagerAdaptor&) = delete;
    ManagerAdaptor& operator=(const ManagerAdaptor&) = delete;

private:
    std::tuple<std::string, sdbus::ObjectPath> InjectMedia(const std::string& library,
                                                           const uint32_t& action,
                                                           const std::string& job,
                                                           const OptionMap& options) override;
    std::tuple<std::string, sdbus::ObjectPath> EjectMedia(const std::string& media,
                                                          const uint32_t& action,
                                                          const std::string& job,
                                                          const OptionMap& options) override;
    sdbus::ObjectPath GetLibrary(const std::string& library) override;
    std::vector<sdbus::ObjectPath> ListLibraries() override;
    sdbus::ObjectPath GetJob(const std::string& job) override;
    sdbus::ObjectPath GetOperatorRequest(const std::string& request) override;
    void Backup(sdbus::Result<>&& result, sdbus::UnixFd file) override;
    std::string Version() override;

    // The job's object, exported again from the database when it is not on the bus.
    sdbus::ObjectPath job_object(const Guid& id);

    BusContext& ctx_;
    std::string version_;
};

} // namespace ntms::dbus
