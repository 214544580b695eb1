// How much our stack adds to reading the status of every storage slot of a large library:
// IscsiTransport + Changer::read_status against a bare libiscsi loop sending one READ ELEMENT
// STATUS, both against the same tgtd in the same process. Prints times and the ratio; a benchmark,
// not a test (it fails only when it cannot measure).
//
//   bench_read_element_status [--slots N] [--fill N] [--reads N]
#include "sgio/changer.hpp"
#include "sgio/iscsi_transport.hpp"
#include "tgt_fixture.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
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

struct Measured {
    double total_ms = 0;
    double commands_per_read = 0;
    size_t elements = 0;
    size_t reply_bytes = 0;
};

bool time_stack(const peer::TgtLibrary& lib, const sgio::ChangerOptions& options, unsigned reads,
                Measured& out) {
    auto transport = sgio::IscsiTransport::open(lib.url);
    if (!transport) {
        std::fprintf(stderr, "open %s: %s\n", lib.url.c_str(),
                     transport.error().describe().c_str());
        return false;
    }
    CountingTransport counting(**transport);
    sgio::Changer changer(counting, options);
    // Warm up (login unit attention, element map, capabilities) and check the answer is whole.
    auto first = changer.read_status(sgio::ElementType::Storage);
    if (!first || first->size() != lib.slots || !first->front().full ||
        first->front().primary_tag != "S00001L8") {
        std::fprintf(stderr, "stack: unexpected first read: %s\n",
                     first ? "wrong element list" : first.error().describe().c_str());
        return false;
    }
    counting.commands = 0;
    const auto start = Clock::now();
    for (unsigned i = 0; i < reads; ++i) {
        auto r = changer.read_status(sgio::ElementType::Storage);
        if (!r) {
            std::fprintf(stderr, "stack: %s\n", r.error().describe().c_str());
            return false;
        }
        out.elements = r->size();
    }
    out.total_ms = ms_since(start);
    out.commands_per_read = static_cast<double>(counting.commands) / reads;
    return true;
}

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
bool time_transport(const peer::TgtLibrary& lib, unsigned reads, Measured& out) {
    auto transport = sgio::IscsiTransport::open(lib.url);
    if (!transport)
        return false;
    RawRead rr = raw_read(lib);
    std::vector<uint8_t> buf(rr.allocation);
    const auto read = [&] {
        return (*transport)
            ->execute(rr.cdb, sgio::Direction::FromDevice, buf, std::chrono::seconds(60));
    };
    (void)read(); // the login's unit attention, if any
    const auto start = Clock::now();
    for (unsigned i = 0; i < reads; ++i) {
        auto r = read();
        if (!r || !r->good()) {
            std::fprintf(stderr, "transport: %s\n",
                         r ? "status not GOOD" : r.error().describe().c_str());
            return false;
        }
        out.reply_bytes = r->transferred;
    }
    out.total_ms = ms_since(start);
    out.commands_per_read = 1;
    return true;
}

bool time_raw(const peer::TgtLibrary& lib, unsigned reads, Measured& out) {
    iscsi_context* ctx = iscsi_create_context("iqn.2025-01.test.ntms:bench-raw");
    if (ctx == nullptr)
        return false;
    const std::string portal = "127.0.0.1:" + std::to_string(lib.port);
    iscsi_set_targetname(ctx, lib.iqn.c_str());
    iscsi_set_session_type(ctx, ISCSI_SESSION_NORMAL);
    iscsi_set_header_digest(ctx, ISCSI_HEADER_DIGEST_NONE_CRC32C);
    if (iscsi_full_connect_sync(ctx, portal.c_str(), lib.lun) != 0) {
        std::fprintf(stderr, "raw login: %s\n", iscsi_get_error(ctx));
        iscsi_destroy_context(ctx);
        return false;
    }
    RawRead rr = raw_read(lib);
    bool ok = true;
    const auto start = Clock::now();
    for (unsigned i = 0; i < reads && ok; ++i) {
        scsi_task* task = scsi_create_task(static_cast<int>(rr.cdb.size()), rr.cdb.data(),
                                           SCSI_XFER_READ, static_cast<int>(rr.allocation));
        if (task == nullptr || iscsi_scsi_command_sync(ctx, lib.lun, task, nullptr) == nullptr ||
            task->status != SCSI_STATUS_GOOD) {
            std::fprintf(stderr, "raw READ ELEMENT STATUS failed: %s\n", iscsi_get_error(ctx));
            ok = false;
        } else {
            out.reply_bytes = static_cast<size_t>(task->datain.size);
        }
        if (task != nullptr)
            scsi_free_scsi_task(task);
    }
    out.total_ms = ms_since(start);
    out.commands_per_read = 1;
    iscsi_logout_sync(ctx);
    iscsi_destroy_context(ctx);
    return ok;
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
    std::printf("tgt library: %u slots (%u with barcodes), set up in %.0f ms; %u reads each\n",
                args.slots, args.fill, ms_since(setup), args.reads);

    sgio::ChangerOptions defaults;
    sgio::ChangerOptions one_request;
    one_request.max_elements_per_request = static_cast<uint16_t>(args.slots);
    one_request.max_transfer = 16 + 128u * args.slots;

    Measured stack, single, transport, raw;
    if (!time_stack(lib, defaults, args.reads, stack) ||
        !time_stack(lib, one_request, args.reads, single) ||
        !time_transport(lib, args.reads, transport) || !time_raw(lib, args.reads, raw))
        return 1;

    const auto line = [&](const char* what, const Measured& m) {
        std::printf("  %-58s %9.1f ms total %8.3f ms/read %5.1f commands/read\n", what, m.total_ms,
                    m.total_ms / args.reads, m.commands_per_read);
    };
    line("ntms stack, default options (IscsiTransport + Changer)", stack);
    line("ntms stack, one request per read (max_elements = slots)", single);
    line("IscsiTransport::execute alone, same CDB as below", transport);
    line("bare libiscsi, one READ ELEMENT STATUS, no parsing", raw);
    std::printf("  reply: %zu bytes per raw read; %zu elements per stack read\n", raw.reply_bytes,
                stack.elements);
    std::printf("ratio stack/raw: %.2f (default options), %.2f (one request per read); "
                "transport/raw: %.2f\n",
                stack.total_ms / raw.total_ms, single.total_ms / raw.total_ms,
                transport.total_ms / raw.total_ms);
    return 0;
}
