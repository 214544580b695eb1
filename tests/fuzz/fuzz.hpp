// What every fuzz target shares: the entry point libFuzzer calls (our driver.cpp calls it too),
// and FUZZ_CHECK for the invariants a target asserts beyond "did not crash". A failed check
// aborts, which libFuzzer and the driver both report as a crash with the input that caused it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace ntms::fuzz {

[[noreturn]] void check_failed(const char* file, int line, const char* condition);

// The input as bytes and as text.
inline std::span<const uint8_t> bytes(const uint8_t* data, size_t size) {
    return {data, size};
}
inline std::string_view text(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

} // namespace ntms::fuzz

// A macro, not a function: the message names the condition as written and where it is.
#define FUZZ_CHECK(condition)                                                                      \
    do {                                                                                           \
        if (!(condition))                                                                          \
            ::ntms::fuzz::check_failed(__FILE__, __LINE__, #condition);                            \
    } while (false)
