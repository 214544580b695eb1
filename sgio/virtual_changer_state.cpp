// The virtual changer's state and its state file.
//
// Format (one record per line, '#' comments and blank lines ignored):
//   ntms-virtual-changer-state 1 id=<16 hex> generation=<n>
//   config <key> <value>            name, vendor, product, revision, serial, barcode-reader,
//                                   door, prevent, openclose, move-ms, unload-ms, clean-ms,
//                                   poweron
//   config <type> <first> <count>   type: transport, drive, ie, storage (the element map)
//   port open|closed
//   door open|closed
//   prevent yes [pid=<n>]|no        pid: the process whose PREVENT holds
//   ua <asc hex> <ascq hex>         a pending unit attention, oldest first
//   element <address> <type> empty|full [barcode=<label>] [impexp] [source=<address>]
//           [cleaning-until=<ms>]    a drive cleaning until then (CLOCK_REALTIME milliseconds)
// The id changes only when the file is created; the generation grows with every save, so a reader
// that holds the lock can tell from the first line alone whether its copy is current.
#include "virtual_changer_state.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sgio::detail {

namespace {

constexpr std::string_view magic = "ntms-virtual-changer-state";
constexpr unsigned format_version = 1;

const char* type_word(ElementType t) {
    switch (t) {
    case ElementType::Transport:
        return "transport";
    case ElementType::DataTransfer:
        return "drive";
    case ElementType::ImportExport:
        return "ie";
    default:
        return "storage";
    }
}

template <typename T> bool parse_number(std::string_view s, T& out, int base = 10) {
    if (s.empty())
        return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
    return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string_view> split_words(std::string_view line) {
    std::vector<std::string_view> words;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ')
            ++i;
        const size_t start = i;
        while (i < line.size() && line[i] != ' ')
            ++i;
        if (i > start)
            words.push_back(line.substr(start, i - start));
    }
    return words;
}

bool parse_flag(std::string_view s, bool& out) {
    if (s == "yes") {
        out = true;
        return true;
    }
    if (s == "no") {
        out = false;
        return true;
    }
    return false;
}

const char* yes_no(bool b) {
    return b ? "yes" : "no";
}

} // namespace

std::string parse_header(std::string_view line, Header& h) {
    auto words = split_words(line);
    if (words.empty() || words[0] != magic)
        return "not a virtual changer state file";
    unsigned version = 0;
    if (words.size() < 2 || !parse_number(words[1], version))
        return "missing format version";
    if (version != format_version)
        return fmt::format("unsupported format version {}", words[1]);
    bool have_id = false, have_gen = false;
    for (size_t i = 2; i < words.size(); ++i) {
        const auto w = words[i];
        if (w.starts_with("id=") && parse_number(w.substr(3), h.id, 16))
            have_id = true;
        else if (w.starts_with("generation=") && parse_number(w.substr(11), h.generation))
            have_gen = true;
        else
            return fmt::format("bad header field '{}'", w);
    }
    if (!have_id || !have_gen)
        return "header lacks id= or generation=";
    return {};
}

std::vector<VcRange> element_ranges(const VirtualChangerConfig& c) {
    return {{ElementType::Transport, "transport", c.transport_first, c.transports},
            {ElementType::DataTransfer, "drive", c.drive_first, c.drives},
            {ElementType::ImportExport, "ie", c.ie_first, c.ie_count},
            {ElementType::Storage, "storage", c.storage_first, c.slots}};
}

Error errno_error(Errc code, const std::string& what, int err) {
    Error e = make_error(code, fmt::format("{}: {}", what, std::strerror(err)));
    e.sys_errno = err;
    return e;
}

std::string geometry_text(const VirtualChangerConfig& c) {
    std::string out;
    for (const auto& r : element_ranges(c))
        out += fmt::format("{}{} {}+{}", out.empty() ? "" : ", ", r.name, r.first, r.count);
    return out;
}

VcElement* VcPersisted::find(uint16_t address) {
    auto it = std::lower_bound(elements.begin(), elements.end(), address,
                               [](const VcElement& e, uint16_t a) { return e.address < a; });
    return it != elements.end() && it->address == address ? &*it : nullptr;
}

const VcElement* VcPersisted::find(uint16_t address) const {
    return const_cast<VcPersisted*>(this)->find(address);
}

void VcModel::expire_prevention() {
    const int pid = data.prevent_pid;
    if (!data.prevented || pid <= 0 || pid == ::getpid())
        return;
    if (::kill(pid, 0) == 0 || errno != ESRCH)
        return;
    data.prevented = false;
    data.prevent_pid = 0;
    dirty = true;
}

void VcModel::raise(uint8_t asc, uint8_t ascq) {
    for (const auto& ua : data.unit_attentions)
        if (ua.asc == asc && ua.ascq == ascq)
            return;
    data.unit_attentions.push_back({asc, ascq});
    dirty = true;
}

std::string fill_barcode(uint32_t n) {
    return fmt::format("S{:05}L8", n);
}

bool same_geometry(const VirtualChangerConfig& a, const VirtualChangerConfig& b) {
    const auto ra = element_ranges(a), rb = element_ranges(b);
    for (size_t i = 0; i < ra.size(); ++i)
        if (ra[i].count != rb[i].count || (ra[i].count && ra[i].first != rb[i].first))
            return false;
    return true;
}

VcPersisted initial_state(const VirtualChangerConfig& c) {
    VcPersisted s;
    for (const auto& r : element_ranges(c))
        for (uint32_t i = 0; i < r.count; ++i) {
            VcElement e;
            e.type = r.type;
            e.address = static_cast<uint16_t>(r.first + i);
            if (r.type == ElementType::Storage && i < c.fill) {
                e.full = true;
                e.barcode = fill_barcode(i + 1);
            }
            s.elements.push_back(std::move(e));
        }
    std::sort(s.elements.begin(), s.elements.end(),
              [](const VcElement& a, const VcElement& b) { return a.address < b.address; });
    return s;
}

std::string serialize_state(const VirtualChangerConfig& c, const VcPersisted& s, uint64_t id,
                            uint64_t generation) {
    fmt::memory_buffer out;
    const auto put = [&out]<typename... Args>(fmt::format_string<Args...> f, Args&&... args) {
        fmt::format_to(std::back_inserter(out), f, std::forward<Args>(args)...);
    };
    put("{} {} id={:016x} generation={}\n", magic, format_version, id, generation);
    put("config name {}\nconfig vendor {}\nconfig product {}\nconfig revision {}\n", c.name,
        c.vendor, c.product, c.revision);
    if (!c.serial.empty())
        put("config serial {}\n", c.serial);
    for (const auto& r : element_ranges(c))
        put("config {} {} {}\n", r.name, r.first, r.count);
    put("config barcode-reader {}\nconfig door {}\nconfig prevent {}\nconfig openclose {}\n",
        yes_no(c.barcode_reader), yes_no(c.door), yes_no(c.supports_prevent),
        yes_no(c.supports_open_close));
    put("config move-ms {}\nconfig poweron {}\n", c.move_time.count(),
        yes_no(c.power_on_unit_attention));
    if (c.unload_time.count() > 0)
        put("config unload-ms {}\n", c.unload_time.count());
    if (c.clean_time.count() > 0)
        put("config clean-ms {}\n", c.clean_time.count());
    put("port {}\ndoor {}\n", s.port_open ? "open" : "closed", s.door_open ? "open" : "closed");
    if (s.prevented && s.prevent_pid > 0)
        put("prevent yes pid={}\n", s.prevent_pid);
    else
        put("prevent {}\n", yes_no(s.prevented));
    for (const auto& ua : s.unit_attentions)
        put("ua {:02x} {:02x}\n", ua.asc, ua.ascq);
    for (const auto& e : s.elements) {
        put("element {} {} {}", e.address, type_word(e.type), e.full ? "full" : "empty");
        if (!e.barcode.empty())
            put(" barcode={}", e.barcode);
        if (e.impexp)
            put(" impexp");
        if (e.svalid)
            put(" source={}", e.source);
        if (e.cleaning_until)
            put(" cleaning-until={}", e.cleaning_until);
        put("\n");
    }
    return fmt::to_string(out);
}

namespace {

// Applies one "config ..." line. Returns an error text, empty on success.
std::string parse_config_line(std::string_view rest, VirtualChangerConfig& c,
                              std::vector<bool>& have_range) {
    const size_t sp = rest.find(' ');
    const std::string_view key = rest.substr(0, sp);
    const std::string_view value = sp == std::string_view::npos ? "" : rest.substr(sp + 1);
    auto rs = element_ranges(c);
    for (size_t i = 0; i < rs.size(); ++i) {
        if (key != rs[i].name)
            continue;
        auto w = split_words(value);
        uint16_t first = 0, count = 0;
        if (w.size() != 2 || !parse_number(w[0], first) || !parse_number(w[1], count))
            return fmt::format("config {}: expected FIRST COUNT", key);
        uint16_t* const firsts[] = {&c.transport_first, &c.drive_first, &c.ie_first,
                                    &c.storage_first};
        uint16_t* const counts[] = {&c.transports, &c.drives, &c.ie_count, &c.slots};
        *firsts[i] = first;
        *counts[i] = count;
        have_range[i] = true;
        return {};
    }
    bool* flag = key == "barcode-reader" ? &c.barcode_reader
                 : key == "door"         ? &c.door
                 : key == "prevent"      ? &c.supports_prevent
                 : key == "openclose"    ? &c.supports_open_close
                 : key == "poweron"      ? &c.power_on_unit_attention
                                         : nullptr;
    if (flag)
        return parse_flag(value, *flag) ? "" : fmt::format("config {}: expected yes or no", key);
    if (key == "move-ms" || key == "unload-ms" || key == "clean-ms") {
        uint32_t ms = 0;
        if (!parse_number(value, ms))
            return fmt::format("config {}: expected a number", key);
        (key == "move-ms"     ? c.move_time
         : key == "unload-ms" ? c.unload_time
                              : c.clean_time) = std::chrono::milliseconds(ms);
        return {};
    }
    std::string* text = key == "name"       ? &c.name
                        : key == "vendor"   ? &c.vendor
                        : key == "product"  ? &c.product
                        : key == "revision" ? &c.revision
                        : key == "serial"   ? &c.serial
                                            : nullptr;
    if (!text)
        return fmt::format("unknown config key '{}'", key);
    *text = std::string(value);
    return {};
}

std::string parse_element_line(const std::vector<std::string_view>& w, VcElement& e) {
    if (w.size() < 4 || !parse_number(w[1], e.address))
        return "element: expected ADDRESS TYPE empty|full";
    if (w[2] == "transport")
        e.type = ElementType::Transport;
    else if (w[2] == "drive")
        e.type = ElementType::DataTransfer;
    else if (w[2] == "ie")
        e.type = ElementType::ImportExport;
    else if (w[2] == "storage")
        e.type = ElementType::Storage;
    else
        return fmt::format("element {}: unknown type '{}'", e.address, w[2]);
    if (w[3] != "full" && w[3] != "empty")
        return fmt::format("element {}: expected full or empty, not '{}'", e.address, w[3]);
    e.full = w[3] == "full";
    for (size_t i = 4; i < w.size(); ++i) {
        if (w[i].starts_with("barcode=") && valid_barcode(w[i].substr(8)) && w[i].size() > 8)
            e.barcode = std::string(w[i].substr(8));
        else if (w[i] == "impexp")
            e.impexp = true;
        else if (w[i].starts_with("source=") && parse_number(w[i].substr(7), e.source))
            e.svalid = true;
        else if (w[i].starts_with("cleaning-until=") && e.full &&
                 e.type == ElementType::DataTransfer) {
            if (!parse_number(w[i].substr(15), e.cleaning_until))
                return fmt::format("element {}: bad attribute '{}'", e.address, w[i]);
        } else
            return fmt::format("element {}: bad attribute '{}'", e.address, w[i]);
    }
    if (!e.full && (!e.barcode.empty() || e.impexp || e.svalid))
        return fmt::format("element {}: an empty element has no barcode, impexp or source",
                           e.address);
    if (e.type == ElementType::Transport && e.full)
        return fmt::format("element {}: a transport holds no cartridge at rest", e.address);
    if (e.impexp && e.type != ElementType::ImportExport)
        return fmt::format("element {}: impexp only applies to import/export elements", e.address);
    return {};
}

// Every configured address exactly once with its type, and nothing else.
std::string check_elements(const VirtualChangerConfig& c, const VcPersisted& s) {
    size_t expected = 0;
    for (const auto& r : element_ranges(c)) {
        expected += r.count;
        for (uint32_t i = 0; i < r.count; ++i) {
            const auto addr = static_cast<uint16_t>(r.first + i);
            const VcElement* e = s.find(addr);
            if (!e)
                return fmt::format("element {} ({}) is missing", addr, r.name);
            if (e->type != r.type)
                return fmt::format("element {} is {} but the map says {}", addr, type_word(e->type),
                                   r.name);
        }
    }
    for (size_t i = 1; i < s.elements.size(); ++i)
        if (s.elements[i].address == s.elements[i - 1].address)
            return fmt::format("element {} appears twice", s.elements[i].address);
    if (s.elements.size() != expected) {
        const auto rs = element_ranges(c);
        for (const auto& e : s.elements)
            if (!std::any_of(rs.begin(), rs.end(), [&](const VcRange& r) {
                    return e.address >= r.first && e.address < r.first + r.count;
                }))
                return fmt::format("element {} is outside the element map", e.address);
    }
    for (const auto& e : s.elements) {
        const VcElement* src = e.svalid ? s.find(e.source) : nullptr;
        if (e.svalid && (!src || src->type == ElementType::Transport))
            return fmt::format("element {}: source {} is not a storage location", e.address,
                               e.source);
    }
    return {};
}

} // namespace

Result<VcParsed> parse_state(std::string_view text, const std::string& origin) {
    VcParsed out;
    std::vector<bool> have_range(4, false);
    bool have_header = false;
    size_t line_no = 0;
    auto fail = [&](const std::string& msg) {
        return make_error(Errc::OpenFailed, line_no ? fmt::format("{}:{}: {}", origin, line_no, msg)
                                                    : fmt::format("{}: {}", origin, msg));
    };
    while (!text.empty()) {
        const size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        if (!have_header) {
            Header h;
            if (auto err = parse_header(line, h); !err.empty())
                return fail(err);
            out.id = h.id;
            out.generation = h.generation;
            have_header = true;
            continue;
        }
        if (line.empty() || line[0] == '#')
            continue;
        const auto w = split_words(line);
        if (w.empty())
            continue;
        std::string err;
        if (w[0] == "config") {
            const size_t at = line.find("config ");
            err = at == 0 ? parse_config_line(line.substr(7), out.config, have_range)
                          : "config: expected KEY VALUE";
        } else if (w[0] == "port" || w[0] == "door") {
            bool& b = w[0] == "port" ? out.state.port_open : out.state.door_open;
            if (w.size() == 2 && (w[1] == "open" || w[1] == "closed"))
                b = w[1] == "open";
            else
                err = fmt::format("{}: expected open or closed", w[0]);
        } else if (w[0] == "prevent") {
            auto& s = out.state;
            const bool holder = w.size() == 3 && w[2].starts_with("pid=") &&
                                parse_number(w[2].substr(4), s.prevent_pid) && s.prevent_pid > 0;
            if ((w.size() != 2 && !holder) || !parse_flag(w[1], s.prevented) ||
                (holder && !s.prevented))
                err = "prevent: expected yes [pid=N] or no";
        } else if (w[0] == "ua") {
            VcUnitAttention ua;
            if (w.size() == 3 && parse_number(w[1], ua.asc, 16) && parse_number(w[2], ua.ascq, 16))
                out.state.unit_attentions.push_back(ua);
            else
                err = "ua: expected ASC ASCQ in hex";
        } else if (w[0] == "element") {
            VcElement e;
            err = parse_element_line(w, e);
            if (err.empty())
                out.state.elements.push_back(std::move(e));
        } else {
            err = fmt::format("unknown record '{}'", w[0]);
        }
        if (!err.empty())
            return fail(err);
    }
    line_no = 0;
    if (!have_header)
        return fail("empty file");
    for (size_t i = 0; i < have_range.size(); ++i)
        if (!have_range[i])
            return fail(fmt::format("no 'config {}' line", element_ranges(out.config)[i].name));
    if (auto v = validate_config(out.config); !v)
        return fail(v.error().message);
    std::stable_sort(out.state.elements.begin(), out.state.elements.end(),
                     [](const VcElement& a, const VcElement& b) { return a.address < b.address; });
    if (auto err = check_elements(out.config, out.state); !err.empty())
        return fail(err);
    return out;
}

} // namespace sgio::detail
