// Sense data, fixed and descriptor format (sgio/sense.cpp), and its text for logs.
#include "fuzz.hpp"
#include "sgio/sense.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace {

bool same(const sgio::Sense& a, const sgio::Sense& b) {
    return a.valid == b.valid && a.descriptor_format == b.descriptor_format &&
           a.deferred == b.deferred && a.response_code == b.response_code && a.key == b.key &&
           a.asc == b.asc && a.ascq == b.ascq && a.information == b.information &&
           a.field_pointer == b.field_pointer && a.field_in_cdb == b.field_in_cdb;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto in = ntms::fuzz::bytes(data, size);
    const sgio::Sense s = sgio::parse_sense(in);
    const uint8_t code = size > 0 ? data[0] & 0x7f : 0;
    const bool known = code >= 0x70 && code <= 0x73;

    FUZZ_CHECK(s.response_code == code);
    if (s.valid) {
        FUZZ_CHECK(known);
        FUZZ_CHECK(s.descriptor_format == (code >= 0x72));
        FUZZ_CHECK(s.deferred == (code == 0x71 || code == 0x73));
        FUZZ_CHECK(s.key <= 0x0f);
    } else {
        // Nothing half-decoded: a sense that is not valid says nothing.
        FUZZ_CHECK(s.key == 0 && s.asc == 0 && s.ascq == 0);
        FUZZ_CHECK(!s.information && !s.field_pointer && !s.field_in_cdb);
    }
    // The field pointer means "byte N of the CDB" only for ILLEGAL REQUEST.
    FUZZ_CHECK(!s.field_pointer || s.key == sgio::sense_key::IllegalRequest);
    FUZZ_CHECK(s.field_pointer || !s.field_in_cdb);

    const std::string text = sgio::describe(s);
    FUZZ_CHECK(!text.empty());
    FUZZ_CHECK(
        std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; }));
    FUZZ_CHECK(std::strlen(sgio::sense_key_name(s.key)) > 0);

    // Nothing past ADDITIONAL SENSE LENGTH is read: more bytes after it change nothing.
    if (size >= 8 && known) {
        const size_t end = size_t{8} + data[7];
        if (size >= end) {
            std::vector<uint8_t> longer(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(end));
            longer.resize(end + 32, 0xff);
            FUZZ_CHECK(same(sgio::parse_sense(longer), s));
        }
    }
    return 0;
}
