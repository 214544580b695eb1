#include "guid.hpp"

#include "common/ntms_guid.h"

#include <chrono>
#include <cstring>
#include <random>
#include <systemd/sd-id128.h>

namespace ntms {

namespace {

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

Guid Guid::time_ordered() {
    Guid g = random();
    const auto ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
    for (int i = 0; i < 6; ++i)
        g.bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
    g.bytes[6] = static_cast<uint8_t>((g.bytes[6] & 0x0f) | 0x70); // version 7
    g.bytes[8] = static_cast<uint8_t>((g.bytes[8] & 0x3f) | 0x80); // RFC 4122 variant
    return g;
}

std::optional<Guid> Guid::parse(std::string_view text) {
    Guid g;
    if (!ntms_guid_parse(text.data(), text.size(), g.bytes.data()))
        return std::nullopt;
    return g;
}

bool Guid::is_null() const {
    for (auto b : bytes)
        if (b != 0)
            return false;
    return true;
}

std::string Guid::str() const {
    char text[NTMS_GUID_TEXT_SIZE];
    ntms_guid_format(bytes.data(), text);
    return text;
}

std::string Guid::hex() const {
    char text[NTMS_GUID_HEX_SIZE];
    ntms_guid_format_hex(bytes.data(), text);
    return text;
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
