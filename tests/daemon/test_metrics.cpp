// The daemon's metrics: the counters where the events happen (a device's SCSI errors and
// retries, a library's offline transitions, the jobs the ledger ends) and Manager::metrics()
// over a running domain with a virtual changer.
#include "daemon/jobs/job_metrics.hpp"
#include "daemon/library/catalogue.hpp"
#include "daemon/library/device_session.hpp"
#include "inject_fixture.hpp"
#include "sgio/cdb.hpp"

#include <set>
#include <stdexcept>

using namespace ntms;
using namespace ntms::test;
using namespace std::chrono_literals;

namespace {

class NoEvents : public EventSink {
public:
    void job_added(const JobRecord&) override {}
    void job_changed(const JobRecord&) override {}
    void oprequest_changed(const OpRequestRecord&) override {}
    void library_changed(const Guid&) override {}
};

size_t outcome_index(JobState s) {
    const auto& o = JobMetrics::outcomes;
    return static_cast<size_t>(std::find(o.begin(), o.end(), s) - o.begin());
}

const JobMetrics::Kind& kind_of(const std::vector<JobMetrics::Kind>& all, OperationKind k) {
    for (const auto& v : all)
        if (v.kind == k)
            return v;
    throw std::runtime_error("kind not reported");
}

// The value of the sample `name` with exactly these labels; nullopt when there is none.
std::optional<double> sample(const std::vector<MetricFamily>& families, const std::string& name,
                             const std::map<std::string, std::string>& labels) {
    for (const auto& f : families)
        for (const auto& s : f.samples)
            if (s.name == name && s.labels == labels)
                return s.value;
    return std::nullopt;
}

} // namespace

TEST(JobMetrics, CountsByKindAndOutcomeWithACumulativeHistogram) {
    JobMetrics m;
    m.record(OperationKind::Inject, JobState::Passed, 50'000);        // 0.05 s
    m.record(OperationKind::Inject, JobState::Passed, 2'000'000);     // 2 s
    m.record(OperationKind::Inject, JobState::Cancelled, -5);         // a clock step: 0
    m.record(OperationKind::Eject, JobState::Failed, 10'000'000'000); // beyond the last bound
    m.record(OperationKind::Eject, JobState::Queued, 1'000);          // not final: not counted
    const auto all = m.read();
    ASSERT_EQ(all.size(), JobMetrics::kinds().size());

    const auto& inject = kind_of(all, OperationKind::Inject);
    EXPECT_EQ(inject.ended[outcome_index(JobState::Passed)], 2u);
    EXPECT_EQ(inject.ended[outcome_index(JobState::Cancelled)], 1u);
    EXPECT_EQ(inject.ended[outcome_index(JobState::Failed)], 0u);
    // Bounds 0.1, 0.5, 1, 5, ...: two jobs at or below 0.1 s, the 2 s one from the 5 s bucket on.
    EXPECT_EQ(inject.buckets[0], 2u);
    EXPECT_EQ(inject.buckets[1], 2u);
    EXPECT_EQ(inject.buckets[2], 2u);
    EXPECT_EQ(inject.buckets[3], 3u);
    EXPECT_EQ(inject.buckets.back(), 3u);
    EXPECT_DOUBLE_EQ(inject.sum_seconds, 2.05);

    const auto& eject = kind_of(all, OperationKind::Eject);
    EXPECT_EQ(eject.ended[outcome_index(JobState::Failed)], 1u);
    EXPECT_EQ(eject.buckets[JobMetrics::bucket_bounds.size() - 1], 0u);
    EXPECT_EQ(eject.buckets.back(), 1u);
    EXPECT_DOUBLE_EQ(eject.sum_seconds, 10'000.0);

    for (const auto& k : all)
        for (size_t i = 1; i < k.buckets.size(); ++i)
            EXPECT_LE(k.buckets[i - 1], k.buckets[i]) << operation_name(k.kind);
}

TEST(JobMetrics, ABucketBoundHoldsTheJobsOfExactlyThatDuration) {
    JobMetrics m;
    m.record(OperationKind::Inventory, JobState::Passed, 1'000'000); // exactly 1 s: le="1"
    const auto all = m.read();
    const auto& inv = kind_of(all, OperationKind::Inventory);
    EXPECT_EQ(inv.buckets[1], 0u); // le 0.5
    EXPECT_EQ(inv.buckets[2], 1u); // le 1
}

TEST(CatalogueMetrics, CountsOnlineToOfflineTransitions) {
    NoEvents events;
    LibraryRecord rec;
    rec.id = Guid::random();
    rec.name = "lab";
    Catalogue cat(rec, LibraryConfig{}, events);
    cat.start_as(LibraryState::Reading, {});
    cat.set_state(LibraryState::Offline, "never read"); // never online: not a transition
    EXPECT_EQ(cat.snapshot().offline_transitions, 0u);
    cat.set_state(LibraryState::Reading);
    cat.set_state(LibraryState::Online);
    cat.set_state(LibraryState::Offline, "gone");
    EXPECT_EQ(cat.snapshot().offline_transitions, 1u);
    cat.set_state(LibraryState::Offline, "still gone, another reason");
    cat.set_state(LibraryState::Removed);
    EXPECT_EQ(cat.snapshot().offline_transitions, 1u);
    // Back, then read again after a reset, then lost while being read: the second time.
    cat.set_state(LibraryState::Reading);
    cat.set_state(LibraryState::Online);
    cat.set_state(LibraryState::Reading);
    EXPECT_EQ(cat.snapshot().offline_transitions, 1u);
    cat.set_state(LibraryState::Removed);
    EXPECT_EQ(cat.snapshot().offline_transitions, 2u);
}

TEST(DeviceSessionMetrics, CountsErrorsAndRetriesOfEveryChangerItMakes) {
    sgio::VirtualChanger* vc = nullptr;
    sgio::ChangerOptions fast;
    fast.backoff_initial = std::chrono::milliseconds(1);
    fast.backoff_max = std::chrono::milliseconds(2);
    DeviceSession session(
        [&vc](const std::string& device) -> sgio::Result<std::unique_ptr<sgio::Transport>> {
            auto cfg = sgio::VirtualChangerConfig::parse(device);
            if (!cfg)
                return std::move(cfg).error();
            auto opened = sgio::VirtualChanger::open(*cfg);
            if (!opened)
                return std::move(opened).error();
            vc = opened->get();
            return std::unique_ptr<sgio::Transport>(std::move(opened).value());
        },
        fast);
    const auto& c = session.counters();
    ASSERT_TRUE(session.reopen("sim:m,slots=4,ie=1"));
    ASSERT_NE(session.changer(), nullptr);
    ASSERT_TRUE(session.changer()->test_unit_ready());
    EXPECT_EQ(c.errors.load(), 0u);
    EXPECT_EQ(c.retries.load(), 0u);

    using Kind = sgio::Fault::Kind;
    namespace op = sgio::opcode;
    // BUSY twice, then GOOD: two retries, no error.
    vc->inject_fault({op::TestUnitReady, 2, Kind::Busy, 0, 0, 0, 0});
    ASSERT_TRUE(session.changer()->test_unit_ready());
    EXPECT_EQ(c.errors.load(), 0u);
    EXPECT_EQ(c.retries.load(), 2u);
    // ILLEGAL REQUEST on a move: an error, not retried.
    vc->inject_fault({op::MoveMedium, 1, Kind::Sense, sgio::sense_key::IllegalRequest, 0x21, 0, 0});
    EXPECT_FALSE(session.changer()->move(0x1000, 0x1001));
    EXPECT_EQ(c.errors.load(), 1u);
    EXPECT_EQ(c.retries.load(), 2u);
    // BUSY for longer than the retries last: every retry counted, and one error.
    vc->inject_fault({op::TestUnitReady, 100, Kind::Busy, 0, 0, 0, 0});
    EXPECT_FALSE(session.changer()->test_unit_ready());
    EXPECT_EQ(c.errors.load(), 2u);
    EXPECT_EQ(c.retries.load(), 2u + sgio::ChangerOptions{}.max_retries);
    vc->clear_faults();
    // An optional command the device does not support is found out, not an error of it.
    vc->inject_fault({op::PreventAllowMediumRemoval, 1, Kind::Sense,
                      sgio::sense_key::IllegalRequest, 0x20, 0, 0});
    auto prevent = session.changer()->prevent_removal(true);
    ASSERT_FALSE(prevent);
    EXPECT_EQ(prevent.error().code, sgio::Errc::Unsupported);
    EXPECT_EQ(c.errors.load(), 2u);

    // The device opened again (a new Changer) counts on: the counters are the library's.
    ASSERT_TRUE(session.reopen("sim:m,slots=4,ie=1"));
    vc->inject_fault({std::nullopt, 1, Kind::Timeout, 0, 0, 0, 0});
    EXPECT_FALSE(session.changer()->test_unit_ready());
    EXPECT_EQ(c.errors.load(), 3u);
    EXPECT_EQ(c.retries.load(), 2u + sgio::ChangerOptions{}.max_retries);
}

class ManagerMetrics : public InjectFixture {};

// A library read at start-up while the database was being opened (Registry::start) counts that
// reading's retries as its own: the device answers BUSY to the first READ ELEMENT STATUS.
TEST_F(ManagerMetrics, TheStartUpReadingsRetriesAreTheLibrarys) {
    bool busy_sent = false;
    start({library(sim("slots=10,ie=1,fill=2"))},
          [&](const std::string& device) -> sgio::Result<std::unique_ptr<sgio::Transport>> {
              auto t = open_device(device);
              if (!t)
                  return std::move(t).error();
              auto& vc = static_cast<sgio::VirtualChanger&>(**t);
              if (!busy_sent) {
                  vc.inject_fault(
                      {sgio::opcode::ReadElementStatus, 1, sgio::Fault::Kind::Busy, 0, 0, 0, 0});
                  busy_sent = true;
              }
              return t;
          });
    EXPECT_EQ(sample(manager_->metrics(), "ntms_scsi_retries_total", {{"library", "lab1"}}), 1.0);
}

TEST_F(ManagerMetrics, ReportLibrariesJobsAndTheDatabaseAfterKnownOperations) {
    start({library(sim("slots=10,ie=1,fill=2,move-ms=10"))});
    auto m = manager_->metrics();
    const std::map<std::string, std::string> lab{{"library", "lab1"}};
    EXPECT_EQ(sample(m, "ntms_libraries", {{"state", "online"}}), 1.0);
    EXPECT_EQ(sample(m, "ntms_libraries", {{"state", "offline"}}), 0.0);
    EXPECT_EQ(sample(m, "ntms_library_online", lab), 1.0);
    EXPECT_EQ(sample(m, "ntms_slots", {{"library", "lab1"}, {"state", "full"}}), 2.0);
    EXPECT_EQ(sample(m, "ntms_slots", {{"library", "lab1"}, {"state", "free"}}), 8.0);
    EXPECT_EQ(sample(m, "ntms_port_elements", {{"library", "lab1"}, {"port", "100"}}), 1.0);
    EXPECT_EQ(sample(m, "ntms_port_cartridges", {{"library", "lab1"}, {"port", "100"}}), 0.0);
    EXPECT_EQ(sample(m, "ntms_jobs_total", {{"kind", "inject"}, {"outcome", "passed"}}), 0.0);
    EXPECT_GT(*sample(m, "ntms_database_size_bytes", {{"file", "database"}}), 0.0);

    // An inject that passes.
    const auto started = std::chrono::steady_clock::now();
    auto job = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(job) << job.error().message;
    events_.wait_state(*job, JobState::Waiting);
    ASSERT_TRUE(device().operator_insert(100, "MET001L8"));
    EXPECT_EQ(events_.wait_final(*job).state, JobState::Passed);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // A queued inject cancelled behind a running one, which is then stopped.
    auto running = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(running) << running.error().message;
    events_.wait_state(*running, JobState::Waiting);
    auto queued = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(queued) << queued.error().message;
    ASSERT_TRUE(manager_->cancel_job(*queued, Caller::root()));
    EXPECT_EQ(events_.wait_final(*queued).state, JobState::Cancelled);
    ASSERT_TRUE(inject("lab1", InjectAction::Stop, running->str()));
    EXPECT_EQ(events_.wait_final(*running).state, JobState::Stopped);

    m = manager_->metrics();
    EXPECT_EQ(sample(m, "ntms_jobs_total", {{"kind", "inject"}, {"outcome", "passed"}}), 1.0);
    EXPECT_EQ(sample(m, "ntms_jobs_total", {{"kind", "inject"}, {"outcome", "cancelled"}}), 1.0);
    EXPECT_EQ(sample(m, "ntms_jobs_total", {{"kind", "inject"}, {"outcome", "stopped"}}), 1.0);
    EXPECT_EQ(sample(m, "ntms_jobs_total", {{"kind", "inject"}, {"outcome", "failed"}}), 0.0);
    EXPECT_EQ(sample(m, "ntms_jobs_total", {{"kind", "eject"}, {"outcome", "passed"}}), 0.0);
    EXPECT_EQ(sample(m, "ntms_job_duration_seconds_count", {{"kind", "inject"}}), 3.0);
    EXPECT_EQ(sample(m, "ntms_job_duration_seconds_bucket", {{"kind", "inject"}, {"le", "+Inf"}}),
              3.0);
    const double sum = *sample(m, "ntms_job_duration_seconds_sum", {{"kind", "inject"}});
    EXPECT_GT(sum, 0.0);
    EXPECT_LT(
        sum,
        took + std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    EXPECT_EQ(sample(m, "ntms_slots", {{"library", "lab1"}, {"state", "full"}}), 3.0);
    EXPECT_EQ(sample(m, "ntms_library_offline_transitions_total", lab), 0.0);
    EXPECT_EQ(sample(m, "ntms_scsi_errors_total", lab), 0.0);

    // The device vanishes: the next job fails, the library goes offline once, and the command
    // that found it out is an error.
    unplugged_ = true;
    device().inject_fault({std::nullopt, 1000000, sgio::Fault::Kind::Vanish, 0, 0, 0, 0});
    auto lost = inject("lab1", InjectAction::Start);
    ASSERT_TRUE(lost) << lost.error().message;
    EXPECT_EQ(events_.wait_final(*lost).state, JobState::Failed);
    m = manager_->metrics();
    EXPECT_EQ(sample(m, "ntms_library_offline_transitions_total", lab), 1.0);
    EXPECT_EQ(sample(m, "ntms_library_online", lab), 0.0);
    EXPECT_EQ(sample(m, "ntms_libraries", {{"state", "offline"}}), 1.0);
    EXPECT_EQ(sample(m, "ntms_libraries", {{"state", "online"}}), 0.0);
    EXPECT_GE(*sample(m, "ntms_scsi_errors_total", lab), 1.0);
    EXPECT_EQ(sample(m, "ntms_jobs_total", {{"kind", "inject"}, {"outcome", "failed"}}), 1.0);
    EXPECT_EQ(sample(m, "ntms_job_duration_seconds_count", {{"kind", "inject"}}), 4.0);

    // Every family: a name, a known type, samples of its own name (histograms with their
    // suffixes), and names used by one family only.
    std::set<std::string> names;
    for (const auto& f : m) {
        EXPECT_TRUE(names.insert(f.name).second) << f.name;
        EXPECT_TRUE(f.type == "counter" || f.type == "gauge" || f.type == "histogram") << f.name;
        EXPECT_EQ(f.name.rfind("ntms_", 0), 0u) << f.name;
        EXPECT_EQ(f.type == "counter",
                  f.name.size() > 6 && f.name.compare(f.name.size() - 6, 6, "_total") == 0)
            << f.name;
        EXPECT_FALSE(f.help.empty()) << f.name;
        for (const auto& s : f.samples) {
            if (f.type == "histogram")
                EXPECT_TRUE(s.name == f.name + "_bucket" || s.name == f.name + "_sum" ||
                            s.name == f.name + "_count")
                    << s.name;
            else
                EXPECT_EQ(s.name, f.name);
        }
    }
}
