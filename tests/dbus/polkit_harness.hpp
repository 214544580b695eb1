// A real polkitd for the D-Bus tests, on the private bus: Debian's /usr/lib/polkit-1/polkitd, run
// in a mount namespace of its own in which the action and rule directories are bind mounts of the
// test's directories, so that it knows only the shipped org.ntms.ntms1.policy and the test's rules
// and the host's polkit is neither read nor changed. Needs root (unshare -m, mount).
#pragma once

#include "bus_harness.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace ntms::bustest {

// The bus policy polkitd needs on a system-like bus (Debian's org.freedesktop.PolicyKit1.conf):
// its user owns the name, anyone may call it. For PrivateBus's extra_policy.
extern const char* const polkit_bus_policy;

class PrivatePolkit {
public:
    // Why polkitd cannot run here (not root, polkitd or unshare missing); nullopt when it can.
    static std::optional<std::string> unavailable();

    // rules: file name -> JavaScript, for /etc/polkit-1/rules.d. Waits until polkitd owns
    // org.freedesktop.PolicyKit1; throws when it does not.
    PrivatePolkit(const std::filesystem::path& dir, const std::string& bus_address,
                  const std::string& policy_file, const std::map<std::string, std::string>& rules);
    ~PrivatePolkit(); // resumes a paused polkitd, so that it can be stopped
    PrivatePolkit(const PrivatePolkit&) = delete;
    PrivatePolkit& operator=(const PrivatePolkit&) = delete;

    void pause();  // SIGSTOP: polkitd holds every call unanswered
    void resume(); // SIGCONT
    pid_t pid() const { return process_->pid(); }

private:
    std::optional<Process> process_;
};

} // namespace ntms::bustest
