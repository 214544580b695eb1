// The device strings a library's Device= and ntmsd's command line accept (sgio/open.cpp sends each
// to its parser): iscsi://HOST[:PORT]/IQN/LUN (sgio/iscsi_transport.cpp) and sim:NAME[,key=value]
// (sgio/virtual_changer_config.cpp); anything else is a path, opened as it is. Also the names
// discovery makes for a changer from its INQUIRY strings (daemon/registry/discovery.cpp), with the
// input split into vendor, product and serial at NUL bytes.
#include "daemon/registry/discovery.hpp"
#include "fuzz.hpp"
#include "sgio/iscsi_transport.hpp"
#include "sgio/virtual_changer.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <string>

namespace {

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), s.begin(), [](char p, char c) {
               return p == (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
           });
}

void check_iscsi(const std::string& device) {
    auto url = sgio::IscsiUrl::parse(device);
    if (!starts_with_nocase(device, "iscsi://"))
        FUZZ_CHECK(!url);
    if (!url) {
        FUZZ_CHECK(url.error().code == sgio::Errc::InvalidArgument);
        return;
    }
    FUZZ_CHECK(!url->host.empty() && url->port >= 1 && url->lun >= 0 && url->lun <= 16383);
    FUZZ_CHECK(url->target.find('/') == std::string::npos);
    FUZZ_CHECK(starts_with_nocase(url->target, "iqn.") || starts_with_nocase(url->target, "eui.") ||
               starts_with_nocase(url->target, "naa."));
    // Written out again in the canonical form, it names the same LUN.
    const std::string host =
        url->host.find(':') == std::string::npos ? url->host : "[" + url->host + "]";
    const std::string canonical =
        fmt::format("iscsi://{}:{}/{}/{}", host, url->port, url->target, url->lun);
    auto again = sgio::IscsiUrl::parse(canonical);
    FUZZ_CHECK(again && again->host == url->host && again->port == url->port &&
               again->target == url->target && again->lun == url->lun);
    FUZZ_CHECK(again->portal() == url->portal());
}

// The spec that describes c, every key spelled out.
std::string spec_of(const sgio::VirtualChangerConfig& c) {
    auto yes = [](bool b) { return b ? "yes" : "no"; };
    std::string s = fmt::format(
        "sim:{},slots={},drives={},ie={},barcodes={},door={},prevent={},openclose={},move-ms={},"
        "fill={},poweron={}",
        c.name, c.slots, c.drives, c.ie_count, yes(c.barcode_reader), yes(c.door),
        yes(c.supports_prevent), yes(c.supports_open_close), c.move_time.count(), c.fill,
        yes(c.power_on_unit_attention));
    if (!c.serial.empty())
        s += ",serial=" + c.serial;
    if (!c.state_file.empty())
        s += ",state=" + c.state_file;
    return s;
}

bool same(const sgio::VirtualChangerConfig& a, const sgio::VirtualChangerConfig& b) {
    return a.name == b.name && a.vendor == b.vendor && a.product == b.product &&
           a.revision == b.revision && a.serial == b.serial &&
           a.transport_first == b.transport_first && a.transports == b.transports &&
           a.drive_first == b.drive_first && a.drives == b.drives && a.ie_first == b.ie_first &&
           a.ie_count == b.ie_count && a.storage_first == b.storage_first && a.slots == b.slots &&
           a.barcode_reader == b.barcode_reader && a.door == b.door &&
           a.supports_prevent == b.supports_prevent &&
           a.supports_open_close == b.supports_open_close && a.move_time == b.move_time &&
           a.state_file == b.state_file && a.fill == b.fill &&
           a.power_on_unit_attention == b.power_on_unit_attention;
}

void check_sim(const std::string& device) {
    auto c = sgio::VirtualChangerConfig::parse(device);
    if (!device.starts_with("sim:"))
        FUZZ_CHECK(!c);
    if (!c) {
        FUZZ_CHECK(c.error().code == sgio::Errc::InvalidArgument);
        return;
    }
    // Accepted means buildable: addresses in 16 bits, not overlapping, fill within the slots.
    FUZZ_CHECK(c->fill <= c->slots);
    FUZZ_CHECK(uint32_t{c->storage_first} + c->slots <= 0x10000);
    FUZZ_CHECK(device.substr(4, device.find(',') - 4) == c->name);
    auto again = sgio::VirtualChangerConfig::parse(spec_of(*c));
    FUZZ_CHECK(again && same(*again, *c));
}

// A discovered library's name: letters, digits, '-', '.' and single '_' between the parts.
void check_discovered_name(std::string_view in) {
    sgio::Identity id;
    std::string* parts[] = {&id.vendor, &id.product, &id.serial};
    size_t i = 0;
    for (char c : in) {
        if (c == '\0' && i < 2)
            ++i;
        else
            parts[i]->push_back(c);
    }
    const std::string name = ntms::discovered_library_name(id, "sg7");
    FUZZ_CHECK(!name.empty() && name.back() != '_');
    FUZZ_CHECK(std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-';
    }));
    FUZZ_CHECK(name.find("__") == std::string::npos);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string device(ntms::fuzz::text(data, size));
    check_iscsi(device);
    check_sim(device);
    check_discovered_name(device);
    return 0;
}
