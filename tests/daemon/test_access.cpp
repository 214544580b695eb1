// AccessPolicy: root and the configured groups decide alone; the caller's authority (polkit in
// ntmsd) is asked only where no group grants the right, and its answer is final.
#include "daemon/access.hpp"

#include <gtest/gtest.h>
#include <vector>

namespace ntms {
namespace {

constexpr uint32_t use_gid = 100, control_gid = 200, other_gid = 300;

const AccessPolicy policy{{use_gid}, {}, {control_gid}};

// A caller whose authority answers `answer` and records what it was asked.
Caller asking(std::vector<Right>& asked, bool answer, std::vector<uint32_t> groups = {}) {
    Caller c{1000, other_gid, std::move(groups), "uid 1000", {}};
    c.authority = [&asked, answer](Right r) {
        asked.push_back(r);
        return answer;
    };
    return c;
}

TEST(AccessPolicy, RootHasEveryRightWithoutAsking) {
    std::vector<Right> asked;
    Caller root = asking(asked, false);
    root.uid = 0;
    EXPECT_TRUE(policy.allows(root, Right::Use));
    EXPECT_TRUE(policy.allows(root, Right::Modify));
    EXPECT_TRUE(policy.allows(root, Right::Control));
    EXPECT_TRUE(asked.empty());
}

TEST(AccessPolicy, GroupsGrantWithoutAskingAndControlImpliesTheRest) {
    std::vector<Right> asked;
    const Caller controller = asking(asked, false, {control_gid});
    EXPECT_TRUE(policy.allows(controller, Right::Control));
    EXPECT_TRUE(policy.allows(controller, Right::Modify));
    EXPECT_TRUE(policy.allows(controller, Right::Use));
    EXPECT_TRUE(asked.empty());

    // The primary group counts as much as a supplementary one.
    Caller user = asking(asked, false);
    user.gid = use_gid;
    EXPECT_TRUE(policy.allows(user, Right::Use));
    EXPECT_TRUE(asked.empty());
    // USE does not imply CONTROL: the authority is asked, and it refuses.
    EXPECT_FALSE(policy.allows(user, Right::Control));
    EXPECT_EQ(asked, std::vector<Right>{Right::Control});
}

TEST(AccessPolicy, AuthorityDecidesWhereNoGroupGrants) {
    std::vector<Right> asked;
    EXPECT_TRUE(policy.allows(asking(asked, true), Right::Modify));
    EXPECT_FALSE(policy.allows(asking(asked, false), Right::Use));
    EXPECT_EQ(asked, (std::vector<Right>{Right::Modify, Right::Use}));
}

TEST(AccessPolicy, WithoutAuthorityOnlyGroupsCount) {
    const Caller plain{1000, other_gid, {}, "uid 1000", {}};
    EXPECT_FALSE(policy.allows(plain, Right::Use));
    EXPECT_FALSE(policy.allows(Caller{1000, other_gid, {use_gid}, "uid 1000", {}}, Right::Control));
    EXPECT_TRUE(policy.allows(Caller{1000, other_gid, {use_gid}, "uid 1000", {}}, Right::Use));
}

} // namespace
} // namespace ntms
