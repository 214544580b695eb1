// The soaks' sizes come from the environment, so that one test serves as the short check in
// make check and as the long soak of make soak.
#pragma once

#include <cstdlib>
#include <string>

namespace soak {

// A positive count from the environment variable `name`; `fallback` when it is unset or not a
// positive number.
inline int env_count(const char* name, int fallback) {
    const char* text = std::getenv(name);
    if (!text || !*text)
        return fallback;
    char* end = nullptr;
    const long v = std::strtol(text, &end, 10);
    return *end == '\0' && v > 0 && v <= 100000000 ? static_cast<int>(v) : fallback;
}

} // namespace soak
