// A library's device as its worker uses it: the transport (behind a SeverableTransport that
// hot-plug can cut off from another thread), the Changer on top of it, and a device found again
// waiting for the worker to take it. Only the worker swaps or drops the device, on its own thread.
#pragma once

#include "daemon/library/severable_transport.hpp"
#include "sgio/changer.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace ntms {

// Opens a device string; sgio::open_transport unless a test hands in its own.
using TransportFactory =
    std::function<sgio::Result<std::unique_ptr<sgio::Transport>>(const std::string& device)>;

class DeviceSession {
public:
    // Every Changer on the device uses `options` (the library's command time-out).
    explicit DeviceSession(TransportFactory factory, sgio::ChangerOptions options = {})
        : factory_(std::move(factory)), options_(options) {
        options_.counters = &counters_;
    }
    DeviceSession(const DeviceSession&) = delete;
    DeviceSession& operator=(const DeviceSession&) = delete;

    // Before the worker starts: the device opened at start-up, or null when absent.
    void attach(std::unique_ptr<sgio::Transport> transport);

    // Any thread. sever(): from now on every command fails as on a vanished device, and no
    // reopening happens until arrive() hands over the device found again.
    void sever();
    void arrive(std::unique_ptr<sgio::Transport> transport);
    bool removed() const;
    // Something for the worker to do: a device that arrived, or a removed one to let go of.
    bool pending() const;

    // The worker's side.
    // Takes a device that arrived; true when there was one.
    bool take_arrival();
    // Lets go of a removed device (an open sg node keeps the kernel's device); true when it did.
    bool release_if_removed();
    // Opens the device string again (a library that went offline); the error when it cannot.
    sgio::Result<void> reopen(const std::string& device);
    // Lets go of the device (it is not this library's any more).
    void drop();
    sgio::Changer* changer() { return changer_.get(); }
    // What the commands sent to this library's device did since ntmsd started, whichever
    // device node or connection carried them. Any thread.
    const sgio::CommandCounters& counters() const { return counters_; }
    // Adds what another Changer on this device counted (the reading taken at start-up).
    void count(uint64_t errors, uint64_t retries) {
        counters_.errors += errors;
        counters_.retries += retries;
    }

private:
    void use(std::unique_ptr<SeverableTransport> device);

    TransportFactory factory_;
    sgio::CommandCounters counters_; // before options_, which points at it
    sgio::ChangerOptions options_;
    mutable std::mutex mutex_; // guards the members below against sever()/arrive()
    std::unique_ptr<SeverableTransport> transport_;
    std::unique_ptr<sgio::Changer> changer_;
    std::unique_ptr<SeverableTransport> arriving_;
    bool removed_ = false;
};

} // namespace ntms
