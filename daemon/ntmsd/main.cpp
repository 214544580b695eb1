// ntmsd: wires configuration, the domain and the bus together. Nothing else lives here.
#include "daemon/config.hpp"
#include "daemon/events.hpp"
#include "daemon/jobs/ledger.hpp"
#include "daemon/journal.hpp"
#include "daemon/library/tape_devices.hpp"
#include "daemon/malloc_tuning.hpp"
#include "daemon/manager.hpp"
#include "daemon/ntmsd/watchdog.hpp"
#include "daemon/registry/discovery.hpp"
#include "daemon/registry/registry.hpp"
#include "daemon/store/shared_store.hpp"
#include "dbus/bus_service.hpp"
#include "dbus/event_queue.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fmt/format.h>
#include <getopt.h>
#include <optional>
#include <poll.h>
#include <sdbus-c++/Error.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

namespace {

constexpr const char* version_text = "ntmsd " NTMS_VERSION;
constexpr std::chrono::milliseconds first_inventory_limit{30000};

void usage(FILE* out) {
    fmt::print(
        out,
        "Usage: ntmsd [OPTIONS]\n"
        "Removable storage manager daemon: drives SCSI media changers and runs inject jobs.\n\n"
        "  -c, --config=FILE       configuration file (default {}; drop-ins in FILE.d/)\n"
        "  -d, --database=FILE     SQLite database (overrides Database= of the config)\n"
        "  -l, --library=[NAME=]DEVICE\n"
        "                          add a library (sim:..., iscsi://..., /dev/sgN); repeatable\n"
        "      --no-discover       do not look for changers through udev\n"
        "      --log-stderr        log to standard error even when the journal is reachable\n"
        "  -h, --help              show this help\n"
        "      --version           show the version\n\n"
        "See ntmsd(8) and ntmsd.conf(5).\n",
        ntms::default_config_path);
}

int run(int argc, char** argv) {
    enum { OptVersion = 0x100, OptNoDiscover, OptLogStderr };
    static const option options[] = {
        {"config", required_argument, nullptr, 'c'},
        {"database", required_argument, nullptr, 'd'},
        {"library", required_argument, nullptr, 'l'},
        {"no-discover", no_argument, nullptr, OptNoDiscover},
        {"log-stderr", no_argument, nullptr, OptLogStderr},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, OptVersion},
        {nullptr, 0, nullptr, 0},
    };
    std::string config_path = ntms::default_config_path;
    std::string database;
    std::vector<std::string> extra;
    bool no_discover = false;
    int c;
    while ((c = getopt_long(argc, argv, "c:d:l:h", options, nullptr)) != -1) {
        switch (c) {
        case 'c':
            config_path = optarg;
            break;
        case 'd':
            database = optarg;
            break;
        case 'l':
            extra.emplace_back(optarg);
            break;
        case OptNoDiscover:
            no_discover = true;
            break;
        case OptLogStderr:
            ntms::set_log_target_stderr(true);
            break;
        case 'h':
            usage(stdout);
            return EXIT_SUCCESS;
        case OptVersion:
            fmt::print("{}\n", version_text);
            return EXIT_SUCCESS;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fmt::print(stderr, "ntmsd: unexpected argument '{}'\n", argv[optind]);
        return 2;
    }

    auto cfg = ntms::load_config(config_path);
    if (!cfg) {
        fmt::print(stderr, "ntmsd: {}\n", cfg.error().message);
        return EXIT_FAILURE;
    }
    if (!database.empty())
        cfg->database = database;
    if (no_discover)
        cfg->discover = false;
    for (size_t i = 0; i < extra.size(); ++i) {
        ntms::LibraryConfig lib;
        const auto eq = extra[i].find('=');
        const auto colon = extra[i].find(':');
        // "NAME=DEVICE", unless the '=' belongs to the device string ("sim:x,slots=4").
        if (eq != std::string::npos && (colon == std::string::npos || eq < colon) &&
            extra[i].find('/') > eq) {
            lib.name = extra[i].substr(0, eq);
            lib.device = extra[i].substr(eq + 1);
        } else {
            lib.name = fmt::format("library{}", i);
            lib.device = extra[i];
        }
        cfg->libraries.push_back(lib);
    }

    ntms::tune_malloc();

    // Signals are read from a descriptor, never handled asynchronously.
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &mask, nullptr);
    const int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    if (sfd < 0) {
        fmt::print(stderr, "ntmsd: signalfd: {}\n", strerror(errno));
        return EXIT_FAILURE;
    }

    // The bus thread takes the domain's events from this queue; it outlives both.
    ntms::dbus::EventQueue events;
    ntms::SharedStore db(cfg->database);
    ntms::JobLedger ledger(db, events);
    ntms::Registry registry(*cfg, db, ledger, events);
    // Off the bus thread: checks that the database file is still there, and makes backups.
    ntms::StoreKeeper keeper(cfg->database, std::chrono::seconds(cfg->database_check_sec));
    ntms::Manager manager(registry, db, ledger, events, &keeper);
    // udev is listened to before the changers present are listed, so that none slips between.
    std::optional<ntms::Discovery> discovery;
    std::vector<ntms::FoundDevice> present;
    if (cfg->discover) {
        discovery.emplace();
        if (auto found = discovery->open()) {
            present = std::move(found).value();
            ntms::log(LOG_INFO, fmt::format("udev lists {} medium changer{}", present.size(),
                                            present.size() == 1 ? "" : "s"));
        } else {
            ntms::log(LOG_ERR, fmt::format("medium changers cannot be listed through udev: {}",
                                           found.error().message));
        }
    } else {
        ntms::log(LOG_INFO, "discovery is off: only configured libraries are used");
    }
    // Fed from its own thread from here on, through the start-up's SCSI and SQLite work, while
    // every worker is alive and the bus has not failed.
    std::atomic<const ntms::dbus::BusService*> serving{nullptr};
    ntms::WatchdogFeeder watchdog([&registry, &serving] {
        const ntms::dbus::BusService* b = serving.load();
        return registry.workers_alive() && !(b && b->failed());
    });
    // The tape devices first, so that every library's first reading matches its drives to them.
    {
        std::string error;
        ntms::tape_directory().replace(ntms::list_tape_devices(&error));
        if (!error.empty())
            ntms::log(LOG_WARNING, fmt::format("drives are matched to tape devices only by "
                                               "DriveDevices=: {}",
                                               error));
    }
    sd_notify(0, "STATUS=opening the libraries");
    registry.start(present);
    if (db.usable())
        keeper.start();
    // The name is taken once every library has been read for the first time (or has failed), so
    // that a client's first call does not meet a library that merely has not counted its slots
    // yet; a device that takes longer than this is announced offline, "reading its element
    // status", and comes online when done. Each library is online as soon as its own inventory
    // is recorded; STATUS counts them.
    const auto inventory_deadline = std::chrono::steady_clock::now() + first_inventory_limit;
    for (;;) {
        const bool all = registry.wait_first_inventory(std::chrono::milliseconds(500));
        const auto [read, total] = registry.first_inventory_progress();
        sd_notifyf(0, "STATUS=inventory %zu/%zu libraries", read, total);
        if (all)
            break;
        if (std::chrono::steady_clock::now() >= inventory_deadline) {
            ntms::log(LOG_WARNING,
                      fmt::format("some libraries are still reading their element status after "
                                  "{} s; serving the bus without waiting for them",
                                  first_inventory_limit.count() / 1000));
            break;
        }
    }
    ntms::dbus::BusService bus(manager, events,
                               {NTMS_VERSION,
                                std::chrono::seconds(cfg->job_retention_sec),
                                {cfg->max_options, cfg->max_option_bytes}});
    try {
        bus.start();
    } catch (const sdbus::Error& e) {
        const char* address = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        fmt::print(stderr,
                   "ntmsd: fatal: cannot serve org.ntms.Ntms1 on {}: {}: {}\n"
                   "ntmsd: the bus must let this user own the name: install the policy "
                   "org.ntms.Ntms1.conf in /usr/share/dbus-1/system.d/ (or run on a private "
                   "bus named by DBUS_SYSTEM_BUS_ADDRESS)\n",
                   address && *address
                       ? fmt::format("the bus at DBUS_SYSTEM_BUS_ADDRESS={}", address)
                       : std::string("the system bus"),
                   e.getName(), e.getMessage());
        registry.stop();
        return EXIT_FAILURE;
    }
    if (discovery) {
        discovery->start([&registry](ntms::DeviceAction action, const ntms::FoundDevice& d) {
            if (action == ntms::DeviceAction::Added)
                registry.device_added(d);
            else
                registry.device_removed(d);
        });
        if (discovery->following())
            ntms::log(LOG_INFO, "following medium changers added and removed through udev");
    }
    // Tape devices added or removed: every library's drives are matched again. Discover=no
    // listens to nothing: the tape devices listed at start are kept.
    ntms::TapeWatcher tapes;
    if (std::string error;
        cfg->discover && !tapes.start([&registry] { registry.tape_devices_changed(); }, &error))
        ntms::log(LOG_WARNING, fmt::format("tape devices added or removed while ntmsd runs will "
                                           "not be matched to drives: {}",
                                           error));
    const size_t count = registry.libraries().size();
    const char* plural = count == 1 ? "library" : "libraries";
    ntms::log(LOG_INFO, fmt::format("{} started with {} {}, database {}", version_text, count,
                                    plural, cfg->database));
    sd_notifyf(0, "READY=1\nSTATUS=serving %zu %s", count, plural);

    // A library whose worker died, or a failed bus, is a daemon systemd should restart: the
    // watchdog's feeder stops feeding then.
    serving = &bus;
    for (;;) {
        pollfd pfd{sfd, POLLIN, 0};
        const int ready = poll(&pfd, 1, -1);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            continue;
        signalfd_siginfo si{};
        const ssize_t n = read(sfd, &si, sizeof si);
        if (n < 0 && errno == EINTR)
            continue;
        if (si.ssi_signo == SIGHUP) {
            ntms::log(LOG_INFO, "SIGHUP: configuration reload is not supported yet; restart ntmsd");
            continue;
        }
        break;
    }
    sd_notify(0, "STOPPING=1");
    ntms::log(LOG_INFO, "stopping: running moves finish first");
    // No device event reaches a stopping manager; the bus stays up while the workers finish, so
    // that clients see how their jobs ended.
    if (discovery)
        discovery->stop();
    tapes.stop();
    registry.stop();
    // Before the bus: a backup still waiting gets its answer out.
    keeper.stop();
    bus.stop();
    close(sfd);
    return bus.failed() ? EXIT_FAILURE : EXIT_SUCCESS;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        fmt::print(stderr, "ntmsd: fatal: {}\n", e.what());
    } catch (...) {
        fmt::print(stderr, "ntmsd: fatal: unknown exception\n");
    }
    return EXIT_FAILURE;
}
