// The virtual changer's state file (sgio/virtual_changer_state.cpp), which a sim: library with
// state=PATH, ntms-sim and the tests read and write: a file another process may have written.
#include "fuzz.hpp"
#include "sgio/virtual_changer_state.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text = ntms::fuzz::text(data, size);
    auto parsed = sgio::detail::parse_state(text, "fuzz.state");
    if (!parsed) {
        FUZZ_CHECK(parsed.error().code == sgio::Errc::OpenFailed);
        FUZZ_CHECK(parsed.error().message.starts_with("fuzz.state:"));
        return 0;
    }
    // What was accepted describes a device the changer can model, its elements in address order.
    const auto& p = *parsed;
    FUZZ_CHECK(sgio::detail::validate_config(p.config).ok());
    for (size_t i = 1; i < p.state.elements.size(); ++i)
        FUZZ_CHECK(p.state.elements[i - 1].address <= p.state.elements[i].address);

    // Written back, it reads as the same state: the file is the changer's memory across processes.
    const std::string written =
        sgio::detail::serialize_state(p.config, p.state, p.id, p.generation);
    auto again = sgio::detail::parse_state(written, "fuzz.state");
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(sgio::detail::serialize_state(again->config, again->state, again->id,
                                             again->generation) == written);
    return 0;
}
