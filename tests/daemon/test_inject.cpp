// InjectNtmsMedia scenarios on the virtual changer: each asserts the job's outcome, the database
// rows and the device's element status.
#include "inject_fixture.hpp"

using namespace ntms;
using namespace ntms::test;
using sgio::ElementType;

namespace {

std::optional<MediumRecord> medium_with(const std::vector<MediumRecord>& media,
                                        const std::string& barcode) {
    for (const auto& m : media)
        if (m.barcode == barcode)
            return m;
    return std::nullopt;
}

// The operator requests of one type, oldest first.
std::vector<OpRequestRecord> requests_of(Store& db, OpRequestType t) {
    std::vector<OpRequestRecord> out;
    auto all = db.list_oprequests();
    EXPECT_TRUE(all);
    if (!all)
        return out;
    for (const auto& r : *all)
        if (r.type == t)
            out.push_back(r);
    std::sort(out.begin(), out.end(), [](const OpRequestRecord& a, const OpRequestRecord& b) {
        return a.submitted < b.submitted;
    });
    return out;
}

bool is_open(const OpRequestRecord& r) {
    return r.state == OpRequestState::Submitted || r.state == OpRequestState::Active ||
           r.state == OpRequestState::InProgress;
}

} // namespace

TEST_F(InjectFixture, StartWithOneCartridgeInASingleCartridgePort) {
    start({library(sim("slots=10,ie=1,fill=3"))});
    auto job = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(job) << job.error().message;
    events_.wait_state(*job, JobState::Waiting);
    EXPECT_TRUE(device().port_open()) << "the port was extended to the operator";

    ASSERT_TRUE(device().operator_insert(100, "NEW001L8"));
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed);
    EXPECT_EQ(done.error, 0u);
    EXPECT_EQ(done.media_moved, 1u);

    // The device: port empty, the cartridge in the first free slot (fill=3 took 1000..1002).
    EXPECT_FALSE(device().element(100)->full);
    auto slot = device().element(1003);
    ASSERT_TRUE(slot);
    EXPECT_TRUE(slot->full);
    EXPECT_EQ(slot->primary_tag, "NEW001L8");

    // The database: the medium where the device has it, its history, the job row.
    auto db = open_store();
    auto media = db->list_media(lib_id());
    ASSERT_TRUE(media);
    auto m = medium_with(*media, "NEW001L8");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->element, std::optional<uint16_t>(1003));
    EXPECT_EQ(m->state, MediumState::InLibrary);
    auto h = db->history(m->id);
    ASSERT_TRUE(h);
    ASSERT_FALSE(h->empty());
    EXPECT_EQ(h->back().to, std::optional<uint16_t>(1003));
    EXPECT_EQ(h->back().job, *job);
    auto row = db->get_job(*job);
    ASSERT_TRUE(row && *row);
    EXPECT_EQ((*row)->state, JobState::Passed);
    EXPECT_EQ((*row)->media_moved, 1u);
    EXPECT_TRUE(db->pending_intents(lib_id())->empty());
    auto hist = events_.history(*job);
    EXPECT_NE(std::find(hist.begin(), hist.end(), JobState::Waiting), hist.end());
    EXPECT_NE(std::find(hist.begin(), hist.end(), JobState::InProcess), hist.end());
}

TEST_F(InjectFixture, MagazineWithThreeCartridgesImportedOnRetract) {
    start({library(sim("slots=10,ie=3"))});
    auto job = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(job);
    events_.wait_state(*job, JobState::Waiting);
    ASSERT_TRUE(device().operator_insert(100, "MAG001L8"));
    ASSERT_TRUE(device().operator_insert(101, "MAG002L8"));
    // A magazine is not scanned for full status: the job keeps waiting while it is being filled.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(manager_->job(*job)->state, JobState::Waiting);
    ASSERT_TRUE(device().operator_insert(102, "MAG003L8"));
    ASSERT_TRUE(device().operator_close_port());
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed);
    EXPECT_EQ(done.media_moved, 3u);
    for (uint16_t a = 100; a < 103; ++a)
        EXPECT_FALSE(device().element(a)->full);
    auto media = open_store()->list_media(lib_id());
    ASSERT_TRUE(media);
    for (const char* b : {"MAG001L8", "MAG002L8", "MAG003L8"}) {
        auto m = medium_with(*media, b);
        ASSERT_TRUE(m) << b;
        ASSERT_TRUE(m->element);
        EXPECT_TRUE(device().element(*m->element)->full);
        EXPECT_EQ(device().element(*m->element)->primary_tag, b);
    }
}

TEST_F(InjectFixture, StartManyThreeRoundsThenStop) {
    start({library(sim("slots=10,ie=1"))});
    auto job = inject("lab1", InjectAction::StartMany);
    ASSERT_TRUE(job);
    for (int round = 1; round <= 3; ++round) {
        events_.wait_job(*job, [&](const JobRecord& j) {
            return j.state == JobState::Waiting &&
                   j.media_moved == static_cast<uint32_t>(round - 1);
        });
        ASSERT_TRUE(device().operator_insert(100, "MANY0" + std::to_string(round) + "L8"));
        events_.wait_job(*job, [&](const JobRecord& j) {
            return j.media_moved == static_cast<uint32_t>(round);
        });
    }
    events_.wait_state(*job, JobState::Waiting);
    auto stop = inject("lab1", InjectAction::Stop, job->str());
    ASSERT_TRUE(stop) << stop.error().message;
    EXPECT_EQ(*stop, *job);
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Stopped);
    EXPECT_EQ(done.media_moved, 3u);
    auto media = open_store()->list_media(lib_id());
    EXPECT_EQ(media->size(), 3u);
    // Each round had its own request: three filled ports, then the one the STOP ended.
    auto reqs = requests_of(*open_store(), OpRequestType::NewMedia);
    ASSERT_EQ(reqs.size(), 4u);
    for (size_t i = 0; i < 3; ++i)
        EXPECT_EQ(reqs[i].state, OpRequestState::Complete) << "round " << i + 1;
    EXPECT_EQ(reqs[3].state, OpRequestState::Refused);
    for (const auto& r : reqs)
        EXPECT_EQ(r.job, *job);
}

TEST_F(InjectFixture, StopOrRetractOfUnknownJobIsInvalidOperation) {
    start({library(sim("slots=10,ie=1"))});
    auto r = inject("lab1", InjectAction::Stop, Guid::random().str());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::InvalidOperation);
    auto r2 = inject("lab1", InjectAction::Retract, Guid::random().str());
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error().code, win32::InvalidOperation);
    EXPECT_TRUE(manager_->jobs()->empty()) << "nothing recorded for a refused call";
}

TEST_F(InjectFixture, RetractChecksThePortNow) {
    start({library(sim("slots=10,ie=4"))});
    InjectOptions o;
    o.timeout_sec = 600;
    auto job = inject("lab1", InjectAction::Start, {}, o);
    ASSERT_TRUE(job);
    events_.wait_state(*job, JobState::Waiting);
    ASSERT_TRUE(device().operator_insert(101, "RET001L8"));
    auto r = inject("lab1", InjectAction::Retract, job->str());
    ASSERT_TRUE(r) << r.error().message;
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed);
    EXPECT_EQ(done.media_moved, 1u);
}

TEST_F(InjectFixture, TimeoutWithNothingInsertedPasses) {
    start({library(sim("slots=10,ie=1"))});
    InjectOptions o;
    o.timeout_sec = 1;
    auto job = inject("lab1", InjectAction::Start, {}, o);
    ASSERT_TRUE(job);
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed);
    EXPECT_EQ(done.media_moved, 0u);
    EXPECT_EQ(done.timeout_sec, 1u);
    // Nobody answered: the request ends refused, not done.
    auto reqs = requests_of(*open_store(), OpRequestType::NewMedia);
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].state, OpRequestState::Refused);
}

TEST_F(InjectFixture, MoreCartridgesThanFreeSlotsPostsAnOperatorRequest) {
    start({library(sim("slots=3,ie=3,fill=2"))});
    auto job = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(job);
    events_.wait_state(*job, JobState::Waiting);
    ASSERT_TRUE(device().operator_insert(100, "FUL001L8"));
    ASSERT_TRUE(device().operator_insert(101, "FUL002L8"));
    ASSERT_TRUE(device().operator_insert(102, "FUL003L8"));
    ASSERT_TRUE(device().operator_close_port());
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed);
    EXPECT_EQ(done.media_moved, 1u);
    EXPECT_TRUE(device().element(1002)->full);
    EXPECT_EQ(device().element(1002)->primary_tag, "FUL001L8");
    EXPECT_TRUE(device().element(101)->full) << "the rest stays in the port";
    EXPECT_TRUE(device().element(102)->full);

    auto full = requests_of(*open_store(), OpRequestType::Message);
    auto* reqs = &full;
    ASSERT_EQ(reqs->size(), 1u);
    EXPECT_EQ(reqs->front().type, OpRequestType::Message);
    EXPECT_EQ(reqs->front().state, OpRequestState::Submitted);
    EXPECT_NE(reqs->front().message.find("remove 2 cartridges from port 100"), std::string::npos)
        << reqs->front().message;
    EXPECT_EQ(reqs->front().job, *job);
    // The cartridges left behind are tracked where they wait.
    auto media = open_store()->list_media(lib_id());
    auto left = medium_with(*media, "FUL002L8");
    ASSERT_TRUE(left);
    EXPECT_EQ(left->state, MediumState::InPort);
    EXPECT_EQ(left->element, std::optional<uint16_t>(101));

    // The request can be satisfied once, then it is over.
    ASSERT_TRUE(manager_->satisfy_oprequest(reqs->front().id, Caller::root()));
    auto again = manager_->cancel_oprequest(reqs->front().id, Caller::root());
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, win32::InvalidState);
}

TEST_F(InjectFixture, NoFreeSlotIsRefusedAtCallTime) {
    start({library(sim("slots=2,ie=1,fill=2"))});
    auto r = inject("lab1", InjectAction::Start);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::LibraryFull);
    EXPECT_TRUE(manager_->jobs()->empty());
}

TEST_F(InjectFixture, DisabledLibraryIsNotAvailable) {
    auto cfg = library(sim("slots=4,ie=1"));
    cfg.enabled = false;
    start({cfg});
    auto r = inject("lab1", InjectAction::Start);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::DeviceNotAvailable);
}

TEST_F(InjectFixture, AbsentDeviceIsOffline) {
    start({library("/dev/sg-ntms-test-absent")});
    auto r = inject("lab1", InjectAction::Start);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::LibraryOffline);
    EXPECT_NE(r.error().message.find("offline"), std::string::npos);
}

TEST_F(InjectFixture, DeviceVanishingDuringTheWaitFailsTheJobOffline) {
    start({library(sim("slots=4,ie=1"))});
    auto job = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(job);
    events_.wait_state(*job, JobState::Waiting);
    sgio::Fault f;
    f.kind = sgio::Fault::Kind::Vanish;
    device().inject_fault(f);
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Failed);
    EXPECT_EQ(done.error, win32::LibraryOffline);
    auto reqs = requests_of(*open_store(), OpRequestType::NewMedia);
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].state, OpRequestState::Refused) << "a failed wait ends its request";
    auto again = inject("lab1", InjectAction::Start);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, win32::LibraryOffline);
}

TEST_F(InjectFixture, LibraryWithoutPortIsNotSupported) {
    start({library(sim("slots=4,ie=0"))});
    auto r = inject("lab1", InjectAction::Start);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::NotSupported);
    EXPECT_NE(r.error().message.find("AccessNtmsLibraryDoor"), std::string::npos);
}

TEST_F(InjectFixture, SecondInjectWaitsInTheQueueAndRunsAfterTheFirst) {
    start({library(sim("slots=10,ie=1"))});
    auto first = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(first);
    events_.wait_state(*first, JobState::Waiting);
    auto second = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(second);
    EXPECT_EQ(manager_->job(*second)->state, JobState::Queued);
    ASSERT_TRUE(device().operator_insert(100, "Q00001L8"));
    EXPECT_EQ(events_.wait_final(*first).state, JobState::Passed);
    events_.wait_state(*second, JobState::Waiting);
    ASSERT_TRUE(device().operator_insert(100, "Q00002L8"));
    auto done = events_.wait_final(*second);
    EXPECT_EQ(done.state, JobState::Passed);
    EXPECT_GE(done.time_started, manager_->job(*first)->time_completed);
}

TEST_F(InjectFixture, CancelOfAQueuedJobNeverTouchesTheDevice) {
    start({library(sim("slots=10,ie=1"))});
    auto first = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(first);
    events_.wait_state(*first, JobState::Waiting);
    auto second = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(second);
    ASSERT_TRUE(manager_->cancel_job(*second, Caller::root()));
    EXPECT_EQ(manager_->job(*second)->state, JobState::Cancelled);
    ASSERT_TRUE(manager_->cancel_job(*first, Caller::root())); // running: acts as STOP
    EXPECT_EQ(events_.wait_final(*first).state, JobState::Stopped);
    auto again = manager_->cancel_job(*first, Caller::root());
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, win32::ObjectNotFound);
}

TEST_F(InjectFixture, WithoutBarcodeReaderMediaAreUnidentified) {
    start({library(sim("slots=10,ie=1,barcodes=no"))});
    auto job = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(job);
    events_.wait_state(*job, JobState::Waiting);
    ASSERT_TRUE(device().operator_insert(100, "HIDDEN1"));
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed);
    EXPECT_EQ(done.media_moved, 1u);
    auto media = open_store()->list_media(lib_id());
    ASSERT_EQ(media->size(), 1u);
    EXPECT_EQ(media->front().barcode, "");
    EXPECT_EQ(media->front().element, std::optional<uint16_t>(1000));
}

TEST_F(InjectFixture, MoveFailureMidBatchFailsTheJobAndLosesNothing) {
    start({library(sim("slots=10,ie=3"))});
    auto job = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(job);
    events_.wait_state(*job, JobState::Waiting);
    ASSERT_TRUE(device().operator_insert(100, "MV0001L8"));
    ASSERT_TRUE(device().operator_insert(101, "MV0002L8"));
    ASSERT_TRUE(device().operator_insert(102, "MV0003L8"));
    // The first move of the batch works, the robot jams on the second.
    sgio::Fault jam;
    jam.opcode = 0xA5;
    jam.after = 1;
    jam.kind = sgio::Fault::Kind::Sense;
    jam.key = 0x4;
    jam.asc = 0x15;
    jam.ascq = 0x01;
    device().inject_fault(jam);
    ASSERT_TRUE(device().operator_close_port());
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Failed);
    EXPECT_EQ(done.error, win32::IoDevice);
    EXPECT_NE(done.error_message.find("15h/01h"), std::string::npos) << done.error_message;
    EXPECT_EQ(done.media_moved, 1u);
    auto check_nothing_lost = [&](size_t expect_moved) {
        auto media = open_store()->list_media(lib_id());
        size_t placed = 0;
        for (const auto& m : *media) {
            if (!m.element || m.state != MediumState::InLibrary)
                continue;
            ++placed;
            EXPECT_TRUE(device().element(*m.element)->full);
            EXPECT_EQ(device().element(*m.element)->primary_tag, m.barcode);
        }
        size_t in_slots = 0, in_port = 0;
        for (const auto& e : device().elements(ElementType::Storage))
            in_slots += e.full;
        for (const auto& e : device().elements(ElementType::ImportExport))
            in_port += e.full;
        EXPECT_EQ(in_slots + in_port, 3u);
        EXPECT_EQ(in_slots, expect_moved);
        EXPECT_EQ(placed, expect_moved);
        EXPECT_TRUE(open_store()->pending_intents(lib_id())->empty());
    };
    check_nothing_lost(1);

    // The fault cleared, the next inject imports the other two: nothing lost or duplicated.
    auto retry = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(retry);
    events_.wait_state(*retry, JobState::Waiting);
    ASSERT_TRUE(device().operator_close_port());
    auto ok = events_.wait_final(*retry);
    EXPECT_EQ(ok.state, JobState::Passed);
    EXPECT_EQ(ok.media_moved, 2u);
    check_nothing_lost(3);
}

TEST_F(InjectFixture, BadParametersChangeNothing) {
    start({library(sim("slots=4,ie=1"))});
    auto bad_action = manager_->inject(lib_id().str(), 7, {}, {}, Caller::root());
    EXPECT_EQ(bad_action.error().code, win32::InvalidParameter);
    auto bad_guid = manager_->inject("not-a-guid", 0, {}, {}, Caller::root());
    EXPECT_EQ(bad_guid.error().code, win32::InvalidParameter);
    auto unknown = manager_->inject(Guid::random().str(), 0, {}, {}, Caller::root());
    EXPECT_EQ(unknown.error().code, win32::ObjectNotFound);
    InjectOptions o;
    o.timeout_sec = 70000;
    auto too_long = manager_->inject(lib_id().str(), 0, {}, o, Caller::root());
    EXPECT_EQ(too_long.error().code, win32::InvalidParameter);
    o = {};
    o.port = 555;
    auto bad_port = manager_->inject(lib_id().str(), 0, {}, o, Caller::root());
    EXPECT_EQ(bad_port.error().code, win32::InvalidParameter);
    Caller nobody{65534, 65534, {}, "uid 65534"};
    auto denied = manager_->inject(lib_id().str(), 0, {}, {}, nobody);
    EXPECT_EQ(denied.error().code, win32::AccessDenied);
    EXPECT_TRUE(manager_->jobs()->empty());
}

TEST_F(InjectFixture, LibraryKeepsItsGuidAcrossRestarts) {
    start({library(sim("slots=4,ie=1"))});
    const Guid first = lib_id();
    manager_.reset();
    start({library(sim("slots=4,ie=1"), "renamed")});
    EXPECT_EQ(lib_id("renamed"), first);
}

TEST_F(InjectFixture, WorkersAreAliveUntilStopped) {
    start({library(sim("slots=4,ie=1")), library(sim("slots=4,ie=1", "lab2"), "lab2")});
    EXPECT_TRUE(manager_->workers_alive());
    manager_->stop();
    EXPECT_FALSE(manager_->workers_alive());
}

TEST_F(InjectFixture, WaitingPostsAnInsertRequestCompletedWhenThePortIsFilled) {
    start({library(sim("slots=10,ie=1"))});
    auto job = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(job);
    auto posted = events_.wait_opreq([](const OpRequestRecord& r) {
        return r.type == OpRequestType::NewMedia && r.state == OpRequestState::Submitted;
    });
    ASSERT_TRUE(posted);
    EXPECT_EQ(posted->message,
              "library lab1: put cartridges into port 100 (1 element) and close it");
    EXPECT_EQ(posted->job, *job);
    EXPECT_EQ(posted->library, lib_id());
    auto stored = open_store()->get_oprequest(posted->id);
    ASSERT_TRUE(stored && *stored);
    EXPECT_EQ((*stored)->state, OpRequestState::Submitted);
    EXPECT_EQ((*stored)->type, OpRequestType::NewMedia);
    // The request comes first; the job says WAITING right after it.
    EXPECT_EQ(events_.wait_state(*job, JobState::Waiting).state, JobState::Waiting);

    ASSERT_TRUE(device().operator_insert(100, "REQ001L8"));
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed);
    auto reqs = requests_of(*open_store(), OpRequestType::NewMedia);
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].id, posted->id);
    EXPECT_EQ(reqs[0].state, OpRequestState::Complete);
    EXPECT_GE(reqs[0].changed, reqs[0].submitted);
    EXPECT_TRUE(requests_of(*open_store(), OpRequestType::Message).empty());
    // Once the job moved on, the request is answered.
    auto late = manager_->satisfy_oprequest(posted->id, Caller::root());
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, win32::InvalidState);
}

TEST_F(InjectFixture, AJobThatSaysWaitingHasItsRequestAlready) {
    start({library(sim("slots=10,ie=1"))});
    for (int round = 0; round < 20; ++round) {
        auto job = inject("lab1", InjectAction::Start);
        ASSERT_TRUE(job);
        ASSERT_EQ(events_.wait_state(*job, JobState::Waiting).state, JobState::Waiting);
        // Whoever sees WAITING finds the request to answer, in the store as on the bus.
        const auto reqs = requests_of(*open_store(), OpRequestType::NewMedia);
        const auto mine = std::count_if(reqs.begin(), reqs.end(), [&](const OpRequestRecord& r) {
            return r.job == *job && r.state == OpRequestState::Submitted;
        });
        EXPECT_EQ(mine, 1) << "round " << round;
        ASSERT_TRUE(inject("lab1", InjectAction::Stop, job->str()));
        EXPECT_EQ(events_.wait_final(*job).state, JobState::Stopped);
    }
}

TEST_F(InjectFixture, SatisfyOfTheInsertRequestChecksThePortLikeRetract) {
    start({library(sim("slots=10,ie=4"))});
    InjectOptions o;
    o.timeout_sec = 600;
    auto job = inject("lab1", InjectAction::Start, {}, o);
    ASSERT_TRUE(job);
    auto posted = events_.wait_opreq([](const OpRequestRecord& r) {
        return r.type == OpRequestType::NewMedia && r.state == OpRequestState::Submitted;
    });
    ASSERT_TRUE(posted);
    EXPECT_EQ(posted->message,
              "library lab1: put cartridges into port 100 (4 elements) and close it");
    ASSERT_TRUE(device().operator_insert(102, "SAT001L8"));
    // A magazine port is not scanned while open: only the answer makes the job look now.
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    EXPECT_EQ(manager_->job(*job)->state, JobState::Waiting);
    auto s = manager_->satisfy_oprequest(posted->id, Caller::root());
    ASSERT_TRUE(s) << s.error().message;
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed);
    EXPECT_EQ(done.media_moved, 1u);
    auto r = open_store()->get_oprequest(posted->id);
    ASSERT_TRUE(r && *r);
    EXPECT_EQ((*r)->state, OpRequestState::Complete);
    auto again = manager_->cancel_oprequest(posted->id, Caller::root());
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, win32::InvalidState);
}

TEST_F(InjectFixture, CancelOfTheInsertRequestStopsTheJob) {
    start({library(sim("slots=10,ie=1"))});
    InjectOptions o;
    o.timeout_sec = 600;
    auto job = inject("lab1", InjectAction::StartMany, {}, o);
    ASSERT_TRUE(job);
    auto posted = events_.wait_opreq([](const OpRequestRecord& r) {
        return r.type == OpRequestType::NewMedia && r.state == OpRequestState::Submitted;
    });
    ASSERT_TRUE(posted);
    auto c = manager_->cancel_oprequest(posted->id, Caller::root());
    ASSERT_TRUE(c) << c.error().message;
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Stopped);
    EXPECT_EQ(done.media_moved, 0u);
    auto reqs = requests_of(*open_store(), OpRequestType::NewMedia);
    ASSERT_EQ(reqs.size(), 1u) << "a STARTMANY that was refused posts no further round";
    EXPECT_EQ(reqs[0].state, OpRequestState::Refused);
    auto again = manager_->satisfy_oprequest(posted->id, Caller::root());
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, win32::InvalidState);
}

TEST_F(InjectFixture, ShutdownAndRestartLeaveNoOpenInsertRequest) {
    start({library(sim("slots=10,ie=1"))});
    InjectOptions o;
    o.timeout_sec = 600;
    auto job = inject("lab1", InjectAction::Start, {}, o);
    ASSERT_TRUE(job);
    auto posted = events_.wait_opreq([](const OpRequestRecord& r) {
        return r.type == OpRequestType::NewMedia && r.state == OpRequestState::Submitted;
    });
    ASSERT_TRUE(posted);
    // An orderly stop ends the wait and its request.
    manager_.reset();
    {
        auto r = open_store()->get_oprequest(posted->id);
        ASSERT_TRUE(r && *r);
        EXPECT_EQ((*r)->state, OpRequestState::Refused);
    }
    // A crash leaves the job and its request open in the database; the next start ends both.
    {
        auto db = open_store();
        auto j = db->get_job(*job);
        ASSERT_TRUE(j && *j);
        JobRecord jr = **j;
        jr.state = JobState::Waiting;
        jr.time_completed = 0;
        ASSERT_TRUE(db->update_job(jr));
        OpRequestRecord r = *posted;
        r.state = OpRequestState::Submitted;
        ASSERT_TRUE(db->update_oprequest(r));
        // The open "library full" request of another job is not the daemon's to end.
        OpRequestRecord full;
        full.id = Guid::random();
        full.type = OpRequestType::Message;
        full.message = "library lab1 is full: remove 1 cartridge from port 100";
        full.library = posted->library;
        full.job = *job;
        full.submitted = full.changed = now_usec();
        ASSERT_TRUE(db->insert_oprequest(full));
    }
    start({library(sim("slots=10,ie=1"))});
    auto reqs = requests_of(*open_store(), OpRequestType::NewMedia);
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].state, OpRequestState::Refused);
    auto full = requests_of(*open_store(), OpRequestType::Message);
    ASSERT_EQ(full.size(), 1u);
    EXPECT_TRUE(is_open(full[0]));
    EXPECT_EQ(manager_->job(*job)->state, JobState::Failed);
}
