// The daemon's core (database, job engine, libraries) run against a private tgtd: an event
// recorder to wait on, and a fixture that starts tgt and the domain with one library on it.
#pragma once

#include "daemon/events.hpp"
#include "daemon/store/store.hpp"
#include "sgio/changer.hpp"
#include "sgio/iscsi_transport.hpp"
#include "tests/daemon/inject_fixture.hpp"
#include "tests/domain.hpp"
#include "tgt_fixture.hpp"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <mutex>
#include <unistd.h>

namespace peer {

// Peers answer slower than the virtual changer: waits give them 60 s.
using Recorder = ntms::test::Recorder;

class TgtDomainTest : public ::testing::Test {
protected:
    TgtDomainTest() { events_.set_limit(std::chrono::seconds(60)); }

    void SetUp() override {
        if (auto why = TgtHarness::missing_tools(); !why.empty())
            GTEST_SKIP() << why;
        dir_ =
            std::filesystem::temp_directory_path() / fmt::format("ntms-tgt-domain-{}", ::getpid());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override {
        harness_.resume(); // a test that failed while tgtd was stopped must not hold up the rest
        manager_.reset();
        harness_.stop();
        if (!dir_.empty())
            std::filesystem::remove_all(dir_);
    }

    void start_tgt(unsigned ie, unsigned slots = 20, unsigned fill = 4) {
        TgtOptions o;
        o.ie = ie;
        o.slots = slots;
        o.fill = fill;
        std::string error;
        ASSERT_TRUE(harness_.start(o, error)) << error;
    }

    // One library, "tgt", on the harness's changer.
    virtual ntms::DaemonConfig config() {
        ntms::DaemonConfig cfg;
        cfg.database = (dir_ / "ntmsd.db").string();
        cfg.discover = false;
        ntms::LibraryConfig lib;
        lib.name = "tgt";
        lib.device = harness_.library().url;
        lib.poll_interval_ms = 50;
        cfg.libraries = {lib};
        return cfg;
    }

    // The core on the database and tgt; false (a failure) when library tgt does not come online.
    bool start_manager() {
        manager_ = std::make_unique<ntms::test::Domain>(config(), events_);
        manager_->start();
        const bool online = events_.wait_until([&] {
            auto s = manager_->library(*manager_->find_library("tgt"), ntms::Caller::root());
            return s && s->online() && s->slots > 0;
        });
        EXPECT_TRUE(online) << "library tgt did not come online";
        return online;
    }

    ntms::Guid lib() { return *manager_->find_library("tgt"); }

    // The catalogue's record of the medium with this barcode in library tgt.
    ntms::MediumRecord medium(const std::string& barcode) {
        auto db = ntms::Store::open(config().database);
        EXPECT_TRUE(db);
        if (!db)
            return {};
        auto media = (*db)->list_media(lib());
        EXPECT_TRUE(media);
        if (media)
            for (const auto& m : *media)
                if (m.barcode == barcode)
                    return m;
        ADD_FAILURE() << "no medium " << barcode;
        return {};
    }

    // Element status as tgt reports it, through a separate session.
    std::vector<sgio::ElementStatus> device(sgio::ElementType t) {
        auto tr = sgio::IscsiTransport::open(harness_.library().url);
        EXPECT_TRUE(tr);
        if (!tr)
            return {};
        sgio::Changer ch(**tr);
        auto r = ch.read_status(t);
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : std::vector<sgio::ElementStatus>{};
    }

    std::filesystem::path dir_;
    TgtHarness harness_;
    Recorder events_;
    std::unique_ptr<ntms::test::Domain> manager_;
};

} // namespace peer
