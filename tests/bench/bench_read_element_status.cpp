// How much our stack adds to reading the status of every storage slot of a large library:
// IscsiTransport + Changer::read_status against a bare libiscsi loop sending one READ ELEMENT
// STATUS, both against the same tgtd in the same process. Prints times and the ratio; a benchmark,
// not a test (it fails only when it cannot measure).
//
//   bench_read_element_status [--slots N] [--fill N] [--reads N]
#include "sgio/changer.hpp"
#include "sgio/iscsi_transport.hpp"
#include "tgt_fixture.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <memory>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr int exit_skip = 77; // meson's "skipped"

struct Args {
    unsigned slots = 10'000;
    unsigned fill = 300; // tgtadm sets one barcode per call (~1.5 ms): fill only a few hundred
    unsigned reads = 50;
};

bool parse_args(int argc, char** argv, Args& args) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc)
            return false;
        const auto value = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
        if (a == "--slots")
            args.slots = value;
        else if (a == "--fill")
            args.fill = value;
        else if (a == "--reads")
            args.reads = value;
        else
            return false;
    }
    return args.slots > 0 && args.slots <= 64'535 && args.fill <= args.slots && args.reads > 0;
}

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Counts the commands the Changer needs for one full read.
class CountingTransport final : public sgio::Transport {
public:
    explicit CountingTransport(sgio::Transport& inner) : inner_(inner) {}
    sgio::Result<sgio::CommandResult> execute(std::span<const uint8_t> cdb,
                                              sgio::Direction direction, std::span<uint8_t> buffer,
                                              std::chrono::milliseconds timeout) override {
        ++commands;
        return inner_.execute(cdb, direction, buffer, timeout);
    }
    std::string name() const override { return inner_.name(); }
    unsigned long commands = 0;

private:
    sgio::Transport& inner_;
};

// One way of reading the full storage status; read() does one full read.
class Reader {
public:
    virtual ~Reader() = default;
    virtual bool read() = 0;
    virtual double commands_per_read() const { return 1; }
    std::vector<double> samples_ms;
};

class StackReader final : public Reader {
public:
    static std::unique_ptr<StackReader> open(const peer::TgtLibrary& lib,
                                             const sgio::ChangerOptions& options) {
        auto transport = sgio::IscsiTransport::open(lib.url);
        if (!transport) {
            std::fprintf(stderr, "open %s: %s\n", lib.url.c_str(),
                         transport.error().describe().c_str());
            return nullptr;
        }
        auto r = std::unique_ptr<StackReader>(
            new StackReader(std::move(transport).value(), options, lib.slots));
        // Warm up (login unit attention, element map, capabilities) and check the answer.
        auto first = r->changer_.read_status(sgio::ElementType::Storage);
        if (!first || first->size() != lib.slots || !first->front().full ||
            first->front().primary_tag != "S00001L8") {
            std::fprintf(stderr, "stack: unexpected first read: %s\n",
                         first ? "wrong element list" : first.error().describe().c_str());
            return nullptr;
        }
        r->counting_.commands = 0;
        return r;
    }
    bool read() override {
        auto r = changer_.read_status(sgio::ElementType::Storage);
        if (!r || r->size() != slots_) {
            std::fprintf(stderr, "stack: %s\n", r ? "wrong count" : r.error().describe().c_str());
            return false;
        }
        ++reads_;
        return true;
    }
    double commands_per_read() const override {
        return reads_ == 0 ? 0
                           : static_cast<double>(counting_.commands) / static_cast<double>(reads_);
    }

private:
    StackReader(std::unique_ptr<sgio::IscsiTransport> transport,
                const sgio::ChangerOptions& options, size_t slots)
        : transport_(std::move(transport)), counting_(*transport_), changer_(counting_, options),
          slots_(slots) {}
    std::unique_ptr<sgio::IscsiTransport> transport_;
    CountingTransport counting_;
    sgio::Changer changer_;
    size_t slots_;
    unsigned long reads_ = 0;
};

// READ ELEMENT STATUS, storage, VOLTAG, every slot, allocation large enough for all of them.
struct RawRead {
    std::array<unsigned char, 12> cdb{};
    uint32_t allocation = 0;
};

RawRead raw_read(const peer::TgtLibrary& lib) {
    RawRead r;
    r.allocation = 16 + 64u * lib.slots;
    r.cdb[0] = 0xB8;
    r.cdb[1] = 0x10 | 0x02;
    r.cdb[2] = static_cast<unsigned char>(lib.storage_first >> 8);
    r.cdb[3] = static_cast<unsigned char>(lib.storage_first);
    r.cdb[4] = static_cast<unsigned char>(lib.slots >> 8);
    r.cdb[5] = static_cast<unsigned char>(lib.slots);
    r.cdb[7] = static_cast<unsigned char>(r.allocation >> 16);
    r.cdb[8] = static_cast<unsigned char>(r.allocation >> 8);
    r.cdb[9] = static_cast<unsigned char>(r.allocation);
    return r;
}

// The transport alone, with the raw loop's CDB and one buffer for all reads: what IscsiTransport
// costs, apart from the Changer and the parser.
class TransportReader final : public Reader {
public:
    static std::unique_ptr<TransportReader> open(const peer::TgtLibrary& lib) {
        auto transport = sgio::IscsiTransport::open(lib.url);
        if (!transport)
            return nullptr;
        auto r = std::unique_ptr<TransportReader>(
            new TransportReader(std::move(transport).value(), raw_read(lib)));
        (void)r->read(); // the login's unit attention, if any
        return r;
    }
    bool read() override {
        auto r = transport_->execute(rr_.cdb, sgio::Direction::FromDevice, buf_,
                                     std::chrono::seconds(60));
        if (!r || !r->good()) {
            std::fprintf(stderr, "transport: %s\n",
                         r ? "status not GOOD" : r.error().describe().c_str());
            return false;
        }
        reply_bytes = r->transferred;
        return true;
    }
    size_t reply_bytes = 0;

private:
    TransportReader(std::unique_ptr<sgio::IscsiTransport> transport, RawRead rr)
        : transport_(std::move(transport)), rr_(rr), buf_(rr.allocation) {}
    std::unique_ptr<sgio::IscsiTransport> transport_;
    RawRead rr_;
    std::vector<uint8_t> buf_;
};

// libiscsi as a C program would use it: synchronous call, libiscsi's own data-in buffer.
class RawReader final : public Reader {
public:
    static std::unique_ptr<RawReader> open(const peer::TgtLibrary& lib) {
        iscsi_context* ctx = iscsi_create_context("iqn.2025-01.test.ntms:bench-raw");
        if (ctx == nullptr)
            return nullptr;
        auto r = std::unique_ptr<RawReader>(new RawReader(ctx, lib.lun, raw_read(lib)));
        const std::string portal = "127.0.0.1:" + std::to_string(lib.port);
        iscsi_set_targetname(ctx, lib.iqn.c_str());
        iscsi_set_session_type(ctx, ISCSI_SESSION_NORMAL);
        iscsi_set_header_digest(ctx, ISCSI_HEADER_DIGEST_NONE_CRC32C);
        if (iscsi_full_connect_sync(ctx, portal.c_str(), lib.lun) != 0) {
            std::fprintf(stderr, "raw login: %s\n", iscsi_get_error(ctx));
            return nullptr;
        }
        return r;
    }
    ~RawReader() override {
        if (iscsi_is_logged_in(ctx_) != 0)
            iscsi_logout_sync(ctx_);
        iscsi_destroy_context(ctx_);
    }
    bool read() override {
        scsi_task* task = scsi_create_task(static_cast<int>(rr_.cdb.size()), rr_.cdb.data(),
                                           SCSI_XFER_READ, static_cast<int>(rr_.allocation));
        bool ok = task != nullptr &&
                  iscsi_scsi_command_sync(ctx_, lun_, task, nullptr) != nullptr &&
                  task->status == SCSI_STATUS_GOOD;
        if (ok)
            reply_bytes = static_cast<size_t>(task->datain.size);
        else
            std::fprintf(stderr, "raw READ ELEMENT STATUS failed: %s\n", iscsi_get_error(ctx_));
        if (task != nullptr)
            scsi_free_scsi_task(task);
        return ok;
    }
    size_t reply_bytes = 0;

private:
    RawReader(iscsi_context* ctx, int lun, RawRead rr) : ctx_(ctx), lun_(lun), rr_(rr) {}
    iscsi_context* ctx_;
    int lun_;
    RawRead rr_;
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

} // namespace

int main(int argc, char** argv) {
    Args args;
    if (!parse_args(argc, argv, args)) {
        std::fprintf(stderr, "usage: %s [--slots 1..64535] [--fill N<=slots] [--reads N]\n",
                     argv[0]);
        return 2;
    }
    if (const std::string missing = peer::TgtHarness::missing_tools(); !missing.empty()) {
        std::printf("skipped: %s\n", missing.c_str());
        return exit_skip;
    }

    peer::TgtHarness harness;
    peer::TgtOptions shape;
    shape.slots = args.slots;
    shape.fill = args.fill;
    std::string error;
    const auto setup = Clock::now();
    if (!harness.start(shape, error)) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
    }
    const auto& lib = harness.library();
    std::printf("tgt library: %u slots (%u with barcodes), set up in %.0f ms; %u rounds\n",
                args.slots, args.fill, ms_since(setup), args.reads);

    sgio::ChangerOptions defaults;
    sgio::ChangerOptions one_request;
    one_request.max_elements_per_request = static_cast<uint16_t>(args.slots);
    one_request.max_transfer = 16 + 128u * args.slots;

    auto stack = StackReader::open(lib, defaults);
    auto single = StackReader::open(lib, one_request);
    auto transport = TransportReader::open(lib);
    auto raw = RawReader::open(lib);
    if (!stack || !single || !transport || !raw)
        return 1;

    // Interleaved rounds, so that load from other processes falls on every reader alike; medians,
    // so that a stall in one round does not decide the figure.
    const std::array<Reader*, 4> readers = {stack.get(), single.get(), transport.get(), raw.get()};
    for (unsigned round = 0; round < args.reads; ++round) {
        for (Reader* r : readers) {
            const auto start = Clock::now();
            if (!r->read())
                return 1;
            r->samples_ms.push_back(ms_since(start));
        }
    }

    const auto line = [&](const char* what, const Reader& r) {
        double total = 0;
        for (double x : r.samples_ms)
            total += x;
        std::printf("  %-58s median %8.3f ms/read  mean %8.3f  %5.1f commands/read\n", what,
                    median(r.samples_ms), total / static_cast<double>(r.samples_ms.size()),
                    r.commands_per_read());
    };
    line("ntms stack, default options (IscsiTransport + Changer)", *stack);
    line("ntms stack, one request per read (max_elements = slots)", *single);
    line("IscsiTransport::execute alone, same CDB as below", *transport);
    line("bare libiscsi, one READ ELEMENT STATUS, no parsing", *raw);
    std::printf("  reply: %zu bytes per read\n", raw->reply_bytes);
    const double base = median(raw->samples_ms);
    std::printf("ratio stack/raw (medians): %.2f (default options), %.2f (one request per read); "
                "transport/raw: %.2f\n",
                median(stack->samples_ms) / base, median(single->samples_ms) / base,
                median(transport->samples_ms) / base);
    return 0;
}
