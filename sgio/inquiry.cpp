// INQUIRY standard data (SPC-4 6.6.2) and the VPD pages a changer needs for its identity:
// 00h supported pages, 80h unit serial number, 83h device identification.
#include "inquiry.hpp"

#include "fields.hpp"

#include <algorithm>
#include <cstddef>
#include <fmt/format.h>

namespace sgio {

namespace {

constexpr size_t vpd_header_size = 4;

bool blank(uint8_t c) noexcept {
    return c == ' ' || c == '\0';
}

// ASCII fields: padding is blanks or NULs; anything unprintable becomes '?' so it cannot reach a
// log line or a D-Bus string raw.
std::string printable(std::span<const uint8_t> field, bool trim_leading) {
    size_t b = 0;
    size_t e = field.size();
    while (e > b && blank(field[e - 1])) {
        --e;
    }
    while (trim_leading && b < e && blank(field[b])) {
        ++b;
    }
    std::string out;
    out.reserve(e - b);
    for (size_t i = b; i < e; ++i) {
        out.push_back(field[i] >= 0x20 && field[i] <= 0x7E ? static_cast<char>(field[i]) : '?');
    }
    return out;
}

// Length of the well-formed multi-byte UTF-8 sequence at p (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0.
size_t utf8_sequence(const uint8_t* p, size_t avail) noexcept {
    const uint8_t c = p[0];
    size_t len = 0;
    uint8_t lo = 0x80;
    uint8_t hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (avail < len || p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < len; ++i) {
        if (p[i] < 0x80 || p[i] > 0xBF) {
            return 0;
        }
    }
    return len;
}

// Bytes [from, from + n) of data that were received.
std::span<const uint8_t> field(std::span<const uint8_t> data, size_t from, size_t n) {
    if (from >= data.size()) {
        return {};
    }
    return data.subspan(from, std::min(n, data.size() - from));
}

// The page body, clamped to both the PAGE LENGTH and the bytes received.
Result<std::span<const uint8_t>> vpd_body(std::span<const uint8_t> data, uint8_t page) {
    if (data.size() < vpd_header_size) {
        return make_error(Errc::MalformedReply,
                          fmt::format("VPD page {:02X}h reply of {} bytes has no 4-byte header",
                                      page, data.size()));
    }
    if (data[1] != page) {
        return make_error(
            Errc::MalformedReply,
            fmt::format("asked for VPD page {:02X}h, got page {:02X}h", page, data[1]));
    }
    const size_t length = std::min<size_t>(be16(data.data() + 2), data.size() - vpd_header_size);
    return data.subspan(vpd_header_size, length);
}

} // namespace

std::string Designator::text() const {
    if (code_set == 2 || code_set == 3) {
        size_t n = value.size();
        while (n > 0 && blank(value[n - 1])) {
            --n;
        }
        std::string out;
        out.reserve(n);
        for (size_t i = 0; i < n;) {
            const uint8_t c = value[i];
            if (c >= 0x20 && c <= 0x7E) {
                out.push_back(static_cast<char>(c));
                ++i;
                continue;
            }
            // SCSI name strings may be UTF-8; only well-formed sequences pass, because a D-Bus
            // string must be valid UTF-8.
            const size_t len = code_set == 3 ? utf8_sequence(value.data() + i, n - i) : 0;
            if (len == 0) {
                out.push_back('?');
                ++i;
                continue;
            }
            out.append(value.begin() + static_cast<std::ptrdiff_t>(i),
                       value.begin() + static_cast<std::ptrdiff_t>(i + len));
            i += len;
        }
        return out;
    }
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * value.size());
    for (const uint8_t c : value) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 0x0F]);
    }
    return out;
}

Result<InquiryData> parse_inquiry(std::span<const uint8_t> data) {
    if (data.size() < 5) {
        return make_error(Errc::MalformedReply,
                          fmt::format("INQUIRY reply of {} bytes is shorter than 5", data.size()));
    }
    InquiryData q;
    q.peripheral_qualifier = static_cast<uint8_t>(data[0] >> 5);
    q.peripheral_type = data[0] & 0x1F;
    q.removable = (data[1] & 0x80) != 0;
    q.version = data[2];
    if (data.size() > 6) {
        q.mchngr = (data[6] & 0x08) != 0;
    }
    q.vendor = printable(field(data, 8, 8), false);
    q.product = printable(field(data, 16, 16), false);
    q.revision = printable(field(data, 32, 4), false);
    return q;
}

Result<std::vector<uint8_t>> parse_vpd_supported_pages(std::span<const uint8_t> data) {
    auto body = vpd_body(data, 0x00);
    if (!body) {
        return std::move(body).error();
    }
    return std::vector<uint8_t>(body->begin(), body->end());
}

Result<std::string> parse_vpd_serial(std::span<const uint8_t> data) {
    auto body = vpd_body(data, 0x80);
    if (!body) {
        return std::move(body).error();
    }
    // SPC right-aligns the serial number, so leading blanks are padding too.
    return printable(*body, true);
}

Result<std::vector<Designator>> parse_vpd_device_id(std::span<const uint8_t> data) {
    auto body = vpd_body(data, 0x83);
    if (!body) {
        return std::move(body).error();
    }
    const std::span<const uint8_t> b = *body;
    std::vector<Designator> out;
    size_t p = 0;
    while (p + 4 <= b.size()) {
        const size_t length = b[p + 3];
        const size_t value_at = p + 4;
        // A designator cut short is dropped, not shortened: a partial identifier would become a
        // wrong stable identity for the library.
        if (length > b.size() - value_at) {
            break;
        }
        Designator d;
        d.code_set = b[p] & 0x0F;
        d.association = static_cast<uint8_t>((b[p + 1] >> 4) & 0x03);
        d.type = b[p + 1] & 0x0F;
        const auto v = b.subspan(value_at, length);
        d.value.assign(v.begin(), v.end());
        out.push_back(std::move(d));
        p = value_at + length;
    }
    return out;
}

} // namespace sgio
