#include "daemon/config.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using ntms::DaemonConfig;
using ntms::LibraryConfig;

namespace {

class TempDir {
public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "ntms-config-XXXXXX").string();
        if (!mkdtemp(tmpl.data()))
            throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }
    std::string write(const std::string& rel, const std::string& text) const {
        fs::path p = path_ / rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        return p.string();
    }

private:
    fs::path path_;
};

// Applies text as file "t.conf"; returns the error message or "" on success.
std::string apply_error(const std::string& text, DaemonConfig* out = nullptr) {
    DaemonConfig cfg;
    auto r = ntms::apply_config_text(cfg, text, "t.conf");
    if (out)
        *out = cfg;
    if (r.ok())
        return "";
    EXPECT_EQ(r.error().code, ntms::win32::InvalidParameter);
    return r.error().message;
}

const LibraryConfig* find(const DaemonConfig& cfg, const std::string& name) {
    for (const auto& l : cfg.libraries)
        if (l.name == name)
            return &l;
    return nullptr;
}

} // namespace

TEST(Config, MissingMainFileGivesDefaults) {
    TempDir dir;
    auto cfg = ntms::load_config((dir.path() / "ntmsd.conf").string());
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    EXPECT_EQ(cfg->database, "/var/lib/ntmsd/ntmsd.db");
    EXPECT_TRUE(cfg->discover);
    EXPECT_EQ(cfg->job_retention_sec, 3600u);
    EXPECT_EQ(cfg->max_options, 32u);
    EXPECT_EQ(cfg->max_option_bytes, 16384u);
    EXPECT_TRUE(cfg->libraries.empty());
}

TEST(Config, EveryKey) {
    TempDir dir;
    std::string main = dir.write("ntmsd.conf", "[Daemon]\n"
                                               "Database=/srv/ntms/db.sqlite\n"
                                               "Discover=no\n"
                                               "JobRetentionSec=0\n"
                                               "\n"
                                               "[Library lab1]\n"
                                               "Device=sim:lab1,slots=40,ie=4\n"
                                               "Enabled=false\n"
                                               "InjectTimeoutSec=65535\n"
                                               "PollIntervalMSec=50\n"
                                               "MaxQueuedJobs=7\n"
                                               "CommandTimeoutSec=5\n"
                                               "CheckIntervalSec=0\n"
                                               "RetryFirstMSec=250\n"
                                               "RetryMaxSec=8\n"
                                               "UseGroups=tape backup\n"
                                               "ModifyGroups=backup\n"
                                               "ControlGroups=operators\n"
                                               "Ports=100 101-104\n");
    auto cfg = ntms::load_config(main);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    EXPECT_EQ(cfg->database, "/srv/ntms/db.sqlite");
    EXPECT_FALSE(cfg->discover);
    EXPECT_EQ(cfg->job_retention_sec, 0u);
    ASSERT_EQ(cfg->libraries.size(), 1u);
    const auto& l = cfg->libraries[0];
    EXPECT_EQ(l.name, "lab1");
    EXPECT_EQ(l.device, "sim:lab1,slots=40,ie=4");
    EXPECT_FALSE(l.enabled);
    EXPECT_EQ(l.inject_timeout_sec, 65535u);
    EXPECT_EQ(l.poll_interval_ms, 50u);
    EXPECT_EQ(l.max_queued_jobs, 7u);
    EXPECT_EQ(l.command_timeout_sec, 5u);
    EXPECT_EQ(l.check_interval_sec, 0u);
    EXPECT_EQ(l.retry_first_ms, 250u);
    EXPECT_EQ(l.retry_max_sec, 8u);
    EXPECT_EQ(l.use_groups, (std::vector<std::string>{"tape", "backup"}));
    EXPECT_EQ(l.modify_groups, (std::vector<std::string>{"backup"}));
    EXPECT_EQ(l.control_groups, (std::vector<std::string>{"operators"}));
    ASSERT_EQ(l.ports.size(), 2u);
    EXPECT_EQ(l.ports[0].first, 100);
    EXPECT_EQ(l.ports[0].count, 1);
    EXPECT_EQ(l.ports[1].first, 101);
    EXPECT_EQ(l.ports[1].count, 4);
    EXPECT_EQ(l.origin, main + ":6");
}

TEST(Config, LibraryDefaults) {
    DaemonConfig cfg;
    ASSERT_EQ(apply_error("[Library a]\nDevice=/dev/sg3\n", &cfg), "");
    const auto& l = cfg.libraries.at(0);
    EXPECT_TRUE(l.enabled);
    EXPECT_EQ(l.inject_timeout_sec, 60u);
    EXPECT_EQ(l.poll_interval_ms, 500u);
    EXPECT_EQ(l.max_queued_jobs, 1000u);
    EXPECT_EQ(l.command_timeout_sec, 60u);
    EXPECT_EQ(l.check_interval_sec, 10u);
    EXPECT_EQ(l.retry_first_ms, 1500u);
    EXPECT_EQ(l.retry_max_sec, 30u);
    EXPECT_EQ(l.use_groups, (std::vector<std::string>{"tape"}));
    EXPECT_TRUE(l.modify_groups.empty());
    EXPECT_EQ(l.control_groups, (std::vector<std::string>{"tape"}));
    EXPECT_TRUE(l.ports.empty());
    EXPECT_EQ(l.cleaner_prefix, "CLN");
    EXPECT_EQ(l.max_cleanings, 50u);
    EXPECT_EQ(l.cleaning_time_sec, 120u);
}

TEST(Config, CleaningKeys) {
    DaemonConfig cfg;
    ASSERT_EQ(apply_error("[Library a]\nDevice=/dev/sg3\nCleanerPrefix=CLEAN\nMaxCleanings=100000\n"
                          "CleaningTimeSec=0\n",
                          &cfg),
              "");
    const auto& l = cfg.libraries.at(0);
    EXPECT_EQ(l.cleaner_prefix, "CLEAN");
    EXPECT_EQ(l.max_cleanings, 100000u);
    EXPECT_EQ(l.cleaning_time_sec, 0u);
    EXPECT_TRUE(ntms::is_cleaner(l, "CLEAN01L1"));
    EXPECT_FALSE(ntms::is_cleaner(l, "CLN001L1"));
    EXPECT_FALSE(ntms::is_cleaner(l, "S00001L8"));
}

TEST(Config, RangeLimitsAccepted) {
    DaemonConfig cfg;
    ASSERT_EQ(apply_error("[Daemon]\nJobRetentionSec=4294967295\nDatabaseCheckSec=3600\n"
                          "MaxOptions=65536\nMaxOptionBytes=134217728\n"
                          "[Library a]\nDevice=iscsi://127.0.0.1:3260/iqn.2024-01.test:x/1\n"
                          "InjectTimeoutSec=0\nPollIntervalMSec=60000\nPorts=1-65535\n",
                          &cfg),
              "");
    EXPECT_EQ(cfg.job_retention_sec, 4294967295u);
    EXPECT_EQ(cfg.max_options, 65536u);
    EXPECT_EQ(cfg.max_option_bytes, 134217728u);
    DaemonConfig low;
    ASSERT_EQ(apply_error("[Daemon]\nMaxOptions=8\nMaxOptionBytes=2048\n", &low), "");
    EXPECT_EQ(low.max_options, 8u);
    EXPECT_EQ(low.max_option_bytes, 2048u);
    EXPECT_EQ(cfg.database_check_sec, 3600u);
    const auto& l = cfg.libraries.at(0);
    EXPECT_EQ(l.inject_timeout_sec, 0u);
    EXPECT_EQ(l.poll_interval_ms, 60000u);
    ASSERT_EQ(l.ports.size(), 1u);
    EXPECT_EQ(l.ports[0].first, 1);
    EXPECT_EQ(l.ports[0].count, 65535);
}

struct BadCase {
    const char* text;
    const char* expect; // substring of the message, after "t.conf:LINE: "
    int line;
};

class ConfigError : public testing::TestWithParam<BadCase> {};

TEST_P(ConfigError, NamesFileLineAndProblem) {
    const BadCase& c = GetParam();
    DaemonConfig cfg;
    std::string msg = apply_error(c.text, &cfg);
    std::string prefix = "t.conf:" + std::to_string(c.line) + ": ";
    EXPECT_EQ(msg.rfind(prefix, 0), 0u) << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
    // Nothing half-applied.
    EXPECT_TRUE(cfg.libraries.empty());
    EXPECT_EQ(cfg.database, "/var/lib/ntmsd/ntmsd.db");
}

const BadCase bad_cases[] = {
    {"[Daemon]\nDatabase=/x\n[Dæmon]\n", "unknown section [Dæmon]", 3},
    {"[daemon]\n", "unknown section [daemon]", 1},
    {"[Library]\n", "unknown section [Library]", 1},
    {"[Library ]\n", "invalid library name ''", 1},
    {"[Library a/b]\n", "invalid library name 'a/b'", 1},
    {"[Library a b]\n", "invalid library name 'a b'", 1},
    {"[Library "
     "a1234567890123456789012345678901234567890123456789012345678901234]\n",
     "invalid library name", 1},
    {"[Daemon\n", "section header without ']'", 1},
    {"[Daemon] x\n", "unexpected text after section header", 1},
    {"Database=/x\n", "Database= outside a section", 1},
    {"[Daemon]\nDatabase=/x\nFoo=1\n", "unknown key 'Foo' in [Daemon]", 3},
    {"[Daemon]\ndatabase=/x\n", "unknown key 'database' in [Daemon]", 2},
    {"[Library a]\nDevice=/dev/sg1\nDatabase=/x\n", "unknown key 'Database' in [Library a]", 3},
    {"[Daemon]\nDatabase=relative.db\n", "Database=relative.db: expected an absolute path", 2},
    {"[Daemon]\nDatabase=\n", "Database=: expected an absolute path", 2},
    {"[Daemon]\nDiscover=maybe\n", "Discover=maybe: expected yes or no", 2},
    {"[Daemon]\nDiscover=yes # really\n", "Discover=yes # really: expected yes or no", 2},
    {"[Daemon]\nJobRetentionSec=4294967296\n", "JobRetentionSec=4294967296: expected a whole", 2},
    {"[Daemon]\nJobRetentionSec=-1\n", "JobRetentionSec=-1", 2},
    {"[Daemon]\nDatabaseCheckSec=0\n", "DatabaseCheckSec=0", 2},
    {"[Daemon]\nDatabaseCheckSec=3601\n", "DatabaseCheckSec=3601", 2},
    {"[Daemon]\nJobRetentionSec=99999999999999999999999\n", "JobRetentionSec=", 2},
    {"[Library a]\nDevice=\n", "Device=: expected a device path", 2},
    {"[Library a]\nDevice=sg3\n", "Device=sg3: expected a device path", 2},
    {"[Library a]\nEnabled=2\n", "Enabled=2: expected yes or no", 2},
    {"[Library a]\nInjectTimeoutSec=65536\n",
     "InjectTimeoutSec=65536: expected a whole number "
     "from 0 to 65535",
     2},
    {"[Library a]\nInjectTimeoutSec=60s\n", "InjectTimeoutSec=60s", 2},
    {"[Library a]\nInjectTimeoutSec=+6\n", "InjectTimeoutSec=+6", 2},
    {"[Library a]\nInjectTimeoutSec=\n", "InjectTimeoutSec=", 2},
    {"[Library a]\nInjectTimeoutSec=1 2\n", "InjectTimeoutSec=1 2", 2},
    {"[Library a]\nPollIntervalMSec=49\n",
     "PollIntervalMSec=49: expected a whole number from 50 "
     "to 60000",
     2},
    {"[Library a]\nPollIntervalMSec=60001\n", "PollIntervalMSec=60001", 2},
    {"[Daemon]\nMaxOptions=7\n", "MaxOptions=7: expected a whole number from 8 to 65536", 2},
    {"[Daemon]\nMaxOptions=65537\n", "MaxOptions=65537", 2},
    {"[Daemon]\nMaxOptionBytes=2047\n",
     "MaxOptionBytes=2047: expected a whole number from 2048 to 134217728", 2},
    {"[Daemon]\nMaxOptionBytes=134217729\n", "MaxOptionBytes=134217729", 2},
    {"[Library a]\nMaxQueuedJobs=0\n", "MaxQueuedJobs=0: expected a whole number from 1 to 1000000",
     2},
    {"[Library a]\nCommandTimeoutSec=0\n",
     "CommandTimeoutSec=0: expected a whole number from 1 to 3600", 2},
    {"[Library a]\nCheckIntervalSec=86401\n", "CheckIntervalSec=86401", 2},
    {"[Library a]\nRetryFirstMSec=99\n",
     "RetryFirstMSec=99: expected a whole number from 100 to 600000", 2},
    {"[Library a]\nRetryMaxSec=0\n", "RetryMaxSec=0: expected a whole number from 1 to 3600", 2},
    {"[Library a]\nCleanerPrefix=\n", "CleanerPrefix=: expected 1 to 32 characters", 2},
    {"[Library a]\nCleanerPrefix=C\x01N\n", "expected printable characters without blanks", 2},
    {"[Library a]\nMaxCleanings=0\n", "MaxCleanings=0: expected a whole number from 1 to 100000",
     2},
    {"[Library a]\nCleaningTimeSec=3601\n",
     "CleaningTimeSec=3601: expected a whole number from 0 to 3600", 2},
    {"[Library a]\nPorts=0\n", "Ports=0: '0' is not an element address", 2},
    {"[Library a]\nPorts=65536\n", "'65536' is not an element address", 2},
    {"[Library a]\nPorts=100 5-3\n", "'5-3' is not an element address", 2},
    {"[Library a]\nPorts=10-\n", "'10-' is not", 2},
    {"[Library a]\nPorts=-10\n", "'-10' is not", 2},
    {"[Library a]\nPorts=1-2-3\n", "'1-2-3' is not", 2},
    {"[Library a]\nPorts=100,101\n", "'100,101' is not", 2},
    {"[Library a]\nPorts=x\n", "'x' is not", 2},
    {"[Library a]\nPorts=100-103 90-100\n", "element 100 is in more than one port", 2},
    {"[Library a]\nPorts=7 7\n", "element 7 is in more than one port", 2},
    {"[Library a]\nUseGroups=tape -x\n", "UseGroups=tape -x: '-x' is not a valid group name", 2},
    {"[Library a]\nModifyGroups=100\n", "'100' is not a valid group name", 2},
    {"[Library a]\nControlGroups=tape op$\n", "'op$' is not a valid group name", 2},
    {"[Library a]\nControlGroups=ta:pe\n", "'ta:pe' is not a valid group name", 2},
    {"[Library a]\nDevice:/dev/sg1\n", "expected KEY=VALUE", 2},
    {"[Library a]\njunk\n", "expected KEY=VALUE", 2},
    {"[Library a]\n=/dev/sg1\n", "unknown key ''", 2},
    {"# comment\n\n; comment\n[Library a]\n  # indented comment\n\nBogus=1\n",
     "unknown key 'Bogus'", 7},
    {"[Library a]\nDevice=/dev/sg1\n"
     "UseGroups=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     "line too long (at most 199 characters)", 3},
};

INSTANTIATE_TEST_SUITE_P(Config, ConfigError, testing::ValuesIn(bad_cases));

TEST(Config, NulByteIsAnError) {
    DaemonConfig cfg;
    std::string text("[Library a]\nDevice=/dev/sg1\0x\n", 30);
    auto r = ntms::apply_config_text(cfg, text, "t.conf");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "t.conf:2: NUL byte in line");
}

TEST(Config, LongestLineAndLongestNameAccepted) {
    std::string name(64, 'n');
    std::string device = "/dev/" + std::string(199 - 12, 'd'); // "Device=" + 192 = 199
    DaemonConfig cfg;
    ASSERT_EQ(apply_error("[Library " + name + "]\nDevice=" + device + "\n", &cfg), "");
    ASSERT_EQ(cfg.libraries.size(), 1u);
    EXPECT_EQ(cfg.libraries[0].name, name);
    EXPECT_EQ(cfg.libraries[0].device, device);
}

TEST(Config, LibraryNameCharacters) {
    DaemonConfig cfg;
    ASSERT_EQ(apply_error("[Library Lab_1.north-2]\nDevice=/dev/sg1\n", &cfg), "");
    EXPECT_EQ(cfg.libraries.at(0).name, "Lab_1.north-2");
}

TEST(Config, CommentsBlanksAndIndentation) {
    DaemonConfig cfg;
    ASSERT_EQ(apply_error("# leading comment\n"
                          "; another\n"
                          "\n"
                          "[Library a] ; trailing comment after a header\n"
                          "  Device = /dev/sg1   ; the changer\n"
                          "\tEnabled=no\n"
                          "    # indented comment\n"
                          "InjectTimeoutSec=30 ; seconds\n",
                          &cfg),
              "");
    const auto& l = cfg.libraries.at(0);
    EXPECT_EQ(l.device, "/dev/sg1");
    EXPECT_FALSE(l.enabled);
    EXPECT_EQ(l.inject_timeout_sec, 30u);
    // ';' starts a comment only after a blank, as in inih.
    EXPECT_EQ(apply_error("[Library a]\nUseGroups=tape;x\n"),
              "t.conf:2: UseGroups=tape;x: 'tape;x' is not a valid group name");
}

TEST(Config, IndentedLineIsNotAContinuation) {
    DaemonConfig cfg;
    ASSERT_EQ(apply_error("[Library a]\nDevice=/dev/sg1\n  Enabled=no\n", &cfg), "");
    EXPECT_EQ(cfg.libraries.at(0).device, "/dev/sg1");
    EXPECT_FALSE(cfg.libraries.at(0).enabled);
}

TEST(Config, ByteOrderMarkAndCrLf) {
    DaemonConfig cfg;
    ASSERT_EQ(apply_error("\xEF\xBB\xBF[Library a]\r\nDevice=/dev/sg1\r\nEnabled=no\r\n", &cfg),
              "");
    EXPECT_EQ(cfg.libraries.at(0).device, "/dev/sg1");
    EXPECT_FALSE(cfg.libraries.at(0).enabled);
}

TEST(Config, LastLineWithoutNewline) {
    DaemonConfig cfg;
    ASSERT_EQ(apply_error("[Library a]\nDevice=/dev/sg1", &cfg), "");
    EXPECT_EQ(cfg.libraries.at(0).device, "/dev/sg1");
    EXPECT_EQ(apply_error("[Library a]\nDevice=/dev/sg1\nbroken"), "t.conf:3: expected KEY=VALUE, "
                                                                   "[Daemon] or [Library NAME]");
}

TEST(Config, FirstErrorWins) {
    EXPECT_EQ(apply_error("[Daemon]\nDiscover=x\nFoo=1\n"),
              "t.conf:2: Discover=x: expected yes or no");
    EXPECT_EQ(apply_error("[Daemon]\nnonsense\nFoo=1\n"),
              "t.conf:2: expected KEY=VALUE, [Daemon] or [Library NAME]");
}

TEST(Config, DuplicateSectionInOneFileMerges) {
    DaemonConfig cfg;
    ASSERT_EQ(apply_error("[Library a]\nDevice=/dev/sg1\nEnabled=no\n"
                          "[Library b]\nDevice=/dev/sg2\n"
                          "[Library a]\nInjectTimeoutSec=5\n"
                          "[Daemon]\nDiscover=no\n[Daemon]\nJobRetentionSec=7\n",
                          &cfg),
              "");
    ASSERT_EQ(cfg.libraries.size(), 2u);
    const auto* a = find(cfg, "a");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->device, "/dev/sg1");
    EXPECT_FALSE(a->enabled);
    EXPECT_EQ(a->inject_timeout_sec, 5u);
    EXPECT_EQ(a->origin, "t.conf:1"); // where it was first declared
    EXPECT_EQ(cfg.libraries[1].name, "b");
    EXPECT_FALSE(cfg.discover);
    EXPECT_EQ(cfg.job_retention_sec, 7u);
}

TEST(Config, RepeatedKeyLastWins) {
    DaemonConfig cfg;
    ASSERT_EQ(apply_error("[Library a]\nDevice=/dev/sg1\nDevice=/dev/sg2\n"
                          "ControlGroups=x y\nControlGroups=z\nPorts=1\nPorts=2-3\n",
                          &cfg),
              "");
    const auto& l = cfg.libraries.at(0);
    EXPECT_EQ(l.device, "/dev/sg2");
    EXPECT_EQ(l.control_groups, (std::vector<std::string>{"z"}));
    ASSERT_EQ(l.ports.size(), 1u);
    EXPECT_EQ(l.ports[0].first, 2);
    EXPECT_EQ(l.ports[0].count, 2);
}

TEST(Config, GroupListsDropDuplicates) {
    DaemonConfig cfg;
    ASSERT_EQ(apply_error("[Library a]\nDevice=/dev/sg1\nUseGroups=tape  backup\ttape\n", &cfg),
              "");
    EXPECT_EQ(cfg.libraries.at(0).use_groups, (std::vector<std::string>{"tape", "backup"}));
}

TEST(Config, ApplyLeavesConfigUnchangedOnError) {
    DaemonConfig cfg;
    ASSERT_TRUE(ntms::apply_config_text(cfg, "[Library a]\nDevice=/dev/sg1\n", "a.conf").ok());
    auto r = ntms::apply_config_text(cfg,
                                     "[Daemon]\nDiscover=no\n[Library a]\nEnabled=no\n"
                                     "[Library b]\nDevice=/dev/sg2\nPorts=0\n",
                                     "b.conf");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message.rfind("b.conf:7: Ports=0", 0), 0u) << r.error().message;
    EXPECT_TRUE(cfg.discover);
    ASSERT_EQ(cfg.libraries.size(), 1u);
    EXPECT_TRUE(cfg.libraries[0].enabled);
}

TEST(Config, DropInsOverrideInLexicalOrder) {
    TempDir dir;
    std::string main = dir.write("ntmsd.conf", "[Daemon]\nJobRetentionSec=10\n"
                                               "[Library lab1]\nDevice=/dev/sg1\n"
                                               "InjectTimeoutSec=10\nPollIntervalMSec=100\n");
    dir.write("ntmsd.conf.d/20-b.conf", "[Library lab1]\nInjectTimeoutSec=30\n");
    dir.write("ntmsd.conf.d/10-a.conf",
              "[Library lab1]\nInjectTimeoutSec=20\nPollIntervalMSec=200\n"
              "[Daemon]\nJobRetentionSec=20\n");
    dir.write("ntmsd.conf.d/30-c.conf", "[Library lab2]\nDevice=/dev/sg2\n");
    // Not drop-ins: wrong suffix, hidden, a directory, a backup.
    dir.write("ntmsd.conf.d/99-z.conf.bak", "[Library lab1]\nInjectTimeoutSec=99\n");
    dir.write("ntmsd.conf.d/99-z.txt", "garbage\n");
    dir.write("ntmsd.conf.d/.99-hidden.conf", "garbage\n");
    fs::create_directories(dir.path() / "ntmsd.conf.d" / "99-dir.conf");
    // A drop-in linked to /dev/null is masked.
    fs::create_symlink("/dev/null", dir.path() / "ntmsd.conf.d" / "50-masked.conf");

    auto cfg = ntms::load_config(main);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    EXPECT_EQ(cfg->job_retention_sec, 20u);
    ASSERT_EQ(cfg->libraries.size(), 2u);
    EXPECT_EQ(cfg->libraries[0].name, "lab1");
    EXPECT_EQ(cfg->libraries[0].inject_timeout_sec, 30u);
    EXPECT_EQ(cfg->libraries[0].poll_interval_ms, 200u);
    EXPECT_EQ(cfg->libraries[0].origin, main + ":3");
    EXPECT_EQ(cfg->libraries[1].name, "lab2");
    EXPECT_EQ(cfg->libraries[1].origin,
              (dir.path() / "ntmsd.conf.d" / "30-c.conf").string() + ":1");
}

TEST(Config, DropInsWithoutMainFile) {
    TempDir dir;
    dir.write("ntmsd.conf.d/lab.conf", "[Library lab]\nDevice=sim:lab\n");
    auto cfg = ntms::load_config((dir.path() / "ntmsd.conf").string());
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    ASSERT_EQ(cfg->libraries.size(), 1u);
    EXPECT_EQ(cfg->libraries[0].device, "sim:lab");
}

TEST(Config, ListResetByEmptyValue) {
    TempDir dir;
    std::string main = dir.write("ntmsd.conf", "[Library a]\nDevice=/dev/sg1\n"
                                               "UseGroups=tape ops\nModifyGroups=ops\n"
                                               "ControlGroups=ops\nPorts=100 101\n");
    dir.write("ntmsd.conf.d/reset.conf", "[Library a]\nUseGroups=\nModifyGroups=\n"
                                         "ControlGroups=\nPorts=\n");
    auto cfg = ntms::load_config(main);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    const auto& l = cfg->libraries.at(0);
    EXPECT_TRUE(l.use_groups.empty());
    EXPECT_TRUE(l.modify_groups.empty());
    EXPECT_TRUE(l.control_groups.empty());
    EXPECT_TRUE(l.ports.empty());
}

TEST(Config, ListInDropInReplaces) {
    TempDir dir;
    std::string main = dir.write("ntmsd.conf", "[Library a]\nDevice=/dev/sg1\nControlGroups=ops\n");
    dir.write("ntmsd.conf.d/x.conf", "[Library a]\nControlGroups=backup admins\n");
    auto cfg = ntms::load_config(main);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    EXPECT_EQ(cfg->libraries.at(0).control_groups, (std::vector<std::string>{"backup", "admins"}));
}

TEST(Config, DeviceMayComeFromDropIn) {
    TempDir dir;
    std::string main = dir.write("ntmsd.conf", "[Library a]\nEnabled=no\n");
    dir.write("ntmsd.conf.d/dev.conf", "[Library a]\nDevice=/dev/tape/by-id/scsi-x\n");
    auto cfg = ntms::load_config(main);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    EXPECT_EQ(cfg->libraries.at(0).device, "/dev/tape/by-id/scsi-x");
}

TEST(Config, MissingDeviceNamesSectionOrigin) {
    TempDir dir;
    std::string main = dir.write("ntmsd.conf", "[Daemon]\nDiscover=yes\n\n[Library lab1]\n"
                                               "Enabled=yes\n");
    auto cfg = ntms::load_config(main);
    ASSERT_FALSE(cfg.ok());
    EXPECT_EQ(cfg.error().code, ntms::win32::InvalidParameter);
    EXPECT_EQ(cfg.error().message, main + ":4: [Library lab1] has no Device=");

    DaemonConfig c;
    ASSERT_TRUE(ntms::apply_config_text(c, "[Library x]\n", "m.conf").ok());
    auto r = ntms::check_config(c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "m.conf:1: [Library x] has no Device=");
}

TEST(Config, DeviceUsedTwiceIsAnError) {
    TempDir dir;
    std::string main = dir.write("ntmsd.conf", "[Library a]\nDevice=/dev/sg1\n"
                                               "[Library b]\nDevice=/dev/sg1\n");
    auto cfg = ntms::load_config(main);
    ASSERT_FALSE(cfg.ok());
    EXPECT_EQ(cfg.error().message, main +
                                       ":3: [Library b]: Device=/dev/sg1 is already used by "
                                       "[Library a] (" +
                                       main + ":1)");
}

TEST(Config, ErrorInDropInNamesItAndReturnsNothing) {
    TempDir dir;
    std::string main = dir.write("ntmsd.conf", "[Library a]\nDevice=/dev/sg1\n");
    std::string bad = dir.write("ntmsd.conf.d/50-bad.conf", "# tuning\n[Library a]\n"
                                                            "InjectTimeoutSec=100000\n");
    auto cfg = ntms::load_config(main);
    ASSERT_FALSE(cfg.ok());
    EXPECT_EQ(cfg.error().message, bad + ":3: InjectTimeoutSec=100000: expected a whole number "
                                         "from 0 to 65535");
}

TEST(Config, UnreadableMainFileIsAnError) {
    TempDir dir;
    fs::create_directories(dir.path() / "ntmsd.conf"); // read() fails with EISDIR
    auto cfg = ntms::load_config((dir.path() / "ntmsd.conf").string());
    ASSERT_FALSE(cfg.ok());
    EXPECT_NE(cfg.error().message.find("ntmsd.conf: cannot read: "), std::string::npos)
        << cfg.error().message;
}

TEST(Config, UnreadableDropInDirectoryIsAnError) {
    TempDir dir;
    std::string main = dir.write("ntmsd.conf", "");
    // A symlink loop fails with ELOOP even for root, unlike a mode of 000.
    fs::create_symlink("ntmsd.conf.d", dir.path() / "ntmsd.conf.d");
    auto cfg = ntms::load_config(main);
    ASSERT_FALSE(cfg.ok());
    EXPECT_NE(cfg.error().message.find("ntmsd.conf.d: cannot read directory: "), std::string::npos)
        << cfg.error().message;
}

TEST(Config, UnreadableDropInIsAnError) {
    TempDir dir;
    std::string main = dir.write("ntmsd.conf", "");
    fs::create_directories(dir.path() / "ntmsd.conf.d");
    fs::create_symlink("loop.conf", dir.path() / "ntmsd.conf.d" / "loop.conf");
    auto cfg = ntms::load_config(main);
    ASSERT_FALSE(cfg.ok());
    EXPECT_NE(cfg.error().message.find("loop.conf: cannot read: "), std::string::npos)
        << cfg.error().message;
}

TEST(Config, ParseBoolean) {
    for (const char* s : {"yes", "YES", "true", "True", "on", "1"}) {
        bool b = false;
        EXPECT_TRUE(ntms::parse_boolean(s, b)) << s;
        EXPECT_TRUE(b) << s;
    }
    for (const char* s : {"no", "No", "false", "FALSE", "off", "0"}) {
        bool b = true;
        EXPECT_TRUE(ntms::parse_boolean(s, b)) << s;
        EXPECT_FALSE(b) << s;
    }
    for (const char* s : {"", "y", "n", "2", "yes ", " no", "enable", "01"}) {
        bool b = true;
        EXPECT_FALSE(ntms::parse_boolean(s, b)) << s;
        EXPECT_TRUE(b) << "output written on failure for '" << s << "'";
    }
}
