#include "fuzz.hpp"

#include <cstdio>
#include <cstdlib>

namespace ntms::fuzz {

void check_failed(const char* file, int line, const char* condition) {
    std::fprintf(stderr, "%s:%d: invariant does not hold: %s\n", file, line, condition);
    std::fflush(stderr);
    std::abort();
}

} // namespace ntms::fuzz
