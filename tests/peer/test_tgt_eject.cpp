// The eject flows of the daemon's core against tgt over iSCSI: no PREVENT ALLOW, no OPEN/CLOSE IE,
// no 28h/01h, no ACCESS bit. The job must present the cartridge and see it taken from FULL alone;
// the test is the operator, clearing the port element with tgtadm (clear_slot=1).
#include "tgt_domain.hpp"

#include <gtest/gtest.h>

using namespace ntms;
using sgio::ElementType;

namespace {

class TgtEject : public peer::TgtDomainTest {
protected:
    Expected<Guid> eject(const MediumRecord& m, EjectAction a, EjectOptions o = {}) {
        return manager_->eject(m.id.str(), static_cast<uint32_t>(a), {}, o, Caller::root());
    }
    sgio::ElementStatus element(ElementType t, uint16_t address) {
        for (const auto& e : device(t))
            if (e.address == address)
                return e;
        ADD_FAILURE() << "no element " << address;
        return {};
    }
};

} // namespace

TEST_F(TgtEject, StartEndsWhenTheOperatorTakesTheCartridgeOut) {
    start_tgt(1);
    ASSERT_TRUE(start_manager());
    const MediumRecord m = medium("S00002L8");
    ASSERT_TRUE(m.element);
    const uint16_t slot = *m.element;
    auto job = eject(m, EjectAction::Start);
    ASSERT_TRUE(job) << job.error().message;
    events_.wait_state(*job, JobState::Waiting);
    const auto port = element(ElementType::ImportExport, 100);
    EXPECT_TRUE(port.full);
    EXPECT_EQ(port.primary_tag, "S00002L8");
    EXPECT_FALSE(element(ElementType::Storage, slot).full);

    ASSERT_TRUE(harness_.remove(100)); // the operator: tgtadm ... clear_slot=1
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
    EXPECT_EQ(done.media_moved, 1u);
    const MediumRecord out = medium("S00002L8");
    EXPECT_EQ(out.id, m.id);
    EXPECT_EQ(out.state, MediumState::Gone);
    EXPECT_FALSE(out.element);
}

TEST_F(TgtEject, TimeOutBringsTheCartridgeBackToItsSlot) {
    start_tgt(1);
    ASSERT_TRUE(start_manager());
    const MediumRecord m = medium("S00001L8");
    EjectOptions o;
    o.timeout_sec = 1;
    auto job = eject(m, EjectAction::Start, o);
    ASSERT_TRUE(job);
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Failed);
    EXPECT_EQ(done.error, win32::Timeout);
    EXPECT_NE(done.error_message.find("back in slot " + std::to_string(*m.element)),
              std::string::npos)
        << done.error_message;
    EXPECT_FALSE(element(ElementType::ImportExport, 100).full);
    EXPECT_EQ(element(ElementType::Storage, *m.element).primary_tag, "S00001L8");
    EXPECT_EQ(medium("S00001L8").state, MediumState::InLibrary);
}

TEST_F(TgtEject, StopBringsItBackAndQueueIsBoundByThePort) {
    start_tgt(2);
    ASSERT_TRUE(start_manager());
    const MediumRecord a = medium("S00001L8"), b = medium("S00002L8"), c = medium("S00003L8");
    ASSERT_TRUE(eject(a, EjectAction::Queue));
    ASSERT_TRUE(eject(b, EjectAction::Queue));
    auto third = eject(c, EjectAction::Queue);
    ASSERT_FALSE(third);
    EXPECT_EQ(third.error().code, win32::Busy);

    auto job = manager_->eject({}, 0, {}, {}, Caller::root()); // START of the queue
    ASSERT_TRUE(job) << job.error().message;
    events_.wait_state(*job, JobState::Waiting);
    EXPECT_TRUE(element(ElementType::ImportExport, 100).full);
    EXPECT_TRUE(element(ElementType::ImportExport, 101).full);
    // The operator takes one; STOP brings the other back.
    ASSERT_TRUE(harness_.remove(100));
    // Each poll announces the port (library_changed), which wakes this wait.
    EXPECT_TRUE(events_.wait_until([&] { return medium("S00001L8").state == MediumState::Gone; }));
    ASSERT_TRUE(manager_->eject({}, 1, job->str(), {}, Caller::root()));
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Stopped) << done.error_message;
    EXPECT_EQ(medium("S00001L8").state, MediumState::Gone);
    EXPECT_EQ(medium("S00002L8").state, MediumState::InLibrary);
    EXPECT_EQ(element(ElementType::Storage, *b.element).primary_tag, "S00002L8");
    EXPECT_FALSE(element(ElementType::ImportExport, 101).full);
}
