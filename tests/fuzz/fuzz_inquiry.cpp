// INQUIRY standard data and VPD pages 00h, 80h and 83h (sgio/inquiry.cpp). Every input goes to
// each VPD parser twice: as it is, and with byte 1 set to that parser's page code, so that every
// input reaches every page body.
#include "fuzz.hpp"
#include "sgio/inquiry.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace {

bool printable(char c) {
    return c >= 0x20 && c <= 0x7e;
}

// INQUIRY's ASCII fields as the daemon shows them: printable, at most the field's width, no
// padding at the end.
bool clean_field(const std::string& s, size_t width) {
    return s.size() <= width && std::all_of(s.begin(), s.end(), printable) &&
           (s.empty() || s.back() != ' ');
}

// Well-formed UTF-8 (RFC 3629), written here from the RFC rather than shared with the parser.
bool valid_utf8(const std::string& s) {
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t n = 0;
        uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1fu;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0fu;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (i + n >= s.size())
            return false;
        for (size_t k = 1; k <= n; ++k) {
            const auto t = static_cast<unsigned char>(s[i + k]);
            if ((t & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (t & 0x3fu);
        }
        const uint32_t least[] = {0, 0x80, 0x800, 0x10000};
        if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

void check_vpd(std::span<const uint8_t> in, uint8_t page) {
    const bool ours = in.size() >= 4 && in[1] == page;
    const size_t body = ours ? std::min<size_t>(size_t{in[2]} << 8 | in[3], in.size() - 4) : 0;
    if (page == 0x00) {
        auto pages = sgio::parse_vpd_supported_pages(in);
        FUZZ_CHECK(pages.ok() == ours);
        if (pages)
            FUZZ_CHECK(pages->size() == body &&
                       std::equal(pages->begin(), pages->end(), in.begin() + 4));
    } else if (page == 0x80) {
        auto serial = sgio::parse_vpd_serial(in);
        FUZZ_CHECK(serial.ok() == ours);
        if (serial)
            FUZZ_CHECK(clean_field(*serial, body) && (serial->empty() || serial->front() != ' '));
    } else {
        auto ids = sgio::parse_vpd_device_id(in);
        FUZZ_CHECK(ids.ok() == ours);
        if (!ids)
            return;
        // Designators are whole or dropped: together they fit in the page body.
        size_t total = 0;
        for (const auto& d : *ids) {
            total += 4 + d.value.size();
            FUZZ_CHECK(d.code_set <= 0x0f && d.association <= 3 && d.type <= 0x0f);
            const std::string t = d.text();
            if (d.code_set == 2) {
                FUZZ_CHECK(std::all_of(t.begin(), t.end(), printable));
            } else if (d.code_set == 3) {
                FUZZ_CHECK(valid_utf8(t)); // it becomes a D-Bus string
            } else {
                FUZZ_CHECK(t.size() == 2 * d.value.size());
                FUZZ_CHECK(std::all_of(t.begin(), t.end(), [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                }));
            }
        }
        FUZZ_CHECK(total <= body);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto in = ntms::fuzz::bytes(data, size);
    auto q = sgio::parse_inquiry(in);
    FUZZ_CHECK(q.ok() == (size >= 5));
    if (q) {
        FUZZ_CHECK(q->peripheral_type <= 0x1f && q->peripheral_qualifier <= 7);
        FUZZ_CHECK(clean_field(q->vendor, 8));
        FUZZ_CHECK(clean_field(q->product, 16));
        FUZZ_CHECK(clean_field(q->revision, 4));
    }
    std::vector<uint8_t> copy(in.begin(), in.end());
    for (const uint8_t page : std::array<uint8_t, 3>{0x00, 0x80, 0x83}) {
        check_vpd(in, page);
        if (copy.size() >= 2) {
            copy[1] = page;
            check_vpd(copy, page);
        }
    }
    return 0;
}
