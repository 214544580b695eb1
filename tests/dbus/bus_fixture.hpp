// gtest fixture: a private bus with the shipped policy, the real ntmsd on it with sim libraries
// whose state files the test (as the operator, through ntms-sim) shares, and sdbus-c++, busctl and
// ntms-dbus-call clients. Everything is stopped in TearDown, also after a failed assertion; the
// daemon's log is printed when the test failed.
#pragma once

#include "bus_harness.hpp"
#include "common/bus_names.hpp"

#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <sdbus-c++/sdbus-c++.h>
#include <string>
#include <tuple>
#include <vector>

namespace ntms::bustest {

// ntmsd's bus names: service, root_path and the *_iface names.
using namespace ntms::bus;

inline constexpr uint32_t inject_start = 0, inject_stop = 1, inject_retract = 2,
                          inject_startmany = 3;
// NTMS_LM_*
inline constexpr uint32_t lm_queued = 0, lm_inprocess = 1, lm_passed = 2, lm_failed = 3,
                          lm_waiting = 5, lm_cancelled = 7, lm_stopped = 8;

using Options = std::map<std::string, sdbus::Variant>;
using InjectReply = std::tuple<std::string, sdbus::ObjectPath>;

// Who runs a command-line client.
struct As {
    enum Kind { Root, Nobody, NobodyWithGroup } kind = Root;
    uint32_t gid = 0; // for NobodyWithGroup
};

// The nth text between double quotes of a busctl reply.
std::string quoted(const std::string& s, size_t nth = 0);

class BusTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    // Starts ntmsd with these libraries (--library NAME=DEVICE) and extra configuration text; the
    // configuration's [Daemon] section sets JobRetentionSec=retention_sec_. Waits for the name
    // and until every library has been inventoried (or is offline).
    void start_daemon(const std::vector<std::string>& libraries, const std::string& config = {},
                      const std::vector<std::string>& extra_args = {});
    // SIGTERM; expects a clean exit.
    void stop_daemon();

    // "NAME=sim:NAME,state=DIR/NAME.state,OPTIONS"
    std::string sim(const std::string& name, const std::string& options) const;
    std::string state_file(const std::string& name) const { return dir_->file(name + ".state"); }
    std::string database() const { return dir_->file("ntmsd.db"); }
    // The operator at the library: ntms-sim on the shared state file.
    void operator_do(const std::string& name, const std::vector<std::string>& args);

    // A client connection of this test (created on first use) and proxies on it.
    sdbus::IConnection& client();
    std::unique_ptr<sdbus::IConnection> connect() const;
    std::unique_ptr<sdbus::IProxy> proxy(const std::string& path);

    std::string library_guid(const std::string& name);
    sdbus::ObjectPath library_path(const std::string& name);
    sdbus::Variant get(const std::string& path, const std::string& iface, const std::string& name);
    template <typename T>
    T get_as(const std::string& path, const std::string& iface, const std::string& name) {
        return get(path, iface, name).get<T>();
    }
    uint32_t job_state(const sdbus::ObjectPath& job) {
        return get_as<uint32_t>(job, job_iface, "State");
    }

    InjectReply inject(const std::string& library_guid, uint32_t action,
                       const std::string& job = {}, const Options& options = {});
    // An inject START into library `name` that waits for the operator, who then puts a cartridge
    // into each of the port elements `ports` (barcode "FUL00", the address's last digit, "L8")
    // and closes the port; the job's reply, once the port is closed.
    InjectReply inject_from_port(const std::string& name, const std::vector<std::string>& ports);
    // The D-Bus error name fn throws, "" when it succeeds; the message is kept in last_message_.
    std::string error_of(const std::function<void()>& fn);
    // Polls the job's State until pred holds; fails the test after limit.
    uint32_t wait_state(const sdbus::ObjectPath& job, const std::function<bool(uint32_t)>& pred,
                        std::chrono::milliseconds limit = std::chrono::seconds(60));
    uint32_t wait_final(const sdbus::ObjectPath& job);
    // Every object path below the root, from ObjectManager.GetManagedObjects (as root).
    std::vector<std::string> managed_objects(const std::string& kind);

    CommandResult busctl(const std::vector<std::string>& args, As who = {});
    // With busctl, as a shell script would: the GUID of the medium of this barcode from the
    // library's ListMedia, and a wait until the job's State reads `want` ("u 2").
    std::string medium_guid(const std::string& lib_path, const std::string& barcode);
    void wait_busctl_state(const std::string& job_path, const std::string& want);
    CommandResult dbus_call(const std::vector<std::string>& args, As who = {});
    // Deletes the history rows of these jobs (GUIDs) from ntmsd's database through a connection
    // of the test's own, behind ntmsd's back: how many went, or -1 when SQLite refused.
    int erase_history_of(const std::vector<std::string>& jobs);
    static std::vector<std::string> as_prefix(As who);

    std::unique_ptr<TempDir> dir_;
    std::unique_ptr<PrivateBus> bus_;
    std::unique_ptr<Ntmsd> ntmsd_;
    std::unique_ptr<sdbus::IConnection> client_;
    uint32_t retention_sec_ = 3600;
    bool discover_ = false; // let ntmsd look for changers through udev (off: --no-discover)
    std::string last_message_;
};

} // namespace ntms::bustest
