// kill -9 during inject, against tgt: each round the operator puts cartridges into the port, a
// child process runs the daemon's core with an inject (START, then RETRACT once it waits) and is
// killed with SIGKILL at a random instant of that job; a fresh core then starts on the same
// database and device. After every restart: every job ends (an interrupted one before the
// library is online, with a record that accounts for the port; one killed while still queued runs
// to its end), and every cartridge is exactly once in the catalogue and once on the device, at
// the same element (slots, port and drives alike).
//
// NTMS_SOAK_ROUNDS sets the number of kills (default 30, the short version in make check;
// make soak runs 1,000). NTMS_SOAK_SEED sets the random seed. The figures are printed at the end.
#include "daemon/store/store.hpp"
#include "soak_env.hpp"
#include "tgt_domain.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <map>
#include <poll.h>
#include <random>
#include <signal.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace ntms;
using sgio::ElementType;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint16_t port_first = 100;
constexpr uint16_t port_count = 2;

struct Figures {
    int rounds = 0;
    int kills = 0;
    int interrupted = 0;     // the kill landed while the job ran
    int finished_before = 0; // the job had ended before the kill
    int resumed = 0;         // the job was still queued: it ran after the restart
    size_t checked = 0;      // cartridges checked, summed over the restarts
    size_t lost = 0;
    size_t duplicated = 0;
    size_t misplaced = 0; // recorded at another element than the device has it
    size_t stuck = 0;
    size_t unaccounted = 0; // interrupted jobs whose record does not name the port's cartridges
};

class KillSoak : public peer::TgtDomainTest {
protected:
    // The child: one inject that imports what is in the port. It writes the job's GUID to `out`
    // as soon as the job exists, then runs it to its end unless it is killed first.
    [[noreturn]] void child(int out) {
        ntms::test::Recorder rec;
        {
            ntms::test::Domain m(config(), rec);
            m.start();
            rec.wait_until([&] {
                auto s = m.library(*m.find_library("tgt"), Caller::root());
                return s && s->online() && s->slots > 0;
            });
            const auto lib = m.find_library("tgt")->str();
            auto job = m.inject(lib, 0, {}, {}, Caller::root());
            if (!job)
                _exit(2);
            const std::string text = job->str();
            if (write(out, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
                _exit(3);
            rec.wait_state(*job, JobState::Waiting);
            (void)m.inject(lib, 2, job->str(), {}, Caller::root());
            rec.wait_final(*job);
        }
        _exit(0);
    }

    // Starts a child; returns its pid and the job it started (null when it started none).
    std::pair<pid_t, Guid> spawn() {
        int fds[2];
        EXPECT_EQ(pipe(fds), 0);
        const pid_t pid = fork();
        EXPECT_GE(pid, 0);
        if (pid == 0) {
            close(fds[0]);
            child(fds[1]);
        }
        close(fds[1]);
        std::string text(36, '\0');
        pollfd p{fds[0], POLLIN, 0};
        ssize_t n = 0;
        if (poll(&p, 1, 60000) == 1)
            n = read(fds[0], text.data(), text.size());
        close(fds[0]);
        auto id = n == 36 ? Guid::parse(text) : std::nullopt;
        return {pid, id ? *id : Guid{}};
    }

    // After a restart: the jobs, the catalogue against the device, the interrupted job's record.
    void check(int round, const Guid& job, Figures& f) {
        const Guid lib = *manager_->find_library("tgt");
        auto db = Store::open(config().database);
        ASSERT_TRUE(db);
        // A job killed before it started is still queued: it runs now, and must run to its end
        // (RETRACT, as the child would have sent, once it waits for the magazine).
        auto open =
            (*db)->jobs_in_states({JobState::Queued, JobState::InProcess, JobState::Waiting});
        ASSERT_TRUE(open);
        bool resumed = false;
        for (const auto& o : *open) {
            resumed = resumed || o.id == job;
            auto w = events_.wait_job(
                o.id,
                [](const JobRecord& j) {
                    return j.state == JobState::Waiting || is_final(j.state);
                },
                std::chrono::seconds(60));
            if (w.state == JobState::Waiting)
                (void)manager_->inject(lib.str(), 2, o.id.str(), {}, Caller::root());
            if (!is_final(events_.wait_final(o.id).state)) {
                ++f.stuck;
                ADD_FAILURE() << "round " << round << ": job " << o.id.str() << " is stuck";
            }
        }
        auto media = (*db)->list_media(lib);
        ASSERT_TRUE(media);
        std::map<std::string, std::vector<uint16_t>> recorded;
        for (const auto& m : *media)
            if (m.state != MediumState::Gone && m.element)
                recorded[m.barcode].push_back(*m.element);
        std::map<std::string, std::vector<uint16_t>> on_device;
        std::vector<std::string> in_port;
        for (auto t : {ElementType::Transport, ElementType::DataTransfer, ElementType::ImportExport,
                       ElementType::Storage}) {
            for (const auto& e : device(t)) {
                if (!e.full)
                    continue;
                on_device[e.primary_tag].push_back(e.address);
                if (t == ElementType::ImportExport)
                    in_port.push_back(e.primary_tag);
            }
        }
        for (const auto& b : inserted_) {
            ++f.checked;
            const auto& dev = on_device[b];
            const auto& rec = recorded[b];
            if (dev.size() > 1 || rec.size() > 1) {
                ++f.duplicated;
                ADD_FAILURE() << "round " << round << ": " << b << " is " << dev.size()
                              << " times on the device and " << rec.size()
                              << " times in the catalogue";
            } else if (dev.empty() || rec.empty()) {
                ++f.lost;
                ADD_FAILURE() << "round " << round << ": " << b << " is " << dev.size()
                              << " times on the device and " << rec.size()
                              << " times in the catalogue";
            } else if (dev.front() != rec.front()) {
                ++f.misplaced;
                ADD_FAILURE() << "round " << round << ": " << b << " is at " << dev.front()
                              << " but recorded at " << rec.front();
            }
        }
        // Nothing in the catalogue that the device does not hold.
        for (const auto& [b, at] : recorded)
            if (on_device.count(b) == 0) {
                ++f.duplicated;
                ADD_FAILURE() << "round " << round << ": " << b << " is recorded at " << at.front()
                              << " but not on the device";
            }

        if (job.is_null())
            return;
        auto r = (*db)->get_job(job);
        ASSERT_TRUE(r && *r);
        const JobRecord& j = **r;
        if (resumed) {
            ++f.resumed;
            EXPECT_EQ(j.state, JobState::Passed) << "round " << round << ": " << j.error_message;
            return;
        }
        if (j.state == JobState::Passed) {
            ++f.finished_before;
            return;
        }
        EXPECT_EQ(j.state, JobState::Failed) << "round " << round << ": " << j.error_message;
        EXPECT_EQ(j.error, win32::OperationAborted) << "round " << round << ": " << j.error_message;
        ++f.interrupted;
        // Its record says how many it imported and names what is still in the port.
        bool accounted =
            j.error_message.find(fmt::format("{} cartridge{} imported before", j.media_moved,
                                             j.media_moved == 1 ? "" : "s")) != std::string::npos;
        for (const auto& b : in_port)
            accounted = accounted && j.error_message.find(b) != std::string::npos;
        if (in_port.empty())
            accounted =
                accounted && j.error_message.find("no cartridge left in port") != std::string::npos;
        if (!accounted) {
            ++f.unaccounted;
            ADD_FAILURE() << "round " << round << ": the interrupted job does not account for the "
                          << in_port.size() << " cartridges in the port: " << j.error_message;
        }
    }

    std::vector<std::string> inserted_; // every barcode the operator put in
};

} // namespace

TEST_F(KillSoak, SigkillAtRandomInstantsOfAnInjectLosesNoCartridge) {
    const int rounds = soak::env_count("NTMS_SOAK_ROUNDS", 30);
    const unsigned seed = static_cast<unsigned>(soak::env_count("NTMS_SOAK_SEED", 4242));
    {
        peer::TgtOptions o;
        o.ie = port_count;
        o.slots = static_cast<unsigned>(2 * rounds + 40); // room for every cartridge put in
        o.fill = 0;
        std::string error;
        ASSERT_TRUE(harness_.start(o, error)) << error;
    }
    const auto began = Clock::now();
    std::mt19937 rng(seed);
    int serial = 0;
    auto fill_port = [&] {
        for (uint16_t a = port_first; a < port_first + port_count; ++a) {
            bool full = false;
            for (const auto& e : device(ElementType::ImportExport))
                full = full || (e.address == a && e.full);
            if (full)
                continue;
            inserted_.push_back(fmt::format("KS{:06d}", ++serial));
            ASSERT_TRUE(harness_.insert(a, inserted_.back()));
        }
    };

    // Calibration: one child runs its inject to the end; kills fall within that job's span.
    fill_port();
    auto [first, first_job] = spawn();
    const auto job_began = Clock::now();
    int status = 0;
    ASSERT_EQ(waitpid(first, &status, 0), first);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    const auto span = std::max<int64_t>(
        50,
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - job_began).count());
    std::uniform_int_distribution<int64_t> delay(0, span);

    Figures f;
    for (int i = 0; i < rounds; ++i) {
        fill_port();
        auto [pid, job] = spawn();
        EXPECT_FALSE(job.is_null()) << "round " << i << ": the child started no inject";
        std::this_thread::sleep_for(std::chrono::milliseconds(delay(rng)));
        kill(pid, SIGKILL);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ++f.kills;
        ++f.rounds;
        ASSERT_TRUE(start_manager()) << "round " << i << ": the library did not come online";
        check(i, job, f);
        manager_.reset();
        if (HasFailure())
            break;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - began).count();
    std::printf("kill soak: %d rounds, %d kills (%d mid-inject, %d while still queued, %d after "
                "the job ended; kill window %lld ms), %zu cartridges checked (%zu distinct), lost "
                "%zu, duplicated %zu, misplaced %zu, stuck jobs %zu, unaccounted ports %zu, %.1f "
                "s\n",
                f.rounds, f.kills, f.interrupted, f.resumed, f.finished_before,
                static_cast<long long>(span), f.checked, inserted_.size(), f.lost, f.duplicated,
                f.misplaced, f.stuck, f.unaccounted, seconds);
    EXPECT_EQ(f.lost + f.duplicated + f.misplaced + f.stuck + f.unaccounted, 0u);
    EXPECT_GT(f.interrupted, 0) << "no kill landed inside a job";
}
