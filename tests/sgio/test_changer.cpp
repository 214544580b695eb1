// Changer policy: retries, probing of optional commands, chunked READ ELEMENT STATUS and the tgt
// quirks, driven by scripted transports whose replies are built here byte by byte.
#include "sgio/cdb.hpp"
#include "sgio/changer.hpp"
#include "sgio/sg_transport.hpp"
#include "sgio/virtual_changer.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <vector>

using namespace sgio;
using namespace std::chrono_literals;

namespace {

CommandResult good(size_t transferred = 0) {
    CommandResult r;
    r.transferred = transferred;
    return r;
}

CommandResult check(uint8_t key, uint8_t asc, uint8_t ascq) {
    CommandResult r;
    r.status = status::CheckCondition;
    r.sense_bytes = {0x70, 0, key, 0, 0, 0, 0, 10, 0, 0, 0, 0, asc, ascq, 0, 0, 0, 0};
    r.sense = parse_sense(r.sense_bytes);
    return r;
}

// A device whose behaviour is a function of the CDB; every CDB is recorded.
class ScriptedTransport : public Transport {
public:
    using Handler =
        std::function<Result<CommandResult>(std::span<const uint8_t>, std::span<uint8_t>)>;
    explicit ScriptedTransport(Handler h) : handler_(std::move(h)) {}

    Result<CommandResult> execute(std::span<const uint8_t> cdb, Direction,
                                  std::span<uint8_t> buffer,
                                  std::chrono::milliseconds timeout) override {
        cdbs.emplace_back(cdb.begin(), cdb.end());
        timeouts.push_back(timeout);
        return handler_(cdb, buffer);
    }
    std::string name() const override { return "scripted"; }
    uint32_t max_transfer() const override { return max_transfer_bytes; }

    size_t count(uint8_t opcode) const {
        size_t n = 0;
        for (auto& c : cdbs)
            n += c[0] == opcode;
        return n;
    }

    std::vector<std::vector<uint8_t>> cdbs;
    std::vector<std::chrono::milliseconds> timeouts;
    uint32_t max_transfer_bytes = 0; // what the path carries; 0: it cannot tell

private:
    Handler handler_;
};

void put16(std::vector<uint8_t>& v, size_t at, uint32_t x) {
    v[at] = static_cast<uint8_t>(x >> 8);
    v[at + 1] = static_cast<uint8_t>(x);
}
void put24(std::vector<uint8_t>& v, size_t at, uint32_t x) {
    v[at] = static_cast<uint8_t>(x >> 16);
    v[at + 1] = static_cast<uint8_t>(x >> 8);
    v[at + 2] = static_cast<uint8_t>(x);
}

// Mode page 1Dh in a MODE SENSE(6) reply: MT 1, ST first..first+n, IE 100 x ie, DT 2 x 2.
std::vector<uint8_t> mode_1d(uint16_t st_first, uint16_t st_count, uint16_t ie_count = 1) {
    std::vector<uint8_t> v(4 + 20, 0);
    v[0] = static_cast<uint8_t>(v.size() - 1);
    v[4] = 0x1D;
    v[5] = 0x12;
    put16(v, 6, 1);
    put16(v, 8, 1);
    put16(v, 10, st_first);
    put16(v, 12, st_count);
    put16(v, 14, 100);
    put16(v, 16, ie_count);
    put16(v, 18, 2);
    put16(v, 20, 2);
    return v;
}

struct Slot {
    bool full = false;
    std::string tag;
};

// A READ ELEMENT STATUS reply the way tgt builds it: every element from START to the end of the
// type (NUMBER OF ELEMENTS ignored), 52-byte descriptors with PVolTag, header byte count right,
// and the data sent 8 bytes short of what the header announces (and of the allocation).
std::vector<uint8_t> tgt_reply(uint8_t type, uint16_t start,
                               const std::map<uint16_t, Slot>& elements, bool voltag,
                               size_t allocation, bool short_by_8 = true,
                               uint16_t tagged_length = 52) {
    const uint16_t dlen = voltag ? tagged_length : 16;
    std::vector<uint8_t> desc;
    uint16_t n = 0;
    for (auto& [addr, slot] : elements) {
        if (addr < start)
            continue;
        std::vector<uint8_t> d(dlen, 0);
        put16(d, 0, addr);
        d[2] = slot.full ? 1 : 0;
        if (voltag && slot.full) {
            std::fill(d.begin() + 12, d.begin() + 44, ' ');
            std::copy(slot.tag.begin(), slot.tag.end(), d.begin() + 12);
        }
        desc.insert(desc.end(), d.begin(), d.end());
        ++n;
    }
    std::vector<uint8_t> v(16, 0);
    put16(v, 0, start);
    put16(v, 2, n);
    put24(v, 5, static_cast<uint32_t>(8 + desc.size()));
    v[8] = type;
    v[9] = voltag ? 0x80 : 0;
    put16(v, 10, dlen);
    put24(v, 13, static_cast<uint32_t>(desc.size()));
    v.insert(v.end(), desc.begin(), desc.end());
    size_t sent = std::min(v.size(), allocation);
    if (short_by_8 && sent == v.size())
        sent -= 8;
    v.resize(sent);
    return v;
}

uint16_t be16(const std::vector<uint8_t>& c, size_t at) {
    return static_cast<uint16_t>(c[at] << 8 | c[at + 1]);
}
uint32_t be24(const std::vector<uint8_t>& c, size_t at) {
    return static_cast<uint32_t>(c[at] << 16 | c[at + 1] << 8 | c[at + 2]);
}

// A tgt-like library: mode sense answers page 1Dh, RES answers from `slots`, VOLTAG optional.
// With `ports`, port elements (type 3) are answered from them, in descriptors of port_length.
// With `through_the_kernel`, the count of what came is what SG_IO tells when tgt is reached
// through Linux's iSCSI initiator: tgt counts its residual against its whole report (every
// element from START), not against what it sent, and the initiator passes an overflow's count on
// as the command's residual, as it does an underflow's (SgTransport::received reads it).
struct TgtLike {
    std::map<uint16_t, Slot> slots;
    std::map<uint16_t, Slot> ports;
    bool reader = true;
    uint16_t st_first = 1000;
    uint16_t storage_length = 52;
    uint16_t port_length = 52;
    bool through_the_kernel = false;

    // What SG_IO reports of a reply of `report` bytes in a transfer of `length`.
    static size_t kernel_count(size_t report, size_t length) {
        const size_t residual = report > length ? report - length : length - report;
        return SgTransport::received(static_cast<int>(residual), length);
    }
    // The report tgt counts: every element from START, 8 bytes short as what it sends (measured
    // through the kernel with sg_raw: 52 x n + 8 bytes for n elements from START).
    static size_t whole_report(const std::map<uint16_t, Slot>& elements, uint16_t start,
                               uint16_t length) {
        const auto from = elements.lower_bound(start);
        return 8 + static_cast<size_t>(std::distance(from, elements.end())) * length;
    }

    Result<CommandResult> operator()(std::span<const uint8_t> cdb, std::span<uint8_t> buf) {
        std::vector<uint8_t> c(cdb.begin(), cdb.end());
        std::vector<uint8_t> reply;
        if (c[0] == opcode::ModeSense6 && (c[2] & 0x3F) == 0x1D) {
            reply = mode_1d(st_first, static_cast<uint16_t>(slots.size()),
                            static_cast<uint16_t>(std::max<size_t>(1, ports.size())));
        } else if (c[0] == opcode::ModeSense6) {
            return check(5, 0x24, 0);
        } else if (c[0] == opcode::ModeSense10) {
            return check(5, 0x20, 0);
        } else if (c[0] == opcode::ReadElementStatus) {
            bool voltag = c[1] & 0x10;
            if (voltag && !reader)
                return check(5, 0x24, 0);
            const bool port = (c[1] & 0x0F) == 3 && !ports.empty();
            const auto& elements = port ? ports : slots;
            const uint16_t length = voltag ? (port ? port_length : storage_length) : 16;
            reply = tgt_reply(port ? 3 : 2, be16(c, 2), elements, voltag, be24(c, 7), true, length);
            if (through_the_kernel) {
                std::copy_n(reply.begin(), std::min(reply.size(), buf.size()), buf.begin());
                return good(kernel_count(whole_report(elements, be16(c, 2), length), buf.size()));
            }
        } else {
            return check(5, 0x20, 0);
        }
        size_t n = std::min(reply.size(), buf.size());
        std::copy_n(reply.begin(), n, buf.begin());
        return good(n);
    }
};

// Whether r holds `count` storage elements from `first` on, in address order, every third full
// and labelled "T<address>", as the tests below fill their libraries.
::testing::AssertionResult every_third_full(const std::vector<ElementStatus>& r, uint32_t first,
                                            size_t count) {
    if (r.size() != count)
        return ::testing::AssertionFailure() << r.size() << " elements, not " << count;
    for (size_t i = 0; i < r.size(); ++i) {
        const auto& e = r[i];
        const bool full = e.address % 3 == 0;
        if (e.address != first + i || e.full != full ||
            (full && e.primary_tag != "T" + std::to_string(e.address)))
            return ::testing::AssertionFailure()
                   << "element " << i << ": address " << e.address << ", full " << e.full
                   << ", tag \"" << e.primary_tag << "\"";
    }
    return ::testing::AssertionSuccess();
}

ChangerOptions fast_options() {
    ChangerOptions o;
    o.backoff_initial = 1ms;
    o.backoff_max = 2ms;
    return o;
}

} // namespace

TEST(Changer, RetriesUnitAttentionAndRecordsImportExportAccess) {
    int calls = 0;
    ScriptedTransport t([&](auto, auto) -> Result<CommandResult> {
        ++calls;
        if (calls == 1)
            return check(6, 0x29, 0x00);
        if (calls == 2)
            return check(6, 0x28, 0x01);
        return good();
    });
    Changer ch(t, fast_options());
    ASSERT_TRUE(ch.test_unit_ready());
    EXPECT_EQ(calls, 3);
    EXPECT_TRUE(ch.take_ie_accessed());
    EXPECT_FALSE(ch.take_ie_accessed()) << "the event is reported once";
}

TEST(Changer, RetriesBusyAndBecomingReadyThenSucceeds) {
    int calls = 0;
    ScriptedTransport t([&](auto, auto) -> Result<CommandResult> {
        ++calls;
        if (calls == 1) {
            CommandResult r;
            r.status = status::Busy;
            return r;
        }
        if (calls == 2)
            return check(2, 0x04, 0x01);
        return good();
    });
    Changer ch(t, fast_options());
    ASSERT_TRUE(ch.test_unit_ready());
    EXPECT_EQ(calls, 3);
}

TEST(Changer, GivesUpAfterBoundedRetries) {
    ScriptedTransport t([&](auto, auto) -> Result<CommandResult> { return check(2, 0x04, 0x01); });
    auto o = fast_options();
    o.max_retries = 3;
    Changer ch(t, o);
    auto r = ch.test_unit_ready();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::BadStatus);
    EXPECT_EQ(t.cdbs.size(), 4u);
    EXPECT_NE(r.error().message.find("gave up"), std::string::npos);
}

TEST(Changer, OtherCheckConditionsAreTypedErrorsWithoutRetry) {
    TgtLike dev;
    dev.slots[1000] = {true, "A"};
    ScriptedTransport t([&](auto cdb, auto buf) -> Result<CommandResult> {
        if (cdb[0] == opcode::MoveMedium)
            return check(5, 0x3B, 0x0D);
        return dev(cdb, buf);
    });
    Changer ch(t, fast_options());
    auto r = ch.move(100, 1000);
    ASSERT_FALSE(r);
    EXPECT_EQ(t.count(opcode::MoveMedium), 1u) << "not retried";
    const std::string text = r.error().describe();
    const auto first = text.find("3Bh/0Dh");
    ASSERT_NE(first, std::string::npos) << text;
    EXPECT_EQ(text.find("3Bh/0Dh", first + 1), std::string::npos) << "said once: " << text;
    EXPECT_EQ(r.error().code, Errc::CheckCondition);
    EXPECT_EQ(r.error().sense.asc, 0x3B);
    EXPECT_EQ(r.error().sense.ascq, 0x0D);
}

TEST(Changer, TransportErrorsPassThrough) {
    ScriptedTransport t(
        [&](auto, auto) -> Result<CommandResult> { return make_error(Errc::DeviceGone, "gone"); });
    Changer ch(t, fast_options());
    auto r = ch.test_unit_ready();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::DeviceGone);
    EXPECT_EQ(t.cdbs.size(), 1u);
}

TEST(Changer, RecoveredErrorCountsAsSuccess) {
    ScriptedTransport t([&](auto, auto) -> Result<CommandResult> { return check(1, 0x5D, 0); });
    Changer ch(t, fast_options());
    EXPECT_TRUE(ch.test_unit_ready());
}

TEST(Changer, OptionalCommandProbedOnceAndRememberedAsUnsupported) {
    ScriptedTransport t([&](auto, auto) -> Result<CommandResult> { return check(5, 0x20, 0); });
    Changer ch(t, fast_options());
    auto r1 = ch.prevent_removal(true);
    ASSERT_FALSE(r1);
    EXPECT_EQ(r1.error().code, Errc::Unsupported);
    EXPECT_EQ(ch.support().prevent_allow, false);
    auto r2 = ch.prevent_removal(false);
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error().code, Errc::Unsupported);
    EXPECT_EQ(t.count(opcode::PreventAllowMediumRemoval), 1u) << "not sent again once known";

    auto o1 = ch.open_import_export(100);
    auto o2 = ch.close_import_export(100);
    EXPECT_EQ(o1.error().code, Errc::Unsupported);
    EXPECT_EQ(o2.error().code, Errc::Unsupported);
    EXPECT_EQ(t.count(opcode::OpenCloseImportExport), 1u);
}

TEST(Changer, OptionalCommandThatWorksIsRememberedAsSupported) {
    ScriptedTransport t([&](auto, auto) -> Result<CommandResult> { return good(); });
    Changer ch(t, fast_options());
    ASSERT_TRUE(ch.prevent_removal(true));
    EXPECT_EQ(ch.support().prevent_allow, true);
    ASSERT_TRUE(ch.open_import_export(100));
    EXPECT_EQ(t.cdbs.back(), (std::vector<uint8_t>{0x1B, 0, 0, 100, 0, 0}));
}

TEST(Changer, SupportedOptionalCommandFailureIsNotMistakenForUnsupported) {
    bool first = true;
    ScriptedTransport t([&](auto, auto) -> Result<CommandResult> {
        if (std::exchange(first, false))
            return good();
        return check(5, 0x24, 0);
    });
    Changer ch(t, fast_options());
    ASSERT_TRUE(ch.prevent_removal(true));
    auto r = ch.prevent_removal(false);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::CheckCondition);
    EXPECT_EQ(ch.support().prevent_allow, true);
}

TEST(Changer, MovesUseFirstTransportAndMoveTimeout) {
    TgtLike dev;
    for (uint16_t a = 1000; a < 1010; ++a)
        dev.slots[a] = {};
    ScriptedTransport t([&](auto cdb, auto buf) -> Result<CommandResult> {
        if (cdb[0] == opcode::MoveMedium)
            return good();
        return dev(cdb, buf);
    });
    auto o = fast_options();
    o.move_timeout = 123s;
    Changer ch(t, o);
    ASSERT_TRUE(ch.move(100, 1003));
    auto expected = cdb::move_medium(1, 100, 1003);
    EXPECT_EQ(t.cdbs.back(), std::vector<uint8_t>(expected.span().begin(), expected.span().end()));
    EXPECT_EQ(t.timeouts.back(), 123s);
}

TEST(Changer, ReadsEveryElementDespiteShortRepliesAndIgnoredCount) {
    TgtLike dev;
    for (uint16_t a = 1000; a < 1000 + 2500; ++a)
        dev.slots[a] = {a % 3 == 0, a % 3 == 0 ? "T" + std::to_string(a) : ""};
    ScriptedTransport t(std::ref(dev));
    auto o = fast_options();
    o.max_elements_per_request = 1000;
    Changer ch(t, o);
    auto r = ch.read_status(ElementType::Storage);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(every_third_full(*r, 1000, 2500));
    EXPECT_GE(t.count(opcode::ReadElementStatus), 3u);
}

// tgt through the kernel's iSCSI initiator (the QEMU guest's /dev/sgN): a read whose report
// overflows the transfer by no more than the transfer itself looks like a short reply, shorter
// than the allocation, often without its header. Every slot read alone, by a Changer that read
// the whole library and let its buffer go (as an inject's confirm after an inventory), and by a
// new Changer (as the first read of a library's own Changer after the start-up reading), comes
// back whole.
TEST(Changer, ASlotReadAloneThroughTheKernelsInitiatorComesBackWhole) {
    TgtLike dev;
    dev.through_the_kernel = true;
    for (uint16_t a = 1000; a < 1000 + 200; ++a)
        dev.slots[a] = {a % 3 == 0, a % 3 == 0 ? "T" + std::to_string(a) : ""};
    ScriptedTransport t(std::ref(dev));
    Changer after_inventory(t, fast_options());
    auto all = after_inventory.read_status(ElementType::Storage);
    ASSERT_TRUE(all) << all.error().message;
    ASSERT_TRUE(every_third_full(*all, 1000, 200));
    after_inventory.release_buffers();
    for (uint16_t a = 1000; a < 1000 + 200; ++a) {
        Changer fresh(t, fast_options());
        for (Changer* ch : {&after_inventory, &fresh}) {
            auto r = ch->read_status(ElementType::Storage, a, 1);
            ASSERT_TRUE(r) << "slot " << a << (ch == &fresh ? " (new Changer)" : "") << ": "
                           << r.error().message;
            ASSERT_TRUE(every_third_full(*r, a, 1))
                << "slot " << a << (ch == &fresh ? " (new Changer)" : "");
        }
    }
}

// A transport that carries any allocation length (iSCSI, the virtual changer) is asked for a
// type's elements in one request once their descriptor length is known; one that cannot tell
// (SG_IO here) keeps to chunks of 4096 elements and 512 KiB. Every element is read either way.
TEST(Changer, ReadsAsManyElementsARequestAsItsTransportCarries) {
    TgtLike dev;
    for (uint32_t a = 1000; a < 1000 + 20000; ++a) {
        const auto address = static_cast<uint16_t>(a);
        dev.slots[address] = {a % 3 == 0, a % 3 == 0 ? "T" + std::to_string(a) : ""};
    }
    for (const uint32_t path : {0u, 0xFFFFFFu}) {
        ScriptedTransport t(std::ref(dev));
        t.max_transfer_bytes = path;
        Changer ch(t, fast_options());
        for (int read = 0; read < 2; ++read) {
            const size_t before = t.count(opcode::ReadElementStatus);
            auto r = ch.read_status(ElementType::Storage);
            ASSERT_TRUE(r) << r.error().message;
            ASSERT_EQ(r->size(), 20000u);
            for (size_t i = 0; i < r->size(); ++i) {
                ASSERT_EQ((*r)[i].address, 1000 + i);
                ASSERT_EQ((*r)[i].full, (*r)[i].address % 3 == 0);
            }
            const size_t requests = t.count(opcode::ReadElementStatus) - before;
            if (path) {
                // The first read learns the descriptor length with a first chunk of 4096.
                EXPECT_EQ(requests, read == 0 ? 2u : 1u) << "read " << read;
            } else {
                EXPECT_GE(requests, 5u) << "read " << read;
            }
        }
        for (const auto& c : t.cdbs) {
            if (c[0] != opcode::ReadElementStatus)
                continue;
            const uint32_t alloc = (uint32_t{c[7]} << 16) | (uint32_t{c[8]} << 8) | c[9];
            EXPECT_LE(alloc, path ? 0xFFFFFFu : 512u * 1024u);
        }
    }
}

// A type not read yet is asked for in one request when another type that holds cartridges (here
// the port) has shown its descriptor length; a first read of it alone needs a second request.
TEST(Changer, SizesAFirstReadByAnotherTypesDescriptors) {
    TgtLike dev;
    for (uint32_t a = 1000; a < 1000 + 20000; ++a) {
        const auto address = static_cast<uint16_t>(a);
        dev.slots[address] = {a % 3 == 0, a % 3 == 0 ? "T" + std::to_string(a) : ""};
    }
    for (uint16_t a = 100; a < 104; ++a)
        dev.ports[a] = {a == 101, a == 101 ? "P101" : ""};
    // Equal lengths (tgt's 52): one request. Storage descriptors longer than the port's: the
    // estimate falls short, and the rest of the type comes in a second request.
    for (const uint16_t storage_length : {uint16_t{52}, uint16_t{60}}) {
        dev.storage_length = storage_length;
        ScriptedTransport t(std::ref(dev));
        t.max_transfer_bytes = 0xFFFFFF;
        Changer ch(t, fast_options());
        auto ports = ch.read_status(ElementType::ImportExport);
        ASSERT_TRUE(ports) << ports.error().message;
        ASSERT_EQ(ports->size(), 4u);
        EXPECT_EQ((*ports)[1].primary_tag, "P101");
        const size_t before = t.count(opcode::ReadElementStatus);
        auto r = ch.read_status(ElementType::Storage);
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_TRUE(every_third_full(*r, 1000, 20000));
        EXPECT_EQ(t.count(opcode::ReadElementStatus) - before, storage_length == 52 ? 1u : 2u)
            << "storage descriptors of " << storage_length << " bytes";
    }
}

// Whether to ask for volume tags is learned from the device's capabilities (mode page 1Fh). A
// reading asks for them before its first READ ELEMENT STATUS; the read takes that answer rather
// than asking again (a real changer takes milliseconds for each MODE SENSE).
TEST(Changer, AFirstReadTakesTheCapabilitiesAlreadyAskedFor) {
    TgtLike dev;
    for (uint16_t a = 1000; a < 1010; ++a)
        dev.slots[a] = {a % 3 == 0, a % 3 == 0 ? "T" + std::to_string(a) : ""};
    ScriptedTransport t(std::ref(dev));
    const auto asked = [&] {
        size_t n = 0;
        for (const auto& c : t.cdbs)
            n += (c[0] == opcode::ModeSense6 || c[0] == opcode::ModeSense10) &&
                 (c[2] & 0x3F) == 0x1F;
        return n;
    };
    Changer ch(t, fast_options());
    ASSERT_TRUE(ch.capabilities());
    const size_t once = asked();
    ASSERT_GE(once, 1u);
    auto r = ch.read_status(ElementType::Storage);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(every_third_full(*r, 1000, 10));
    EXPECT_EQ(asked(), once);
    // Without an answer yet, the first read asks.
    Changer fresh(t, fast_options());
    ASSERT_TRUE(fresh.read_status(ElementType::Storage));
    EXPECT_EQ(asked(), 2 * once);
}

TEST(Changer, ReadsASubrangeOnly) {
    TgtLike dev;
    for (uint16_t a = 1000; a < 1100; ++a)
        dev.slots[a] = {true, "B" + std::to_string(a)};
    ScriptedTransport t(std::ref(dev));
    Changer ch(t, fast_options());
    auto r = ch.read_status(ElementType::Storage, 1010, 5);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 5u);
    EXPECT_EQ(r->front().address, 1010);
    EXPECT_EQ(r->back().address, 1014);
}

TEST(Changer, RangeOutsideTheMapIsRejectedWithoutIo) {
    TgtLike dev;
    for (uint16_t a = 1000; a < 1010; ++a)
        dev.slots[a] = {};
    ScriptedTransport t(std::ref(dev));
    Changer ch(t, fast_options());
    ASSERT_TRUE(ch.element_map());
    auto before = t.count(opcode::ReadElementStatus);
    auto r = ch.read_status(ElementType::Storage, 1005, 50);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_EQ(t.count(opcode::ReadElementStatus), before);
    EXPECT_FALSE(ch.read_status(ElementType::All));
}

TEST(Changer, FallsBackToNoVolumeTagsWithoutBarcodeReader) {
    TgtLike dev;
    dev.reader = false;
    for (uint16_t a = 1000; a < 1004; ++a)
        dev.slots[a] = {true, ""};
    ScriptedTransport t(std::ref(dev));
    Changer ch(t, fast_options());
    auto r = ch.read_status(ElementType::Storage);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->size(), 4u);
    EXPECT_EQ(ch.support().voltag, false);
    // From now on VOLTAG is never asked again.
    t.cdbs.clear();
    ASSERT_TRUE(ch.read_status(ElementType::Storage));
    for (auto& c : t.cdbs) {
        if (c[0] == opcode::ReadElementStatus) {
            EXPECT_EQ(c[1] & 0x10, 0);
        }
    }
}

TEST(Changer, StreamsLargeLibrariesThroughASink) {
    TgtLike dev;
    for (uint32_t a = 1000; a < 1000 + 20000; ++a)
        dev.slots[static_cast<uint16_t>(a)] = {a % 2 == 0, a % 2 == 0 ? "X" : ""};
    ScriptedTransport t(std::ref(dev));
    Changer ch(t, fast_options());
    size_t n = 0, full = 0;
    uint32_t last = 999;
    auto r = ch.for_each_status(ElementType::Storage, [&](const ElementStatus& e) {
        ++n;
        full += e.full;
        EXPECT_EQ(e.address, last + 1);
        last = e.address;
    });
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(n, 20000u);
    EXPECT_EQ(full, 10000u);
    // The read's buffers (768 KiB of reply and views here) are kept for the next read until they
    // are let go; a small read then keeps what it needs for the next one.
    EXPECT_GT(ch.kept_bytes(), 512u * 1024) << ch.kept_bytes();
    ch.release_buffers();
    EXPECT_LE(ch.kept_bytes(), 128u * 1024) << ch.kept_bytes();
    auto few = ch.read_status(ElementType::Storage, 1000, 10);
    ASSERT_TRUE(few) << few.error().message;
    EXPECT_EQ(few->size(), 10u);
    EXPECT_GT(ch.kept_bytes(), 0u);
    EXPECT_LE(ch.kept_bytes(), 128u * 1024) << ch.kept_bytes();
}

TEST(Changer, ElementMapFallsBackToModeSense10AndIsCached) {
    ScriptedTransport t([&](auto cdb, auto buf) -> Result<CommandResult> {
        if (cdb[0] == opcode::ModeSense6)
            return check(5, 0x20, 0);
        if (cdb[0] == opcode::ModeSense10) {
            auto six = mode_1d(1000, 20);
            std::vector<uint8_t> v(8, 0);
            v.insert(v.end(), six.begin() + 4, six.end());
            put16(v, 0, static_cast<uint32_t>(v.size() - 2));
            std::copy(v.begin(), v.end(), buf.begin());
            return good(v.size());
        }
        return check(5, 0x20, 0);
    });
    Changer ch(t, fast_options());
    auto m = ch.element_map();
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->storage_first, 1000);
    EXPECT_EQ(m->storage_count, 20);
    EXPECT_EQ(m->ie_first, 100);
    auto sent = t.cdbs.size();
    ASSERT_TRUE(ch.element_map());
    EXPECT_EQ(t.cdbs.size(), sent) << "cached";
}

TEST(Changer, InitializeWithRangeFallsBackToFullInitialize) {
    ScriptedTransport t([&](auto cdb, auto) -> Result<CommandResult> {
        if (cdb[0] == opcode::InitializeElementStatusWithRange)
            return check(5, 0x20, 0);
        return good();
    });
    auto o = fast_options();
    o.initialize_timeout = 77s;
    Changer ch(t, o);
    ASSERT_TRUE(ch.initialize(std::pair<uint16_t, uint16_t>{1000, 10}));
    EXPECT_EQ(t.cdbs.back()[0], opcode::InitializeElementStatus);
    EXPECT_EQ(t.timeouts.back(), 77s);
    EXPECT_EQ(ch.support().initialize_range, false);
}

TEST(Changer, IdentifyRejectsNonChangers) {
    ScriptedTransport t([&](auto cdb, auto buf) -> Result<CommandResult> {
        if (cdb[0] == opcode::Inquiry && !(cdb[1] & 1)) {
            std::vector<uint8_t> inq(36, ' ');
            inq[0] = 0x00; // direct access block device
            inq[1] = 0;
            inq[2] = 5;
            inq[3] = 2;
            inq[4] = 31;
            std::copy(inq.begin(), inq.end(), buf.begin());
            return good(inq.size());
        }
        return check(5, 0x24, 0);
    });
    Changer ch(t, fast_options());
    auto r = ch.identify();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::NotAChanger);
}

TEST(Changer, IdentifyReadsSerialAndDesignator) {
    ScriptedTransport t([&](auto cdb, auto buf) -> Result<CommandResult> {
        std::vector<uint8_t> v;
        if (cdb[0] != opcode::Inquiry)
            return check(5, 0x20, 0);
        if (!(cdb[1] & 1)) {
            v.assign(36, ' ');
            v[0] = 0x08;
            v[1] = 0x80;
            v[2] = 5;
            v[3] = 2;
            v[4] = 31;
            std::string vendor = "ACME    ", product = "LIB-9000        ", rev = "0042";
            std::copy(vendor.begin(), vendor.end(), v.begin() + 8);
            std::copy(product.begin(), product.end(), v.begin() + 16);
            std::copy(rev.begin(), rev.end(), v.begin() + 32);
        } else if (cdb[2] == 0x00) {
            v = {0x08, 0x00, 0x00, 0x03, 0x00, 0x80, 0x83};
        } else if (cdb[2] == 0x80) {
            v = {0x08, 0x80, 0x00, 0x06, 'S', 'N', '1', '2', ' ', ' '};
        } else if (cdb[2] == 0x83) {
            v = {0x08, 0x83, 0x00, 12,   0x01, 0x03, 0x00, 0x08,
                 0x50, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
        }
        std::copy(v.begin(), v.end(), buf.begin());
        return good(v.size());
    });
    Changer ch(t, fast_options());
    auto r = ch.identify();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->vendor, "ACME");
    EXPECT_EQ(r->product, "LIB-9000");
    EXPECT_EQ(r->serial, "SN12");
    EXPECT_EQ(r->device_id, "naa:5001020304050607");
    EXPECT_EQ(r->stable_key(), "naa:5001020304050607");
}

namespace {

// The virtual changer behind a filter that may refuse DVCID as an older changer does.
struct DvcidFilter {
    VirtualChanger& vc;
    bool refuse = false;
    Result<CommandResult> operator()(std::span<const uint8_t> cdb, std::span<uint8_t> buffer) {
        if (refuse && cdb[0] == opcode::ReadElementStatus && (cdb[6] & 0x01))
            return check(sense_key::IllegalRequest, 0x24, 0x00);
        return vc.execute(cdb, Direction::FromDevice, buffer, 1s);
    }
};

} // namespace

TEST(Changer, AsksDrivesForTheirIdentifiers) {
    auto cfg = VirtualChangerConfig::parse("sim:ids,slots=4,drives=2,ie=1");
    ASSERT_TRUE(cfg) << cfg.error().message;
    auto vc = VirtualChanger::open(*cfg);
    ASSERT_TRUE(vc) << vc.error().message;
    DvcidFilter filter{**vc};
    ScriptedTransport t(std::ref(filter));
    Changer ch(t, fast_options());
    auto r = ch.read_status(ElementType::DataTransfer);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ(ch.support().dvcid, true);
    const auto id = drive_identity((*r)[1]);
    EXPECT_EQ((*r)[1].identifier_type, 1);
    EXPECT_EQ(id.product, "VIRTUAL-DRIVE");
    EXPECT_EQ(id.serial.substr(8), "02");
    // Storage elements are never asked for identifiers.
    t.cdbs.clear();
    ASSERT_TRUE(ch.read_status(ElementType::Storage));
    for (auto& c : t.cdbs) {
        if (c[0] == opcode::ReadElementStatus) {
            EXPECT_EQ(c[6] & 0x01, 0);
        }
    }
}

TEST(Changer, AChangerThatRefusesDvcidIsAskedWithout) {
    auto cfg = VirtualChangerConfig::parse("sim:old,slots=4,drives=2,ie=1");
    ASSERT_TRUE(cfg) << cfg.error().message;
    auto vc = VirtualChanger::open(*cfg);
    ASSERT_TRUE(vc) << vc.error().message;
    DvcidFilter filter{**vc, true};
    ScriptedTransport t(std::ref(filter));
    Changer ch(t, fast_options());
    auto r = ch.read_status(ElementType::DataTransfer);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].identifier, "");
    EXPECT_EQ(ch.support().dvcid, false);
    t.cdbs.clear();
    ASSERT_TRUE(ch.read_status(ElementType::DataTransfer));
    ASSERT_FALSE(t.cdbs.empty());
    for (auto& c : t.cdbs) {
        if (c[0] == opcode::ReadElementStatus) {
            EXPECT_EQ(c[6] & 0x01, 0) << "DVCID is not asked again";
        }
    }
}

// The reply buffer's allocator: a block of 2 MiB or more is aligned to 2 MiB (so that the kernel
// can back it with huge pages), a smaller one comes from operator new; both hold what is written
// in them, and a vector grown across the bound keeps its bytes. ASan checks the pairs of
// allocation and release.
TEST(LargePageAllocator, AlignsLargeBlocksAndKeepsTheirBytes) {
    constexpr size_t mib = size_t{1} << 20;
    LargePageAllocator<uint8_t> a;
    uint8_t* big = a.allocate(3 * mib);
    ASSERT_NE(big, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(big) % (2 * mib), 0u);
    std::fill(big, big + 3 * mib, uint8_t{0xa5});
    EXPECT_EQ(big[3 * mib - 1], 0xa5);
    a.deallocate(big, 3 * mib);
    uint8_t* small = a.allocate(4096);
    ASSERT_NE(small, nullptr);
    small[4095] = 1;
    a.deallocate(small, 4096);

    std::vector<uint8_t, LargePageAllocator<uint8_t>> v(1000, uint8_t{7});
    v.resize(3 * mib, uint8_t{9});
    EXPECT_EQ(v[999], 7);
    EXPECT_EQ(v[1000], 9);
    EXPECT_EQ(v.back(), 9);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(v.data()) % (2 * mib), 0u);
    EXPECT_THROW((void)a.allocate(static_cast<size_t>(-1)), std::bad_array_new_length);
}
