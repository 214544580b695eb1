#include "daemon/library/library.hpp"

#include "daemon/journal.hpp"

#include <fmt/format.h>

namespace ntms {

namespace {

AccessPolicy policy_of(const LibraryConfig& config) {
    std::vector<std::string> unknown;
    AccessPolicy access = AccessPolicy::from_names(config.use_groups, config.modify_groups,
                                                   config.control_groups, &unknown);
    for (const auto& g : unknown)
        log(LOG_WARNING,
            fmt::format("Library {}: group '{}' does not exist; ignored", config.name, g));
    return access;
}

} // namespace

sgio::ChangerOptions changer_options(const LibraryConfig& config) {
    sgio::ChangerOptions o;
    o.command_timeout = std::chrono::seconds(config.command_timeout_sec);
    return o;
}

Library::Library(LibraryRecord record, LibraryConfig config, const LibraryServices& services)
    : record_(std::move(record)), config_(std::move(config)), access_(policy_of(config_)),
      services_(services), catalogue_(record_, config_, services.events),
      device_(services.transports, changer_options(config_)), queue_(services.ledger),
      worker_(*this, services.ledger, services.operations, services.db_path) {}

Library::~Library() {
    stop();
}

void Library::attach(std::unique_ptr<sgio::Transport> transport,
                     const std::string& offline_reason) {
    // A library with a device is being read until its element status is in: until then it has
    // no free slot to offer, and an inject would be refused as if it were full.
    catalogue_.start_as(transport ? LibraryState::Reading : LibraryState::Offline, offline_reason);
    device_.attach(std::move(transport));
}

void Library::expect_first_reading(std::future<FirstReading> reading) {
    first_reading_ = std::move(reading);
}

std::optional<DeviceReading> Library::take_first_reading() {
    if (!first_reading_.valid())
        return std::nullopt;
    FirstReading first = first_reading_.get();
    device_.count(first.errors, first.retries);
    return std::move(first.reading);
}

void Library::device_removed() {
    device_.sever();
    catalogue_.set_state(LibraryState::Removed);
    queue_.poke(); // a waiting job polls the device now (and finds it gone)
    queue_.end_all(Outcome::failed(
        fail(win32::LibraryOffline, fmt::format("library {} is offline: {}", config_.name,
                                                SeverableTransport::severed_message))));
}

void Library::device_arrived(std::unique_ptr<sgio::Transport> transport,
                             const std::string& device) {
    device_.arrive(std::move(transport));
    catalogue_.set_device(device);
    if (catalogue_.state() != LibraryState::Online)
        catalogue_.set_state(LibraryState::Reading);
    queue_.poke();
}

void Library::start(std::vector<JobPtr> queued, std::vector<JobPtr> interrupted) {
    worker_.start(std::move(queued), std::move(interrupted));
}

void Library::stop() {
    queue_.stop();
    worker_.join();
}

} // namespace ntms
