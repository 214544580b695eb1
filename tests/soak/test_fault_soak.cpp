// Injects under SCSI faults, on the virtual changer: the daemon's core runs a stream of inject
// operations (START with a cartridge, STARTMANY then STOP, STOP while waiting, Cancel of a queued
// and of a running job, RETRACT) while 5 % of the commands that reach the device fail with a
// fault of the virtual changer's fault injection (unit attention, becoming ready, BUSY, hardware
// and aborted-command sense, medium error, illegal request, a timeout that takes the library
// offline). Every job must end in a final state with a Win32 code of the vocabulary, nothing may
// crash, and afterwards the catalogue must equal the device, every cartridge recorded once.
//
// NTMS_SOAK_OPERATIONS sets the number of operations (default 300, the short version in
// make check; make soak runs 10,000), NTMS_SOAK_FAULT_PERMILLE the fault rate (default 50) and
// NTMS_SOAK_SEED the seed. The figures are printed at the end.
#include "common/vocabulary.hpp"
#include "soak_env.hpp"
#include "tests/daemon/inject_fixture.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <map>
#include <random>
#include <thread>

using namespace ntms;
using namespace ntms::test;
using Clock = std::chrono::steady_clock;

namespace {

struct FaultKind {
    const char* name;
    sgio::Fault::Kind kind;
    uint8_t key, asc, ascq;
    unsigned weight;
};

// What a changer answers when something goes wrong, roughly as often as each is seen.
constexpr FaultKind fault_kinds[] = {
    {"unit attention 6/29/00", sgio::Fault::Kind::Sense, 0x6, 0x29, 0x00, 20},
    {"becoming ready 2/04/01", sgio::Fault::Kind::Sense, 0x2, 0x04, 0x01, 15},
    {"busy", sgio::Fault::Kind::Busy, 0, 0, 0, 15},
    {"hardware error 4/44/00", sgio::Fault::Kind::Sense, 0x4, 0x44, 0x00, 15},
    {"aborted command b/47/00", sgio::Fault::Kind::Sense, 0xB, 0x47, 0x00, 12},
    {"medium error 3/53/00", sgio::Fault::Kind::Sense, 0x3, 0x53, 0x00, 8},
    {"illegal request 5/21/01", sgio::Fault::Kind::Sense, 0x5, 0x21, 0x01, 8},
    {"not ready 2/04/00", sgio::Fault::Kind::Sense, 0x2, 0x04, 0x00, 5},
    {"timeout", sgio::Fault::Kind::Timeout, 0, 0, 0, 2},
};

// The daemon's view of the one virtual changer: each command may first arm a fault in it.
class Faulty final : public sgio::Transport {
public:
    struct Dice {
        std::mutex mutex;
        std::mt19937 rng;
        unsigned permille = 50;
        size_t commands = 0;
        std::map<std::string, size_t> injected;
    };

    Faulty(std::shared_ptr<sgio::VirtualChanger> vc, Dice& dice)
        : vc_(std::move(vc)), dice_(dice) {}

    sgio::Result<sgio::CommandResult> execute(std::span<const uint8_t> cdb,
                                              sgio::Direction direction, std::span<uint8_t> buffer,
                                              std::chrono::milliseconds timeout) override {
        {
            std::lock_guard lock(dice_.mutex);
            ++dice_.commands;
            if (std::uniform_int_distribution<unsigned>(0, 999)(dice_.rng) < dice_.permille) {
                unsigned total = 0;
                for (const auto& k : fault_kinds)
                    total += k.weight;
                unsigned pick = std::uniform_int_distribution<unsigned>(0, total - 1)(dice_.rng);
                const FaultKind* k = fault_kinds;
                while (pick >= k->weight)
                    pick -= (k++)->weight;
                vc_->inject_fault({std::nullopt, 1, k->kind, k->key, k->asc, k->ascq, 0});
                ++dice_.injected[k->name];
            }
        }
        return vc_->execute(cdb, direction, buffer, timeout);
    }
    std::string name() const override { return vc_->name(); }

private:
    std::shared_ptr<sgio::VirtualChanger> vc_;
    Dice& dice_;
};

class FaultSoak : public InjectFixture {
protected:
    std::string spec() { return "sim:lab1,slots=" + std::to_string(slots_) + ",ie=1"; }

    void start_core() {
        DaemonConfig cfg;
        cfg.database = db_path_;
        cfg.discover = false;
        auto lib = library(spec());
        lib.poll_interval_ms = 10;
        cfg.libraries = {lib};
        // The device lives as long as the test: reopening it (after a timeout) finds it as it was.
        manager_ = std::make_unique<Domain>(
            cfg, events_,
            [this](const std::string&) -> sgio::Result<std::unique_ptr<sgio::Transport>> {
                return std::unique_ptr<sgio::Transport>(std::make_unique<Faulty>(vc_, dice_));
            });
        manager_->start();
    }

    bool online(std::chrono::milliseconds limit) {
        return events_.wait_until(
            [&] {
                auto s = manager_->library(lib_id(), Caller::root());
                return s && s->online() && s->slots > 0;
            },
            limit);
    }

    // The port is empty: the operator puts a new cartridge in, unless the port is locked (a
    // job's unlock failed under a fault and the next one's has not come yet).
    void operator_fills_port() {
        if (vc_->element(100)->full)
            return;
        const std::string barcode = fmt::format("FS{:06d}L8", ++serial_);
        auto put = vc_->operator_insert(100, barcode);
        if (!put && put.error().message.find("locked") != std::string::npos) {
            ++locked_out_;
            return;
        }
        ASSERT_TRUE(put) << put.error().message;
        barcodes_.push_back(barcode);
    }

    JobRecord until(const Guid& job, const std::function<bool(const JobRecord&)>& pred) {
        return events_.wait_job(
            job, [&](const JobRecord& j) { return pred(j) || is_final(j.state); },
            std::chrono::seconds(60));
    }
    static bool waiting(const JobRecord& j) { return j.state == JobState::Waiting; }

    // Catalogue against device: returns the number of disagreements, described in `why`.
    size_t disagreements(std::string& why) {
        auto media = open_store()->list_media(lib_id());
        if (!media) {
            why = media.error().message;
            return 1;
        }
        std::map<std::string, std::vector<uint16_t>> recorded, held;
        for (const auto& m : *media)
            if (m.state != MediumState::Gone && m.element)
                recorded[m.barcode].push_back(*m.element);
        for (auto t : {sgio::ElementType::Transport, sgio::ElementType::DataTransfer,
                       sgio::ElementType::ImportExport, sgio::ElementType::Storage})
            for (const auto& e : vc_->elements(t))
                if (e.full)
                    held[e.primary_tag].push_back(e.address);
        size_t n = 0;
        for (const auto& b : barcodes_) {
            if (held[b].size() == 1 && recorded[b] == held[b])
                continue;
            ++n;
            why += fmt::format("{}: on the device at {}, recorded at {}; ", b,
                               fmt::join(held[b], ","), fmt::join(recorded[b], ","));
        }
        return n;
    }

    unsigned slots_ = 0;
    Faulty::Dice dice_;
    std::shared_ptr<sgio::VirtualChanger> vc_;
    std::vector<std::string> barcodes_; // every cartridge the operator put in
    int serial_ = 0;
    size_t locked_out_ = 0; // the operator found the port locked
};

} // namespace

TEST_F(FaultSoak, EveryJobEndsWithAMappedCodeAndTheCatalogueMatchesTheDevice) {
    const int operations = soak::env_count("NTMS_SOAK_OPERATIONS", 300);
    dice_.permille = static_cast<unsigned>(soak::env_count("NTMS_SOAK_FAULT_PERMILLE", 50));
    dice_.rng.seed(static_cast<unsigned>(soak::env_count("NTMS_SOAK_SEED", 1123)));
    std::mt19937 rng(dice_.rng());
    slots_ = static_cast<unsigned>(operations + 50); // room for every cartridge put in
    {
        auto cfg = sgio::VirtualChangerConfig::parse(spec());
        ASSERT_TRUE(cfg);
        auto vc = sgio::VirtualChanger::open(*cfg);
        ASSERT_TRUE(vc) << vc.error().message;
        vc_ = std::move(vc).value();
    }
    const auto began = Clock::now();
    start_core();
    ASSERT_TRUE(online(std::chrono::seconds(60)));

    std::map<std::string, size_t> outcomes; // "STATE ERROR_NAME" -> jobs
    std::map<std::string, size_t> refused;  // calls refused at once, by code
    size_t jobs = 0, unmapped = 0, stuck = 0;
    std::map<std::string, size_t> ops_by_kind;
    std::vector<Guid> started;
    auto submit = [&](InjectAction a) -> std::optional<Guid> {
        auto j = inject("lab1", a);
        if (!j) {
            const auto* e = vocabulary::find_error(j.error().code);
            ++refused[e ? e->constant : fmt::format("unmapped {}", j.error().code)];
            if (!e)
                ++unmapped;
            // An offline library comes back by itself; the next operation waits for it.
            if (j.error().code == win32::LibraryOffline) {
                EXPECT_TRUE(online(std::chrono::seconds(60))) << "the library stayed offline";
            }
            return std::nullopt;
        }
        ++jobs;
        started.push_back(*j);
        return *j;
    };
    std::discrete_distribution<int> kind({55, 10, 10, 10, 10, 5});
    int done = 0;
    for (; done < operations && !HasFailure(); ++done) {
        switch (kind(rng)) {
        case 0: { // START; the operator puts a cartridge in
            ++ops_by_kind["start+insert"];
            auto j = submit(InjectAction::Start);
            if (j && waiting(until(*j, waiting))) {
                operator_fills_port();
                until(*j, [](const JobRecord&) { return false; });
            }
            break;
        }
        case 1: { // STARTMANY, a cartridge, STOP after the batch
            ++ops_by_kind["startmany+insert+stop"];
            auto j = submit(InjectAction::StartMany);
            if (j && waiting(until(*j, waiting))) {
                operator_fills_port();
                until(*j, [](const JobRecord& r) { return r.media_moved > 0 && waiting(r); });
                (void)inject("lab1", InjectAction::Stop, j->str());
                until(*j, [](const JobRecord&) { return false; });
            }
            break;
        }
        case 2: { // STOP while it waits
            ++ops_by_kind["start+stop"];
            auto j = submit(InjectAction::Start);
            if (j && waiting(until(*j, waiting))) {
                (void)inject("lab1", InjectAction::Stop, j->str());
                until(*j, [](const JobRecord&) { return false; });
            }
            break;
        }
        case 3: { // a second job, cancelled while queued behind the first
            ++ops_by_kind["queue+cancel"];
            auto first = submit(InjectAction::Start);
            auto second = submit(InjectAction::Start);
            if (second)
                (void)manager_->cancel_job(*second, Caller::root());
            if (first && waiting(until(*first, waiting))) {
                operator_fills_port();
                until(*first, [](const JobRecord&) { return false; });
            }
            if (second && !is_final(until(*second, waiting).state))
                (void)inject("lab1", InjectAction::Stop, second->str());
            break;
        }
        case 4: { // a cartridge, then RETRACT
            ++ops_by_kind["start+insert+retract"];
            auto j = submit(InjectAction::Start);
            if (j && waiting(until(*j, waiting))) {
                operator_fills_port();
                (void)inject("lab1", InjectAction::Retract, j->str());
                until(*j, [](const JobRecord&) { return false; });
            }
            break;
        }
        default: { // Cancel of the running job acts as STOP
            ++ops_by_kind["start+cancel"];
            auto j = submit(InjectAction::Start);
            if (j && waiting(until(*j, waiting))) {
                (void)manager_->cancel_job(*j, Caller::root());
                until(*j, [](const JobRecord&) { return false; });
            }
            break;
        }
        }
    }
    // Every job is over, with a code the vocabulary has.
    for (const auto& id : started) {
        const JobRecord j = until(id, [](const JobRecord&) { return false; });
        if (!is_final(j.state)) {
            ++stuck;
            continue;
        }
        const auto* e = vocabulary::find_error(j.error);
        if (!e)
            ++unmapped;
        ++outcomes[fmt::format("{} {}", job_state_name(j.state),
                               e ? e->constant : fmt::format("unmapped {}", j.error))];
        if (j.state == JobState::Passed || j.state == JobState::Stopped)
            EXPECT_EQ(j.error, 0u) << j.error_message;
        else
            EXPECT_NE(j.error, 0u) << job_state_name(j.state) << ": " << j.error_message;
    }
    const bool alive = manager_->workers_alive();

    // The faults stop. What the running core recorded, then what a restart finds.
    {
        std::lock_guard lock(dice_.mutex);
        dice_.permille = 0;
    }
    vc_->clear_faults();
    // A cartridge the operator put in the port during the last job, which that job ended without
    // taking in (a fault, a STOP), is recorded by the port's watcher at the worker's next check
    // between jobs (CheckIntervalSec=, 10 s; one run of 3,000 operations checked the catalogue
    // before it and failed). The running core is given two checks and 5 s: what is still wrong
    // after them is a disagreement.
    std::string live_why;
    size_t live = disagreements(live_why);
    const size_t at_once = live;
    const auto quiet = Clock::now();
    const auto checks = std::chrono::seconds(2 * LibraryConfig{}.check_interval_sec + 5);
    for (const auto settle = quiet + checks; live > 0 && Clock::now() < settle;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        live_why.clear();
        live = disagreements(live_why);
    }
    const double settled_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - quiet).count();
    manager_.reset();
    start_core();
    ASSERT_TRUE(online(std::chrono::seconds(60)));
    std::string why;
    const size_t after_restart = disagreements(why);
    auto pending = open_store()->pending_intents(lib_id());
    ASSERT_TRUE(pending);
    const double seconds = std::chrono::duration<double>(Clock::now() - began).count();

    size_t faults = 0;
    for (const auto& [k, n] : dice_.injected)
        faults += n;
    std::printf("fault soak: %d operations, %zu jobs, %zu SCSI commands, %zu faults injected "
                "(%.1f %%), %.1f s\n",
                done, jobs, dice_.commands, faults,
                dice_.commands
                    ? 100.0 * static_cast<double>(faults) / static_cast<double>(dice_.commands)
                    : 0.0,
                seconds);
    for (const auto& [k, n] : ops_by_kind)
        std::printf("  operation %-24s %zu\n", k.c_str(), n);
    for (const auto& [k, n] : dice_.injected)
        std::printf("  fault %-26s %zu\n", k.c_str(), n);
    for (const auto& [k, n] : outcomes)
        std::printf("  job %-40s %zu\n", k.c_str(), n);
    for (const auto& [k, n] : refused)
        std::printf("  refused %-36s %zu\n", k.c_str(), n);
    std::printf("  cartridges %zu (port found locked %zu times), unmapped codes %zu, stuck jobs "
                "%zu, crashes %d, catalogue disagreements %zu while running (%zu when the last job "
                "ended, settled in %.0f ms), %zu after a restart\n",
                barcodes_.size(), locked_out_, unmapped, stuck, alive ? 0 : 1, live, at_once,
                settled_ms, after_restart);

    EXPECT_EQ(unmapped, 0u);
    EXPECT_EQ(stuck, 0u);
    EXPECT_TRUE(alive) << "a library's worker died";
    EXPECT_EQ(live, 0u) << live_why;
    EXPECT_EQ(after_restart, 0u) << why;
    EXPECT_TRUE(pending->empty());
    EXPECT_GT(faults, 0u);
    EXPECT_EQ(done, operations);
}
