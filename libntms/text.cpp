#include "text.hpp"

#include "common/ntms_guid.h"
#include "common/vocabulary.hpp"

#include <array>
#include <cstring>
#include <ctime>

namespace ntms::lib {

namespace {

// The 16 bytes in text order, as common/ntms_guid.h handles them.
std::array<uint8_t, 16> bytes(const NTMS_GUID& g) {
    std::array<uint8_t, 16> b{};
    ntms_guid_from_fields(g.Data1, g.Data2, g.Data3, g.Data4, b.data());
    return b;
}

NTMS_GUID from_bytes(const std::array<uint8_t, 16>& b) {
    NTMS_GUID g{};
    ntms_guid_to_fields(b.data(), &g.Data1, &g.Data2, &g.Data3, g.Data4);
    return g;
}

} // namespace

std::string guid_string(const NTMS_GUID& g) {
    char text[NTMS_GUID_TEXT_SIZE];
    ntms_guid_format(bytes(g).data(), text);
    return text;
}

std::optional<NTMS_GUID> parse_guid(std::string_view s) {
    std::array<uint8_t, 16> b{};
    if (!ntms_guid_parse(s.data(), s.size(), b.data()))
        return std::nullopt;
    return from_bytes(b);
}

std::optional<NTMS_GUID> path_guid(std::string_view path) {
    const auto slash = path.rfind('/');
    if (slash == std::string_view::npos)
        return std::nullopt;
    const auto tail = path.substr(slash + 1);
    if (tail.size() != 32)
        return std::nullopt;
    return parse_guid(tail);
}

bool same_guid(const NTMS_GUID& a, const NTMS_GUID& b) { return bytes(a) == bytes(b); }

namespace {

using Mask = std::array<uint8_t, 16>;

NTMS_GUID derived_guid(const NTMS_GUID& library, const Mask& mask, uint16_t address) {
    auto b = bytes(library);
    // A fixed mask per kind keeps these GUIDs apart from library GUIDs and from each other; the
    // address tells the objects of one kind apart.
    for (size_t i = 0; i < b.size(); ++i)
        b[i] = static_cast<uint8_t>(b[i] ^ mask[i]);
    b[14] = static_cast<uint8_t>(b[14] ^ (address >> 8));
    b[15] = static_cast<uint8_t>(b[15] ^ (address & 0xff));
    return from_bytes(b);
}

} // namespace

NTMS_GUID port_guid(const NTMS_GUID& library, uint16_t address) {
    static constexpr Mask mask{0x9e, 0x27, 0xa1, 0x5c, 0x1e, 0x90, 0x00, 0x00,
                               0x00, 0x00, 0x4d, 0xb3, 0x61, 0xc8, 0x00, 0x00};
    return derived_guid(library, mask, address);
}

NTMS_GUID slot_guid(const NTMS_GUID& library, uint16_t address) {
    static constexpr Mask mask{0x3b, 0x81, 0x5e, 0x07, 0xc2, 0x6a, 0x00, 0x00,
                               0x00, 0x00, 0x19, 0xf4, 0xa7, 0x52, 0x00, 0x00};
    return derived_guid(library, mask, address);
}

NTMS_GUID changer_guid(const NTMS_GUID& library) {
    static constexpr Mask mask{0x6d, 0x0c, 0x33, 0xe9, 0x75, 0x1f, 0x00, 0x00,
                               0x00, 0x00, 0xb8, 0x2e, 0x0d, 0x94, 0x00, 0x00};
    return derived_guid(library, mask, 0);
}

NTMS_GUID changer_type_guid(std::string_view vendor, std::string_view product) {
    // Two 64-bit FNV-1a hashes of "vendor\0product" with different bases fill the 16 bytes.
    auto fnv = [&](uint64_t h) {
        auto add = [&h](unsigned char c) {
            h ^= c;
            h *= 0x100000001b3ull;
        };
        for (char c : vendor)
            add(static_cast<unsigned char>(c));
        add(0);
        for (char c : product)
            add(static_cast<unsigned char>(c));
        return h;
    };
    const uint64_t hi = fnv(0xcbf29ce484222325ull), lo = fnv(0x84222325cbf29ce4ull);
    std::array<uint8_t, 16> b{};
    for (size_t i = 0; i < 8; ++i) {
        b[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
        b[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
    }
    // Version 8 (made by its own rules) and the RFC 4122 variant, as a GUID should say.
    b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x80);
    b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
    return from_bytes(b);
}

const char* error_text(uint32_t code) {
    const auto* e = vocabulary::find_error(code);
    return e ? e->text : "unknown error";
}

void put(char* dst, size_t n, std::string_view utf8) {
    if (n == 0)
        return;
    size_t len = utf8.size() < n - 1 ? utf8.size() : n - 1;
    // Back off to the start of a character so that no partial sequence is left behind.
    if (len < utf8.size())
        while (len > 0 && (static_cast<unsigned char>(utf8[len]) & 0xc0) == 0x80)
            --len;
    std::memcpy(dst, utf8.data(), len);
    std::memset(dst + len, 0, n - len);
}

void put(WCHAR* dst, size_t n, std::string_view utf8) {
    if (n == 0)
        return;
    size_t out = 0;
    for (size_t i = 0; i < utf8.size();) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        uint32_t cp = 0xfffd;
        size_t len = 1;
        if (c < 0x80) {
            cp = c;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1fu;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0fu;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07u;
        }
        if (len > 1) {
            if (i + len > utf8.size()) {
                cp = 0xfffd;
                len = utf8.size() - i;
            } else {
                for (size_t k = 1; k < len; ++k)
                    cp = cp << 6 | (static_cast<unsigned char>(utf8[i + k]) & 0x3fu);
            }
        }
        i += len;
        const size_t units = cp >= 0x10000 ? 2 : 1;
        if (out + units > n - 1)
            break;
        if (units == 2) {
            cp -= 0x10000;
            dst[out++] = static_cast<WCHAR>(0xd800 + (cp >> 10));
            dst[out++] = static_cast<WCHAR>(0xdc00 + (cp & 0x3ff));
        } else {
            dst[out++] = static_cast<WCHAR>(cp);
        }
    }
    while (out < n)
        dst[out++] = 0;
}

std::optional<std::string> utf8(const WCHAR* s) {
    std::string r;
    for (; *s; ++s) {
        uint32_t cp = static_cast<uint16_t>(*s);
        if (cp >= 0xd800 && cp < 0xdc00) {
            const uint32_t lo = static_cast<uint16_t>(s[1]);
            if (lo < 0xdc00 || lo >= 0xe000)
                return std::nullopt;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            ++s;
        } else if (cp >= 0xdc00 && cp < 0xe000) {
            return std::nullopt;
        }
        if (cp < 0x80) {
            r += static_cast<char>(cp);
        } else if (cp < 0x800) {
            r += static_cast<char>(0xc0 | cp >> 6);
            r += static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            r += static_cast<char>(0xe0 | cp >> 12);
            r += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
            r += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            r += static_cast<char>(0xf0 | cp >> 18);
            r += static_cast<char>(0x80 | (cp >> 12 & 0x3f));
            r += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
            r += static_cast<char>(0x80 | (cp & 0x3f));
        }
    }
    return r;
}

SYSTEMTIME system_time(uint64_t usec) {
    SYSTEMTIME st{};
    if (usec == 0)
        return st;
    const auto t = static_cast<time_t>(usec / 1000000);
    struct tm tm {};
    if (!gmtime_r(&t, &tm))
        return st;
    st.wYear = static_cast<WORD>(tm.tm_year + 1900);
    st.wMonth = static_cast<WORD>(tm.tm_mon + 1);
    st.wDayOfWeek = static_cast<WORD>(tm.tm_wday);
    st.wDay = static_cast<WORD>(tm.tm_mday);
    st.wHour = static_cast<WORD>(tm.tm_hour);
    st.wMinute = static_cast<WORD>(tm.tm_min);
    st.wSecond = static_cast<WORD>(tm.tm_sec);
    st.wMilliseconds = static_cast<WORD>(usec / 1000 % 1000);
    return st;
}

} // namespace ntms::lib
