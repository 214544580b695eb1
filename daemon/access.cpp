#include "access.hpp"

#include <algorithm>
#include <grp.h>

namespace ntms {

namespace {

std::vector<uint32_t> resolve(const std::vector<std::string>& names,
                              std::vector<std::string>* unknown) {
    std::vector<uint32_t> out;
    for (const auto& n : names) {
        std::vector<char> buf(16384);
        group g{};
        group* res = nullptr;
        if (getgrnam_r(n.c_str(), &g, buf.data(), buf.size(), &res) == 0 && res)
            out.push_back(res->gr_gid);
        else if (unknown)
            unknown->push_back(n);
    }
    return out;
}

bool member(const Caller& c, const std::vector<uint32_t>& gids) {
    return std::any_of(gids.begin(), gids.end(), [&](uint32_t g) {
        return c.gid == g || std::find(c.groups.begin(), c.groups.end(), g) != c.groups.end();
    });
}

bool granted_by_groups(const AccessPolicy& p, const Caller& c, Right r) {
    switch (r) {
    case Right::Use:
        if (member(c, p.use))
            return true;
        [[fallthrough]];
    case Right::Modify:
        if (member(c, p.modify))
            return true;
        [[fallthrough]];
    case Right::Control:
        return member(c, p.control);
    case Right::Backup:
        return false;
    }
    return false;
}

} // namespace

AccessPolicy AccessPolicy::from_names(const std::vector<std::string>& use,
                                      const std::vector<std::string>& modify,
                                      const std::vector<std::string>& control,
                                      std::vector<std::string>* unknown) {
    return AccessPolicy{resolve(use, unknown), resolve(modify, unknown), resolve(control, unknown)};
}

bool AccessPolicy::allows(const Caller& c, Right r) const {
    if (c.uid == 0 || granted_by_groups(*this, c, r))
        return true;
    return c.authority && c.authority(r);
}

const char* right_name(Right r) {
    switch (r) {
    case Right::Use:
        return "USE";
    case Right::Modify:
        return "MODIFY";
    case Right::Control:
        return "CONTROL";
    case Right::Backup:
        return "BACKUP";
    }
    return "?";
}

} // namespace ntms
