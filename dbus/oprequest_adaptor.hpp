// /org/ntms/Ntms1/oprequest/<hex>: org.ntms.Ntms1.OperatorRequest (NTMS_OPREQUEST), readable with
// USE on its library; Satisfy and Cancel need CONTROL (the Manager decides).
#pragma once

#include "dbus/context.hpp"
#include "org.ntms.Ntms1.OperatorRequest.adaptor.h"

#include <sdbus-c++/sdbus-c++.h>

namespace ntms::dbus {

class OpRequestAdaptor final
    : public sdbus::AdaptorInterfaces<org::ntms::Ntms1::OperatorRequest_adaptor,
                                      sdbus::Properties_adaptor, sdbus::ManagedObject_adaptor> {
public:
    OpRequestAdaptor(sdbus::IConnection& connection, BusContext& ctx, OpRequestRecord request);
    ~OpRequestAdaptor();
    OpRequestAdaptor(const OpRequestAdaptor&) = delete;
    OpRequestAdaptor& operator=(const OpRequestAdaptor&) = delete;

    const OpRequestRecord& record() const { return request_; }
    void update(const OpRequestRecord& request);

private:
    const OpRequestRecord& read();

    // Answered from the submitter's thread once the change is committed (answer_with_change).
    void Satisfy(sdbus::Result<>&& result) override;
    void Cancel(sdbus::Result<>&& result) override;
    // Satisfy's and Cancel's answer: `how` on the submitter's thread (answer_with_change).
    void answer(sdbus::Result<>&& result,
                Expected<void> (Manager::*how)(const Guid&, const Caller&));
    std::string Id() override;
    uint32_t Type() override;
    uint32_t State() override;
    std::string Message() override;
    sdbus::ObjectPath Library() override;
    sdbus::ObjectPath Job() override;
    uint64_t TimeSubmitted() override;
    uint64_t TimeChanged() override;

    BusContext& ctx_;
    OpRequestRecord request_;
};

// An answered request (COMPLETE or REFUSED) only waits to leave the bus.
bool is_answered(OpRequestState s);

} // namespace ntms::dbus
