// libiscsi transport: iscsi://HOST[:PORT]/IQN/LUN, straight to an iSCSI changer LUN.
#pragma once

#include "cdb.hpp"
#include "transport.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

struct iscsi_context;

namespace sgio {

struct IscsiUrl {
    std::string host;
    uint16_t port = 3260;
    std::string target; // IQN
    int lun = 0;
    static Result<IscsiUrl> parse(const std::string& url);
    std::string portal() const; // "host:port"
};

class IscsiTransport final : public Transport {
public:
    // Logs in (normal session), reconnects on loss. initiator: the initiator IQN to present.
    static Result<std::unique_ptr<IscsiTransport>> open(const std::string& url,
                                                        const std::string& initiator = {});
    ~IscsiTransport() override;

    Result<CommandResult> execute(std::span<const uint8_t> cdb, Direction direction,
                                  std::span<uint8_t> buffer,
                                  std::chrono::milliseconds timeout) override;
    std::string name() const override { return url_; }
    uint64_t reconnects() const override { return reconnects_.load(); }
    // Any allocation length: libiscsi gathers every Data-In PDU of a command into its buffer (the
    // session's burst and segment lengths only split the transfer on the wire).
    uint32_t max_transfer() const override { return cdb::max_allocation_length; }

private:
    IscsiTransport(std::string url, IscsiUrl parsed, std::string initiator, iscsi_context* ctx)
        : url_(std::move(url)), parsed_(std::move(parsed)), initiator_(std::move(initiator)),
          ctx_(ctx) {}

    struct Attempt {
        Result<CommandResult> result;
        bool connection_lost = false; // the session broke; worth one reconnect
    };
    Attempt execute_once(std::span<const uint8_t> cdb, Direction direction,
                         std::span<uint8_t> buffer, std::chrono::milliseconds timeout);
    void drop_session(bool logout);
    Result<void> reconnect();

    std::string url_;
    IscsiUrl parsed_;
    std::string initiator_;
    iscsi_context* ctx_ = nullptr; // nullptr after a lost session until the next login
    std::atomic<uint64_t> reconnects_{0};
    std::mutex mutex_;
};

} // namespace sgio
