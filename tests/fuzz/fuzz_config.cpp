// ntmsd.conf and its drop-ins (daemon/config.cpp): one file's text applied on top of the defaults.
#include "daemon/config.hpp"
#include "fuzz.hpp"

#include <algorithm>
#include <string>

namespace {

using ntms::DaemonConfig;
using ntms::LibraryConfig;

bool same(const LibraryConfig& a, const LibraryConfig& b) {
    auto same_ports = [](const auto& x, const auto& y) {
        return std::equal(x.begin(), x.end(), y.begin(), y.end(), [](const auto& p, const auto& q) {
            return p.first == q.first && p.count == q.count;
        });
    };
    return a.name == b.name && a.device == b.device && a.enabled == b.enabled &&
           a.inject_timeout_sec == b.inject_timeout_sec &&
           a.poll_interval_ms == b.poll_interval_ms && a.max_queued_jobs == b.max_queued_jobs &&
           a.use_groups == b.use_groups && a.modify_groups == b.modify_groups &&
           a.control_groups == b.control_groups && same_ports(a.ports, b.ports) &&
           a.origin == b.origin;
}

bool same(const DaemonConfig& a, const DaemonConfig& b) {
    return a.database == b.database && a.discover == b.discover &&
           a.job_retention_sec == b.job_retention_sec &&
           std::equal(a.libraries.begin(), a.libraries.end(), b.libraries.begin(),
                      b.libraries.end(), [](const auto& x, const auto& y) { return same(x, y); });
}

bool name_char(char c, bool digits_too) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '.' || c == '-' ||
           (digits_too && c >= '0' && c <= '9');
}

bool group_list(const std::vector<std::string>& groups) {
    for (size_t i = 0; i < groups.size(); ++i) {
        const std::string& g = groups[i];
        if (g.empty() || g.size() > 255 || g.front() == '-' ||
            !std::all_of(g.begin(), g.end(), [](char c) { return name_char(c, true); }) ||
            std::all_of(g.begin(), g.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            std::count(groups.begin(), groups.end(), g) != 1)
            return false;
    }
    return true;
}

// What the daemon relies on once a configuration was accepted: every value in its documented
// range (ntmsd.conf(5)), every name well-formed, ports that do not overlap.
void check_accepted(const DaemonConfig& cfg) {
    FUZZ_CHECK(!cfg.database.empty() && cfg.database.front() == '/');
    for (const auto& lib : cfg.libraries) {
        FUZZ_CHECK(!lib.name.empty() && lib.name.size() <= 64);
        FUZZ_CHECK(std::all_of(lib.name.begin(), lib.name.end(),
                               [](char c) { return name_char(c, true); }));
        FUZZ_CHECK(std::count_if(cfg.libraries.begin(), cfg.libraries.end(),
                                 [&](const auto& l) { return l.name == lib.name; }) == 1);
        FUZZ_CHECK(lib.device.empty() || lib.device.front() == '/' ||
                   lib.device.starts_with("iscsi://") || lib.device.starts_with("sim:"));
        FUZZ_CHECK(lib.inject_timeout_sec <= 65535);
        FUZZ_CHECK(lib.poll_interval_ms >= 50 && lib.poll_interval_ms <= 60000);
        FUZZ_CHECK(lib.max_queued_jobs >= 1 && lib.max_queued_jobs <= 1000000);
        FUZZ_CHECK(group_list(lib.use_groups) && group_list(lib.modify_groups) &&
                   group_list(lib.control_groups));
        for (const auto& p : lib.ports) {
            FUZZ_CHECK(p.first >= 1 && p.count >= 1 && uint32_t{p.first} + p.count - 1 <= 65535);
            for (const auto& q : lib.ports)
                FUZZ_CHECK(&p == &q || p.first + p.count <= q.first ||
                           q.first + q.count <= p.first);
        }
        FUZZ_CHECK(lib.origin.starts_with("fuzz.conf:"));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(ntms::fuzz::text(data, size));
    const DaemonConfig defaults;
    DaemonConfig cfg;
    auto applied = ntms::apply_config_text(cfg, text, "fuzz.conf");
    if (!applied) {
        // A bad file changes nothing and says where it is wrong.
        FUZZ_CHECK(same(cfg, defaults));
        FUZZ_CHECK(applied.error().code == ntms::win32::InvalidParameter);
        FUZZ_CHECK(applied.error().message.starts_with("fuzz.conf:"));
        return 0;
    }
    check_accepted(cfg);

    // Later assignments replace earlier ones and a repeated section updates the same library, so
    // the same file read twice (a drop-in repeating the main file) gives the same configuration.
    DaemonConfig twice = cfg;
    auto again = ntms::apply_config_text(twice, text, "fuzz.conf");
    FUZZ_CHECK(again && same(twice, cfg));

    auto checked = ntms::check_config(cfg);
    if (checked) {
        for (size_t i = 0; i < cfg.libraries.size(); ++i) {
            FUZZ_CHECK(!cfg.libraries[i].device.empty());
            for (size_t j = 0; j < i; ++j)
                FUZZ_CHECK(cfg.libraries[i].device != cfg.libraries[j].device);
        }
    } else {
        FUZZ_CHECK(checked.error().code == ntms::win32::InvalidParameter);
    }
    return 0;
}
