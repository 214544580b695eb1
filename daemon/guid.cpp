#include "guid.hpp"

#include "common/ntms_guid.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <pthread.h>
#include <random>
#include <sys/random.h>
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

// The kernel's random bytes, drawn a page at a time for each thread: one getrandom() a GUID cost
// 1.6 us each on a virtual machine, 8 ms of a first inventory's 5,000 new records; now one in
// 256 GUIDs. A child of fork() must not hand out its parent's bytes again: the fork generation,
// counted by an atfork handler, throws a pool away.
std::atomic<unsigned> fork_generation{0};

struct RandomPool {
    std::array<uint8_t, 4096> bytes{};
    size_t used = sizeof(bytes);
    unsigned generation = 0;
};

bool pooled_random(std::array<uint8_t, 16>& out) {
    static const int atfork = pthread_atfork(
        nullptr, nullptr, [] { fork_generation.fetch_add(1, std::memory_order_relaxed); });
    if (atfork != 0)
        return false;
    thread_local RandomPool pool;
    const unsigned generation = fork_generation.load(std::memory_order_relaxed);
    if (pool.used + out.size() > pool.bytes.size() || pool.generation != generation) {
        size_t got = 0;
        while (got < pool.bytes.size()) {
            const ssize_t n = getrandom(pool.bytes.data() + got, pool.bytes.size() - got, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return false;
            got += static_cast<size_t>(n);
        }
        pool.used = 0;
        pool.generation = generation;
    }
    std::memcpy(out.data(), pool.bytes.data() + pool.used, out.size());
    // Handed out once: the bytes do not stay in memory after their GUID is made.
    std::memset(pool.bytes.data() + pool.used, 0, out.size());
    pool.used += out.size();
    return true;
}

} // namespace

Guid Guid::random() {
    Guid g;
    sd_id128_t id;
    if (pooled_random(g.bytes)) {
        g.bytes[6] = static_cast<uint8_t>((g.bytes[6] & 0x0f) | 0x40); // version 4
        g.bytes[8] = static_cast<uint8_t>((g.bytes[8] & 0x3f) | 0x80); // RFC 4122 variant
    } else if (sd_id128_randomize(&id) >= 0) {
        // sd-id128 sets the version 4 and variant bits, in the same byte order as the text.
        std::memcpy(g.bytes.data(), id.bytes, g.bytes.size());
    } else {
        fallback_random(g.bytes);
    }
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
