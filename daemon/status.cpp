#include "status.hpp"

#include "common/vocabulary.hpp"

#include <fmt/format.h>

namespace ntms {

std::string win32_name(uint32_t code) {
    if (const auto* e = vocabulary::find_error(code))
        return e->constant;
    return fmt::format("ERROR_{}", code);
}

} // namespace ntms
