// ntms-sim: the operator's hands on a virtual changer whose state lives in a file. A daemon (or a
// test) driving the same library through `sim:NAME,state=FILE` sees every action at its next
// command, including the 28h/01h unit attention a real library raises after port access.
#include "sgio/virtual_changer.hpp"

#include <charconv>
#include <cstdio>
#include <fmt/format.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <vector>

namespace {

constexpr const char* usage_text =
    "usage: ntms-sim STATEFILE COMMAND [ARGS]\n"
    "\n"
    "  create SPEC            create the state file from sim:NAME[,key=value...]\n"
    "  status                 show the port, the door and every element\n"
    "  insert ADDR [BARCODE]  put a cartridge into import/export element ADDR\n"
    "  remove ADDR            take the cartridge out of import/export element ADDR\n"
    "  open-port              pull the port (magazine) out\n"
    "  close-port             push it back in (the library sees 28h/01h)\n"
    "  open-door, close-door  open or close the library door\n"
    "  place ADDR [BARCODE]   put a cartridge straight into any element (set-up)\n";

int fail(const std::string& message) {
    fmt::print(stderr, "ntms-sim: {}\n", message);
    return 1;
}

bool parse_address(std::string_view text, uint16_t& out) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc() && p == text.data() + text.size();
}

const char* type_word(sgio::ElementType t) {
    switch (t) {
    case sgio::ElementType::Transport:
        return "transport";
    case sgio::ElementType::DataTransfer:
        return "drive";
    case sgio::ElementType::ImportExport:
        return "ie";
    default:
        return "storage";
    }
}

void print_status(const sgio::VirtualChanger& vc) {
    const auto& c = vc.config();
    fmt::print("library  {}\n", vc.name());
    fmt::print("port     {}\n", c.ie_count == 0  ? "none"
                                : vc.port_open() ? "open (extended to the operator)"
                                                 : "closed");
    fmt::print("door     {}\n", !c.door ? "none" : vc.door_open() ? "open" : "closed");
    fmt::print("prevent  {}\n", vc.prevented() ? "yes (port and door locked)" : "no");
    std::string pending;
    for (const auto& [asc, ascq] : vc.pending_unit_attentions())
        pending += fmt::format("{}{:02X}h/{:02X}h", pending.empty() ? "" : ", ", asc, ascq);
    fmt::print("pending  {}\n", pending.empty() ? "none" : pending);
    for (const auto& e : vc.elements(sgio::ElementType::All)) {
        std::string line = fmt::format("{:<9} {:>5}  {}", type_word(e.type), e.address,
                                       e.full ? "full " : "empty");
        if (e.full)
            line += fmt::format("  {}", e.primary_tag.empty() ? "(no label)" : e.primary_tag);
        if (e.impexp)
            line += "  placed by the operator";
        if (e.svalid)
            line += fmt::format("  from {}", e.source);
        fmt::print("{}\n", line);
    }
}

} // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
        fmt::print("{}", usage_text);
        return 0;
    }
    if (args.size() < 2) {
        fmt::print(stderr, "{}", usage_text);
        return 1;
    }
    const std::string& path = args[0];
    const std::string& command = args[1];
    const std::vector<std::string> rest(args.begin() + 2, args.end());

    if (command == "create") {
        if (rest.size() != 1)
            return fail("create needs exactly one SPEC, e.g. sim:lab1,slots=20,ie=1");
        auto config = sgio::VirtualChangerConfig::parse(rest[0]);
        if (!config)
            return fail(config.error().message);
        if (!config->state_file.empty() && config->state_file != path)
            return fail(fmt::format("the spec names state file {}, the command line {}",
                                    config->state_file, path));
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0)
            return fail(fmt::format("{} already exists; remove it to start over", path));
        config->state_file = path;
        auto vc = sgio::VirtualChanger::open(std::move(config.value()));
        if (!vc)
            return fail(vc.error().message);
        return 0;
    }

    auto config = sgio::VirtualChangerConfig::from_state_file(path);
    if (!config)
        return fail(config.error().message);
    // This process only acts as the operator: it must not see or consume a power-on attention.
    config->power_on_unit_attention = false;
    auto opened = sgio::VirtualChanger::open(std::move(config.value()));
    if (!opened)
        return fail(opened.error().message);
    sgio::VirtualChanger& vc = *opened.value();

    auto need = [&](size_t min, size_t max) { return rest.size() >= min && rest.size() <= max; };
    auto done = [](const sgio::Result<void>& r) { return r ? 0 : fail(r.error().message); };
    uint16_t address = 0;
    const bool takes_address = command == "insert" || command == "remove" || command == "place";
    if (takes_address) {
        if (!need(1, command == "remove" ? 1 : 2))
            return fail(fmt::format("usage: ntms-sim STATEFILE {} ADDR{}", command,
                                    command == "remove" ? "" : " [BARCODE]"));
        if (!parse_address(rest[0], address))
            return fail(fmt::format("'{}' is not an element address", rest[0]));
    } else if (!rest.empty()) {
        return fail(fmt::format("{} takes no arguments", command));
    }
    const std::string barcode = rest.size() > 1 ? rest[1] : "";

    if (command == "status") {
        print_status(vc);
        return 0;
    }
    if (command == "insert")
        return done(vc.operator_insert(address, barcode));
    if (command == "remove")
        return done(vc.operator_remove(address));
    if (command == "place")
        return done(vc.place(address, barcode));
    if (command == "open-port")
        return done(vc.operator_open_port());
    if (command == "close-port")
        return done(vc.operator_close_port());
    if (command == "open-door")
        return done(vc.operator_open_door());
    if (command == "close-door")
        return done(vc.operator_close_door());
    return fail(fmt::format("unknown command '{}' (see ntms-sim --help)", command));
}
