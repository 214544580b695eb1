// Crash recovery: a child process runs the daemon's core on a virtual changer whose state lives
// in a file, and is killed with SIGKILL at a random instant of an inject (while the port waits,
// between intent and move, during the move, between move and commit). A fresh core then starts on
// the same database and device and must find every cartridge recorded exactly once, where it is.
#include "inject_fixture.hpp"

#include <fmt/format.h>
#include <random>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ntms;
using namespace ntms::test;

namespace {

constexpr int iterations = 50;

class CrashFixture : public InjectFixture {
protected:
    std::string device_spec() { return sim("slots=240,ie=2,move-ms=40"); }

    // Runs in the child: one inject that imports what is in the port, then exits.
    [[noreturn]] void child_inject() {
        Recorder rec;
        DaemonConfig cfg;
        cfg.database = db_path_;
        cfg.discover = false;
        auto lib = library(device_spec());
        cfg.libraries = {lib};
        {
            Domain m(cfg, rec);
            m.start();
            rec.wait_until([&] {
                auto s = m.library(*m.find_library("lab1"), Caller::root());
                return s && s->online() && s->slots > 0;
            });
            auto job = m.inject(m.find_library("lab1")->str(), 0, {}, {}, Caller::root());
            if (job) {
                rec.wait_state(*job, JobState::Waiting);
                (void)m.inject(m.find_library("lab1")->str(), 2, job->str(), {}, Caller::root());
                rec.wait_final(*job);
            }
        }
        _exit(0);
    }

    struct Outcome {
        size_t in_slots = 0;
        size_t recorded = 0;
    };

    // Starts a fresh core on the same files, lets it reconcile, and checks the invariants.
    Outcome recover_and_check(int iteration) {
        start({library(device_spec())});
        auto s = manager_->library(lib_id(), Caller::root());
        EXPECT_TRUE(s && s->online()) << "iteration " << iteration;
        // Reconciliation runs on the worker before any job; wait until no intent is left.
        auto db = open_store();
        const Guid lib = lib_id();
        EXPECT_TRUE(events_.wait_until([&] { return db->pending_intents(lib)->empty(); },
                                       std::chrono::seconds(20)));
        manager_.reset();

        Outcome o;
        auto media = db->list_media(lib);
        EXPECT_TRUE(media);
        std::map<uint16_t, int> recorded_at;
        std::map<std::string, int> per_barcode;
        for (const auto& m : *media) {
            if (m.state == MediumState::Gone)
                continue;
            EXPECT_TRUE(m.element) << "iteration " << iteration;
            if (!m.element)
                continue;
            ++recorded_at[*m.element];
            ++per_barcode[m.barcode];
            if (m.state == MediumState::InLibrary)
                ++o.recorded;
        }
        auto vc = sgio::VirtualChanger::open(*sgio::VirtualChangerConfig::parse(device_spec()));
        EXPECT_TRUE(vc);
        for (const auto& e : (*vc)->elements(sgio::ElementType::Storage)) {
            if (e.full) {
                ++o.in_slots;
                EXPECT_EQ(recorded_at[e.address], 1)
                    << "iteration " << iteration << ": cartridge " << e.primary_tag << " in slot "
                    << e.address << " is not recorded exactly once";
            } else {
                EXPECT_EQ(recorded_at[e.address], 0)
                    << "iteration " << iteration << ": slot " << e.address
                    << " is empty but recorded as holding a cartridge";
            }
        }
        for (const auto& [barcode, n] : per_barcode)
            EXPECT_EQ(n, 1) << "iteration " << iteration << ": " << barcode << " recorded " << n
                            << " times";
        auto stuck = db->jobs_in_states({JobState::InProcess, JobState::Waiting});
        EXPECT_TRUE(stuck && stuck->empty()) << "interrupted jobs are ended at start-up";
        return o;
    }
};

} // namespace

TEST_F(CrashFixture, SigkillAtRandomInstantsLosesNoCartridge) {
    // The device with its state file, created once.
    {
        auto vc = sgio::VirtualChanger::open(*sgio::VirtualChangerConfig::parse(device_spec()));
        ASSERT_TRUE(vc) << vc.error().message;
    }
    std::mt19937 rng(20261123);
    std::uniform_int_distribution<int> delay_ms(0, 260);
    int serial = 0;
    size_t killed_with_job = 0;
    for (int i = 0; i < iterations; ++i) {
        {
            auto vc = sgio::VirtualChanger::open(*sgio::VirtualChangerConfig::parse(device_spec()));
            ASSERT_TRUE(vc);
            for (uint16_t a = 100; a < 102; ++a) {
                if (!(*vc)->element(a)->full) {
                    ASSERT_TRUE((*vc)->operator_insert(a, fmt::format("K{:05d}L8", ++serial)));
                }
            }
        }
        const pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0)
            child_inject();
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
        kill(pid, SIGKILL);
        int status = 0;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        if (WIFSIGNALED(status))
            ++killed_with_job;
        recover_and_check(i);
        if (HasFailure())
            break;
    }
    auto final = recover_and_check(iterations);
    EXPECT_EQ(final.in_slots, final.recorded);
    EXPECT_GT(final.in_slots, 0u) << "some injects completed between the kills";
    std::printf(
        "crash recovery: %d kills (%zu mid-run), %zu cartridges in slots, all recorded once\n",
        iterations, killed_with_job, final.in_slots);
}
