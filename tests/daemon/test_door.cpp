// AccessNtmsLibraryDoor on the virtual changer (door=yes): the door is released, the operator
// opens and closes it (cartridges moved by hand meanwhile), and the inventory named by the call
// runs; a library without a door answers ERROR_RESOURCE_NOT_PRESENT.
#include "daemon/operations/inventory.hpp"
#include "inject_fixture.hpp"

using namespace ntms;
using namespace ntms::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t none = 0, fast = 1, omid = 2, stop = 5;

class DoorFixture : public InjectFixture {
protected:
    Expected<Guid> door(uint32_t action, const std::string& name = "lab1") {
        return manager_->access_door(lib_id(name), action, "test", Caller::root());
    }
    std::optional<MediumRecord> with(const std::string& barcode) {
        auto all = open_store()->list_media(lib_id());
        EXPECT_TRUE(all);
        for (const auto& m : *all)
            if (m.barcode == barcode)
                return m;
        return std::nullopt;
    }
};

} // namespace

TEST_F(DoorFixture, OpenAndCloseThenTheInventoryRuns) {
    start({library(sim("slots=10,ie=1,fill=2,door=yes"))});
    EXPECT_TRUE(manager_->library(lib_id(), Caller::root())->door);
    // Locked by someone: the job releases it.
    {
        sgio::Changer other(device());
        ASSERT_TRUE(other.prevent_removal(true));
    }
    auto job = door(fast);
    ASSERT_TRUE(job) << job.error().message;
    events_.wait_state(*job, JobState::Waiting);
    EXPECT_FALSE(device().prevented()) << "the door was released";
    auto req = events_.wait_opreq([&](const OpRequestRecord& r) {
        return r.job == *job && r.type == OpRequestType::DeviceService &&
               r.state == OpRequestState::Submitted;
    });
    ASSERT_TRUE(req);

    ASSERT_TRUE(device().operator_open_door());
    std::this_thread::sleep_for(200ms); // the job sees the door open
    ASSERT_TRUE(device().place(1007, "DOOR01L8"));
    ASSERT_TRUE(device().operator_close_door());

    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
    EXPECT_EQ(done.operation, OperationKind::DoorAccess);
    EXPECT_EQ(done.error_message,
              "inventory: 1 new, 0 moved, 0 no longer in the library, 0 updated");
    auto m = with("DOOR01L8");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->element, std::optional<uint16_t>(1007));
    EXPECT_TRUE(events_.wait_opreq([&](const OpRequestRecord& r) {
        return r.id == req->id && r.state == OpRequestState::Complete;
    }));
}

TEST_F(DoorFixture, SatisfyEndsTheWaitAndNoneRunsNoInventory) {
    start({library(sim("slots=10,ie=1,fill=2,door=yes"))});
    auto job = door(none);
    ASSERT_TRUE(job) << job.error().message;
    events_.wait_state(*job, JobState::Waiting);
    auto req = events_.wait_opreq([&](const OpRequestRecord& r) { return r.job == *job; });
    ASSERT_TRUE(req);
    ASSERT_TRUE(device().place(1008, "NOINV1L8")); // not looked for: NONE
    ASSERT_TRUE(manager_->satisfy_oprequest(req->id, Caller::root()));
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed);
    EXPECT_EQ(done.error_message, "door released; no inventory was asked for");
    EXPECT_FALSE(with("NOINV1L8"));
}

TEST_F(DoorFixture, CancelWhileWaitingStopsWithoutInventory) {
    start({library(sim("slots=10,ie=1,fill=2,door=yes"))});
    auto job = door(fast);
    ASSERT_TRUE(job);
    events_.wait_state(*job, JobState::Waiting);
    ASSERT_TRUE(manager_->cancel_job(*job, Caller::root()));
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Stopped);
    EXPECT_TRUE(events_.wait_opreq([&](const OpRequestRecord& r) {
        return r.job == *job && r.state == OpRequestState::Refused;
    }));
}

TEST_F(DoorFixture, CallTimeErrors) {
    LibraryConfig nodoor = library(sim("slots=10,ie=1,fill=2", "plain"), "plain");
    LibraryConfig forced = library(sim("slots=10,ie=1,fill=2", "forced"), "forced");
    forced.door = true; // Door=yes: the administrator knows better than the device
    start({library(sim("slots=10,ie=1,fill=2,door=yes")), nodoor, forced});
    auto r = door(none, "plain");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::ResourceNotPresent);
    EXPECT_TRUE(manager_->library(lib_id("forced"), Caller::root())->door);
    r = door(omid);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::NotSupported);
    r = door(stop);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::InvalidParameter);
    r = door(4);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::InvalidParameter);
    auto jobs = open_store()->list_jobs();
    ASSERT_TRUE(jobs);
    EXPECT_TRUE(jobs->empty());
}

TEST_F(DoorFixture, OfflineLibraryAnswersLibraryOffline) {
    unplugged_ = true;
    start({library(sim("slots=10,ie=1,door=yes"))});
    auto r = door(fast);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::LibraryOffline);
}
