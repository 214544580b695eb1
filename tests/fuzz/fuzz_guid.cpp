// GUID text (common/ntms_guid.h, the one parser of the project, and ntms::Guid on top of it).
#include "common/ntms_guid.h"
#include "daemon/guid.hpp"
#include "fuzz.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

bool hex_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The grammar of ntms_guid.h's comment, checked character by character.
bool well_formed(std::string_view t) {
    if (t.size() == 32)
        return std::all_of(t.begin(), t.end(), hex_digit);
    if (t.size() != 36)
        return false;
    for (size_t i = 0; i < t.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? t[i] != '-' : !hex_digit(t[i]))
            return false;
    }
    return true;
}

std::string lower(std::string_view t) {
    std::string out(t);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text = ntms::fuzz::text(data, size);

    uint8_t raw[16];
    std::memset(raw, 0x5a, sizeof raw);
    const int parsed = ntms_guid_parse(text.data(), text.size(), raw);
    const auto guid = ntms::Guid::parse(text);
    FUZZ_CHECK((parsed == 1) == well_formed(text));
    FUZZ_CHECK(guid.has_value() == (parsed == 1));
    if (!guid) {
        // Output written only on success.
        FUZZ_CHECK(
            std::all_of(std::begin(raw), std::end(raw), [](uint8_t b) { return b == 0x5a; }));
    } else {
        FUZZ_CHECK(std::equal(std::begin(raw), std::end(raw), guid->bytes.begin()));
        // A GUID that parses prints back as the same text, in the canonical (lowercase) form.
        FUZZ_CHECK((text.size() == 36 ? guid->str() : guid->hex()) == lower(text));
        FUZZ_CHECK(ntms::Guid::parse(guid->str()) == guid &&
                   ntms::Guid::parse(guid->hex()) == guid);
    }

    // Any 16 bytes: format, parse back, and through RSM's Data1..Data4 fields and back.
    if (size >= 16) {
        uint8_t bytes[16];
        std::memcpy(bytes, data, sizeof bytes);
        char out[NTMS_GUID_TEXT_SIZE];
        char hex[NTMS_GUID_HEX_SIZE];
        ntms_guid_format(bytes, out);
        ntms_guid_format_hex(bytes, hex);
        FUZZ_CHECK(std::strlen(out) == 36 && std::strlen(hex) == 32);
        uint8_t back[16];
        FUZZ_CHECK(ntms_guid_parse(out, 36, back) == 1 && std::memcmp(back, bytes, 16) == 0);
        FUZZ_CHECK(ntms_guid_parse(hex, 32, back) == 1 && std::memcmp(back, bytes, 16) == 0);
        uint32_t d1 = 0;
        uint16_t d2 = 0, d3 = 0;
        uint8_t d4[8];
        ntms_guid_to_fields(bytes, &d1, &d2, &d3, d4);
        ntms_guid_from_fields(d1, d2, d3, d4, back);
        FUZZ_CHECK(std::memcmp(back, bytes, 16) == 0);
        // Data1 is the text's first eight digits, big-endian as Windows prints it.
        char data1[9];
        std::snprintf(data1, sizeof data1, "%08x", static_cast<unsigned>(d1));
        FUZZ_CHECK(std::string_view(out, 8) == data1);
    }
    return 0;
}
