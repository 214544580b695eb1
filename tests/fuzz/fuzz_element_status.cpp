// READ ELEMENT STATUS replies (sgio/element_status.cpp), as a device or a broken target sends them.
#include "fuzz.hpp"
#include "sgio/element_status.hpp"

#include <algorithm>
#include <vector>

namespace {

using sgio::ElementStatus;

bool same(const ElementStatus& a, const ElementStatus& b) {
    return a.type == b.type && a.address == b.address && a.full == b.full && a.impexp == b.impexp &&
           a.except == b.except && a.access == b.access && a.exenab == b.exenab &&
           a.inenab == b.inenab && a.asc == b.asc && a.ascq == b.ascq && a.svalid == b.svalid &&
           a.invert == b.invert && a.source == b.source && a.medium_type == b.medium_type &&
           a.primary_tag == b.primary_tag && a.alternate_tag == b.alternate_tag &&
           a.identifier == b.identifier && a.truncated == b.truncated;
}

bool same(const std::vector<ElementStatus>& a, const std::vector<ElementStatus>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const auto& x, const auto& y) { return same(x, y); });
}

// A volume tag as the daemon stores and sends it: printable ASCII, no padding left at the end.
bool clean_tag(const std::string& tag) {
    return tag.size() <= 32 &&
           std::all_of(tag.begin(), tag.end(), [](char c) { return c >= 0x20 && c <= 0x7e; }) &&
           (tag.empty() || tag.back() != ' ');
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto in = ntms::fuzz::bytes(data, size);
    auto parsed = sgio::parse_element_status(in);
    if (size < 8)
        FUZZ_CHECK(!parsed && parsed.error().code == sgio::Errc::MalformedReply);
    if (!parsed) {
        FUZZ_CHECK(parsed.error().code == sgio::Errc::MalformedReply);
        return 0;
    }
    const sgio::ElementStatusReport& r = *parsed;
    const size_t announced = size_t{8} + r.byte_count;
    const size_t used = std::min(size, announced);
    FUZZ_CHECK(r.truncated == (size < announced));
    // Each page costs an 8-byte header and each descriptor at least 3 bytes, the last one of a
    // page included: so no more than a quarter of the report's body can be elements.
    FUZZ_CHECK(r.elements.size() * 4 <= used - 8);
    for (const auto& e : r.elements) {
        FUZZ_CHECK(static_cast<uint8_t>(e.type) <= 0x0f);
        FUZZ_CHECK(clean_tag(e.primary_tag));
        FUZZ_CHECK(clean_tag(e.alternate_tag));
        FUZZ_CHECK(e.identifier.size() <= 2 * 255);
        FUZZ_CHECK(std::all_of(e.identifier.begin(), e.identifier.end(),
                               [](char c) { return c >= 0x20 && c <= 0x7e; }));
        FUZZ_CHECK(e.medium_type <= 7);
    }

    // Bytes past the report the header announces are not part of it (a transport that cannot
    // tell the residual hands over the whole allocation): with them cut off or more of them
    // added, the elements are the same.
    if (size >= announced) {
        std::vector<uint8_t> longer(in.begin(),
                                    in.begin() + static_cast<std::ptrdiff_t>(announced));
        longer.resize(announced + 64, 0xa5);
        for (const size_t n : {announced, longer.size()}) {
            auto other = sgio::parse_element_status(std::span(longer).first(n));
            FUZZ_CHECK(other && !other->truncated && same(other->elements, r.elements));
        }
    }
    return 0;
}
