// The a{sv} options of Manager.InjectMedia and Job.Cancel (dbus/options.cpp). The input is read as
// a list of entries, each a key (one of the known ones, a near miss, or raw text), a D-Bus type
// and a value, so that every key meets every type; the result is compared with what the options'
// contract (org.ntms.Ntms1(5)) says it must be.
#include "dbus/options.hpp"
#include "fuzz.hpp"

#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

using ntms::dbus::OptionMap;

class Reader {
public:
    explicit Reader(std::span<const uint8_t> in) : in_(in) {}
    bool done() const { return at_ >= in_.size(); }
    uint8_t byte() { return done() ? 0 : in_[at_++]; }
    uint64_t number(size_t width) {
        uint64_t v = 0;
        for (size_t i = 0; i < width; ++i)
            v = v << 8 | byte();
        return v;
    }
    // A D-Bus string is UTF-8 without NUL: keep the input's ASCII, make the rest printable.
    std::string text(size_t n) {
        std::string s;
        for (size_t i = 0; i < n && !done(); ++i) {
            const auto c = static_cast<char>(byte() & 0x7f);
            s.push_back(c == '\0' ? '?' : c);
        }
        return s;
    }

private:
    std::span<const uint8_t> in_;
    size_t at_ = 0;
};

constexpr std::array<const char*, 8> keys = {"timeout", "application", "port",  "Timeout", "port ",
                                             "",        "timeouts",    "portal"};

enum class Kind { U32, Str, I32, U16, U64, Bool, Double, StrList, Count };

struct Entry {
    Kind kind;
    uint64_t number = 0; // for the integer kinds
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Reader r(ntms::fuzz::bytes(data, size));
    OptionMap options;
    std::map<std::string, Entry> expected;
    std::string application;
    while (!r.done()) {
        const uint8_t k = r.byte();
        const std::string key = k < 0xc0 ? keys[k % keys.size()] : r.text(k & 0x1f);
        const auto kind = static_cast<Kind>(r.byte() % static_cast<uint8_t>(Kind::Count));
        Entry e{kind};
        sdbus::Variant v;
        switch (kind) {
        case Kind::U32:
            e.number = r.number(4);
            v = sdbus::Variant(static_cast<uint32_t>(e.number));
            break;
        case Kind::Str: {
            const std::string s = r.text(r.byte());
            if (key == "application")
                application = s;
            v = sdbus::Variant(s);
            break;
        }
        case Kind::I32:
            v = sdbus::Variant(static_cast<int32_t>(r.number(4)));
            break;
        case Kind::U16:
            v = sdbus::Variant(static_cast<uint16_t>(r.number(2)));
            break;
        case Kind::U64:
            v = sdbus::Variant(r.number(8));
            break;
        case Kind::Bool:
            v = sdbus::Variant((r.byte() & 1) != 0);
            break;
        case Kind::Double: {
            const uint64_t bits = r.number(8);
            double d = 0;
            std::memcpy(&d, &bits, sizeof d);
            v = sdbus::Variant(d);
            break;
        }
        default:
            v = sdbus::Variant(std::vector<std::string>{r.text(r.byte() % 8), r.text(2)});
            break;
        }
        options.insert_or_assign(key, std::move(v));
        expected.insert_or_assign(key, e);
    }

    // The contract: timeout (u), application (s), port (u, at most 65535); nothing else. The
    // first offending key in the map's order is the one the error names.
    std::optional<std::string> first_bad;
    for (const auto& [key, e] : expected) {
        const bool good = (key == "timeout" && e.kind == Kind::U32) ||
                          (key == "application" && e.kind == Kind::Str) ||
                          (key == "port" && e.kind == Kind::U32 && e.number <= 65535);
        if (!good) {
            first_bad = key;
            break;
        }
    }
    auto inject = ntms::dbus::parse_inject_options(options);
    FUZZ_CHECK(inject.ok() == !first_bad);
    if (inject) {
        auto t = expected.find("timeout");
        FUZZ_CHECK(t == expected.end()
                       ? !inject->timeout_sec
                       : inject->timeout_sec == static_cast<uint32_t>(t->second.number));
        auto p = expected.find("port");
        FUZZ_CHECK(p == expected.end() ? !inject->port : inject->port == p->second.number);
        FUZZ_CHECK(inject->application == (expected.count("application") ? application : ""));
    } else {
        FUZZ_CHECK(inject.error().code == ntms::win32::InvalidParameter);
        FUZZ_CHECK(inject.error().message.find("'" + *first_bad + "'") != std::string::npos);
    }

    auto cancel = ntms::dbus::parse_cancel_options(options);
    FUZZ_CHECK(cancel.ok() == options.empty());
    if (!cancel)
        FUZZ_CHECK(cancel.error().code == ntms::win32::InvalidParameter);
    return 0;
}
