// common/ntms_vocabulary.h as the C++ side sees it: the tables are sound (unique codes, names and
// values), and everything derived from them (win32:: constants, win32_name, the D-Bus error
// table, job_state_name, the model's enums) says the same.
#include "common/vocabulary.hpp"
#include "daemon/model.hpp"
#include "daemon/status.hpp"
#include "dbus/errors.hpp"

#include <gtest/gtest.h>
#include <set>
#include <string>
#include <string_view>

namespace ntms {
namespace {

template <typename List> void expect_unique(const List& list, const char* what) {
    std::set<uint32_t> values;
    std::set<std::string_view> constants, names;
    for (const auto& t : list) {
        EXPECT_TRUE(values.insert(t.value).second) << what << ' ' << t.value;
        EXPECT_TRUE(constants.insert(t.constant).second) << what << ' ' << t.constant;
        EXPECT_TRUE(names.insert(t.name).second) << what << ' ' << t.name;
    }
}

TEST(Vocabulary, ErrorsAreUniqueAndComplete) {
    std::set<uint32_t> codes;
    std::set<std::string_view> constants, names;
    for (const auto& e : vocabulary::errors) {
        EXPECT_TRUE(codes.insert(e.code).second) << e.code;
        EXPECT_TRUE(constants.insert(e.constant).second) << e.constant;
        EXPECT_TRUE(names.insert(e.name).second) << e.name;
        EXPECT_NE(std::string_view(e.name), "Failed") << "Failed stands for codes without a name";
        EXPECT_FALSE(std::string_view(e.text).empty()) << e.constant;
        EXPECT_TRUE(std::string_view(e.constant).starts_with("ERROR_") ||
                    std::string_view(e.constant).starts_with("RPC_S_"))
            << e.constant;
    }
    EXPECT_FALSE(vocabulary::find_error(win32::Success)->on_bus) << "success is no error reply";
}

TEST(Vocabulary, ListsAreUnique) {
    expect_unique(vocabulary::job_states, "job state");
    expect_unique(vocabulary::operations, "operation");
    expect_unique(vocabulary::inject_actions, "inject action");
    expect_unique(vocabulary::opreq_types, "operator request type");
    expect_unique(vocabulary::opreq_states, "operator request state");
}

TEST(Vocabulary, Win32ConstantsAndNamesComeFromTheTable) {
    EXPECT_EQ(win32::LibraryFull, 4322u);
    EXPECT_EQ(win32::AccessDenied, 5u);
    EXPECT_EQ(win32::NotConnected, 2250u);
    for (const auto& e : vocabulary::errors)
        EXPECT_EQ(win32_name(e.code), e.constant);
    EXPECT_EQ(win32_name(1817), "RPC_S_NO_INTERFACES");
    EXPECT_EQ(win32_name(4999), "ERROR_4999");
}

TEST(Vocabulary, DbusErrorsAreTheCodesOnTheBus) {
    size_t on_bus = 0;
    for (const auto& e : vocabulary::errors) {
        if (!e.on_bus) {
            EXPECT_EQ(dbus::error_name(e.code), dbus::error_failed) << e.constant;
            EXPECT_EQ(dbus::error_code(std::string(vocabulary::dbus_error_prefix) + e.name),
                      std::nullopt)
                << e.name;
            continue;
        }
        ++on_bus;
        const std::string name = std::string(vocabulary::dbus_error_prefix) + e.name;
        EXPECT_EQ(dbus::error_name(e.code), name);
        EXPECT_EQ(dbus::error_code(name), e.code);
    }
    ASSERT_EQ(dbus::error_table().size(), on_bus);
    for (const auto& entry : dbus::error_table()) {
        const auto* e = vocabulary::find_error(entry.code);
        ASSERT_NE(e, nullptr) << entry.code;
        EXPECT_EQ(entry.name, e->name);
    }
    EXPECT_EQ(dbus::error_prefix, "org.ntms.Ntms1.Error.");
    EXPECT_EQ(dbus::error_failed, "org.ntms.Ntms1.Error.Failed");
}

TEST(Vocabulary, LookUps) {
    EXPECT_STREQ(vocabulary::find_error(4322)->text, "library full");
    EXPECT_EQ(vocabulary::find_error(4999), nullptr);
    EXPECT_EQ(vocabulary::find_bus_error("LibraryFull")->code, 4322u);
    EXPECT_EQ(vocabulary::find_bus_error("NotConnected"), nullptr) << "a local code";
    EXPECT_EQ(vocabulary::find_bus_error("libraryfull"), nullptr);
    EXPECT_STREQ(vocabulary::job_state_name(1), "inprocess");
    EXPECT_STREQ(vocabulary::job_state_name(99), "unknown");
    EXPECT_STREQ(vocabulary::name_of(vocabulary::opreq_states, 5), "complete");
    EXPECT_STREQ(vocabulary::name_of(vocabulary::inject_actions, 3), "startmany");
}

TEST(Vocabulary, OperationKindsHaveRsmCodes) {
    const std::pair<uint32_t, const char*> expected[] = {
        {8, "inventory"},     {9, "dooraccess"}, {10, "eject"},
        {11, "ejectcleaner"}, {12, "inject"},    {13, "injectcleaner"},
        {15, "cleandrive"},   {16, "dismount"},  {17, "mount"},
        {0x10000, "move"}, // ntmsd's own, out of RSM's range
    };
    ASSERT_EQ(vocabulary::operations.size(), std::size(expected));
    for (const auto& [code, name] : expected) {
        EXPECT_STREQ(vocabulary::operation_name(code), name);
        EXPECT_EQ(vocabulary::operation_code(name), code);
    }
    EXPECT_STREQ(vocabulary::operation_name(14), "unknown") << "PROCESSOMID is not ours";
    EXPECT_EQ(vocabulary::operation_code("Inject"), std::nullopt);
    EXPECT_EQ(vocabulary::operation_code(""), std::nullopt);
}

// The model's enums (daemon/model.hpp) are written out by hand; they must keep the table's values.
TEST(Vocabulary, ModelEnumsHoldTheTablesValues) {
#define NTMS_EXPECT_VALUE_(Enum, Name, value) EXPECT_EQ(static_cast<uint32_t>(Enum::Name), value)
#define NTMS_JOB_STATE_(constant, value, Name, name)                                               \
    NTMS_EXPECT_VALUE_(JobState, Name, value) << #constant;                                        \
    EXPECT_STREQ(job_state_name(JobState::Name), name);
#define NTMS_INJECT_ACTION_(constant, value, Name, name)                                           \
    NTMS_EXPECT_VALUE_(InjectAction, Name, value) << #constant;
#define NTMS_EJECT_ACTION_(constant, value, Name, name)                                            \
    NTMS_EXPECT_VALUE_(EjectAction, Name, value) << #constant;
#define NTMS_OPREQ_TYPE_(constant, value, Name, name)                                              \
    NTMS_EXPECT_VALUE_(OpRequestType, Name, value) << #constant;
#define NTMS_OPREQ_STATE_(constant, value, Name, name)                                             \
    NTMS_EXPECT_VALUE_(OpRequestState, Name, value) << #constant;
    NTMS_JOB_STATES(NTMS_JOB_STATE_)
    NTMS_INJECT_ACTIONS(NTMS_INJECT_ACTION_)
    NTMS_EJECT_ACTIONS(NTMS_EJECT_ACTION_)
    NTMS_OPREQ_TYPES(NTMS_OPREQ_TYPE_)
    NTMS_OPREQ_STATES(NTMS_OPREQ_STATE_)
#undef NTMS_EXPECT_VALUE_
#undef NTMS_JOB_STATE_
#undef NTMS_INJECT_ACTION_
#undef NTMS_EJECT_ACTION_
#undef NTMS_OPREQ_TYPE_
#undef NTMS_OPREQ_STATE_
    EXPECT_STREQ(job_state_name(static_cast<JobState>(99)), "unknown");
}

} // namespace
} // namespace ntms
