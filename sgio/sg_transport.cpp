#include "sg_transport.hpp"

#include "sense.hpp"

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace sgio {

namespace {

// SG_IO (v3 interface) appeared in sg driver 3.0.
constexpr int min_sg_version = 30000;
constexpr unsigned char max_sense = 64;
constexpr uint16_t inquiry_length = 36;
constexpr std::chrono::milliseconds inquiry_timeout{10'000};
// A freshly reset device answers its first commands with UNIT ATTENTION or NOT READY.
constexpr int inquiry_attempts = 4;

// host_status values (DID_*) from the kernel's scsi headers; not exported to userspace.
constexpr uint16_t did_ok = 0x00;
constexpr uint16_t did_no_connect = 0x01;
constexpr uint16_t did_time_out = 0x03;
constexpr uint16_t did_bad_target = 0x04;
constexpr uint16_t did_abort = 0x05;
constexpr uint16_t did_reset = 0x08;

// driver_status values (DRIVER_*), low nibble; obsolete since Linux 5.12 except DRIVER_SENSE.
constexpr uint16_t driver_mask = 0x0F;
constexpr uint16_t driver_ok = 0x00;
constexpr uint16_t driver_timeout = 0x06;
constexpr uint16_t driver_sense = 0x08;

const char* host_status_name(uint16_t h) {
    static constexpr std::array<const char*, 0x15> names = {
        "DID_OK",
        "DID_NO_CONNECT",
        "DID_BUS_BUSY",
        "DID_TIME_OUT",
        "DID_BAD_TARGET",
        "DID_ABORT",
        "DID_PARITY",
        "DID_ERROR",
        "DID_RESET",
        "DID_BAD_INTR",
        "DID_PASSTHROUGH",
        "DID_SOFT_ERROR",
        "DID_IMM_RETRY",
        "DID_REQUEUE",
        "DID_TRANSPORT_DISRUPTED",
        "DID_TRANSPORT_FAILFAST",
        "DID_TARGET_FAILURE",
        "DID_NEXUS_FAILURE",
        "DID_ALLOC_FAILURE",
        "DID_MEDIUM_ERROR",
        "DID_TRANSPORT_MARGINAL",
    };
    return h < names.size() ? names[h] : "DID_UNKNOWN";
}

const char* driver_status_name(uint16_t d) {
    static constexpr std::array<const char*, 9> names = {
        "DRIVER_OK",      "DRIVER_BUSY",    "DRIVER_SOFT", "DRIVER_MEDIA", "DRIVER_ERROR",
        "DRIVER_INVALID", "DRIVER_TIMEOUT", "DRIVER_HARD", "DRIVER_SENSE",
    };
    const uint16_t low = d & driver_mask;
    return low < names.size() ? names[low] : "DRIVER_UNKNOWN";
}

Error sys_error(Errc code, std::string message, int err) {
    Error e = make_error(code, std::move(message));
    e.sys_errno = err;
    return e;
}

// sg takes the timeout as unsigned milliseconds, UINT_MAX meaning "none"; 0 selects the driver
// default, so a caller's 0 passes through unchanged.
unsigned int sg_timeout(std::chrono::milliseconds timeout) {
    const auto ms = timeout.count();
    if (ms >= static_cast<long long>(UINT_MAX))
        return UINT_MAX - 1;
    return static_cast<unsigned int>(ms);
}

int sg_direction(Direction direction, size_t length) {
    if (length == 0)
        return SG_DXFER_NONE;
    switch (direction) {
    case Direction::FromDevice:
        return SG_DXFER_FROM_DEV;
    case Direction::ToDevice:
        return SG_DXFER_TO_DEV;
    case Direction::None:
        break;
    }
    return SG_DXFER_NONE;
}

// Turns a completed SG_IO header into a CommandResult, or an Error when the command did not reach
// a SCSI status (host or driver level failure).
Result<CommandResult> decode(const sg_io_hdr_t& hdr, std::span<const uint8_t> sense_buffer,
                             size_t length, const std::string& path) {
    const uint16_t host = hdr.host_status;
    const uint16_t driver = hdr.driver_status & driver_mask;

    if (host == did_time_out || driver == driver_timeout)
        return make_error(Errc::Timeout,
                          fmt::format("{}: command timed out ({}, {})", path,
                                      host_status_name(host), driver_status_name(driver)));
    // The mid-layer's error handler aborts or resets a command that overran its timeout; a
    // duration at or past the timeout tells that apart from a reset caused by someone else.
    if ((host == did_abort || host == did_reset) && hdr.timeout != 0 && hdr.duration >= hdr.timeout)
        return make_error(Errc::Timeout, fmt::format("{}: command timed out after {} ms ({})", path,
                                                     hdr.duration, host_status_name(host)));
    if (host == did_no_connect || host == did_bad_target)
        return make_error(Errc::DeviceGone, fmt::format("{}: device not reachable ({})", path,
                                                        host_status_name(host)));
    if (host != did_ok || (driver != driver_ok && driver != driver_sense)) {
        Error e = make_error(Errc::TransportFailed,
                             fmt::format("{}: host status {:#04x} {}, driver status {:#04x} {}",
                                         path, host, host_status_name(host), hdr.driver_status,
                                         driver_status_name(driver)));
        e.status = hdr.status;
        return e;
    }

    CommandResult r;
    r.status = hdr.status;
    r.host_status = host;
    r.driver_status = hdr.driver_status;
    const size_t sense_length = std::min<size_t>(hdr.sb_len_wr, sense_buffer.size());
    if (sense_length > 0) {
        r.sense_bytes.assign(sense_buffer.begin(),
                             sense_buffer.begin() + static_cast<std::ptrdiff_t>(sense_length));
        r.sense = parse_sense(r.sense_bytes);
    }
    r.transferred = SgTransport::received(hdr.resid, length);
    r.residual = length - r.transferred;
    return r;
}

} // namespace

size_t SgTransport::received(int resid, size_t length) {
    if (resid <= 0 || static_cast<size_t>(resid) > length)
        return length;
    return length - static_cast<size_t>(resid);
}

Result<void> SgTransport::check_arguments(std::span<const uint8_t> cdb, Direction direction,
                                          std::span<const uint8_t> buffer,
                                          std::chrono::milliseconds timeout) {
    return check_command_arguments(cdb, direction, buffer, timeout, UINT_MAX); // dxfer_len
}

Result<std::unique_ptr<SgTransport>> SgTransport::open(const std::string& path, bool check_type) {
    // O_RDWR: sg filters commands on any other access mode. O_NONBLOCK: do not wait behind an
    // O_EXCL holder; SG_IO itself always blocks.
    const int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        return sys_error(Errc::OpenFailed, fmt::format("cannot open {}", path), err);
    }
    // Owns fd from here, so every early return closes it.
    std::unique_ptr<SgTransport> transport(new SgTransport(path, fd));

    int version = 0;
    if (::ioctl(fd, SG_GET_VERSION_NUM, &version) < 0) {
        const int err = errno;
        if (err == ENOTTY || err == EINVAL)
            return make_error(
                Errc::InvalidArgument,
                fmt::format("{} is not an sg node (SG_GET_VERSION_NUM refused)", path));
        return sys_error(Errc::OpenFailed, fmt::format("SG_GET_VERSION_NUM on {}", path), err);
    }
    if (version < min_sg_version)
        return make_error(Errc::InvalidArgument,
                          fmt::format("{}: sg driver version {} has no SG_IO v3", path, version));
    if (!check_type)
        return transport;

    const std::array<uint8_t, 6> inquiry = {0x12, 0, 0, 0, inquiry_length, 0};
    std::array<uint8_t, inquiry_length> data{};
    for (int attempt = 0; attempt < inquiry_attempts; ++attempt) {
        auto r = transport->execute(inquiry, Direction::FromDevice, data, inquiry_timeout);
        if (!r)
            return std::move(r).error();
        if (r->status == status::CheckCondition && r->sense.valid &&
            (r->sense.key == sense_key::UnitAttention || r->sense.key == sense_key::NotReady))
            continue;
        if (!r->good()) {
            Error e = make_error(Errc::BadStatus, fmt::format("{}: INQUIRY failed", path));
            e.status = r->status;
            if (r->status == status::CheckCondition) {
                e.code = Errc::CheckCondition;
                e.sense = r->sense;
            }
            return e;
        }
        if (r->transferred < 1)
            return make_error(Errc::MalformedReply, fmt::format("{}: empty INQUIRY reply", path));
        const unsigned qualifier = data[0] >> 5;
        const unsigned type = data[0] & 0x1Fu;
        if (qualifier != 0 || type != 0x08)
            return make_error(Errc::NotAChanger,
                              fmt::format("{}: peripheral qualifier {} type {:#04x}, not a medium "
                                          "changer (type 0x08)",
                                          path, qualifier, type));
        return transport;
    }
    return make_error(Errc::TransportFailed,
                      fmt::format("{}: INQUIRY kept reporting unit attention / not ready", path));
}

SgTransport::~SgTransport() {
    if (fd_ >= 0)
        ::close(fd_);
}

Result<CommandResult> SgTransport::execute(std::span<const uint8_t> cdb, Direction direction,
                                           std::span<uint8_t> buffer,
                                           std::chrono::milliseconds timeout) {
    if (auto ok = check_arguments(cdb, direction, buffer, timeout); !ok)
        return std::move(ok).error();

    std::array<uint8_t, 16> command{};
    std::copy(cdb.begin(), cdb.end(), command.begin());
    std::array<uint8_t, max_sense> sense{};

    sg_io_hdr_t hdr;
    std::memset(&hdr, 0, sizeof hdr);
    hdr.interface_id = 'S';
    hdr.dxfer_direction = sg_direction(direction, buffer.size());
    hdr.cmd_len = static_cast<unsigned char>(cdb.size());
    hdr.cmdp = command.data();
    hdr.mx_sb_len = max_sense;
    hdr.sbp = sense.data();
    hdr.dxfer_len = static_cast<unsigned int>(buffer.size());
    hdr.dxferp = buffer.empty() ? nullptr : buffer.data();
    hdr.timeout = sg_timeout(timeout);

    // A signal that interrupts SG_IO leaves nothing half done that a resubmission would break:
    // the kernel's own restart path resubmits the same way.
    int rc = 0;
    do {
        rc = ::ioctl(fd_, SG_IO, &hdr);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        const int err = errno;
        if (err == ENODEV || err == ENXIO)
            return sys_error(Errc::DeviceGone, fmt::format("{}: SG_IO", path_), err);
        return sys_error(Errc::TransportFailed, fmt::format("{}: SG_IO", path_), err);
    }
    return decode(hdr, sense, buffer.size(), path_);
}

} // namespace sgio
