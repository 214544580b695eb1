// Crash tests: a child process runs a daemon of its own on the fixture's database and devices,
// starts a job and is killed with SIGKILL at a chosen command to the device; the test then
// restarts on the same files and checks what the restart made of it.
#pragma once

#include "inject_fixture.hpp"

#include <functional>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ntms::test {

// Where the child dies: at the nth command of `opcode`, before it reaches the device or after it
// has been carried out (the device's state file has it, the daemon never hears the answer); with
// `then`, after the next command of that opcode once the nth has been carried out. No opcode:
// never at a command (the child's own steps end it).
struct CrashPoint {
    const char* name = "";
    uint8_t opcode = 0;
    int nth = 0;
    bool after = false;
    uint8_t then = 0;
    // What the restart must find: cartridges in slots (the inject tests read it).
    size_t imported = 0;
};

inline constexpr uint8_t move_medium_opcode = 0xA5;

// The first MOVE MEDIUM carried out, its answer never heard.
inline CrashPoint after_first_move() {
    return {"after the first move", move_medium_opcode, 1, true};
}

// The device as the child's daemon sees it: the virtual changer, with the crash point armed.
class Killing final : public sgio::Transport {
public:
    Killing(std::unique_ptr<sgio::Transport> inner, CrashPoint at)
        : inner_(std::move(inner)), at_(at) {}
    sgio::Result<sgio::CommandResult> execute(std::span<const uint8_t> cdb,
                                              sgio::Direction direction, std::span<uint8_t> buffer,
                                              std::chrono::milliseconds timeout) override {
        const bool nth = at_.opcode != 0 && cdb[0] == at_.opcode && ++seen_ == at_.nth;
        const bool here = at_.then == 0 ? nth : armed_ && cdb[0] == at_.then;
        if (here && !at_.after)
            raise(SIGKILL);
        auto r = inner_->execute(cdb, direction, buffer, timeout);
        if (here)
            raise(SIGKILL);
        armed_ = armed_ || nth;
        return r;
    }
    std::string name() const override { return inner_->name(); }

private:
    std::unique_ptr<sgio::Transport> inner_;
    CrashPoint at_;
    int seen_ = 0;
    bool armed_ = false;
};

// Forks a child that starts a daemon on `db_path` with the library `lib` (named "lab1"), its
// device wrapped in Killing at `at`, waits until the library is online, starts a job with
// `start_job` (no job: the child exits 2), hands its GUID to the parent, and goes on with `then`,
// where it must die: at the crash point, or by raising SIGKILL itself. Returns the job's GUID;
// the test fails unless the child died of SIGKILL.
inline Guid run_killed_child(const std::string& db_path, const LibraryConfig& lib,
                             const CrashPoint& at,
                             const std::function<Expected<Guid>(Domain&)>& start_job,
                             const std::function<void(Domain&, Recorder&, const Guid&)>& then) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    EXPECT_GE(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        Recorder rec;
        DaemonConfig cfg;
        cfg.database = db_path;
        cfg.discover = false;
        cfg.libraries = {lib};
        Domain d(cfg, rec,
                 [&](const std::string& device) -> sgio::Result<std::unique_ptr<sgio::Transport>> {
                     auto vc =
                         sgio::VirtualChanger::open(*sgio::VirtualChangerConfig::parse(device));
                     if (!vc)
                         return std::move(vc).error();
                     return std::unique_ptr<sgio::Transport>(
                         std::make_unique<Killing>(std::move(vc).value(), at));
                 });
        d.start();
        rec.wait_until([&] {
            auto s = d.library(*d.find_library("lab1"), Caller::root());
            return s && s->online();
        });
        const Expected<Guid> job = start_job(d);
        if (!job)
            _exit(2);
        const std::string text = job->str();
        if (write(fds[1], text.data(), text.size()) != static_cast<ssize_t>(text.size()))
            _exit(3);
        close(fds[1]);
        then(d, rec, *job);
        _exit(4); // the crash point was never reached
    }
    close(fds[1]);
    std::string text(36, '\0');
    const ssize_t n = read(fds[0], text.data(), text.size());
    close(fds[0]);
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << at.name << ": the child was not killed (status " << status << ")";
    EXPECT_EQ(n, 36) << at.name;
    auto id = Guid::parse(text);
    EXPECT_TRUE(id) << text;
    return id ? *id : Guid{};
}

} // namespace ntms::test
