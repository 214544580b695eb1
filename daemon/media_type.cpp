#include "daemon/media_type.hpp"

#include <cctype>

namespace ntms {

namespace {

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    return s;
}

char upper(char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

} // namespace

MediaType media_type_of(std::string_view barcode, std::string_view vendor,
                        std::string_view product) {
    MediaType t;
    const std::string_view code = trimmed(barcode);
    if (code.size() == 8) {
        const char kind = upper(code[6]);
        const char id = upper(code[7]);
        const bool cln = upper(code[0]) == 'C' && upper(code[1]) == 'L' && upper(code[2]) == 'N';
        if (cln && ((kind == 'C' && id == 'U') || kind == 'L')) {
            t.name = "LTO cleaning cartridge";
            t.cleaner = true;
            return t;
        }
        if (kind == 'L' && id >= '1' && id <= '9') {
            t.generation = static_cast<uint32_t>(id - '0');
            t.name = "LTO-" + std::to_string(t.generation);
            return t;
        }
        if (kind == 'L' && id >= 'T' && id <= 'Z') {
            t.generation = 3 + static_cast<uint32_t>(id - 'T');
            t.worm = true;
            t.name = "LTO-" + std::to_string(t.generation) + " WORM";
            return t;
        }
        if (kind == 'M' && id == '8') {
            t.generation = 7;
            t.name = "LTO-M8";
            return t;
        }
    }
    const std::string_view v = trimmed(vendor), p = trimmed(product);
    if (!p.empty()) {
        t.name = (v.empty() ? std::string() : std::string(v) + " ") + std::string(p) + " cartridge";
        return t;
    }
    t.name = "unknown";
    return t;
}

} // namespace ntms
