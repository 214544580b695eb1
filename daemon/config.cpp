// Configuration files: libinih does the INI syntax; this file adds what inih leaves loose. Lines
// reach inih through our own reader, which counts them (for FILE:LINE messages), strips leading
// blanks (so an indented line is never taken as inih's multi-line continuation), refuses lines
// longer than inih's buffer (it would silently split them) and parses section headers itself
// (inih truncates long section names).
#include "config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <ini.h>
#include <memory>
#include <new>
#include <optional>
#include <string_view>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace ntms {

namespace {
constexpr size_t max_library_name = 64;
constexpr size_t max_group_name = 255; // LOGIN_NAME_MAX - 1

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back()))
        s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split_words(std::string_view s) {
    std::vector<std::string_view> words;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && is_blank(s[i]))
            ++i;
        size_t start = i;
        while (i < s.size() && !is_blank(s[i]))
            ++i;
        if (i > start)
            words.push_back(s.substr(start, i - start));
    }
    return words;
}

bool is_library_name(std::string_view s) {
    if (s.empty() || s.size() > max_library_name)
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-';
    });
}

// POSIX portable user/group names; all digits is refused because it reads as a GID.
bool is_group_name(std::string_view s) {
    if (s.empty() || s.size() > max_group_name || s.front() == '-')
        return false;
    bool all_digits = true;
    for (char c : s) {
        bool digit = c >= '0' && c <= '9';
        all_digits = all_digits && digit;
        if (!digit && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') && c != '_' && c != '.' &&
            c != '-')
            return false;
    }
    return !all_digits;
}

// Plain decimal only: no sign, no blanks, no suffix.
std::optional<uint64_t> parse_decimal(std::string_view s) {
    if (s.empty() || s.size() > 19)
        return std::nullopt;
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
}

enum class SectionKind { None, Daemon, Library };

struct Parser {
    DaemonConfig& cfg;
    std::string_view text;
    const std::string& file;

    size_t pos = 0;
    int line = 0;
    SectionKind section = SectionKind::None;
    size_t library = 0;          // index into cfg.libraries while in a [Library] section
    bool expect_handler = false; // the line just given to inih must reach the handler
    bool handler_called = false;
    std::optional<std::string> error;

    void fail_at(int at, std::string what) {
        if (!error)
            error = fmt::format("{}:{}: {}", file, at, what);
    }
    void fail(std::string what) { fail_at(line, std::move(what)); }

    // A line that is neither blank, comment, section nor KEY=VALUE never reaches the handler.
    void check_previous_line() {
        if (expect_handler && !handler_called)
            fail("expected KEY=VALUE, [Daemon] or [Library NAME]");
        expect_handler = false;
        handler_called = false;
    }

    void open_section(std::string_view header) {
        if (header == "Daemon") {
            section = SectionKind::Daemon;
            return;
        }
        constexpr std::string_view prefix = "Library ";
        if (header.substr(0, prefix.size()) == prefix) {
            std::string_view name = header.substr(prefix.size());
            if (!is_library_name(name)) {
                fail(fmt::format("invalid library name '{}': use 1 to {} of A-Z a-z 0-9 _ . -",
                                 name, max_library_name));
                return;
            }
            section = SectionKind::Library;
            auto it = std::find_if(cfg.libraries.begin(), cfg.libraries.end(),
                                   [&](const LibraryConfig& l) { return l.name == name; });
            if (it == cfg.libraries.end()) {
                LibraryConfig lib;
                lib.name = std::string(name);
                lib.origin = fmt::format("{}:{}", file, line);
                cfg.libraries.push_back(std::move(lib));
                library = cfg.libraries.size() - 1;
            } else {
                // Repeated in this file or a later drop-in: its keys update the same library.
                library = static_cast<size_t>(it - cfg.libraries.begin());
            }
            return;
        }
        fail(fmt::format("unknown section [{}]; expected [Daemon] or [Library NAME]", header));
    }

    // Classifies one stripped line the way inih will see it and checks what inih would accept
    // too loosely. Returns false on error.
    bool inspect(std::string_view l) {
        if (l.find('\0') != std::string_view::npos) {
            fail("NUL byte in line");
            return false;
        }
        std::string_view t = trim(l);
        if (t.empty() || t.front() == ';' || t.front() == '#')
            return true;
        if (t.front() == '[') {
            size_t close = t.find(']');
            if (close == std::string_view::npos) {
                fail("section header without ']'");
                return false;
            }
            std::string_view rest = trim(t.substr(close + 1));
            if (!rest.empty() && rest.front() != ';' && rest.front() != '#') {
                fail(fmt::format("unexpected text after section header: '{}'", rest));
                return false;
            }
            open_section(t.substr(1, close - 1));
            return !error;
        }
        // inih also splits at ':'; we accept only '='.
        size_t eq = t.find('=');
        if (eq == std::string_view::npos || t.substr(0, eq).find(':') != std::string_view::npos) {
            fail("expected KEY=VALUE, [Daemon] or [Library NAME]");
            return false;
        }
        expect_handler = true;
        return true;
    }

    char* read(char* buf, int size) {
        check_previous_line();
        if (error || pos >= text.size())
            return nullptr;
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view l = text.substr(pos, end - pos);
        pos = end + 1;
        ++line;
        if (line == 1 && l.substr(0, 3) == "\xEF\xBB\xBF")
            l.remove_prefix(3);
        while (!l.empty() && is_blank(l.front()))
            l.remove_prefix(1);
        if (size <= 1 || l.size() > static_cast<size_t>(size) - 1) {
            fail(fmt::format("line too long (at most {} characters)", size > 1 ? size - 1 : 0));
            return nullptr;
        }
        if (!inspect(l))
            return nullptr;
        std::memcpy(buf, l.data(), l.size());
        buf[l.size()] = '\0';
        return buf;
    }

    void set_key(std::string_view key, std::string_view value) {
        auto bad = [&](std::string_view what) { fail(fmt::format("{}={}: {}", key, value, what)); };
        auto number = [&](uint64_t lo, uint64_t hi, uint32_t& out) {
            auto v = parse_decimal(value);
            if (!v || *v < lo || *v > hi) {
                bad(fmt::format("expected a whole number from {} to {}", lo, hi));
                return;
            }
            out = static_cast<uint32_t>(*v);
        };
        auto boolean = [&](bool& out) {
            if (!parse_boolean(std::string(value), out))
                bad("expected yes or no");
        };
        auto groups = [&](std::vector<std::string>& out) {
            std::vector<std::string> list;
            for (auto w : split_words(value)) {
                if (!is_group_name(w)) {
                    bad(fmt::format("'{}' is not a valid group name", w));
                    return;
                }
                if (std::find(list.begin(), list.end(), w) == list.end())
                    list.emplace_back(w);
            }
            out = std::move(list); // a list is replaced whole; empty empties it
        };

        if (section == SectionKind::None) {
            fail(fmt::format("{}= outside a section", key));
            return;
        }
        if (section == SectionKind::Daemon) {
            if (key == "Database") {
                if (value.empty() || value.front() != '/')
                    bad("expected an absolute path");
                else
                    cfg.database = std::string(value);
            } else if (key == "Discover") {
                boolean(cfg.discover);
            } else if (key == "JobRetentionSec") {
                number(0, UINT32_MAX, cfg.job_retention_sec);
            } else if (key == "MaxOptions") {
                number(8, 65536, cfg.max_options);
            } else if (key == "MaxOptionBytes") {
                // The floor leaves room for every legitimate option at its longest.
                number(2048, 128 * 1024 * 1024, cfg.max_option_bytes);
            } else if (key == "DatabaseCheckSec") {
                number(1, 3600, cfg.database_check_sec);
            } else {
                fail(fmt::format("unknown key '{}' in [Daemon]", key));
            }
            return;
        }
        LibraryConfig& lib = cfg.libraries[library];
        if (auto why = set_cleaning_key(lib, key, value))
            return why->empty() ? void() : bad(*why);
        if (key == "Device") {
            if (value.empty() || !(value.front() == '/' || value.substr(0, 8) == "iscsi://" ||
                                   value.substr(0, 4) == "sim:"))
                bad("expected a device path (/dev/...), an iscsi:// URL or sim:NAME");
            else
                lib.device = std::string(value);
        } else if (key == "Enabled") {
            boolean(lib.enabled);
        } else if (key == "InjectTimeoutSec") {
            number(0, 65535, lib.inject_timeout_sec);
        } else if (key == "PollIntervalMSec") {
            number(50, 60000, lib.poll_interval_ms);
        } else if (key == "CommandTimeoutSec") {
            number(1, 3600, lib.command_timeout_sec);
        } else if (key == "CheckIntervalSec") {
            number(0, 86400, lib.check_interval_sec);
        } else if (key == "RetryFirstMSec") {
            number(100, 600000, lib.retry_first_ms);
        } else if (key == "RetryMaxSec") {
            number(1, 3600, lib.retry_max_sec);
        } else if (key == "MaxQueuedJobs") {
            number(1, 1000000, lib.max_queued_jobs);
        } else if (key == "InventoryMethod") {
            if (value == "fast")
                lib.inventory_method = 1;
            else if (value == "default")
                lib.inventory_method = 3;
            else if (value == "slot")
                lib.inventory_method = 4;
            else
                bad("expected fast, default or slot");
        } else if (key == "AutoImport") {
            boolean(lib.auto_import);
        } else if (key == "Door") {
            bool yes = false;
            if (value == "auto")
                lib.door.reset();
            else if (parse_boolean(std::string(value), yes))
                lib.door = yes;
            else
                bad("expected auto, yes or no");
        } else if (key == "UseGroups") {
            groups(lib.use_groups);
        } else if (key == "ModifyGroups") {
            groups(lib.modify_groups);
        } else if (key == "ControlGroups") {
            groups(lib.control_groups);
        } else if (key == "Ports") {
            set_ports(lib, key, value);
        } else if (key == "DriveDevices") {
            set_drive_devices(lib, key, value);
        } else {
            fail(fmt::format("unknown key '{}' in [Library {}]", key, lib.name));
        }
    }

    // DriveDevices=NUMBER:PATH ...: replaces the list; empty clears it.
    void set_drive_devices(LibraryConfig& lib, std::string_view key, std::string_view value) {
        std::map<uint32_t, std::string> devices;
        for (auto w : split_words(value)) {
            const size_t colon = w.find(':');
            auto number = parse_decimal(w.substr(0, colon));
            const std::string_view path =
                colon == std::string_view::npos ? std::string_view() : w.substr(colon + 1);
            if (!number || *number > 65535 || path.empty() || path.front() != '/') {
                fail(fmt::format("{}={}: '{}' is not NUMBER:/absolute/path", key, value, w));
                return;
            }
            if (!devices.emplace(static_cast<uint32_t>(*number), std::string(path)).second) {
                fail(fmt::format("{}={}: drive {} is named twice", key, value, *number));
                return;
            }
        }
        lib.drive_devices = std::move(devices);
    }

    void set_ports(LibraryConfig& lib, std::string_view key, std::string_view value) {
        auto bad = [&](std::string_view what) { fail(fmt::format("{}={}: {}", key, value, what)); };
        std::vector<PortConfig> ports;
        for (auto w : split_words(value)) {
            size_t dash = w.find('-');
            auto a = parse_decimal(w.substr(0, dash));
            auto b = dash == std::string_view::npos ? a : parse_decimal(w.substr(dash + 1));
            if (!a || !b || *a < 1 || *b > 65535 || *a > *b) {
                bad(fmt::format("'{}' is not an element address or range A-B (1 to 65535, A <= B)",
                                w));
                return;
            }
            ports.push_back({static_cast<uint16_t>(*a), static_cast<uint16_t>(*b - *a + 1)});
        }
        std::vector<PortConfig> sorted = ports;
        std::sort(sorted.begin(), sorted.end(),
                  [](const PortConfig& x, const PortConfig& y) { return x.first < y.first; });
        for (size_t i = 1; i < sorted.size(); ++i) {
            uint32_t prev_end = uint32_t{sorted[i - 1].first} + sorted[i - 1].count;
            if (sorted[i].first < prev_end) {
                bad(fmt::format("element {} is in more than one port", sorted[i].first));
                return;
            }
        }
        lib.ports = std::move(ports);
    }
};

char* reader(char* buf, int size, void* stream) noexcept {
    auto* p = static_cast<Parser*>(stream);
    try {
        return p->read(buf, size);
    } catch (...) {
        p->error = "out of memory";
        return nullptr;
    }
}

int handler(void* user, const char* /*section*/, const char* name, const char* value) noexcept {
    auto* p = static_cast<Parser*>(user);
    try {
        p->handler_called = true;
        if (!p->error)
            p->set_key(name, value);
    } catch (...) {
        p->error = "out of memory";
    }
    return p->error ? 0 : 1;
}

Status apply_text(DaemonConfig& cfg, std::string_view text, const std::string& name) {
    Parser p{cfg, text, name};
    int r = ini_parse_stream(reader, &p, handler, &p);
    p.check_previous_line();
    if (!p.error && r > 0)
        p.fail_at(r, "syntax error");
    else if (!p.error && r < 0)
        p.error = fmt::format("{}: cannot parse (error {})", name, r);
    if (p.error)
        return fail(win32::InvalidParameter, std::move(*p.error));
    return Status::success();
}

// Reads a whole file. nullopt with ENOENT in err: no such file; other errno: unreadable.
std::optional<std::string> read_file(const std::string& path, int& err) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        err = errno;
        return std::nullopt;
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    std::string text;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = errno;
            return std::nullopt;
        }
        if (n == 0)
            break;
        text.append(buf, static_cast<size_t>(n));
    }
    err = 0;
    return text;
}

std::string errno_text(int err) {
    const char* d = strerrordesc_np(err); // thread-safe, unlike strerror
    return d ? d : fmt::format("errno {}", err);
}

// Drop-in paths in lexical (byte) order, as systemd orders its own drop-ins. Hidden files and
// names not ending in .conf are not ours; a drop-in linked to /dev/null is skipped (masked).
Expected<std::vector<std::string>> list_dropins(const std::string& dir) {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR)
            return std::vector<std::string>{};
        return fail(win32::InvalidParameter,
                    fmt::format("{}: cannot read directory: {}", dir, errno_text(errno)));
    }
    std::vector<std::string> names;
    for (;;) {
        errno = 0;
        dirent* e = ::readdir(d.get());
        if (!e) {
            if (errno != 0)
                return fail(win32::InvalidParameter,
                            fmt::format("{}: cannot read directory: {}", dir, errno_text(errno)));
            break;
        }
        std::string_view n = e->d_name;
        constexpr std::string_view suffix = ".conf";
        if (n.front() == '.' || n.size() <= suffix.size() ||
            n.substr(n.size() - suffix.size()) != suffix)
            continue;
        names.emplace_back(n);
    }
    std::sort(names.begin(), names.end());
    std::vector<std::string> paths;
    for (const auto& n : names) {
        std::string path = dir + "/" + n;
        struct stat st {};
        if (::stat(path.c_str(), &st) < 0) {
            if (errno == ENOENT) // dangling symlink or removed meanwhile
                continue;
            return fail(win32::InvalidParameter,
                        fmt::format("{}: cannot read: {}", path, errno_text(errno)));
        }
        if (!S_ISREG(st.st_mode)) // directories, and /dev/null used to mask a shipped drop-in
            continue;
        paths.push_back(std::move(path));
    }
    return paths;
}

Status check_libraries(const DaemonConfig& cfg) {
    for (size_t i = 0; i < cfg.libraries.size(); ++i) {
        const auto& lib = cfg.libraries[i];
        if (lib.device.empty())
            return fail(win32::InvalidParameter,
                        fmt::format("{}: [Library {}] has no Device=", lib.origin, lib.name));
        for (size_t j = 0; j < i; ++j) {
            if (cfg.libraries[j].device == lib.device)
                return fail(win32::InvalidParameter,
                            fmt::format("{}: [Library {}]: Device={} is already used by "
                                        "[Library {}] ({})",
                                        lib.origin, lib.name, lib.device, cfg.libraries[j].name,
                                        cfg.libraries[j].origin));
        }
    }
    return Status::success();
}

} // namespace

bool parse_boolean(const std::string& s, bool& out) {
    static constexpr std::string_view yes[] = {"yes", "true", "on", "1"};
    static constexpr std::string_view no[] = {"no", "false", "off", "0"};
    auto lower = [](std::string_view v) {
        std::string r(v);
        for (auto& c : r)
            if (c >= 'A' && c <= 'Z')
                c = static_cast<char>(c - 'A' + 'a');
        return r;
    };
    try {
        std::string v = lower(s);
        for (auto y : yes)
            if (v == y) {
                out = true;
                return true;
            }
        for (auto n : no)
            if (v == n) {
                out = false;
                return true;
            }
    } catch (...) {
    }
    return false;
}

Expected<void> apply_config_text(DaemonConfig& cfg, const std::string& text,
                                 const std::string& name) {
    try {
        DaemonConfig next = cfg; // nothing is half-applied: work on a copy
        Status st = apply_text(next, text, name);
        if (!st.ok())
            return st;
        cfg = std::move(next);
        return {};
    } catch (const std::bad_alloc&) {
        return fail(win32::NotEnoughMemory, name + ": out of memory");
    } catch (...) {
        return fail(win32::InvalidParameter, name + ": cannot parse");
    }
}

Expected<void> check_config(const DaemonConfig& cfg) {
    try {
        Status st = check_libraries(cfg);
        if (!st.ok())
            return st;
        return {};
    } catch (...) {
        return fail(win32::NotEnoughMemory, "out of memory");
    }
}

Expected<DaemonConfig> load_config(const std::string& main_path) {
    try {
        DaemonConfig cfg;
        int err = 0;
        auto text = read_file(main_path, err);
        if (!text && err != ENOENT)
            return fail(win32::InvalidParameter,
                        fmt::format("{}: cannot read: {}", main_path, errno_text(err)));
        if (text) {
            Status st = apply_text(cfg, *text, main_path);
            if (!st.ok())
                return st;
        }
        auto dropins = list_dropins(main_path + ".d");
        if (!dropins)
            return std::move(dropins).error();
        for (const auto& path : *dropins) {
            auto t = read_file(path, err);
            if (!t) {
                if (err == ENOENT)
                    continue;
                return fail(win32::InvalidParameter,
                            fmt::format("{}: cannot read: {}", path, errno_text(err)));
            }
            Status st = apply_text(cfg, *t, path);
            if (!st.ok())
                return st;
        }
        Status st = check_libraries(cfg);
        if (!st.ok())
            return st;
        return cfg;
    } catch (const std::bad_alloc&) {
        return fail(win32::NotEnoughMemory, main_path + ": out of memory");
    } catch (...) {
        return fail(win32::InvalidParameter, main_path + ": cannot load configuration");
    }
}

} // namespace ntms
