#pragma once
// Fields read from what a device or a user hands over, each read one way for all of sgio.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sgio {

// Big-endian fields of SCSI data (SCSI puts the most significant byte of a multi-byte field
// first), from a buffer the caller has checked is long enough.
inline uint16_t be16(const uint8_t* p) noexcept {
    return static_cast<uint16_t>((unsigned{p[0]} << 8) | unsigned{p[1]});
}

inline uint32_t be24(const uint8_t* p) noexcept {
    return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | uint32_t{p[2]};
}

// Whether s starts with prefix, in any case; prefix is lower case (URL schemes: RFC 3986 3.1).
inline bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept {
    if (s.size() < prefix.size())
        return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i])
            return false;
    return true;
}

} // namespace sgio
