// 128-bit identifiers: libraries, media, jobs, operator requests.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ntms {

struct Guid {
    // Bytes in RFC 4122 order (as printed: the first four bytes are Data1, big-endian in the text).
    std::array<uint8_t, 16> bytes{};

    static Guid random(); // sd_id128_randomize, version 4
    // Strict: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (any case) or 32 hex digits.
    static std::optional<Guid> parse(std::string_view text);

    bool is_null() const;
    std::string str() const; // lowercase 8-4-4-4-12
    std::string hex() const; // 32 lowercase hex digits, for object paths

    friend bool operator==(const Guid&, const Guid&) = default;
    friend auto operator<=>(const Guid&, const Guid&) = default;
};

} // namespace ntms

template <> struct std::hash<ntms::Guid> {
    size_t operator()(const ntms::Guid& g) const noexcept;
};
