// EjectNtmsMedia scenarios on the virtual changer: each asserts the job's outcome, the database
// rows (the medium's state, place and history) and the device's element status.
#include "crash_child.hpp"

#include <gmock/gmock.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ntms;
using namespace ntms::test;
using ::testing::HasSubstr;

namespace {

class Eject : public InjectFixture {
protected:
    Expected<Guid> eject(const Guid& m, EjectAction a, const std::string& job = {},
                         EjectOptions o = {}) {
        return manager_->eject(m.is_null() ? std::string() : m.str(), static_cast<uint32_t>(a), job,
                               o, Caller::root());
    }
    std::vector<std::string> reasons(const Guid& m) {
        std::vector<std::string> out;
        auto h = open_store()->history(m);
        EXPECT_TRUE(h);
        if (h)
            for (const auto& row : *h)
                out.push_back(row.reason);
        return out;
    }
    // The only library's GUID, from the database alone (before a Manager runs).
    static Guid lib_id_in(Store& db) {
        auto libs = db.list_libraries();
        EXPECT_TRUE(libs && libs->size() == 1);
        return libs && !libs->empty() ? libs->front().id : Guid{};
    }
    std::optional<OpRequestRecord> request_of(const Guid& job) {
        auto all = open_store()->list_oprequests();
        EXPECT_TRUE(all);
        for (const auto& r : *all)
            if (r.job == job)
                return r;
        return std::nullopt;
    }
};

TEST_F(Eject, StartPresentsTheCartridgeAndPassesWhenTheOperatorTakesIt) {
    start({library(sim("slots=10,ie=1,fill=3"))});
    const MediumRecord m = medium("S00002L8");
    ASSERT_EQ(m.element, std::optional<uint16_t>(1001));
    auto job = eject(m.id, EjectAction::Start);
    ASSERT_TRUE(job) << job.error().message;
    events_.wait_state(*job, JobState::Waiting);

    // In the port, the port extended, the operator asked (before WAITING was said).
    auto port = device().element(100);
    ASSERT_TRUE(port);
    EXPECT_TRUE(port->full);
    EXPECT_EQ(port->primary_tag, "S00002L8");
    EXPECT_FALSE(device().element(1001)->full);
    EXPECT_TRUE(device().port_open());
    auto req = request_of(*job);
    ASSERT_TRUE(req);
    EXPECT_EQ(req->type, OpRequestType::MoveMedia);
    EXPECT_EQ(req->state, OpRequestState::Submitted);
    EXPECT_THAT(req->message, HasSubstr("remove cartridge S00002L8 from port 100"));
    const MediumRecord waiting = medium("S00002L8");
    EXPECT_EQ(waiting.state, MediumState::Exported);
    EXPECT_EQ(waiting.element, std::optional<uint16_t>(100));

    ASSERT_TRUE(device().operator_remove(100));
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
    EXPECT_EQ(done.error, 0u);
    EXPECT_EQ(done.media_moved, 1u);
    EXPECT_EQ(done.operation, OperationKind::Eject);

    // Outside the library, kept with its history, never deleted.
    const MediumRecord out = medium("S00002L8");
    EXPECT_EQ(out.id, m.id);
    EXPECT_EQ(out.state, MediumState::Gone);
    EXPECT_FALSE(out.element);
    EXPECT_THAT(reasons(m.id), ::testing::ElementsAre("inventory", "eject-requested", "eject",
                                                      "operator-removed"));
    EXPECT_EQ(request_of(*job)->state, OpRequestState::Complete);
    EXPECT_FALSE(device().port_open()) << "the port is retracted once the operator is done";
    EXPECT_TRUE(open_store()->pending_intents(lib_id())->empty());
    EXPECT_EQ(manager_->library(lib_id(), Caller::root())->free_slots, 8u);
}

TEST_F(Eject, AnInjectOfTheSameBarcodeBringsBackTheSameMedium) {
    start({library(sim("slots=10,ie=1,fill=2"))});
    const MediumRecord m = medium("S00001L8");
    auto job = eject(m.id, EjectAction::Start);
    ASSERT_TRUE(job);
    events_.wait_state(*job, JobState::Waiting);
    ASSERT_TRUE(device().operator_remove(100));
    ASSERT_EQ(events_.wait_final(*job).state, JobState::Passed);

    auto in = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(in) << in.error().message;
    events_.wait_state(*in, JobState::Waiting);
    ASSERT_TRUE(device().operator_insert(100, "S00001L8"));
    ASSERT_EQ(events_.wait_final(*in).state, JobState::Passed);

    const MediumRecord back = medium("S00001L8");
    EXPECT_EQ(back.id, m.id) << "the same GUID";
    EXPECT_EQ(back.state, MediumState::InLibrary);
    ASSERT_TRUE(back.element);
    EXPECT_TRUE(device().element(*back.element)->full);
    EXPECT_THAT(reasons(m.id), ::testing::ElementsAre("inventory", "eject-requested", "eject",
                                                      "operator-removed", "inject"));
    auto all = open_store()->list_media(lib_id());
    EXPECT_EQ(std::count_if(all->begin(), all->end(),
                            [](const MediumRecord& r) { return r.barcode == "S00001L8"; }),
              1);
}

TEST_F(Eject, TimeOutBringsTheCartridgeBackAndSaysSo) {
    start({library(sim("slots=10,ie=1,fill=3"))});
    const MediumRecord m = medium("S00003L8");
    EjectOptions o;
    o.timeout_sec = 1;
    auto job = eject(m.id, EjectAction::Start, {}, o);
    ASSERT_TRUE(job);
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Failed);
    EXPECT_EQ(done.error, win32::Timeout);
    EXPECT_THAT(done.error_message, HasSubstr("not taken out of port 100 within 1 s"));
    EXPECT_THAT(done.error_message, HasSubstr("S00003L8 back in slot 1002"));
    EXPECT_FALSE(device().element(100)->full);
    EXPECT_EQ(device().element(1002)->primary_tag, "S00003L8");
    const MediumRecord after = medium("S00003L8");
    EXPECT_EQ(after.state, MediumState::InLibrary);
    EXPECT_EQ(after.element, std::optional<uint16_t>(1002));
    EXPECT_EQ(reasons(m.id).back(), "eject-returned");
    EXPECT_EQ(request_of(*job)->state, OpRequestState::Refused);
    EXPECT_TRUE(open_store()->pending_intents(lib_id())->empty());
}

TEST_F(Eject, StopOfAWaitingEjectBringsItBackAndEndsStopped) {
    start({library(sim("slots=10,ie=1,fill=1"))});
    const MediumRecord m = medium("S00001L8");
    auto job = eject(m.id, EjectAction::Start);
    ASSERT_TRUE(job);
    events_.wait_state(*job, JobState::Waiting);
    auto stop = eject(Guid{}, EjectAction::Stop, job->str());
    ASSERT_TRUE(stop) << stop.error().message;
    EXPECT_EQ(*stop, *job);
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Stopped);
    EXPECT_EQ(done.error, 0u);
    EXPECT_THAT(done.error_message, HasSubstr("back in slot 1000"));
    EXPECT_TRUE(device().element(1000)->full);
    EXPECT_EQ(medium("S00001L8").state, MediumState::InLibrary);

    // STOP of what is not a running eject.
    auto again = eject(Guid{}, EjectAction::Stop, job->str());
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, win32::InvalidOperation);
}

TEST_F(Eject, QueueGroupsMediaForAMagazineAndRefusesMoreThanItHolds) {
    start({library(sim("slots=10,ie=2,fill=3"))});
    const Guid a = medium("S00001L8").id, b = medium("S00002L8").id, c = medium("S00003L8").id;
    auto qa = eject(a, EjectAction::Queue);
    ASSERT_TRUE(qa) << qa.error().message;
    EXPECT_TRUE(qa->is_null()) << "QUEUE makes no job";
    ASSERT_TRUE(eject(b, EjectAction::Queue));
    auto qc = eject(c, EjectAction::Queue);
    ASSERT_FALSE(qc);
    EXPECT_EQ(qc.error().code, win32::Busy);
    EXPECT_THAT(qc.error().message, HasSubstr("which has 2 elements"));
    auto sc = eject(c, EjectAction::Start);
    ASSERT_FALSE(sc) << "START with a third medium is over the port's size too";
    EXPECT_EQ(sc.error().code, win32::Busy);
    // Nothing moved for the refused calls.
    EXPECT_TRUE(device().element(1002)->full);

    auto job = eject(Guid{}, EjectAction::Start); // NULL medium: the queue
    ASSERT_TRUE(job) << job.error().message;
    events_.wait_state(*job, JobState::Waiting);
    EXPECT_TRUE(device().element(100)->full);
    EXPECT_TRUE(device().element(101)->full);
    ASSERT_TRUE(device().operator_remove(100));
    ASSERT_TRUE(device().operator_remove(101));
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
    EXPECT_EQ(done.media_moved, 2u);
    EXPECT_EQ(medium("S00001L8").state, MediumState::Gone);
    EXPECT_EQ(medium("S00002L8").state, MediumState::Gone);
    EXPECT_EQ(medium("S00003L8").state, MediumState::InLibrary);
    // The queue was consumed.
    auto empty = eject(Guid{}, EjectAction::Start);
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().code, win32::InvalidParameter);
}

TEST_F(Eject, ADeviceWithoutPreventAllowOrOpenCloseStillEjects) {
    start({library(sim("slots=10,ie=1,fill=1,prevent=no,openclose=no"))});
    const MediumRecord m = medium("S00001L8");
    auto job = eject(m.id, EjectAction::Start);
    ASSERT_TRUE(job);
    events_.wait_state(*job, JobState::Waiting);
    ASSERT_TRUE(device().operator_remove(100));
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Passed) << done.error_message;
    EXPECT_EQ(medium("S00001L8").state, MediumState::Gone);
}

TEST_F(Eject, ABusyLibraryQueuesTheEjectAndForceGoesFirst) {
    start({library(sim("slots=10,ie=2,fill=2"))});
    auto in = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(in);
    events_.wait_state(*in, JobState::Waiting);
    auto first = eject(medium("S00001L8").id, EjectAction::Start);
    ASSERT_TRUE(first) << "a busy library queues the eject and says success";
    auto forced = eject(medium("S00002L8").id, EjectAction::Force);
    ASSERT_TRUE(forced);
    EXPECT_EQ(manager_->job(*first)->state, JobState::Queued);
    EXPECT_EQ(manager_->job(*forced)->priority, priority_highest);
    EXPECT_EQ(static_cast<uint32_t>(manager_->job(*forced)->action), 3u);
    // The inject ends; FORCE runs before the START queued before it.
    ASSERT_TRUE(inject("lab1", InjectAction::Stop, in->str()));
    events_.wait_state(*forced, JobState::Waiting);
    EXPECT_EQ(manager_->job(*first)->state, JobState::Queued);
    ASSERT_TRUE(device().operator_remove(100));
    EXPECT_EQ(events_.wait_final(*forced).state, JobState::Passed);
    events_.wait_state(*first, JobState::Waiting);
    ASSERT_TRUE(device().operator_remove(100));
    EXPECT_EQ(events_.wait_final(*first).state, JobState::Passed);
}

TEST_F(Eject, SatisfyLooksAtThePortAndCancelStops) {
    start({library(sim("slots=10,ie=1,fill=1"))});
    auto job = eject(medium("S00001L8").id, EjectAction::Start);
    ASSERT_TRUE(job);
    events_.wait_state(*job, JobState::Waiting);
    auto req = request_of(*job);
    ASSERT_TRUE(req);
    // Satisfied while the cartridge is still there: the job looks and goes on waiting.
    ASSERT_TRUE(manager_->satisfy_oprequest(req->id, Caller::root()));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(manager_->job(*job)->state, JobState::Waiting);
    ASSERT_TRUE(manager_->cancel_oprequest(req->id, Caller::root()));
    EXPECT_EQ(events_.wait_final(*job).state, JobState::Stopped);
    EXPECT_TRUE(device().element(1000)->full);
}

TEST_F(Eject, BadCallsAreRefusedInRsmOrderAndChangeNothing) {
    start({library(sim("slots=10,ie=1,fill=2"))});
    const MediumRecord m = medium("S00001L8");
    auto code = [&](const std::string& medium, uint32_t action, const std::string& job = {}) {
        auto r = manager_->eject(medium, action, job, {}, Caller::root());
        return r ? 0u : r.error().code;
    };
    EXPECT_EQ(code(m.id.str(), 6), win32::InvalidParameter);
    EXPECT_EQ(code(m.id.str(), 4), win32::InvalidParameter) << "IMMEDIATE: above FORCE";
    EXPECT_EQ(code(m.id.str(), 5), win32::InvalidParameter) << "ASK_USER: above FORCE";
    EXPECT_EQ(code("not-a-guid", 0), win32::InvalidParameter);
    EXPECT_EQ(code("", 3), win32::InvalidParameter) << "FORCE names its medium";
    EXPECT_EQ(code("", 0), win32::InvalidParameter) << "START without a medium or a queue";
    EXPECT_EQ(code(Guid::random().str(), 0), win32::ObjectNotFound);
    EXPECT_EQ(code({}, 1, "nope"), win32::InvalidParameter);
    EXPECT_EQ(code({}, 1, Guid::random().str()), win32::InvalidOperation);

    // Not CONTROL: refused before anything is looked at.
    Caller nobody{1234, 1234, {}, "nobody", {}};
    auto denied = manager_->eject(m.id.str(), 0, {}, {}, nobody);
    ASSERT_FALSE(denied);
    EXPECT_EQ(denied.error().code, win32::AccessDenied);

    // Nothing moved, no job, no history.
    EXPECT_TRUE(device().element(1000)->full);
    EXPECT_FALSE(device().element(100)->full);
    EXPECT_TRUE(manager_->jobs()->empty());
    EXPECT_THAT(reasons(m.id), ::testing::ElementsAre("inventory"));

    // A medium already on its way out, and one outside the library.
    auto job = eject(m.id, EjectAction::Start);
    ASSERT_TRUE(job);
    events_.wait_state(*job, JobState::Waiting);
    EXPECT_EQ(code(m.id.str(), 0), win32::Busy);
    ASSERT_TRUE(device().operator_remove(100));
    events_.wait_final(*job);
    auto outside = eject(m.id, EjectAction::Start);
    ASSERT_FALSE(outside);
    EXPECT_EQ(outside.error().code, win32::LibraryOffline);
    EXPECT_THAT(outside.error().message, HasSubstr("outside the library"));
}

TEST_F(Eject, AFullPortFailsTheJobBeforeAnythingMoves) {
    start({library(sim("slots=10,ie=1,fill=2"))});
    ASSERT_TRUE(device().operator_insert(100, "OPER01L8"));
    auto job = eject(medium("S00001L8").id, EjectAction::Start);
    ASSERT_TRUE(job);
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Failed);
    EXPECT_EQ(done.error, win32::IeportFull);
    EXPECT_EQ(done.media_moved, 0u);
    EXPECT_TRUE(device().element(1000)->full);
    EXPECT_EQ(device().element(100)->primary_tag, "OPER01L8");
}

// The second of two moves into the port fails at the device: the first cartridge goes back to
// its slot before the job fails, with the device's error and where each cartridge is.
TEST_F(Eject, AMoveThatFailsBringsBackWhatIsAlreadyInThePort) {
    start({library(sim("slots=10,ie=2,fill=2"))});
    ASSERT_TRUE(eject(medium("S00001L8").id, EjectAction::Queue));
    ASSERT_TRUE(eject(medium("S00002L8").id, EjectAction::Queue));
    sgio::Fault f;
    f.opcode = 0xA5; // MOVE MEDIUM
    f.after = 1;
    f.count = 1;
    f.key = 0x04; // HARDWARE ERROR
    f.asc = 0x53;
    device().inject_fault(f);
    auto job = eject(Guid{}, EjectAction::Start);
    ASSERT_TRUE(job) << job.error().message;
    auto done = events_.wait_final(*job);
    EXPECT_EQ(done.state, JobState::Failed);
    EXPECT_NE(done.error, 0u);
    EXPECT_THAT(done.error_message, HasSubstr("S00001L8 back in slot 1000"));
    EXPECT_EQ(device().element(1000)->primary_tag, "S00001L8");
    EXPECT_EQ(device().element(1001)->primary_tag, "S00002L8");
    EXPECT_FALSE(device().element(100)->full);
    EXPECT_FALSE(device().element(101)->full);
    EXPECT_EQ(medium("S00001L8").state, MediumState::InLibrary);
    EXPECT_EQ(medium("S00002L8").state, MediumState::InLibrary);
    EXPECT_TRUE(open_store()->pending_intents(lib_id())->empty());
}

class InterruptedEject : public Eject {
protected:
    // A child process starts an eject of the first medium and is killed: while the job waits
    // (kill_after_move false) or at its move into the port. Returns the job's GUID.
    Guid run_child(const std::string& spec, bool kill_after_move) {
        return run_killed_child(
            db_path_, library(spec), kill_after_move ? after_first_move() : CrashPoint{},
            [](Domain& d) -> Expected<Guid> {
                auto media = d.media(*d.find_library("lab1"), Caller::root());
                if (!media || media->empty())
                    return Status{win32::ObjectNotFound, "no medium to eject"};
                return d.eject(media->front().id.str(), 0, {}, {}, Caller::root());
            },
            [](Domain&, Recorder& rec, const Guid& job) {
                rec.wait_state(job, JobState::Waiting);
                raise(SIGKILL);
            });
    }

    // After the restart: the job FAILED (interrupted), its request refused if it had one, the
    // cartridge back in slot 1000 on the device and in the catalogue, nothing pending.
    void expect_brought_back(const Guid& job) {
        auto done = events_.wait_final(job);
        EXPECT_EQ(done.state, JobState::Failed);
        EXPECT_EQ(done.error, win32::OperationAborted);
        EXPECT_THAT(done.error_message, HasSubstr("S00001L8 was in port element 100 and is "
                                                  "back in slot 1000"));
        EXPECT_FALSE(device().element(100)->full);
        EXPECT_EQ(device().element(1000)->primary_tag, "S00001L8");
        const MediumRecord m = medium("S00001L8");
        EXPECT_EQ(m.state, MediumState::InLibrary);
        EXPECT_EQ(m.element, std::optional<uint16_t>(1000));
        if (auto r = request_of(job)) {
            EXPECT_EQ(r->state, OpRequestState::Refused);
        }
        EXPECT_TRUE(open_store()->pending_intents(lib_id())->empty());
    }
};

// ntmsd killed while the eject waits for the operator.
TEST_F(InterruptedEject, WhileWaitingTheCartridgeComesBack) {
    const std::string spec = sim("slots=10,ie=1,fill=2");
    const Guid job = run_child(spec, false);
    {
        auto vc = sgio::VirtualChanger::open(*sgio::VirtualChangerConfig::parse(spec));
        ASSERT_TRUE(vc);
        ASSERT_TRUE((*vc)->element(100)->full) << "the cartridge was in the port at the kill";
    }
    start({library(spec)});
    expect_brought_back(job);
    EXPECT_EQ(request_of(job)->state, OpRequestState::Refused);
}

// ntmsd killed right after the robot put the cartridge into the port, before the move was
// recorded as done: the intent is resolved at start-up, then the cartridge comes back.
TEST_F(InterruptedEject, AtTheMoveIntoThePortTheIntentIsResolvedAndTheCartridgeComesBack) {
    // A slow move: the child has told the job's GUID long before the robot is done.
    const std::string spec = sim("slots=10,ie=1,fill=2,move-ms=300");
    const Guid job = run_child(spec, true);
    {
        auto db = open_store();
        EXPECT_EQ(db->pending_intents(lib_id_in(*db))->size(), 1u) << "the intent was recorded";
    }
    start({library(spec)});
    expect_brought_back(job);
    // The move found done at start-up is the eject's move, and its history says so.
    const std::vector<std::string> why = reasons(medium("S00001L8").id);
    EXPECT_THAT(why, ::testing::Contains("eject"));
    EXPECT_THAT(why, ::testing::Not(::testing::Contains("inject")));
    // Settling the intent moved the record: the reconciliation that follows finds it where the
    // device has it, and has no move of its own to record.
    EXPECT_THAT(why, ::testing::Not(::testing::Contains("reconcile")));
}

} // namespace
