// /org/ntms/Ntms1/job/<hex>: org.ntms.Ntms1.Job, one inject request (NTMS_LIBREQUEST). It holds
// the job's record as last reported by the domain; readable with USE on the job's library.
#pragma once

#include "dbus/context.hpp"
#include "dbus/options.hpp"
#include "org.ntms.Ntms1.Job.adaptor.h"

#include <sdbus-c++/sdbus-c++.h>

namespace ntms::dbus {

class JobAdaptor final
    : public sdbus::AdaptorInterfaces<org::ntms::Ntms1::Job_adaptor, sdbus::Properties_adaptor,
                                      sdbus::ManagedObject_adaptor> {
public:
    JobAdaptor(sdbus::IConnection& connection, BusContext& ctx, JobRecord job);
    ~JobAdaptor();
    JobAdaptor(const JobAdaptor&) = delete;
    JobAdaptor& operator=(const JobAdaptor&) = delete;

    const JobRecord& record() const { return job_; }
    // Takes the job's new record and emits PropertiesChanged for what differs, then Completed
    // when the job has just reached a final state. Returns true in that case.
    bool update(const JobRecord& job);

private:
    // The record, after checking that the caller may read it.
    const JobRecord& read();

    // Answered from the submitter's thread once the change is committed (answer_with_change).
    void Cancel(sdbus::Result<>&& result, OptionMap options) override;
    std::string Id() override;
    sdbus::ObjectPath Library() override;
    std::string Operation() override;
    uint32_t Action() override;
    uint32_t State() override;
    uint32_t Error() override;
    std::string ErrorMessage() override;
    bool Cancelable() override;
    uint32_t MediaMoved() override;
    std::vector<std::string> Media() override;
    std::vector<std::string> Drives() override;
    uint64_t TimeQueued() override;
    uint64_t TimeStarted() override;
    uint64_t TimeCompleted() override;
    std::string Application() override;
    uint32_t StartedByUID() override;

    BusContext& ctx_;
    JobRecord job_;
};

} // namespace ntms::dbus
