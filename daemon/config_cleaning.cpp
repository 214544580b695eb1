// The [Library NAME] keys about cleaning cartridges: which bar codes are cleaners, how many
// cleanings one gives, and how long a drive takes to clean (config.hpp).
#include "config.hpp"

#include <fmt/format.h>

namespace ntms {

namespace {

bool decimal(std::string_view v, uint32_t lo, uint32_t hi, uint32_t& out) {
    if (v.empty() || v.size() > 10)
        return false;
    uint64_t n = 0;
    for (char c : v) {
        if (c < '0' || c > '9')
            return false;
        n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    if (n < lo || n > hi)
        return false;
    out = static_cast<uint32_t>(n);
    return true;
}

} // namespace

std::optional<std::string> set_cleaning_key(LibraryConfig& lib, std::string_view key,
                                            std::string_view value) {
    std::string error;
    if (key == "CleanerPrefix") {
        // Volume tags are printable ASCII without blanks; a prefix longer than a tag is useless.
        if (value.empty() || value.size() > 32)
            return "expected 1 to 32 characters";
        for (char c : value)
            if (c <= ' ' || c > '~')
                return "expected printable characters without blanks";
        lib.cleaner_prefix = std::string(value);
    } else if (key == "MaxCleanings") {
        if (!decimal(value, 1, 100000, lib.max_cleanings))
            error = "expected a whole number from 1 to 100000";
    } else if (key == "CleaningTimeSec") {
        if (!decimal(value, 0, 3600, lib.cleaning_time_sec))
            error = "expected a whole number from 0 to 3600";
    } else {
        return std::nullopt;
    }
    return error;
}

bool is_cleaner(const LibraryConfig& lib, std::string_view barcode) {
    return !lib.cleaner_prefix.empty() && barcode.starts_with(lib.cleaner_prefix);
}

} // namespace ntms
