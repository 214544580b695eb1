// A private tgtd changer for peer tests and benchmarks, driven through tests/peer/tgt-harness.sh.
// tgtd never outlives the process: TgtHarness stops it on destruction and at exit, a fatal signal
// asks the harness's supervisor to stop it at once, and the supervisor itself stops tgtd when this
// process is gone (crash, SIGKILL).
#pragma once

#include "sgio/element.hpp"

#include <cstdint>
#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace peer {

struct TgtOptions {
    unsigned slots = 20;
    unsigned drives = 2;
    unsigned ie = 4;
    unsigned fill = 8;  // first `fill` slots get barcodes S00001L8, S00002L8, ...
    std::string serial; // the changer's unit serial number; empty: tgt's own
};

// What the harness reports after start.
struct TgtLibrary {
    std::string url; // iscsi://127.0.0.1:PORT/IQN/LUN
    std::string iqn;
    uint16_t port = 0;
    int control_instance = 0;
    int lun = 0;
    pid_t tgtd_pid = 0;
    pid_t supervisor_pid = 0;
    uint16_t transport = 0;
    uint16_t drive_first = 0, drives = 0;
    uint16_t ie_first = 0, ie = 0;
    uint16_t storage_first = 0, slots = 0;
    uint16_t fill = 0;
    std::string serial; // as set by start() or up(); empty: tgt's own
};

class TgtHarness {
public:
    TgtHarness() = default;
    ~TgtHarness();
    TgtHarness(const TgtHarness&) = delete;
    TgtHarness& operator=(const TgtHarness&) = delete;

    // Empty when tgtd and tgtadm are installed, else why not (the only reason to skip).
    static std::string missing_tools();

    // Starts tgtd with a changer of the given shape. On failure returns false and sets error.
    bool start(const TgtOptions& options, std::string& error);
    void stop();
    bool running() const { return started_; }
    const TgtLibrary& library() const { return library_; }
    // The harness's state directory: also the changer's media_home, where tgt finds the tape file
    // named by a cartridge's barcode when the cartridge is moved into a drive.
    const std::string& dir() const { return dir_; }

    // Operator actions and set-up, through tgtadm. False (with the harness output in error) on
    // failure.
    bool insert(uint16_t ie_address, const std::string& barcode, std::string* error = nullptr);
    bool remove(uint16_t ie_address, std::string* error = nullptr);
    bool place(sgio::ElementType type, uint16_t address, const std::string& barcode,
               std::string* error = nullptr);
    // Closes every iSCSI connection from the target side.
    bool drop_sessions(std::string* error = nullptr);
    // The number of iSCSI connections the target has; -1 when it cannot say.
    int sessions();
    // Refuses (unbind) or admits (bind) logins from 127.0.0.1; sessions already in stay.
    bool bind(bool admit, std::string* error = nullptr);

    // tgtd crashes (SIGKILL) and comes back on the same port with the layout and cartridges
    // of start: whatever moved since is forgotten, as by a restarted target. up() with a serial
    // brings it back as another changer.
    bool down(std::string* error = nullptr);
    bool up(std::string* error = nullptr, std::optional<std::string> serial = std::nullopt);
    // tgtd stops answering (SIGSTOP) and goes on (SIGCONT); stop() also resumes it.
    bool stall();
    bool resume();

private:
    bool apply_env(const std::string& output);
    int run(const std::vector<std::string>& args, const std::vector<std::string>& env,
            std::string& output) const;

    std::string dir_; // state directory, removed by stop()
    TgtLibrary library_;
    bool started_ = false;
    int slot_ = -1; // index in the emergency table used by the signal handler
};

// Base for peer test suites: one library per suite, started in SetUpTestSuite. Tests skip only
// when tgt is not installed; any other start failure fails them.
class TgtTest : public ::testing::Test {
protected:
    static void SetUpTestSuite();
    static void TearDownTestSuite();
    void SetUp() override;

    static TgtHarness& harness() { return *harness_; }
    static const TgtLibrary& library() { return harness_->library(); }

private:
    static std::unique_ptr<TgtHarness> harness_;
    static std::string skip_reason_;
    static std::string start_error_;
};

} // namespace peer
