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

    static Guid random(); // version 4, from getrandom() (drawn a page at a time)
    // RFC 9562 version 7: the first 48 bits are the Unix time in milliseconds, the other 74
    // random. GUIDs made one after the other sort (as bytes and as text) in the order they were
    // made, so that the catalogue appends their index entries instead of scattering them over
    // every page of the index (10,000 new media of one inventory).
    static Guid time_ordered();
    // Strict: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (any case) or 32 hex digits.
    static std::optional<Guid> parse(std::string_view text);

    bool is_null() const;
    std::string str() const; // lowercase 8-4-4-4-12
    std::string hex() const; // 32 lowercase hex digits, for object paths

    friend bool operator==(const Guid&, const Guid&) = default;
    friend auto operator<=>(const Guid&, const Guid&) = default;
};

} // namespace ntms

template <> struct std::hash<ntms::Guid> { size_t operator()(const ntms::Guid& g) const noexcept; };
