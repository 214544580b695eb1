// A library's device as its worker sees it, which another thread can cut off. udev reports a
// removed changer on the discovery thread while the worker may be inside a command; from sever() on
// every command fails as on a vanished device (DeviceGone), so the worker ends its job the way it
// would on a real ENODEV, and drops the device itself, on its own thread.
#pragma once

#include "sgio/transport.hpp"

#include <atomic>
#include <memory>
#include <string>

namespace ntms {

class SeverableTransport final : public sgio::Transport {
public:
    // The message of every command's error once severed; it becomes the library's offline reason.
    static constexpr const char* severed_message = "device removed";

    explicit SeverableTransport(std::unique_ptr<sgio::Transport> device)
        : device_(std::move(device)) {}

    sgio::Result<sgio::CommandResult> execute(std::span<const uint8_t> cdb,
                                              sgio::Direction direction, std::span<uint8_t> buffer,
                                              std::chrono::milliseconds timeout) override {
        if (severed_.load())
            return sgio::make_error(sgio::Errc::DeviceGone, severed_message);
        return device_->execute(cdb, direction, buffer, timeout);
    }
    std::string name() const override { return device_->name(); }
    uint64_t reconnects() const override { return device_->reconnects(); }
    uint32_t max_transfer() const override { return device_->max_transfer(); }

    // Any thread. A command already sent completes; the next one fails.
    void sever() { severed_.store(true); }
    bool severed() const { return severed_.load(); }

private:
    std::unique_ptr<sgio::Transport> device_;
    std::atomic<bool> severed_{false};
};

} // namespace ntms
