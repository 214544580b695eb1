// The error replies libntms reads back into Win32 codes (dbus/errors.cpp): an error name and its
// message, as any peer on the bus may send them. The input is the name, a NUL, then the message;
// its first four bytes are also a code to send through make_error and read back.
#include "dbus/errors.hpp"
#include "fuzz.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in = ntms::fuzz::text(data, size);
    const size_t nul = in.find('\0');
    const std::string_view name = in.substr(0, nul);
    const std::string_view message =
        nul == std::string_view::npos ? std::string_view{} : in.substr(nul + 1);

    // A name of the table and only such a name maps to a code, which maps back to that name.
    if (auto code = ntms::dbus::error_code(name)) {
        FUZZ_CHECK(ntms::dbus::error_name(*code) == name);
        FUZZ_CHECK(ntms::dbus::error_code(name, message) == code);
    }
    if (auto code = ntms::dbus::error_code(name, message); code && !ntms::dbus::error_code(name))
        FUZZ_CHECK(name == ntms::dbus::error_failed && message.starts_with("error "));

    // Whatever the code and the message, the error a handler sends carries the same code back.
    if (size >= 4) {
        const uint32_t code = uint32_t{data[0]} << 24 | uint32_t{data[1]} << 16 |
                              uint32_t{data[2]} << 8 | uint32_t{data[3]};
        const sdbus::Error e = ntms::dbus::make_error(code, std::string(message));
        FUZZ_CHECK(ntms::dbus::error_code(e.getName(), e.getMessage()) == code);
    }
    return 0;
}
