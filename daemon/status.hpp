// Win32 error codes (the RSM contract) and the daemon's error-as-value type. A code is chosen here,
// in the domain, and only translated at the D-Bus and C ABI boundaries.
#pragma once

#include "common/ntms_vocabulary.h"
#include "sgio/expected.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace ntms {

// win32::LibraryFull = 4322, ...: every code of common/ntms_vocabulary.h under its Name.
namespace win32 {
#define NTMS_WIN32_CONSTANT_(constant, code, Name, where, text)                                    \
    inline constexpr uint32_t Name = code;
NTMS_ERRORS(NTMS_WIN32_CONSTANT_)
#undef NTMS_WIN32_CONSTANT_
} // namespace win32

// "ERROR_LIBRARY_FULL"; "ERROR_4999" for codes we do not name.
std::string win32_name(uint32_t code);

struct Status {
    uint32_t code = win32::Success;
    std::string message;

    bool ok() const { return code == win32::Success; }
    static Status success() { return {}; }
};

inline Status fail(uint32_t code, std::string message) { return Status{code, std::move(message)}; }

template <typename T> using Expected = sgio::Expected<T, Status>;

} // namespace ntms
