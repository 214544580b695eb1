// MODE SENSE(6)/(10) replies and the pages found in them (sgio/mode_pages.cpp): element address
// assignment (1Dh) and device capabilities (1Fh). Every input is read as both reply formats, and
// also as a bare page.
#include "fuzz.hpp"
#include "sgio/cdb.hpp"
#include "sgio/mode_pages.hpp"

#include <algorithm>
#include <vector>

namespace {

uint16_t be16(const uint8_t* p) {
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

void check_page(std::span<const uint8_t> page) {
    const size_t n = page.size() < 2 ? page.size() : std::min(page.size(), size_t{2} + page[1]);
    auto map = sgio::parse_element_address_page(page);
    FUZZ_CHECK(map.ok() ==
               (n >= 18 && (page[0] & 0x3f) == sgio::mode_page::ElementAddressAssignment));
    if (map) {
        // The map is what the page's bytes say, each pair at its SMC-3 offset.
        const uint8_t* d = page.data();
        FUZZ_CHECK(map->transport_first == be16(d + 2) && map->transport_count == be16(d + 4));
        FUZZ_CHECK(map->storage_first == be16(d + 6) && map->storage_count == be16(d + 8));
        FUZZ_CHECK(map->ie_first == be16(d + 10) && map->ie_count == be16(d + 12));
        FUZZ_CHECK(map->drive_first == be16(d + 14) && map->drive_count == be16(d + 16));
    }
    auto caps = sgio::parse_capabilities_page(page);
    FUZZ_CHECK(caps.ok() == (n >= 8 && (page[0] & 0x3f) == sgio::mode_page::DeviceCapabilities));
    if (caps) {
        FUZZ_CHECK(caps->present);
        // Type 0 is no element type: nothing moves from or to it.
        for (size_t i = 0; i < 5; ++i)
            FUZZ_CHECK(!caps->can_move[0][i] && !caps->can_move[i][0]);
    }
}

void check_reply(std::span<const uint8_t> in, bool ten_byte, uint8_t code) {
    const size_t header = ten_byte ? 8 : 4;
    auto page = sgio::find_mode_page(in, ten_byte, code);
    if (in.size() < header)
        FUZZ_CHECK(!page && page.error().code == sgio::Errc::MalformedReply);
    if (!page)
        return;
    // A page found lies inside the reply, past its header, and is the one asked for.
    FUZZ_CHECK(page->data() >= in.data() + header);
    FUZZ_CHECK(page->data() + page->size() <= in.data() + in.size());
    FUZZ_CHECK(page->size() >= 2);
    FUZZ_CHECK(((*page)[0] & 0x3f) == code && ((*page)[0] & 0x40) == 0);
    check_page(*page);

    // Nothing past MODE DATA LENGTH is read: more bytes after it find the same page.
    const size_t announced = ten_byte ? size_t{2} + be16(in.data()) : size_t{1} + in[0];
    if (in.size() >= announced) {
        std::vector<uint8_t> longer(in.begin(),
                                    in.begin() + static_cast<std::ptrdiff_t>(announced));
        longer.resize(announced + 40, code);
        auto again = sgio::find_mode_page(longer, ten_byte, code);
        FUZZ_CHECK(again && again->data() - longer.data() == page->data() - in.data() &&
                   again->size() == page->size());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto in = ntms::fuzz::bytes(data, size);
    for (const bool ten_byte : {false, true}) {
        check_reply(in, ten_byte, sgio::mode_page::ElementAddressAssignment);
        check_reply(in, ten_byte, sgio::mode_page::DeviceCapabilities);
        check_reply(in, ten_byte, sgio::mode_page::TransportGeometry);
    }
    check_page(in);
    return 0;
}
