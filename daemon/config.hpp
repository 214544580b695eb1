// /etc/ntmsd/ntmsd.conf plus drop-ins /etc/ntmsd/ntmsd.conf.d/*.conf (lexical order, later files
// override earlier keys), INI style like systemd's own .conf files:
//
//   [Daemon]
//   Database=/var/lib/ntmsd/ntmsd.db
//   Discover=yes
//   JobRetentionSec=3600
//   MaxOptions=32             entries of one D-Bus call's option dictionary (a{sv})
//   MaxOptionBytes=16384      their keys and values; a call over either is refused
//   DatabaseCheckSec=5        how often the database path is checked (deleted or replaced file)
//
//   [Library lab1]            one section per library, named
//   Device=sim:lab1,slots=40,ie=1
//   Enabled=yes
//   InjectTimeoutSec=60       MaxExtendSecs: how long an inject keeps the port open (0..65535)
//   PollIntervalMSec=500
//   CommandTimeoutSec=60      a command (other than a move) that takes longer: device not answering
//   CheckIntervalSec=10       an idle library's device is checked this often (0: never)
//   RetryFirstMSec=1500       an offline library retries its device after this, doubling each
//   RetryMaxSec=30            time up to this
//   MaxQueuedJobs=1000        jobs waiting for its robot; more are refused with ERROR_BUSY
//   UseGroups=tape
//   ModifyGroups=
//   ControlGroups=tape
//   Ports=100 101-104         port splitting: each item is one port (an address or a range)
//   CleanerPrefix=CLN         bar codes that start so are cleaning cartridges (config_cleaning.cpp)
//   MaxCleanings=50           cleanings one cleaning cartridge gives (1..100000)
//   CleaningTimeSec=120       how long a drive keeps a cleaner before it is taken out (0..3600)
//
// A bad file is an error naming the file and line; nothing is half-applied.
//
// Grammar details: keys and section names are case-sensitive; KEY=VALUE only (no ':'); lines
// starting with '#' or ';' are comments, and " ;" starts a comment after a value; leading blanks
// are ignored (no continuation lines); at most 199 characters per line. A section seen again (in
// the same file or a later drop-in) updates the same library. A later assignment of a key
// replaces the earlier value, lists included; an empty list value empties the list. List items
// are separated by blanks. Every library needs Device=, and no two libraries share one.
#pragma once

#include "status.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ntms {

struct PortConfig {
    uint16_t first = 0;
    uint16_t count = 1;
};

struct LibraryConfig {
    std::string name;
    std::string device;
    bool enabled = true;
    uint32_t inject_timeout_sec = 60;
    uint32_t poll_interval_ms = 500;
    uint32_t command_timeout_sec = 60;
    uint32_t check_interval_sec = 10;
    uint32_t retry_first_ms = 1500;
    uint32_t retry_max_sec = 30;
    uint32_t max_queued_jobs = 1000;
    // NTMS_INVENTORY_FAST 1, DEFAULT 3 (a full INITIALIZE ELEMENT STATUS) or SLOT 4: what an
    // inventory with NTMS_INVENTORY_DEFAULT does.
    uint32_t inventory_method = 3;
    // A cartridge the port watcher sees arrive with no job running is imported at once.
    bool auto_import = false;
    // Door=yes|no; nullopt (auto): a sim: device's door= option, else whether the changer
    // accepts PREVENT ALLOW MEDIUM REMOVAL.
    std::optional<bool> door;
    std::vector<std::string> use_groups{"tape"};
    std::vector<std::string> modify_groups{};
    std::vector<std::string> control_groups{"tape"};
    std::vector<PortConfig> ports; // empty: all IE elements form one port
    // DriveDevices=: drive number -> its tape device, where matching by serial does not work.
    std::map<uint32_t, std::string> drive_devices;
    // Cleaning cartridges: the bar code prefix that makes one, its cleanings (LTO cleaning
    // cartridges are rated for 50), and the time a CLEANDRIVE job leaves it in the drive.
    std::string cleaner_prefix = "CLN";
    uint32_t max_cleanings = 50;
    uint32_t cleaning_time_sec = 120;
    std::string origin;            // "FILE:LINE" of its section, for messages
};

struct DaemonConfig {
    std::string database = "/var/lib/ntmsd/ntmsd.db";
    bool discover = true;
    uint32_t job_retention_sec = 3600;
    // Bounds on a method call's a{sv} options, checked before they are copied. The legitimate
    // options are a few, and small: an application name of 1,024 bytes is the largest.
    uint32_t max_options = 32;
    uint32_t max_option_bytes = 16384;
    uint32_t database_check_sec = 5;
    std::vector<LibraryConfig> libraries;
};

inline constexpr const char* default_config_path = "/etc/ntmsd/ntmsd.conf";

// Reads main_path (missing is fine: defaults) and main_path + ".d/*.conf".
// Errors: ERROR_INVALID_PARAMETER with "FILE:LINE: what is wrong".
Expected<DaemonConfig> load_config(const std::string& main_path);
// Applies one file's text on top of cfg (for drop-ins and tests). name is used in messages.
// On error cfg is unchanged.
Expected<void> apply_config_text(DaemonConfig& cfg, const std::string& text,
                                 const std::string& name);
// The checks load_config makes once all files are read: every library has a Device=, no device
// is claimed by two libraries. For callers that build a configuration with apply_config_text.
Expected<void> check_config(const DaemonConfig& cfg);

// CleanerPrefix=, MaxCleanings=, CleaningTimeSec= (config_cleaning.cpp): nullopt for another
// key, else "" when set, or what is wrong with the value (nothing changed).
std::optional<std::string> set_cleaning_key(LibraryConfig& lib, std::string_view key,
                                            std::string_view value);
// The bar code is a cleaning cartridge's in this library.
bool is_cleaner(const LibraryConfig& lib, std::string_view barcode);

// Parses "yes/no/true/false/on/off/1/0".
bool parse_boolean(const std::string& s, bool& out);

} // namespace ntms
