// Who is calling and what they may do. Credentials come from the transport (D-Bus sender
// credentials), never from /proc. Root has every right; otherwise the caller's groups are matched
// against the library's configured USE / MODIFY / CONTROL groups.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ntms {

struct Caller {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> groups; // supplementary
    std::string name;             // for messages: "uid 1000" or the bus name

    static Caller root() { return Caller{0, 0, {}, "root"}; }
};

enum class Right : uint32_t { Use = 1, Modify = 2, Control = 4 }; // NTMS_*_ACCESS values

struct AccessPolicy {
    std::vector<uint32_t> use, modify, control; // gids

    // Group names that do not exist are ignored (and logged once by the caller).
    static AccessPolicy from_names(const std::vector<std::string>& use,
                                   const std::vector<std::string>& modify,
                                   const std::vector<std::string>& control,
                                   std::vector<std::string>* unknown = nullptr);
    // CONTROL implies MODIFY implies USE.
    bool allows(const Caller& c, Right r) const;
};

const char* right_name(Right r); // "USE", "MODIFY", "CONTROL"

} // namespace ntms
