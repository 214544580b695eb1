// SG_IO v3 on a Linux /dev/sgN node.
#pragma once

#include "transport.hpp"

#include <memory>
#include <string>

namespace sgio {

class SgTransport final : public Transport {
public:
    // Opens O_RDWR|O_NONBLOCK, checks SG_GET_VERSION_NUM >= 30000 and, unless check_type is false,
    // that standard INQUIRY reports peripheral type 8. Errors: OpenFailed (with errno),
    // InvalidArgument (not an sg node), NotAChanger.
    static Result<std::unique_ptr<SgTransport>> open(const std::string& path,
                                                     bool check_type = true);
    ~SgTransport() override;

    Result<CommandResult> execute(std::span<const uint8_t> cdb, Direction direction,
                                  std::span<uint8_t> buffer,
                                  std::chrono::milliseconds timeout) override;
    std::string name() const override { return path_; }

    // The checks execute() makes before touching the device: CDB of 6..16 bytes, no buffer for
    // Direction::None, a length sg can express, a non-negative timeout.
    static Result<void> check_arguments(std::span<const uint8_t> cdb, Direction direction,
                                        std::span<const uint8_t> buffer,
                                        std::chrono::milliseconds timeout);

    // The bytes a data-in transfer of `length` brought, given the driver's resid. A negative
    // resid is a driver quirk: all came. One larger than the transfer cannot be what was left
    // over: Linux's iSCSI initiator passes a target's overflow count on as resid (tgt counts
    // READ ELEMENT STATUS's residual against its whole report from START, not against the
    // allocation it sent), and the whole transfer came. Read as "nothing came", every one-slot
    // read of a tgt library of 2,000 slots through /dev/sgN failed. An overflow no larger than
    // the transfer looks like a leftover here; Changer::scan asks such a reply again.
    static size_t received(int resid, size_t length);

private:
    SgTransport(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
    std::string path_;
    int fd_ = -1;
};

} // namespace sgio
