#include "transport.hpp"

#include <fmt/format.h>

namespace sgio {

Result<void> check_command_arguments(std::span<const uint8_t> cdb, Direction direction,
                                     std::span<const uint8_t> buffer,
                                     std::chrono::milliseconds timeout, size_t max_length) {
    if (cdb.size() < 6 || cdb.size() > 16)
        return make_error(Errc::InvalidArgument,
                          fmt::format("CDB length {} is outside 6..16", cdb.size()));
    if (direction == Direction::None && !buffer.empty())
        return make_error(Errc::InvalidArgument,
                          "a data buffer was given for a command without data");
    if (buffer.size() > max_length)
        return make_error(Errc::InvalidArgument,
                          fmt::format("data length {} is too large", buffer.size()));
    if (timeout.count() < 0)
        return make_error(Errc::InvalidArgument, "negative timeout");
    return {};
}

} // namespace sgio
