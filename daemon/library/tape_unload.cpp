#include "daemon/library/tape_unload.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <sys/mtio.h>
#include <unistd.h>

namespace ntms {

TapeUnload unload_tape(const std::string& device) {
    TapeUnload out;
    if (device.empty())
        return out;
    out.tried = true;
    const int fd = ::open(device.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        const int e = errno;
        // st admits one opener at a time: EBUSY means a program has the drive open.
        out.message = e == EBUSY ? fmt::format("{} is open in another program", device)
                                 : fmt::format("{}: {}", device, std::strerror(e));
        return out;
    }
    struct mtop op {};
    op.mt_op = MTOFFL;
    op.mt_count = 1;
    int r;
    do
        r = ::ioctl(fd, MTIOCTOP, &op);
    while (r < 0 && errno == EINTR);
    const int e = errno;
    ::close(fd);
    if (r < 0) {
        out.message = fmt::format("{}: MTOFFL: {}", device, std::strerror(e));
        return out;
    }
    out.done = true;
    out.message = fmt::format("{} unloaded", device);
    return out;
}

bool refused_as_not_unloaded(const sgio::Error& e) {
    if (e.code != sgio::Errc::CheckCondition)
        return false;
    const auto& s = e.sense;
    return (s.asc == 0x53 && (s.ascq == 0x00 || s.ascq == 0x02 || s.ascq == 0x03)) ||
           (s.asc == 0x3B && s.ascq == 0x0E);
}

} // namespace ntms
