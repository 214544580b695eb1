#include "daemon/library/device_session.hpp"

namespace ntms {

void DeviceSession::attach(std::unique_ptr<sgio::Transport> transport) {
    if (transport)
        use(std::make_unique<SeverableTransport>(std::move(transport)));
}

void DeviceSession::sever() {
    std::lock_guard lock(mutex_);
    removed_ = true;
    arriving_.reset();
    if (transport_)
        transport_->sever();
}

void DeviceSession::arrive(std::unique_ptr<sgio::Transport> transport) {
    std::lock_guard lock(mutex_);
    removed_ = false;
    arriving_ = std::make_unique<SeverableTransport>(std::move(transport));
}

bool DeviceSession::removed() const {
    std::lock_guard lock(mutex_);
    return removed_;
}

bool DeviceSession::pending() const {
    std::lock_guard lock(mutex_);
    return arriving_ || (removed_ && transport_);
}

bool DeviceSession::take_arrival() {
    std::unique_ptr<SeverableTransport> arrived;
    {
        std::lock_guard lock(mutex_);
        arrived = std::move(arriving_);
    }
    if (!arrived)
        return false;
    use(std::move(arrived));
    return true;
}

bool DeviceSession::release_if_removed() {
    std::lock_guard lock(mutex_);
    if (!removed_ || !transport_)
        return false;
    changer_.reset();
    transport_.reset();
    return true;
}

void DeviceSession::drop() {
    std::lock_guard lock(mutex_);
    changer_.reset();
    transport_.reset();
}

sgio::Result<void> DeviceSession::reopen(const std::string& device) {
    if (removed())
        return sgio::make_error(sgio::Errc::DeviceGone, SeverableTransport::severed_message);
    auto t = factory_(device);
    if (!t)
        return std::move(t).error();
    use(std::make_unique<SeverableTransport>(std::move(t).value()));
    return {};
}

void DeviceSession::use(std::unique_ptr<SeverableTransport> device) {
    std::lock_guard lock(mutex_);
    changer_.reset();
    transport_ = std::move(device);
    changer_ = std::make_unique<sgio::Changer>(*transport_, options_);
}

} // namespace ntms
