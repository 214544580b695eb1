#include "daemon/journal.hpp"
#include "daemon/status.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using namespace ntms;

namespace {

const char* const all_ids[] = {message_id::OperatorRequest, message_id::InsertRequest,
                               message_id::JobCompleted,    message_id::JobFailed,
                               message_id::LibraryOnline,   message_id::LibraryOffline,
                               message_id::MediumReconciled, message_id::DatabaseWrittenBack,
                               message_id::DatabaseNotWrittenBack,
                               message_id::MediumGone,      message_id::PortChanged};

Guid guid(const char* s) {
    auto g = Guid::parse(s);
    EXPECT_TRUE(g.has_value()) << s;
    return g.value_or(Guid{});
}

const Guid lib_id = guid("11111111-2222-3333-4444-555555555555");
const Guid job_id = guid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
const Guid req_id = guid("01234567-89ab-cdef-0123-456789abcdef");

struct Line {
    std::string priority;
    std::string message;
    std::map<std::string, std::string> fields;
};

// Parses "ntmsd[PID]: PRIORITY: MESSAGE [K=V K="V V"]".
std::optional<Line> parse_line(const std::string& s) {
    std::string prefix = "ntmsd[" + std::to_string(getpid()) + "]: ";
    if (s.rfind(prefix, 0) != 0)
        return std::nullopt;
    size_t colon = s.find(": ", prefix.size());
    if (colon == std::string::npos)
        return std::nullopt;
    Line l{s.substr(prefix.size(), colon - prefix.size()), s.substr(colon + 2), {}};
    if (l.priority.empty() ||
        l.priority.find_first_not_of("abcdefghijklmnopqrstuvwxyz") != std::string::npos)
        return std::nullopt;
    if (l.message.empty() || l.message.back() != ']')
        return l;
    size_t open = l.message.rfind(" [");
    if (open == std::string::npos)
        return l;
    std::string f = l.message.substr(open + 2, l.message.size() - open - 3);
    l.message.resize(open);
    size_t i = 0;
    while (i < f.size()) {
        size_t eq = f.find('=', i);
        if (eq == std::string::npos)
            return std::nullopt;
        std::string key = f.substr(i, eq - i);
        std::string value;
        i = eq + 1;
        if (i < f.size() && f[i] == '"') {
            for (++i; i < f.size() && f[i] != '"'; ++i) {
                if (f[i] == '\\' && i + 1 < f.size())
                    ++i;
                value.push_back(f[i]);
            }
            ++i; // closing quote
        } else {
            while (i < f.size() && f[i] != ' ')
                value.push_back(f[i++]);
        }
        l.fields[key] = value;
        if (i < f.size() && f[i] == ' ')
            ++i;
    }
    return l;
}

bool is_hex32(std::string_view s) {
    return s.size() == 32 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::vector<std::string> split_lines(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);)
        out.push_back(l);
    return out;
}

// Runs f with stderr captured and returns the single line it must have written.
template <typename F> Line capture_one(F f) {
    testing::internal::CaptureStderr();
    f();
    std::string out = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(out.empty());
    EXPECT_EQ(out.back(), '\n') << out;
    auto lines = split_lines(out);
    EXPECT_EQ(lines.size(), 1u) << out;
    auto l = parse_line(lines.empty() ? "" : lines[0]);
    EXPECT_TRUE(l.has_value()) << out;
    return l.value_or(Line{});
}

class Journal : public testing::Test {
protected:
    void SetUp() override { set_log_target_stderr(true); }
    void TearDown() override { set_log_target_stderr(false); }
};

JobRecord job(JobState state, uint32_t moved, uint32_t error = 0, std::string msg = "") {
    JobRecord j;
    j.id = job_id;
    j.library = lib_id;
    j.state = state;
    j.media_moved = moved;
    j.error = error;
    j.error_message = std::move(msg);
    return j;
}

OpRequestRecord oprequest(OpRequestState state, OpRequestType type, std::string text) {
    OpRequestRecord r;
    r.id = req_id;
    r.library = lib_id;
    r.job = job_id;
    r.state = state;
    r.type = type;
    r.message = std::move(text);
    return r;
}

LibraryRecord library() {
    LibraryRecord l;
    l.id = lib_id;
    l.name = "lab1";
    l.device = "/dev/sg3";
    return l;
}

// Every record kind, each branch once; used to learn which fields each MESSAGE_ID carries.
MediumRecord medium(const std::string& barcode) {
    MediumRecord m;
    m.id = req_id;
    m.library = lib_id;
    m.barcode = barcode;
    return m;
}

void log_all_kinds() {
    journal_oprequest(oprequest(OpRequestState::Submitted, OpRequestType::Message, "full"), "lab1");
    journal_oprequest(oprequest(OpRequestState::Complete, OpRequestType::NewMedia, ""), "lab1");
    journal_oprequest(oprequest(OpRequestState::Submitted, OpRequestType::NewMedia, "put"), "lab1",
                      100);
    auto r = oprequest(OpRequestState::Refused, OpRequestType::Cleaner, "x");
    r.job = Guid{};
    journal_oprequest(r, "lab1");
    journal_job_end(job(JobState::Passed, 1), "lab1");
    journal_job_end(job(JobState::Stopped, 0), "lab1");
    journal_job_end(job(JobState::Cancelled, 0), "lab1");
    journal_job_end(job(JobState::Failed, 0, win32::LibraryOffline, "no answer"), "lab1");
    journal_library_state(library(), true, "");
    journal_library_state(library(), false, "device removed");
    journal_reconciled(library(), "medium ABC123 found in slot 5");
    journal_database_written_back("/var/lib/ntmsd/ntmsd.db", false, "no file", "", 65536);
    journal_database_written_back("/var/lib/ntmsd/ntmsd.db", true, "another file (inode 12)",
                                  "/var/lib/ntmsd/ntmsd.db.replaced-20240101T000000", 65536);
    journal_database_rescue_failed("/var/lib/ntmsd/ntmsd.db", "No space left on device");
    journal_medium_gone(library(), medium("GONE01L8"), 1003, job_id);
    journal_medium_gone(library(), medium(""), std::nullopt, Guid{});
    journal_port_change(library(), medium("PORT01L8"), 100, true);
    journal_port_change(library(), medium(""), 100, false);
}

} // namespace

TEST_F(Journal, PlainLog) {
    Line l = capture_one([] { log(LOG_ERR, "cannot open the database"); });
    EXPECT_EQ(l.priority, "err");
    EXPECT_EQ(l.message, "cannot open the database");
    EXPECT_TRUE(l.fields.empty());

    EXPECT_EQ(capture_one([] { log(LOG_DEBUG, "d"); }).priority, "debug");
    EXPECT_EQ(capture_one([] { log(LOG_WARNING, "w"); }).priority, "warning");
    EXPECT_EQ(capture_one([] { log(LOG_INFO, "i"); }).priority, "info");
}

TEST_F(Journal, ExactStderrFormat) {
    testing::internal::CaptureStderr();
    log(LOG_NOTICE, "hello");
    journal_reconciled(library(), "medium ABC found in slot 5");
    std::string out = testing::internal::GetCapturedStderr();
    std::string pid = std::to_string(getpid());
    EXPECT_EQ(out, "ntmsd[" + pid + "]: notice: hello\n" + "ntmsd[" + pid +
                       "]: notice: Library lab1: database corrected to match the library: medium "
                       "ABC found in slot 5 [MESSAGE_ID=4974a161b5ed46fdbfa7b51a86d9475a "
                       "NTMS_LIBRARY=11111111-2222-3333-4444-555555555555 NTMS_LIBRARY_NAME=lab1 "
                       "NTMS_RECONCILED=\"medium ABC found in slot 5\"]\n");
}

TEST_F(Journal, MessageIsOneLine) {
    testing::internal::CaptureStderr();
    log(LOG_ERR, "first\nsecond\r\tthird");
    std::string out = testing::internal::GetCapturedStderr();
    EXPECT_EQ(out, "ntmsd[" + std::to_string(getpid()) + "]: err: first second  third\n");
}

TEST_F(Journal, OperatorRequestLibraryFull) {
    Line l = capture_one([] {
        journal_oprequest(oprequest(OpRequestState::Submitted, OpRequestType::Message,
                                    "library is full: remove 2 cartridges from port 100"),
                          "lab1");
    });
    EXPECT_EQ(l.priority, "warning");
    EXPECT_EQ(l.message, "Library lab1: library is full: remove 2 cartridges from port 100");
    EXPECT_EQ(l.fields["MESSAGE_ID"], message_id::OperatorRequest);
    EXPECT_EQ(l.fields["NTMS_OPREQUEST"], "01234567-89ab-cdef-0123-456789abcdef");
    EXPECT_EQ(l.fields["NTMS_OPREQUEST_TYPE"], "message");
    EXPECT_EQ(l.fields["NTMS_OPREQUEST_STATE"], "submitted");
    EXPECT_EQ(l.fields["NTMS_LIBRARY"], "11111111-2222-3333-4444-555555555555");
    EXPECT_EQ(l.fields["NTMS_LIBRARY_NAME"], "lab1");
    EXPECT_EQ(l.fields["NTMS_JOB"], "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
}

TEST_F(Journal, OperatorRequestThatNamesItsLibrary) {
    Line l = capture_one([] {
        journal_oprequest(oprequest(OpRequestState::Submitted, OpRequestType::Message,
                                    "library lab1 is full: remove 1 cartridge from port 100"),
                          "lab1");
    });
    EXPECT_EQ(l.message, "Library lab1 is full: remove 1 cartridge from port 100");
    // Another library's name, or a longer name, is not this library.
    l = capture_one([] {
        journal_oprequest(
            oprequest(OpRequestState::Submitted, OpRequestType::Message, "library lab10 is full"),
            "lab1");
    });
    EXPECT_EQ(l.message, "Library lab1: library lab10 is full");
}

TEST_F(Journal, OperatorRequestStates) {
    Line l = capture_one([] {
        journal_oprequest(oprequest(OpRequestState::Active, OpRequestType::NewMedia,
                                    "put cartridges into port 100 and close it"),
                          "lab1");
    });
    EXPECT_EQ(l.priority, "notice");
    EXPECT_EQ(l.message, "Library lab1: put cartridges into port 100 and close it");
    EXPECT_EQ(l.fields["NTMS_OPREQUEST_TYPE"], "newmedia");
    EXPECT_EQ(l.fields["NTMS_OPREQUEST_STATE"], "active");

    l = capture_one([] {
        journal_oprequest(oprequest(OpRequestState::Complete, OpRequestType::Message, "x"), "lab1");
    });
    EXPECT_EQ(l.priority, "info");
    EXPECT_EQ(l.message, "Library lab1: operator request done: x");
    EXPECT_EQ(l.fields["NTMS_OPREQUEST_STATE"], "complete");

    l = capture_one([] {
        auto r = oprequest(OpRequestState::Refused, OpRequestType::DeviceService, "");
        r.job = Guid{};
        journal_oprequest(r, "lab1");
    });
    EXPECT_EQ(l.message, "Library lab1: operator request refused or cancelled: the library needs "
                         "service");
    EXPECT_EQ(l.fields["NTMS_OPREQUEST_TYPE"], "deviceservice");
    EXPECT_EQ(l.fields["NTMS_OPREQUEST_STATE"], "refused");
    EXPECT_EQ(l.fields.count("NTMS_JOB"), 0u); // not tied to a job
}

TEST_F(Journal, InsertRequestHasItsOwnMessageIdAndPort) {
    Line l = capture_one([] {
        journal_oprequest(
            oprequest(OpRequestState::Submitted, OpRequestType::NewMedia,
                      "library lab1: put cartridges into port 100 (1 element) and close it"),
            "lab1", 100);
    });
    EXPECT_EQ(l.priority, "notice");
    EXPECT_EQ(l.message, "Library lab1: put cartridges into port 100 (1 element) and close it");
    EXPECT_EQ(l.fields["MESSAGE_ID"], message_id::InsertRequest);
    EXPECT_NE(std::string(message_id::InsertRequest), message_id::OperatorRequest);
    EXPECT_EQ(l.fields["NTMS_PORT"], "100");
    EXPECT_EQ(l.fields["NTMS_OPREQUEST_TYPE"], "newmedia");
    EXPECT_EQ(l.fields["NTMS_JOB"], "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");

    l = capture_one([] {
        journal_oprequest(oprequest(OpRequestState::Refused, OpRequestType::NewMedia, "x"), "lab1");
    });
    EXPECT_EQ(l.fields["MESSAGE_ID"], message_id::InsertRequest);
    EXPECT_EQ(l.fields.count("NTMS_PORT"), 0u) << "no port given, none invented";
    // Any other type keeps the general operator request ID.
    l = capture_one([] {
        journal_oprequest(oprequest(OpRequestState::Submitted, OpRequestType::Message, "x"), "lab1",
                          100);
    });
    EXPECT_EQ(l.fields["MESSAGE_ID"], message_id::OperatorRequest);
}

TEST_F(Journal, UnnamedLibraryShowsItsGuid) {
    Line l = capture_one([] {
        journal_oprequest(oprequest(OpRequestState::Submitted, OpRequestType::Message, "x"), "");
    });
    EXPECT_EQ(l.message, "Library 11111111-2222-3333-4444-555555555555: x");
    EXPECT_EQ(l.fields["NTMS_LIBRARY_NAME"], "11111111-2222-3333-4444-555555555555");
}

TEST_F(Journal, JobPassed) {
    Line l = capture_one([] { journal_job_end(job(JobState::Passed, 2), "lab1"); });
    EXPECT_EQ(l.priority, "info");
    EXPECT_EQ(l.message,
              "Library lab1: inject job aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee finished: 2 "
              "cartridges imported");
    EXPECT_EQ(l.fields["MESSAGE_ID"], message_id::JobCompleted);
    EXPECT_EQ(l.fields["NTMS_JOB"], "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    EXPECT_EQ(l.fields["NTMS_JOB_STATE"], "passed");
    EXPECT_EQ(l.fields["NTMS_JOB_OPERATION"], "inject");
    EXPECT_EQ(l.fields["NTMS_MEDIA_MOVED"], "2");
    EXPECT_EQ(l.fields["NTMS_ERROR"], "0");
    EXPECT_EQ(l.fields["NTMS_LIBRARY"], "11111111-2222-3333-4444-555555555555");
    EXPECT_EQ(l.fields["NTMS_LIBRARY_NAME"], "lab1");
}

TEST_F(Journal, JobStoppedAndCancelled) {
    Line l = capture_one([] { journal_job_end(job(JobState::Stopped, 1), "lab1"); });
    EXPECT_EQ(l.fields["MESSAGE_ID"], message_id::JobCompleted);
    EXPECT_EQ(l.fields["NTMS_JOB_STATE"], "stopped");
    EXPECT_NE(l.message.find("stopped on request: 1 cartridge imported"), std::string::npos)
        << l.message;

    l = capture_one([] { journal_job_end(job(JobState::Cancelled, 0), "lab1"); });
    EXPECT_EQ(l.priority, "notice");
    EXPECT_EQ(l.fields["MESSAGE_ID"], message_id::JobCompleted);
    EXPECT_EQ(l.fields["NTMS_JOB_STATE"], "cancelled");
    EXPECT_NE(l.message.find("cancelled before it started"), std::string::npos) << l.message;
}

TEST_F(Journal, JobFailed) {
    Line l = capture_one([] {
        journal_job_end(job(JobState::Failed, 0, win32::LibraryOffline,
                            "the changer stopped "
                            "answering"),
                        "lab1");
    });
    EXPECT_EQ(l.priority, "err");
    EXPECT_EQ(l.message, "Library lab1: inject job aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee failed: "
                         "the changer stopped answering (ERROR_LIBRARY_OFFLINE); no cartridges "
                         "imported");
    EXPECT_EQ(l.fields["MESSAGE_ID"], message_id::JobFailed);
    EXPECT_EQ(l.fields["NTMS_JOB_STATE"], "failed");
    EXPECT_EQ(l.fields["NTMS_ERROR"], "4305");
    EXPECT_EQ(l.fields["NTMS_ERROR_NAME"], "ERROR_LIBRARY_OFFLINE");
    EXPECT_EQ(l.fields["NTMS_MEDIA_MOVED"], "0");
}

TEST_F(Journal, LibraryState) {
    Line l = capture_one([] { journal_library_state(library(), true, ""); });
    EXPECT_EQ(l.priority, "notice");
    EXPECT_EQ(l.message, "Library lab1 (/dev/sg3) is online");
    EXPECT_EQ(l.fields["MESSAGE_ID"], message_id::LibraryOnline);
    EXPECT_EQ(l.fields["NTMS_DEVICE"], "/dev/sg3");
    EXPECT_EQ(l.fields.count("NTMS_REASON"), 0u);

    l = capture_one([] { journal_library_state(library(), false, "device removed"); });
    EXPECT_EQ(l.priority, "warning");
    EXPECT_EQ(l.message, "Library lab1 (/dev/sg3) is offline: device removed");
    EXPECT_EQ(l.fields["MESSAGE_ID"], message_id::LibraryOffline);
    EXPECT_EQ(l.fields["NTMS_REASON"], "device removed");
    EXPECT_EQ(l.fields["NTMS_LIBRARY"], "11111111-2222-3333-4444-555555555555");
}

TEST_F(Journal, LinesStayWholeAcrossThreads) {
    constexpr int threads = 8, per_thread = 200;
    testing::internal::CaptureStderr();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([t] {
            for (int i = 0; i < per_thread; ++i)
                journal_library_state(library(), (i & 1) != 0,
                                      "thread " + std::to_string(t) + " record " +
                                          std::to_string(i));
        });
    for (auto& th : pool)
        th.join();
    auto lines = split_lines(testing::internal::GetCapturedStderr());
    ASSERT_EQ(lines.size(), size_t{threads * per_thread});
    std::set<std::string> reasons;
    for (const auto& s : lines) {
        auto l = parse_line(s);
        ASSERT_TRUE(l.has_value()) << s;
        reasons.insert(l->fields["NTMS_REASON"]);
    }
    EXPECT_EQ(reasons.size(), size_t{threads * per_thread});
}

// --- the catalog -------------------------------------------------------------------------------

namespace {

// The source tree: NTMS_SOURCE_ROOT, else the first parent of the test binary or of the working
// directory that holds both daemon/journal.hpp and systemd/ntmsd.catalog.
std::optional<fs::path> source_root() {
    auto holds = [](const fs::path& p) {
        return fs::exists(p / "daemon" / "journal.hpp") &&
               fs::exists(p / "systemd" / "ntmsd.catalog");
    };
    if (const char* env = std::getenv("NTMS_SOURCE_ROOT"); env && holds(env))
        return fs::path(env);
    std::error_code ec;
    for (fs::path start :
         {fs::read_symlink("/proc/self/exe", ec).parent_path(), fs::current_path()}) {
        for (fs::path p = start; !p.empty(); p = p.parent_path()) {
            if (holds(p))
                return p;
            if (p == p.parent_path())
                break;
        }
    }
    return std::nullopt;
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct CatalogEntry {
    std::map<std::string, std::string> header;
    std::string body;
};

// The format systemd's catalog.c reads: "-- ID [LANG]" starts an entry, then "Key: value" header
// lines, a blank line and the body; '#' lines outside an entry are comments.
std::multimap<std::string, CatalogEntry> parse_catalog(const std::string& text,
                                                       std::string& error) {
    std::multimap<std::string, CatalogEntry> out;
    CatalogEntry* cur = nullptr;
    bool in_header = false;
    int n = 0;
    for (const auto& line : split_lines(text)) {
        ++n;
        if (line.rfind("--", 0) == 0) {
            if (line.rfind("-- ", 0) != 0 || !is_hex32(line.substr(3))) {
                error = "line " + std::to_string(n) + ": bad ID line";
                return out;
            }
            cur = &out.emplace(line.substr(3), CatalogEntry{})->second;
            in_header = true;
        } else if (!cur) {
            if (!line.empty() && line[0] != '#') {
                error = "line " + std::to_string(n) + ": text before the first entry";
                return out;
            }
        } else if (in_header) {
            size_t colon = line.find(": ");
            if (line.empty())
                in_header = false;
            else if (colon != std::string::npos && colon > 0 && colon + 2 < line.size() &&
                     line.find_first_not_of(
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-") == colon)
                cur->header[line.substr(0, colon)] = line.substr(colon + 2);
            else {
                error = "line " + std::to_string(n) + ": bad header line";
                return out;
            }
        } else {
            cur->body += line + "\n";
        }
    }
    return out;
}

} // namespace

TEST(Catalog, EveryMessageIdExactlyOnceWithSubject) {
    auto root = source_root();
    ASSERT_TRUE(root.has_value()) << "source tree not found; set NTMS_SOURCE_ROOT";

    // The IDs in journal.hpp are the ones this test knows: a new ID needs a catalog entry.
    std::string hpp = read_text(*root / "daemon" / "journal.hpp");
    std::set<std::string> declared;
    for (size_t at = hpp.find("constexpr const char*"); at != std::string::npos;
         at = hpp.find("constexpr const char*", at + 1)) {
        size_t q = hpp.find("= \"", at);
        size_t semi = hpp.find(';', at);
        if (q != std::string::npos && q < semi && is_hex32(hpp.substr(q + 3, 32)) &&
            hpp.compare(q + 35, 1, "\"") == 0)
            declared.insert(hpp.substr(q + 3, 32));
    }
    std::set<std::string> known(std::begin(all_ids), std::end(all_ids));
    EXPECT_EQ(declared, known);

    std::string error;
    auto catalog = parse_catalog(read_text(*root / "systemd" / "ntmsd.catalog"), error);
    ASSERT_EQ(error, "");
    for (const auto& id : declared) {
        EXPECT_EQ(catalog.count(id), 1u) << id;
        auto it = catalog.find(id);
        if (it == catalog.end())
            continue;
        const auto& e = it->second;
        EXPECT_FALSE(e.header.count("Subject") == 0 || e.header.at("Subject").empty()) << id;
        EXPECT_EQ(e.header.count("Defined-By") ? e.header.at("Defined-By") : "", "ntms") << id;
        EXPECT_EQ(e.header.count("Support") ? e.header.at("Support") : "", "man:ntmsd(8)") << id;
        EXPECT_GT(e.body.size(), 100u) << id;
    }
    for (const auto& [id, e] : catalog)
        EXPECT_EQ(declared.count(id), 1u) << "catalog entry for an unknown MESSAGE_ID " << id;
}

TEST(Catalog, SubstitutesOnlyFieldsEveryRecordCarries) {
    auto root = source_root();
    ASSERT_TRUE(root.has_value());
    std::string error;
    auto catalog = parse_catalog(read_text(*root / "systemd" / "ntmsd.catalog"), error);
    ASSERT_EQ(error, "");

    // Fields present in every record of each MESSAGE_ID.
    set_log_target_stderr(true);
    testing::internal::CaptureStderr();
    log_all_kinds();
    std::string out = testing::internal::GetCapturedStderr();
    set_log_target_stderr(false);
    std::map<std::string, std::set<std::string>> always;
    for (const auto& s : split_lines(out)) {
        auto l = parse_line(s);
        ASSERT_TRUE(l.has_value()) << s;
        std::set<std::string> keys;
        for (const auto& [k, v] : l->fields)
            keys.insert(k);
        std::string id = l->fields["MESSAGE_ID"];
        if (!always.count(id)) {
            always[id] = keys;
        } else {
            std::set<std::string> both;
            for (const auto& k : keys)
                if (always[id].count(k))
                    both.insert(k);
            always[id] = both;
        }
    }
    for (const char* id : all_ids)
        ASSERT_EQ(always.count(id), 1u) << "no record logged with " << id;

    for (const auto& [id, e] : catalog) {
        std::string text = e.body;
        for (const auto& [k, v] : e.header)
            text += v + "\n";
        // @FIELD@ is what journalctl substitutes.
        for (size_t a = text.find('@'); a != std::string::npos; a = text.find('@', a + 1)) {
            size_t b = text.find('@', a + 1);
            if (b == std::string::npos)
                break;
            std::string name = text.substr(a + 1, b - a - 1);
            if (name.empty() || name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
                                    std::string::npos)
                continue;
            EXPECT_EQ(always[id].count(name), 1u)
                << "catalog entry " << id << " uses @" << name << "@, which not every record "
                << "carries";
            a = b;
        }
    }
}

TEST(Catalog, JournalctlAcceptsIt) {
    auto root = source_root();
    ASSERT_TRUE(root.has_value());
    if (std::system("command -v journalctl >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "journalctl not installed";

    std::string tmpl = (fs::temp_directory_path() / "ntms-catalog-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    fs::path tmp = tmpl;
    fs::create_directories(tmp / "usr/lib/systemd/catalog");
    fs::create_directories(tmp / "var/lib/systemd/catalog");
    fs::copy_file(*root / "systemd" / "ntmsd.catalog",
                  tmp / "usr/lib/systemd/catalog/ntmsd.catalog");

    auto run = [&](const std::string& args, std::string& output) {
        std::string cmd = "journalctl --root='" + tmp.string() + "' " + args + " 2>&1";
        FILE* p = popen(cmd.c_str(), "r");
        if (!p)
            return -1;
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0)
            output.append(buf, n);
        int status = pclose(p);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    std::string update, list;
    int rc_update = run("--update-catalog", update);
    int rc_list = run("--list-catalog", list);
    fs::remove_all(tmp);
    ASSERT_EQ(rc_update, 0) << update;
    ASSERT_EQ(rc_list, 0) << list;
    for (const char* id : all_ids)
        EXPECT_NE(list.find(std::string(id) + " ntms: "), std::string::npos) << id << "\n" << list;
}

TEST(JournalFields, MediumGoneAndPortChangeCarryTheirFields) {
    set_log_target_stderr(true);
    testing::internal::CaptureStderr();
    journal_medium_gone(library(), medium("GONE01L8"), 1003, job_id);
    journal_port_change(library(), medium("PORT01L8"), 100, true);
    std::string out = testing::internal::GetCapturedStderr();
    set_log_target_stderr(false);
    auto lines = split_lines(out);
    ASSERT_EQ(lines.size(), 2u) << out;
    auto gone = parse_line(lines[0]);
    ASSERT_TRUE(gone);
    EXPECT_EQ(gone->fields["MESSAGE_ID"], message_id::MediumGone);
    EXPECT_EQ(gone->fields["NTMS_BARCODE"], "GONE01L8");
    EXPECT_EQ(gone->fields["NTMS_ELEMENT"], "1003");
    EXPECT_EQ(gone->fields["NTMS_JOB"], job_id.str());
    EXPECT_EQ(gone->fields["NTMS_MEDIUM"], req_id.str());
    auto port = parse_line(lines[1]);
    ASSERT_TRUE(port);
    EXPECT_EQ(port->fields["MESSAGE_ID"], message_id::PortChanged);
    EXPECT_EQ(port->fields["NTMS_PORT_EVENT"], "arrived");
    EXPECT_EQ(port->fields["NTMS_ELEMENT"], "100");
    EXPECT_NE(port->message.find("PORT01L8 was put into port element 100"), std::string::npos)
        << port->message;
}
