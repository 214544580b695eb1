// A real Manager with real SQLite files and VirtualChanger libraries, plus a recorder of the
// events it emits, for inject scenarios.
#pragma once

#include "daemon/events.hpp"
#include "daemon/store/store.hpp"
#include "sgio/virtual_changer.hpp"
#include "tests/domain.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <gtest/gtest.h>
#include <map>
#include <mutex>
#include <optional>

namespace ntms::test {

class Recorder : public EventSink {
public:
    void job_added(const JobRecord& j) override { job_changed(j); }
    void job_changed(const JobRecord& j) override {
        {
            std::lock_guard lock(mutex_);
            jobs_[j.id] = j;
            history_[j.id].push_back(j.state);
        }
        cv_.notify_all();
    }
    void oprequest_changed(const OpRequestRecord& r) override {
        {
            std::lock_guard lock(mutex_);
            opreqs_.push_back(r);
        }
        cv_.notify_all();
    }
    void library_changed(const Guid&) override { cv_.notify_all(); }
    void library_added(const Guid& id) override {
        {
            std::lock_guard lock(mutex_);
            added_.push_back(id);
        }
        cv_.notify_all();
    }
    // Libraries reported new, in order.
    std::vector<Guid> added() {
        std::lock_guard lock(mutex_);
        return added_;
    }

    // How long the waits below wait when not told (30 s; slower peers set more).
    void set_limit(std::chrono::milliseconds limit) { limit_ = limit; }

    // Waits until pred(job) holds; fails the test after `limit`.
    JobRecord wait_job(const Guid& id, const std::function<bool(const JobRecord&)>& pred) {
        return wait_job(id, pred, limit_);
    }
    JobRecord wait_job(const Guid& id, const std::function<bool(const JobRecord&)>& pred,
                       std::chrono::milliseconds limit) {
        std::unique_lock lock(mutex_);
        const bool ok = cv_.wait_for(lock, limit, [&] {
            auto it = jobs_.find(id);
            return it != jobs_.end() && pred(it->second);
        });
        EXPECT_TRUE(ok) << "job " << id.str() << " did not reach the expected state";
        return jobs_[id];
    }
    JobRecord wait_final(const Guid& id) {
        return wait_job(id, [](const JobRecord& j) { return is_final(j.state); });
    }
    JobRecord wait_state(const Guid& id, JobState s) {
        return wait_job(id, [s](const JobRecord& j) { return j.state == s; });
    }
    std::vector<JobState> history(const Guid& id) {
        std::lock_guard lock(mutex_);
        return history_[id];
    }
    // How many times the job was announced in a final state (its ends).
    size_t ends(const Guid& id) {
        std::lock_guard lock(mutex_);
        return static_cast<size_t>(std::count_if(history_[id].begin(), history_[id].end(),
                                                 [](JobState s) { return is_final(s); }));
    }
    std::vector<OpRequestRecord> opreqs() {
        std::lock_guard lock(mutex_);
        return opreqs_;
    }
    // Waits for an operator request event that satisfies pred; returns the latest such record.
    std::optional<OpRequestRecord>
    wait_opreq(const std::function<bool(const OpRequestRecord&)>& pred,
               std::chrono::milliseconds limit = std::chrono::seconds(30)) {
        std::unique_lock lock(mutex_);
        std::optional<OpRequestRecord> found;
        cv_.wait_for(lock, limit, [&] {
            for (auto it = opreqs_.rbegin(); it != opreqs_.rend(); ++it)
                if (pred(*it)) {
                    found = *it;
                    return true;
                }
            return false;
        });
        EXPECT_TRUE(found) << "no operator request event as expected";
        return found;
    }
    template <typename Pred> bool wait_until(Pred p) { return wait_until(p, limit_); }
    template <typename Pred> bool wait_until(Pred p, std::chrono::milliseconds limit) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, limit, p);
    }

private:
    std::chrono::milliseconds limit_ = std::chrono::seconds(30);
    std::mutex mutex_;
    std::condition_variable cv_;
    std::map<Guid, JobRecord> jobs_;
    std::map<Guid, std::vector<JobState>> history_;
    std::vector<OpRequestRecord> opreqs_;
    std::vector<Guid> added_;
};

// Every command the daemon sends, with the bytes it moved.
struct Sent {
    std::vector<uint8_t> cdb;
    size_t transferred = 0;
};

// A device whose commands are logged (into `log`, under `m`) as they complete.
class Counting final : public sgio::Transport {
public:
    Counting(std::unique_ptr<sgio::Transport> inner, std::mutex& m, std::vector<Sent>& log)
        : inner_(std::move(inner)), m_(m), log_(log) {}
    sgio::Result<sgio::CommandResult> execute(std::span<const uint8_t> cdb, sgio::Direction d,
                                              std::span<uint8_t> buffer,
                                              std::chrono::milliseconds timeout) override {
        auto r = inner_->execute(cdb, d, buffer, timeout);
        std::lock_guard l(m_);
        log_.push_back({std::vector<uint8_t>(cdb.begin(), cdb.end()), r ? r->transferred : 0});
        return r;
    }
    std::string name() const override { return inner_->name(); }

private:
    std::unique_ptr<sgio::Transport> inner_;
    std::mutex& m_;
    std::vector<Sent>& log_;
};

class InjectFixture : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("ntms-inject-" + std::to_string(getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        db_path_ = (dir_ / "ntmsd.db").string();
    }
    void TearDown() override {
        manager_.reset();
        std::filesystem::remove_all(dir_);
    }

    std::string state_path(const std::string& name = "lab1") const {
        return (dir_ / (name + ".state")).string();
    }

    // Device string of a sim library kept in a state file in the test's directory.
    std::string sim(const std::string& options, const std::string& name = "lab1") const {
        return "sim:" + name + ",state=" + state_path(name) +
               (options.empty() ? "" : "," + options);
    }

    LibraryConfig library(const std::string& device, const std::string& name = "lab1") {
        LibraryConfig c;
        c.name = name;
        c.device = device;
        c.poll_interval_ms = 20;
        c.inject_timeout_sec = 30;
        c.control_groups = {};
        c.use_groups = {};
        return c;
    }

    // Starts a Manager; devices are opened through a factory that remembers each VirtualChanger so
    // that tests can act as the operator and inject faults in the daemon's own instance.
    // `transports`, when given, opens the devices instead (counted_devices()). `present`: the
    // changers discovery lists at start-up.
    void start(std::vector<LibraryConfig> libs, TransportFactory transports = {},
               const std::vector<FoundDevice>& present = {}) {
        DaemonConfig cfg;
        cfg.database = db_path_;
        cfg.discover = false;
        cfg.libraries = std::move(libs);
        if (!transports)
            transports = [this](const std::string& device) { return open_device(device); };
        manager_ =
            std::make_unique<ntms::test::Domain>(cfg, events_, std::move(transports), operations_);
        manager_->start(present);
        for (const auto& id : manager_->libraries()) {
            const bool settled = events_.wait_until([&] {
                auto s = manager_->library(id, Caller::root());
                // Read for the first time: online with its slots counted, or offline with a
                // reason other than being read.
                return s && s->state != LibraryState::Reading &&
                       (s->online() ? s->slots > 0 : !s->offline_reason.empty());
            });
            ASSERT_TRUE(settled);
        }
    }

    // Opens devices as open_device() does, each one's commands logged in logs_ under the name of
    // its virtual changer.
    TransportFactory counted_devices() {
        return [this](const std::string& device) -> sgio::Result<std::unique_ptr<sgio::Transport>> {
            auto t = open_device(device);
            if (!t)
                return std::move(t).error();
            auto name = sgio::VirtualChangerConfig::parse(device)->name;
            std::lock_guard l(log_mutex_);
            return std::unique_ptr<sgio::Transport>(
                std::make_unique<Counting>(std::move(t).value(), log_mutex_, logs_[name]));
        };
    }
    // Commands logged for one device so far whose opcode is op (and, for READ ELEMENT STATUS, of
    // element type `type` when given).
    size_t sent(const std::string& device, uint8_t op, std::optional<uint8_t> type = {}) {
        std::lock_guard l(log_mutex_);
        size_t n = 0;
        for (const auto& c : logs_[device])
            n += c.cdb[0] == op && (!type || (c.cdb[1] & 0x0F) == *type);
        return n;
    }

    sgio::Result<std::unique_ptr<sgio::Transport>> open_device(const std::string& device) {
        if (device.rfind("sim:", 0) != 0 || unplugged_)
            return sgio::make_error(sgio::Errc::OpenFailed, device + ": no such device");
        auto cfg = sgio::VirtualChangerConfig::parse(device);
        if (!cfg)
            return std::move(cfg).error();
        {
            std::lock_guard lock(devices_mutex_);
            if (!impostor_.empty()) { // another changer answers under this device string
                cfg->name = impostor_;
                cfg->serial = impostor_;
                cfg->state_file.clear();
            }
        }
        auto vc = sgio::VirtualChanger::open(*cfg);
        if (!vc)
            return std::move(vc).error();
        std::lock_guard lock(devices_mutex_);
        devices_[cfg->name] = vc->get();
        return std::unique_ptr<sgio::Transport>(std::move(vc).value());
    }

    sgio::VirtualChanger& device(const std::string& name = "lab1") {
        std::lock_guard lock(devices_mutex_);
        return *devices_.at(name);
    }

    Guid lib_id(const std::string& name = "lab1") {
        auto id = manager_->find_library(name);
        EXPECT_TRUE(id) << name;
        return *id;
    }

    Expected<Guid> inject(const std::string& name, InjectAction a, const std::string& job = {},
                          InjectOptions o = {}) {
        return manager_->inject(lib_id(name).str(), static_cast<uint32_t>(a), job, o,
                                Caller::root());
    }

    std::unique_ptr<Store> open_store() {
        auto s = Store::open(db_path_);
        EXPECT_TRUE(s) << s.error().message;
        return std::move(s).value();
    }
    // The catalogue's record of the medium with this barcode in lab1.
    MediumRecord medium(const std::string& barcode) {
        auto media = open_store()->list_media(lib_id());
        EXPECT_TRUE(media);
        for (const auto& m : *media)
            if (m.barcode == barcode)
                return m;
        ADD_FAILURE() << "no medium " << barcode;
        return {};
    }

    // The reasons of the medium's history rows, oldest first.
    std::vector<std::string> reasons(const std::string& barcode) {
        std::vector<std::string> out;
        auto h = open_store()->history(medium(barcode).id);
        EXPECT_TRUE(h);
        if (h)
            for (const auto& row : *h)
                out.push_back(row.reason);
        return out;
    }
    // The device and the database have the cartridge in `slot`, and no move is left pending.
    void expect_in_slot(const std::string& barcode, uint16_t slot) {
        EXPECT_EQ(device().element(slot)->primary_tag, barcode);
        EXPECT_EQ(medium(barcode).element, std::optional<uint16_t>(slot));
        EXPECT_TRUE(open_store()->pending_intents(lib_id())->empty());
    }

    std::filesystem::path dir_;
    std::string db_path_;
    Recorder events_;
    std::mutex devices_mutex_;
    std::map<std::string, sgio::VirtualChanger*> devices_;
    OperationFactory operations_;        // empty: the standard operations
    std::atomic<bool> unplugged_{false}; // opening any device fails, as for an absent node
    std::string impostor_; // non-empty: opening answers as another changer, of this serial
    std::mutex log_mutex_;
    std::map<std::string, std::vector<Sent>> logs_; // counted_devices()' commands, per device
    std::unique_ptr<ntms::test::Domain> manager_;
};

} // namespace ntms::test
