// sgio-probe: look at a changer through the project's own SCSI stack (Transport + Changer), the
// way the daemon sees it. A developer tool, not the administrator's CLI.
#include "sgio/changer.hpp"
#include "sgio/open.hpp"

#include <array>
#include <charconv>
#include <fmt/format.h>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr const char* usage_text =
    "usage: sgio-probe DEVICE [COMMAND [ARGS]]\n"
    "\n"
    "DEVICE: /dev/sgN, iscsi://HOST[:PORT]/IQN/LUN or sim:NAME[,key=value...]\n"
    "\n"
    "  inquiry          identity: INQUIRY and VPD 80h/83h (the default)\n"
    "  map              element address assignment (mode page 1Dh) and capabilities (1Fh)\n"
    "  status [TYPE [FIRST [COUNT]]]\n"
    "                   element status; TYPE: transport|storage|ie|drive (default: all four);\n"
    "                   from element FIRST, COUNT of them (default 1), each read as ntmsd reads\n"
    "                   one element\n"
    "  move SRC DST     MOVE MEDIUM with the first transport element\n"
    "  tur              TEST UNIT READY\n";

int fail(const std::string& what, const sgio::Error& e) {
    fmt::print(stderr, "sgio-probe: {}: {} [{}]\n", what, e.describe(), sgio::errc_name(e.code));
    return 1;
}

int usage() {
    fmt::print(stderr, "{}", usage_text);
    return 2;
}

bool parse_address(std::string_view text, uint16_t& out) {
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc() && p == text.data() + text.size();
}

bool parse_type(std::string_view text, sgio::ElementType& out) {
    struct Name {
        std::string_view word;
        sgio::ElementType type;
    };
    static constexpr std::array<Name, 8> names = {{
        {"transport", sgio::ElementType::Transport},
        {"mt", sgio::ElementType::Transport},
        {"storage", sgio::ElementType::Storage},
        {"st", sgio::ElementType::Storage},
        {"ie", sgio::ElementType::ImportExport},
        {"import/export", sgio::ElementType::ImportExport},
        {"drive", sgio::ElementType::DataTransfer},
        {"dt", sgio::ElementType::DataTransfer},
    }};
    for (const auto& n : names) {
        if (n.word == text) {
            out = n.type;
            return true;
        }
    }
    return false;
}

int inquiry(sgio::Changer& changer) {
    auto id = changer.identify();
    if (!id)
        return fail("identify", id.error());
    fmt::print("vendor:      {}\nproduct:     {}\nrevision:    {}\n", id->vendor, id->product,
               id->revision);
    fmt::print("type:        {:#04x}\nserial:      {}\ndevice id:   {}\nstable key:  {}\n",
               id->peripheral_type, id->serial.empty() ? "-" : id->serial,
               id->device_id.empty() ? "-" : id->device_id,
               id->stable_key().empty() ? "-" : id->stable_key());
    return 0;
}

int map(sgio::Changer& changer) {
    auto m = changer.element_map();
    if (!m)
        return fail("element map", m.error());
    const auto row = [](const char* name, uint16_t first, uint16_t count) {
        if (count == 0)
            fmt::print("{:<15} none\n", name);
        else
            fmt::print("{:<15} {:>5} .. {:<5} ({} elements)\n", name, first, first + count - 1,
                       count);
    };
    row("transport", m->transport_first, m->transport_count);
    row("storage", m->storage_first, m->storage_count);
    row("import/export", m->ie_first, m->ie_count);
    row("drive", m->drive_first, m->drive_count);

    auto caps = changer.capabilities();
    if (!caps)
        return fail("capabilities", caps.error());
    if (!caps->present) {
        fmt::print("capabilities:   no mode page 1Fh\n");
        return 0;
    }
    fmt::print("barcode reader: {}\n", caps->barcode_reader ? "yes" : "no");
    fmt::print("can move (from -> to MT ST IE DT):\n");
    static constexpr std::array<const char*, 5> short_names = {"", "MT", "ST", "IE", "DT"};
    for (size_t from = 1; from < 5; ++from) {
        fmt::print("  {}  ", short_names[from]);
        for (size_t to = 1; to < 5; ++to)
            fmt::print(" {} ", caps->can_move[from][to] ? "x" : ".");
        fmt::print("\n");
    }
    return 0;
}

void print_element(const sgio::ElementStatus& e) {
    std::string flags;
    const auto flag = [&](bool on, const char* name) {
        if (on)
            flags += flags.empty() ? name : std::string(",") + name;
    };
    flag(e.full, "FULL");
    flag(e.impexp, "IMPEXP");
    flag(e.except, "EXCEPT");
    flag(e.access, "ACCESS");
    flag(e.inenab, "INENAB");
    flag(e.exenab, "EXENAB");
    fmt::print("{:>5}  {:<28}", e.address, flags.empty() ? "-" : flags);
    if (!e.primary_tag.empty())
        fmt::print("  tag {}", e.primary_tag);
    if (e.svalid)
        fmt::print("  from {}", e.source);
    if (e.except)
        fmt::print("  ASC/ASCQ {:02X}h/{:02X}h", e.asc, e.ascq);
    if (e.truncated)
        fmt::print("  (descriptor truncated)");
    fmt::print("\n");
}

int status(sgio::Changer& changer, const std::vector<sgio::ElementType>& types) {
    for (const auto type : types) {
        fmt::print("{}:\n", sgio::element_type_name(type));
        auto r = changer.for_each_status(type, print_element);
        if (!r)
            return fail(fmt::format("{} status", sgio::element_type_name(type)), r.error());
    }
    return 0;
}

// count elements of one type from first, one READ ELEMENT STATUS each (as ntmsd reads the
// element a move went to), on one Changer.
int status_of(sgio::Changer& changer, sgio::ElementType type, uint16_t first, uint16_t count) {
    fmt::print("{}:\n", sgio::element_type_name(type));
    for (uint32_t a = first; a < uint32_t{first} + count; ++a) {
        auto r = changer.read_status(type, static_cast<uint16_t>(a), 1);
        if (!r)
            return fail(fmt::format("{} element {} status", sgio::element_type_name(type), a),
                        r.error());
        if (r->size() != 1) {
            fmt::print(stderr, "sgio-probe: {} element {}: the reply holds {} elements\n",
                       sgio::element_type_name(type), a, r->size());
            return 1;
        }
        print_element(r->front());
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2)
        return usage();
    const std::string device = argv[1];
    const std::vector<std::string_view> args(argv + 2, argv + argc);
    const std::string_view command = args.empty() ? "inquiry" : args[0];
    if (command == "-h" || command == "--help" || device == "-h" || device == "--help") {
        fmt::print("{}", usage_text);
        return 0;
    }

    // Validate the command line before touching the device.
    std::vector<sgio::ElementType> types = {
        sgio::ElementType::Transport, sgio::ElementType::Storage, sgio::ElementType::ImportExport,
        sgio::ElementType::DataTransfer};
    uint16_t source = 0, destination = 0;
    std::optional<uint16_t> first;
    uint16_t count = 1;
    if (command == "status") {
        if (args.size() > 4)
            return usage();
        if (args.size() >= 3) {
            uint16_t f = 0;
            if (!parse_address(args[2], f) ||
                (args.size() == 4 &&
                 (!parse_address(args[3], count) || count == 0 || uint32_t{f} + count > 0x10000u)))
                return usage();
            first = f;
        }
        if (args.size() >= 2) {
            sgio::ElementType t{};
            if (!parse_type(args[1], t)) {
                fmt::print(stderr, "sgio-probe: unknown element type '{}'\n", args[1]);
                return usage();
            }
            types = {t};
        }
    } else if (command == "move") {
        if (args.size() != 3 || !parse_address(args[1], source) ||
            !parse_address(args[2], destination))
            return usage();
    } else if (command != "inquiry" && command != "map" && command != "tur") {
        return usage();
    } else if (args.size() > 1) {
        return usage();
    }

    auto transport = sgio::open_transport(device);
    if (!transport)
        return fail(fmt::format("open {}", device), transport.error());
    sgio::Changer changer(**transport);

    if (command == "inquiry")
        return inquiry(changer);
    if (command == "map")
        return map(changer);
    if (command == "status")
        return first ? status_of(changer, types.front(), *first, count) : status(changer, types);
    if (command == "tur") {
        auto r = changer.test_unit_ready();
        if (!r)
            return fail("TEST UNIT READY", r.error());
        fmt::print("ready\n");
        return 0;
    }
    auto r = changer.move(source, destination);
    if (!r)
        return fail("MOVE MEDIUM", r.error());
    fmt::print("moved {} -> {}\n", source, destination);
    return 0;
}
