// Who is calling and what they may do. Credentials come from the transport (D-Bus sender
// credentials), never from /proc. Root has every right; otherwise the caller's groups are matched
// against the library's configured USE / MODIFY / CONTROL groups, and where no group grants the
// right, the caller's authority (polkit, filled in by the bus layer) is asked.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ntms {

// USE, MODIFY and CONTROL are per library (NTMS_*_ACCESS values). BACKUP is of the whole
// database, all libraries' history in it: no library's group gives it, only root and polkit.
enum class Right : uint32_t { Use = 1, Modify = 2, Control = 4, Backup = 0x100 };

struct Caller {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> groups; // supplementary
    std::string name;             // for messages: "uid 1000" or the bus name
    // Asked for a right (or one implying it) that no configured group gives this caller: true
    // grants it. Empty: the groups alone decide. Must not throw; it answers within a short bound.
    std::function<bool(Right)> authority;

    static Caller root() { return Caller{0, 0, {}, "root", {}}; }
};

struct AccessPolicy {
    std::vector<uint32_t> use, modify, control; // gids

    // Group names that do not exist are ignored (and logged once by the caller).
    static AccessPolicy from_names(const std::vector<std::string>& use,
                                   const std::vector<std::string>& modify,
                                   const std::vector<std::string>& control,
                                   std::vector<std::string>* unknown = nullptr);
    // CONTROL implies MODIFY implies USE. Root and the members of a configured group are allowed
    // without asking the caller's authority; a group can only grant, never refuse.
    bool allows(const Caller& c, Right r) const;
};

const char* right_name(Right r); // "USE", "MODIFY", "CONTROL", "BACKUP"

} // namespace ntms
