#include "guid.hpp"

#include <chrono>
#include <cstring>
#include <random>
#include <systemd/sd-id128.h>

namespace ntms {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

constexpr char hex_digits[] = "0123456789abcdef";

// Only reached when the kernel's random source fails: uniqueness still matters more than
// unpredictability, so mix what the process has rather than give up.
void fallback_random(std::array<uint8_t, 16>& out) {
    std::array<uint64_t, 2> words{};
    try {
        std::random_device rd;
        for (auto& w : words)
            w = (uint64_t{rd()} << 32) ^ rd();
    } catch (...) {
        static thread_local std::mt19937_64 gen(
            static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
            reinterpret_cast<uintptr_t>(&out));
        for (auto& w : words)
            w = gen();
    }
    std::memcpy(out.data(), words.data(), out.size());
    out[6] = static_cast<uint8_t>((out[6] & 0x0f) | 0x40); // version 4
    out[8] = static_cast<uint8_t>((out[8] & 0x3f) | 0x80); // RFC 4122 variant
}

} // namespace

Guid Guid::random() {
    Guid g;
    sd_id128_t id;
    // sd-id128 already sets the version 4 and variant bits, in the same byte order as the text.
    if (sd_id128_randomize(&id) >= 0)
        std::memcpy(g.bytes.data(), id.bytes, g.bytes.size());
    else
        fallback_random(g.bytes);
    return g;
}

std::optional<Guid> Guid::parse(std::string_view text) {
    const bool dashed = text.size() == 36;
    if (!dashed && text.size() != 32)
        return std::nullopt;
    Guid g;
    size_t pos = 0;
    for (size_t i = 0; i < g.bytes.size(); ++i) {
        if (dashed && (pos == 8 || pos == 13 || pos == 18 || pos == 23)) {
            if (text[pos] != '-')
                return std::nullopt;
            ++pos;
        }
        const int hi = hex_value(text[pos]);
        const int lo = hex_value(text[pos + 1]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        g.bytes[i] = static_cast<uint8_t>((hi << 4) | lo);
        pos += 2;
    }
    return g;
}

bool Guid::is_null() const {
    for (auto b : bytes)
        if (b != 0)
            return false;
    return true;
}

std::string Guid::str() const {
    std::string s;
    s.reserve(36);
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            s.push_back('-');
        s.push_back(hex_digits[bytes[i] >> 4]);
        s.push_back(hex_digits[bytes[i] & 0x0f]);
    }
    return s;
}

std::string Guid::hex() const {
    std::string s;
    s.reserve(32);
    for (auto b : bytes) {
        s.push_back(hex_digits[b >> 4]);
        s.push_back(hex_digits[b & 0x0f]);
    }
    return s;
}

} // namespace ntms

size_t std::hash<ntms::Guid>::operator()(const ntms::Guid& g) const noexcept {
    uint64_t a = 0;
    uint64_t b = 0;
    std::memcpy(&a, g.bytes.data(), sizeof a);
    std::memcpy(&b, g.bytes.data() + sizeof a, sizeof b);
    // Random GUIDs are already well mixed; the multiply keeps structured ones apart too.
    return static_cast<size_t>(a ^ (b * 0x9e3779b97f4a7c15ULL));
}
