#include "changer.hpp"

#include "cdb.hpp"
#include "element_status.hpp"
#include "inquiry.hpp"
#include "mode_pages.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <thread>

namespace sgio {

namespace {

constexpr uint16_t inquiry_allocation = 96;
constexpr uint16_t vpd_allocation = 1024;
constexpr uint8_t mode6_allocation = 255;
constexpr uint16_t mode10_allocation = 1024;
// Generous per-descriptor estimate for allocation lengths: 12 fixed + 2 x 36 tags + DVCID.
constexpr uint32_t descriptor_estimate_tags = 128;
constexpr uint32_t descriptor_estimate_plain = 64;
constexpr uint32_t report_headers = 16;
// The element status header, whose byte count does not count it; also what tgt sends short.
constexpr size_t status_header = 8;

// What a READ ELEMENT STATUS asks for where neither the options nor the transport say more; also
// the most elements asked for before a type's descriptor length is known, so that the generous
// estimate above does not make a first request of megabytes (tgt clears every byte of the
// allocation length, whatever it sends).
constexpr uint32_t default_max_transfer = 512 * 1024;
constexpr uint16_t default_max_elements = 4096;

bool illegal_request(const Error& e) {
    return e.code == Errc::CheckCondition && e.sense.valid &&
           e.sense.key == sense_key::IllegalRequest;
}

// ILLEGAL REQUEST "invalid command operation code" or "invalid field in CDB": the device does not
// implement this optional command (or this form of it).
bool means_unsupported(const Error& e) {
    return illegal_request(e) && (e.sense.asc == 0x20 || e.sense.asc == 0x24);
}

Error check_condition(const CommandResult& r, const char* what) {
    Error e;
    e.code = Errc::CheckCondition;
    e.sense = r.sense;
    e.status = r.status;
    e.message = fmt::format("{}: {}", what, describe(r.sense));
    return e;
}

uint8_t opcode_of(std::span<const uint8_t> cdb) {
    return cdb.empty() ? 0 : cdb[0];
}

const char* command_name(uint8_t op) {
    switch (op) {
    case opcode::TestUnitReady:
        return "TEST UNIT READY";
    case opcode::RequestSense:
        return "REQUEST SENSE";
    case opcode::InitializeElementStatus:
        return "INITIALIZE ELEMENT STATUS";
    case opcode::Inquiry:
        return "INQUIRY";
    case opcode::ModeSense6:
        return "MODE SENSE(6)";
    case opcode::OpenCloseImportExport:
        return "OPEN/CLOSE IMPORT/EXPORT ELEMENT";
    case opcode::PreventAllowMediumRemoval:
        return "PREVENT ALLOW MEDIUM REMOVAL";
    case opcode::InitializeElementStatusWithRange:
        return "INITIALIZE ELEMENT STATUS WITH RANGE";
    case opcode::ModeSense10:
        return "MODE SENSE(10)";
    case opcode::MoveMedium:
        return "MOVE MEDIUM";
    case opcode::ReadElementStatus:
        return "READ ELEMENT STATUS";
    default:
        return "SCSI command";
    }
}

} // namespace

std::string Identity::stable_key() const {
    if (!device_id.empty())
        return device_id;
    if (!serial.empty())
        return fmt::format("serial:{}:{}:{}", vendor, product, serial);
    return {};
}

Changer::Changer(Transport& transport, ChangerOptions options)
    : transport_(transport), options_(options), reconnects_seen_(transport.reconnects()) {}

Result<CommandResult> Changer::run(std::span<const uint8_t> cdb, Direction direction,
                                   std::span<uint8_t> buffer, std::chrono::milliseconds timeout) {
    auto r = attempt(cdb, direction, buffer, timeout);
    if (!r)
        count_error();
    return r;
}

void Changer::count_error() {
    if (options_.counters)
        options_.counters->errors.fetch_add(1, std::memory_order_relaxed);
}

Result<CommandResult> Changer::attempt(std::span<const uint8_t> cdb, Direction direction,
                                       std::span<uint8_t> buffer,
                                       std::chrono::milliseconds timeout) {
    const char* what = command_name(opcode_of(cdb));
    auto backoff = options_.backoff_initial;
    std::string last;
    for (unsigned tries = 0; tries <= options_.max_retries; ++tries) {
        if (tries > 0 && options_.counters)
            options_.counters->retries.fetch_add(1, std::memory_order_relaxed);
        auto r = transport_.execute(cdb, direction, buffer, timeout);
        if (!r)
            return std::move(r).error();
        CommandResult& res = r.value();
        if (res.status == status::Good || res.status == status::ConditionMet)
            return r;

        bool wait = true;
        if (res.status == status::Busy || res.status == status::TaskSetFull) {
            last = fmt::format("{}: device busy (status {:#04x})", what, res.status);
        } else if (res.status == status::CheckCondition) {
            const Sense& s = res.sense;
            if (s.valid && s.key == sense_key::RecoveredError) {
                res.status = status::Good; // completed, the device fixed something on its own
                return r;
            }
            if (s.valid && s.key == sense_key::UnitAttention) {
                // A unit attention reports an event; the command itself was not executed.
                if (s.asc == 0x28 && s.ascq == 0x01)
                    ie_accessed_ = true;
                // Power on or reset (29h), or "medium may have changed" (28h/00h): the
                // inventory read before may be wrong.
                if (s.asc == 0x29 || (s.asc == 0x28 && s.ascq == 0x00))
                    reset_ = true;
                if (s.asc == 0x28 || s.asc == 0x29 || s.asc == 0x2A || s.asc == 0x3F)
                    map_.reset(); // the element map or inventory may have changed
                last = fmt::format("{}: {}", what, describe(s));
                wait = false;
            } else if (s.valid && s.key == sense_key::NotReady && s.asc == 0x04 &&
                       (s.ascq == 0x01 || s.ascq == 0x07)) {
                last = fmt::format("{}: {}", what, describe(s)); // becoming ready / in progress
            } else {
                return check_condition(res, what);
            }
        } else {
            Error e = make_error(Errc::BadStatus,
                                 fmt::format("{}: SCSI status {:#04x}", what, res.status));
            e.status = res.status;
            return e;
        }
        if (wait) {
            std::this_thread::sleep_for(backoff);
            backoff = std::min(backoff * 2, options_.backoff_max);
        }
    }
    return make_error(Errc::BadStatus,
                      fmt::format("{} (gave up after {} retries)", last, options_.max_retries));
}

Result<void> Changer::test_unit_ready() {
    auto c = cdb::test_unit_ready();
    auto r = run(c.span(), Direction::None, {}, options_.command_timeout);
    if (!r)
        return std::move(r).error();
    return {};
}

Result<Identity> Changer::identify() {
    std::vector<uint8_t> buf(inquiry_allocation);
    auto c = cdb::inquiry(false, 0, inquiry_allocation);
    auto r = run(c.span(), Direction::FromDevice, buf, options_.command_timeout);
    if (!r)
        return std::move(r).error();
    auto inq = parse_inquiry(std::span(buf).first(std::min(r->transferred, buf.size())));
    if (!inq)
        return std::move(inq).error();

    Identity id;
    id.vendor = inq->vendor;
    id.product = inq->product;
    id.revision = inq->revision;
    id.peripheral_type = inq->peripheral_type;
    if (inq->peripheral_type != PeripheralTypeChanger)
        return make_error(Errc::NotAChanger,
                          fmt::format("{}: peripheral device type {:#04x} is not a medium changer "
                                      "(08h)",
                                      transport_.name(), inq->peripheral_type));

    // VPD pages are optional; an identity without them is still an identity.
    auto vpd = [&](uint8_t page) -> std::optional<std::vector<uint8_t>> {
        std::vector<uint8_t> data(vpd_allocation);
        auto vc = cdb::inquiry(true, page, vpd_allocation);
        auto vr = run(vc.span(), Direction::FromDevice, data, options_.command_timeout);
        if (!vr)
            return std::nullopt;
        data.resize(std::min(vr->transferred, data.size()));
        return data;
    };
    std::vector<uint8_t> pages{0x80, 0x83};
    if (auto p0 = vpd(0x00)) {
        if (auto list = parse_vpd_supported_pages(*p0))
            pages = *list;
    }
    if (std::find(pages.begin(), pages.end(), 0x80) != pages.end()) {
        if (auto p = vpd(0x80)) {
            if (auto sn = parse_vpd_serial(*p))
                id.serial = *sn;
        }
    }
    if (std::find(pages.begin(), pages.end(), 0x83) != pages.end()) {
        if (auto p = vpd(0x83)) {
            if (auto ds = parse_vpd_device_id(*p)) {
                // Prefer logical-unit designators, NAA over EUI-64 over SCSI name over T10 vendor.
                static constexpr uint8_t preference[] = {3, 2, 8, 1};
                for (uint8_t type : preference) {
                    auto it = std::find_if(ds->begin(), ds->end(), [&](const Designator& d) {
                        return d.type == type && d.association == 0 && !d.value.empty();
                    });
                    if (it != ds->end()) {
                        static constexpr const char* prefix[] = {"", "t10", "eui", "naa", "",
                                                                 "", "",    "",    "name"};
                        id.device_id = fmt::format("{}:{}", prefix[type], it->text());
                        break;
                    }
                }
            }
        }
    }
    return id;
}

Result<std::vector<uint8_t>> Changer::mode_sense(uint8_t page, bool& ten_byte) {
    std::vector<uint8_t> buf(mode6_allocation);
    auto c6 = cdb::mode_sense6(page, true, mode6_allocation);
    auto r = run(c6.span(), Direction::FromDevice, buf, options_.command_timeout);
    ten_byte = false;
    if (!r && illegal_request(r.error())) {
        buf.assign(mode10_allocation, 0);
        auto c10 = cdb::mode_sense10(page, true, mode10_allocation);
        r = run(c10.span(), Direction::FromDevice, buf, options_.command_timeout);
        ten_byte = true;
    }
    if (!r)
        return std::move(r).error();
    buf.resize(std::min(r->transferred, buf.size()));
    return buf;
}

Result<ElementMap> Changer::element_map(bool refresh) {
    if (map_ && !refresh)
        return *map_;
    bool ten = false;
    auto reply = mode_sense(mode_page::ElementAddressAssignment, ten);
    if (!reply)
        return std::move(reply).error();
    auto page = find_mode_page(*reply, ten, mode_page::ElementAddressAssignment);
    if (!page)
        return std::move(page).error();
    auto map = parse_element_address_page(*page);
    if (!map)
        return std::move(map).error();
    map_ = *map;
    return *map;
}

Result<Capabilities> Changer::capabilities() {
    bool ten = false;
    auto reply = mode_sense(mode_page::DeviceCapabilities, ten);
    if (!reply) {
        if (illegal_request(reply.error()))
            return *(capabilities_ = Capabilities{});
        return std::move(reply).error();
    }
    auto page = find_mode_page(*reply, ten, mode_page::DeviceCapabilities);
    if (!page)
        return *(capabilities_ = Capabilities{}); // the device answered without the page
    auto caps = parse_capabilities_page(*page);
    if (caps)
        capabilities_ = *caps;
    return caps;
}

Result<void> Changer::for_each_status(ElementType type,
                                      const std::function<void(const ElementStatus&)>& sink) {
    ElementStatus status; // its strings keep their storage from one element to the next
    return scan(type, 0, 0, [&](const ElementView& e) {
        e.decode(status);
        sink(status);
    });
}

Result<void> Changer::for_each_element(ElementType type,
                                       const std::function<void(const ElementView&)>& sink) {
    return scan(type, 0, 0, sink);
}

Result<std::vector<ElementStatus>> Changer::read_status(ElementType type, uint16_t first,
                                                        uint16_t count) {
    std::vector<ElementStatus> out;
    if (auto map = element_map(); map && type != ElementType::All)
        out.reserve(count ? count : map->count(type));
    auto r = scan(type, first, count, [&](const ElementView& e) { out.push_back(e.status()); });
    if (!r)
        return std::move(r).error();
    return out;
}

Result<void> Changer::scan(ElementType type, uint16_t first, uint16_t count,
                           const std::function<void(const ElementView&)>& sink) {
    if (type == ElementType::All)
        return make_error(Errc::InvalidArgument,
                          "READ ELEMENT STATUS: ask per element type (type 0 is unreliable)");
    auto map = element_map();
    if (!map)
        return std::move(map).error();
    const uint32_t type_first = map->first(type);
    const uint32_t type_end = type_first + map->count(type);
    const uint32_t begin = first ? first : type_first;
    const uint32_t end = count ? begin + count : type_end;
    if (begin < type_first || end > type_end || begin > end)
        return make_error(Errc::InvalidArgument,
                          fmt::format("{} elements {}..{} are outside {}..{}",
                                      element_type_name(type), begin, end, type_first, type_end));

    if (!support_.voltag) {
        if (!capabilities_)
            (void)capabilities();
        if (capabilities_ && capabilities_->present && !capabilities_->barcode_reader)
            support_.voltag = false;
    }

    uint32_t cur = begin;
    auto& buf = buffer_; // reused: large fresh buffers cost page faults each time
    // The transfer of a request asked again because its reply came back cut short (below).
    size_t transfer = 0;
    while (cur < end) {
        const bool voltag = support_.voltag.value_or(true);
        const bool dvcid = type == ElementType::DataTransfer && support_.dvcid.value_or(true);
        // Size the allocation by the descriptor length this device used last time: devices that
        // ignore NUMBER OF ELEMENTS (tgt) then send only about what we asked for.
        const auto idx = static_cast<size_t>(type) & 7u;
        const uint32_t seen = descriptor_seen_[idx][voltag] ? descriptor_seen_[idx][voltag]
                                                            : sibling_descriptor(type, voltag);
        const uint32_t per =
            seen ? seen : (voltag ? descriptor_estimate_tags : descriptor_estimate_plain);
        const uint16_t most =
            seen ? elements_limit() : std::min<uint16_t>(elements_limit(), default_max_elements);
        const uint32_t chunk = std::min<uint32_t>(end - cur, most);
        // One descriptor of slack: tgt sends 8 bytes less than it may, cutting the last one short.
        const uint32_t alloc =
            std::min<uint32_t>(transfer_limit(), report_headers + (chunk + 1) * per);
        if (buf.size() < std::max<size_t>(alloc, transfer))
            buf.resize(std::max<size_t>(alloc, transfer));
        auto c = cdb::read_element_status(type, static_cast<uint16_t>(cur),
                                          static_cast<uint16_t>(chunk), voltag, dvcid, alloc);
        auto r = run(c.span(), Direction::FromDevice, buf, options_.command_timeout);
        if (!r) {
            // DVCID is optional in SMC-3: a changer that refuses the field (ILLEGAL REQUEST,
            // invalid field in CDB) is asked again without it, and never again with it.
            if (dvcid && !support_.dvcid && means_unsupported(r.error())) {
                support_.dvcid = false;
                continue;
            }
            // Libraries without a barcode reader reject VOLTAG (usually 5/24/00); ask without it.
            if (voltag && !support_.voltag && r.error().code == Errc::CheckCondition &&
                r.error().sense.key > sense_key::RecoveredError) {
                support_.voltag = false;
                continue;
            }
            return std::move(r).error();
        }
        if (voltag)
            support_.voltag = true;
        if (dvcid)
            support_.dvcid = true;
        const size_t received = std::min<size_t>(r->transferred, alloc);
        // Parsed in place: views over buf, no copy of any element.
        auto report = parse_element_status_in_place(std::span(buf).first(received), views_);
        // A reply shorter than the allocation that does not parse (no header), or falls short of
        // what its own header announces by more than tgt's 8 bytes, is not what the device sent:
        // through Linux's iSCSI initiator an overflow's count comes back as the residual, as an
        // underflow's does, and tgt counts its overflow against its whole report (every element
        // from START), not against what it sent. When that report is longer than the transfer by
        // no more than the transfer, SgTransport cannot tell the overflow from an underflow.
        // Asked once more with a transfer longer than the report, the same request's residual is
        // an underflow again. A device that does send less than it announces costs one request
        // more.
        const size_t announced = report ? status_header + report->byte_count : 0;
        if (transfer == 0 && received < alloc &&
            (!report || received + status_header < std::min<size_t>(alloc, announced))) {
            transfer = std::min(std::max(2 * buf.size() + alloc, announced + per),
                                size_t{cdb::max_allocation_length} + status_header);
            continue;
        }
        if (!report)
            return std::move(report).error();
        if (!views_.empty() && received > report_headers) {
            // Whole descriptors only: round up, so that a short last descriptor does not shrink it;
            // and never below what the page announces (a reply of one descriptor, 8 bytes short on
            // tgt, would teach 44 bytes where the descriptors take 52).
            const size_t n = views_.size();
            const auto learned = static_cast<uint32_t>((received - report_headers + n - 1) / n);
            descriptor_seen_[idx][voltag] =
                std::max<uint32_t>({learned, views_.back().length(), 12});
        }

        // Devices may ignore NUMBER OF ELEMENTS (tgt sends all from START), return fewer than
        // asked, or cut the last descriptor short: keep what lies in [cur, chunk end) in address
        // order and continue after the highest address received.
        auto& els = views_;
        const auto by_address = [](const ElementView& a, const ElementView& b) {
            return a.address() < b.address();
        };
        if (!std::is_sorted(els.begin(), els.end(), by_address))
            std::stable_sort(els.begin(), els.end(), by_address);
        const uint32_t chunk_end = cur + chunk;
        uint32_t next = cur;
        bool progressed = false;
        for (size_t i = 0; i < els.size(); ++i) {
            const ElementView& e = els[i];
            const uint16_t address = e.address();
            if (address < cur || address >= chunk_end)
                continue;
            // A truncated descriptor that is not the last of the type is read again from its own
            // address next round; the last one of the range stays truncated on tgt however we ask.
            const bool last_of_range = address + 1u == end;
            if (e.truncated() && !last_of_range && progressed)
                break;
            sink(e);
            next = address + 1u;
            progressed = true;
            if (e.truncated() && !last_of_range)
                break;
        }
        if (!progressed)
            break; // nothing more in range: the device has no further elements of this type
        cur = next;
    }
    return {};
}

uint32_t Changer::sibling_descriptor(ElementType type, bool voltag) const {
    // A type not read yet takes the longest descriptor seen of the types that hold cartridges
    // the same way: transport, storage and port elements carry the same volume tags, and
    // devices give them one layout (tgt: 52 bytes with PVolTag). Drives do not lend theirs (a
    // drive's descriptor adds its device identifier) nor borrow one. The estimate only sizes
    // the request: a device that sends more a descriptor is read on from where its reply ended,
    // as any short reply is.
    if (type == ElementType::DataTransfer)
        return 0;
    uint32_t longest = 0;
    for (auto t : {ElementType::Transport, ElementType::Storage, ElementType::ImportExport})
        longest = std::max(longest, descriptor_seen_[static_cast<size_t>(t)][voltag]);
    return longest;
}

Changer::Learned Changer::learned() const {
    return Learned{support_, map_, descriptor_seen_};
}

void Changer::learn(const Learned& learned) {
    support_ = learned.support;
    map_ = learned.map;
    descriptor_seen_ = learned.descriptor_seen;
}

void Changer::release_buffers() noexcept {
    if (buffer_.capacity() > kept_reply_bytes)
        decltype(buffer_)().swap(buffer_);
    if (views_.capacity() > kept_views)
        decltype(views_)().swap(views_);
}

size_t Changer::kept_bytes() const {
    return buffer_.capacity() + views_.capacity() * sizeof(ElementView);
}

uint32_t Changer::transfer_limit() const {
    if (options_.max_transfer)
        return options_.max_transfer;
    const uint32_t path = std::min(transport_.max_transfer(), cdb::max_allocation_length);
    return path ? path : default_max_transfer;
}

uint16_t Changer::elements_limit() const {
    if (options_.max_elements_per_request)
        return options_.max_elements_per_request;
    return transport_.max_transfer() ? 0xFFFF : default_max_elements;
}

Result<void> Changer::move(uint16_t source, uint16_t destination) {
    auto map = element_map();
    if (!map)
        return std::move(map).error();
    const uint16_t transport = map->transport_count ? map->transport_first : 0;
    auto c = cdb::move_medium(transport, source, destination);
    auto r = run(c.span(), Direction::None, {}, options_.move_timeout);
    if (!r) {
        Error e = std::move(r).error();
        e.message = fmt::format("move {} -> {}: {}", source, destination, e.message);
        return e;
    }
    return {};
}

Result<void> Changer::initialize(std::optional<std::pair<uint16_t, uint16_t>> range, bool fast) {
    if (range && support_.initialize_range.value_or(true)) {
        auto c = cdb::initialize_element_status_with_range(range->first, range->second, fast);
        auto r = run(c.span(), Direction::None, {}, options_.initialize_timeout);
        if (r) {
            support_.initialize_range = true;
            return {};
        }
        if (!means_unsupported(r.error()))
            return std::move(r).error();
        support_.initialize_range = false;
    }
    auto c = cdb::initialize_element_status();
    auto r = run(c.span(), Direction::None, {}, options_.initialize_timeout);
    if (!r)
        return std::move(r).error();
    return {};
}

Result<void> Changer::optional_command(std::span<const uint8_t> cdb, std::optional<bool>& supported,
                                       const char* what) {
    if (supported == false)
        return make_error(Errc::Unsupported,
                          fmt::format("{} is not supported by {}", what, transport_.name()));
    auto r = attempt(cdb, Direction::None, {}, options_.command_timeout);
    if (!r) {
        if (means_unsupported(r.error()) && !supported) {
            supported = false;
            Error e = std::move(r).error();
            e.code = Errc::Unsupported;
            e.message = fmt::format("{} is not supported by {} ({})", what, transport_.name(),
                                    describe(e.sense));
            return e;
        }
        count_error();
        return std::move(r).error();
    }
    supported = true;
    return {};
}

Result<void> Changer::prevent_removal(bool prevent) {
    auto c = cdb::prevent_allow_medium_removal(prevent ? Prevent::Prevent : Prevent::Allow);
    return optional_command(c.span(), support_.prevent_allow, "PREVENT ALLOW MEDIUM REMOVAL");
}

Result<void> Changer::open_import_export(uint16_t address) {
    auto c = cdb::open_close_import_export(address, IeAction::Open);
    return optional_command(c.span(), support_.open_close_ie, "OPEN IMPORT/EXPORT ELEMENT");
}

Result<void> Changer::close_import_export(uint16_t address) {
    auto c = cdb::open_close_import_export(address, IeAction::Close);
    return optional_command(c.span(), support_.open_close_ie, "CLOSE IMPORT/EXPORT ELEMENT");
}

bool Changer::take_ie_accessed() {
    return std::exchange(ie_accessed_, false);
}

bool Changer::take_reset() {
    const uint64_t reconnects = transport_.reconnects();
    const bool reset = reset_ || reconnects != reconnects_seen_;
    reset_ = false;
    reconnects_seen_ = reconnects;
    return reset;
}

} // namespace sgio
