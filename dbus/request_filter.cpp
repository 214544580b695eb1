#include "request_filter.hpp"

#include "daemon/journal.hpp"
#include "dbus/context.hpp"
#include "dbus/errors.hpp"
#include "dbus/raw_bus.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <sdbus-c++/Error.h>
#include <string_view>

namespace ntms::dbus {

namespace {

// Containers nest at most 64 deep in a valid message (32 arrays, 32 structs); a variant could
// nest further, and the walk recurses, so it stops there.
constexpr unsigned max_depth = 64;

// Marshalled size of a fixed-size basic type; 0 for any other type.
size_t fixed_size(char type) {
    switch (type) {
    case 'y':
        return 1;
    case 'n':
    case 'q':
        return 2;
    case 'b':
    case 'i':
    case 'u':
    case 'h':
        return 4;
    case 'x':
    case 't':
    case 'd':
        return 8;
    default:
        return 0;
    }
}

// The element types sd_bus_message_read_array() hands out in place (not 'h').
bool is_trivial(char type) {
    return type != 'h' && fixed_size(type) > 0;
}

enum class Walk { Done, Over, Unreadable };

struct Budget {
    uint64_t used = 0;
    uint64_t limit = 0;
    bool charge(uint64_t n) {
        used += n;
        return used <= limit;
    }
};

// Reads the value of the given type at the cursor, charging its marshalled size; stops as soon
// as the budget is passed.
Walk measure(sd_bus_message* m, char type, const char* contents, Budget& budget, unsigned depth) {
    if (const size_t size = fixed_size(type)) {
        const char types[] = {type, '\0'};
        if (sd_bus_message_skip(m, types) < 0)
            return Walk::Unreadable;
        return budget.charge(size) ? Walk::Done : Walk::Over;
    }
    if (type == 's' || type == 'o' || type == 'g') {
        const char* text = nullptr;
        if (sd_bus_message_read_basic(m, type, &text) < 0 || !text)
            return Walk::Unreadable;
        // A length (4 bytes; 1 for a signature) and a NUL around the text.
        return budget.charge(std::strlen(text) + (type == 'g' ? 2 : 5)) ? Walk::Done : Walk::Over;
    }
    if (depth >= max_depth)
        return Walk::Over;
    if (type == 'a' && contents && contents[0] && !contents[1] && is_trivial(contents[0])) {
        // Read in place at once, however long.
        const void* data = nullptr;
        size_t size = 0;
        const int r = sd_bus_message_read_array(m, contents[0], &data, &size);
        if (r >= 0)
            return budget.charge(4 + size) ? Walk::Done : Walk::Over;
        if (r != -EOPNOTSUPP) // the sender's byte order is not ours: element by element below
            return Walk::Unreadable;
    }
    if (sd_bus_message_enter_container(m, type, contents) <= 0)
        return Walk::Unreadable;
    const uint64_t head = type == 'a' ? 4 : type == 'v' ? std::strlen(contents) + 2 : 0;
    if (!budget.charge(head))
        return Walk::Over;
    for (;;) {
        char t = 0;
        const char* c = nullptr;
        const int r = sd_bus_message_peek_type(m, &t, &c);
        if (r < 0)
            return Walk::Unreadable;
        if (r == 0)
            break;
        const Walk w = measure(m, t, c, budget, depth + 1);
        if (w != Walk::Done)
            return w;
    }
    return sd_bus_message_exit_container(m) < 0 ? Walk::Unreadable : Walk::Done;
}

// One a{sv} argument, counted and measured entry by entry. true when it was read to its end.
Expected<bool> check_options(sd_bus_message* m, const RequestLimits& limits, unsigned arg) {
    if (sd_bus_message_enter_container(m, 'a', "{sv}") <= 0)
        return false;
    Budget budget{0, limits.max_option_bytes};
    uint64_t entries = 0;
    for (;;) {
        char t = 0;
        const char* c = nullptr;
        const int r = sd_bus_message_peek_type(m, &t, &c);
        if (r < 0)
            return false;
        if (r == 0)
            break;
        if (++entries > limits.max_options)
            return fail(win32::InvalidParameter,
                        fmt::format("argument {} has more than {} options (MaxOptions= in "
                                    "ntmsd.conf)",
                                    arg, limits.max_options));
        switch (measure(m, t, c, budget, 1)) {
        case Walk::Done:
            break;
        case Walk::Over:
            return fail(win32::InvalidParameter,
                        fmt::format("the options of argument {} are larger than {} bytes "
                                    "(MaxOptionBytes= in ntmsd.conf)",
                                    arg, limits.max_option_bytes));
        case Walk::Unreadable:
            return false;
        }
    }
    return sd_bus_message_exit_container(m) >= 0;
}

bool is_ours(const char* path) {
    if (!path)
        return false;
    const std::string_view p(path), root(root_path);
    return p.substr(0, root.size()) == root && (p.size() == root.size() || p[root.size()] == '/');
}

const char* or_unknown(const char* s) {
    return s ? s : "?";
}

void note_refusal(sd_bus_message* m, const std::string& why) noexcept {
    try {
        log(LOG_WARNING, fmt::format("D-Bus: refused {}.{} from {}: {}",
                                     or_unknown(sd_bus_message_get_interface(m)),
                                     or_unknown(sd_bus_message_get_member(m)),
                                     or_unknown(sd_bus_message_get_sender(m)), why));
    } catch (...) {
    }
}

} // namespace

Expected<void> check_arguments(sd_bus_message* m, const RequestLimits& limits) {
    Expected<void> verdict;
    if (sd_bus_message_rewind(m, 1) < 0)
        return verdict;
    for (unsigned arg = 1;; ++arg) {
        char t = 0;
        const char* c = nullptr;
        if (sd_bus_message_peek_type(m, &t, &c) <= 0)
            break;
        if (t == 'a' && c && std::strcmp(c, "{sv}") == 0) {
            auto read = check_options(m, limits, arg);
            if (!read) {
                verdict = std::move(read).error();
                break;
            }
            if (!*read)
                break;
        } else if (t == 's' || t == 'o' || t == 'g') {
            const char* text = nullptr;
            if (sd_bus_message_read_basic(m, t, &text) < 0 || !text)
                break;
            if (std::strlen(text) > max_string_argument) {
                verdict =
                    fail(win32::InvalidParameter, fmt::format("argument {} is longer than {} bytes",
                                                              arg, max_string_argument));
                break;
            }
        } else if (sd_bus_message_skip(m, nullptr) < 0) {
            break;
        }
    }
    (void)sd_bus_message_rewind(m, 1);
    return verdict;
}

RequestFilter::RequestFilter(sdbus::IConnection& connection, RequestLimits limits)
    : limits_(limits) {
    const int r = sd_bus_add_filter(raw_bus(connection), &slot_, &RequestFilter::on_message, this);
    if (r < 0)
        throw sdbus::createError(-r, "cannot install the D-Bus request filter");
}

RequestFilter::~RequestFilter() {
    sd_bus_slot_unref(slot_);
}

bool RequestFilter::take_refusal() {
    const bool was = refused_;
    refused_ = false;
    return was;
}

int RequestFilter::on_message(sd_bus_message* m, void* self, sd_bus_error* /*error*/) noexcept {
    uint8_t type = 0;
    if (sd_bus_message_get_type(m, &type) < 0 || type != SD_BUS_MESSAGE_METHOD_CALL ||
        !is_ours(sd_bus_message_get_path(m)))
        return 0;
    auto* filter = static_cast<RequestFilter*>(self);
    try {
        const auto verdict = check_arguments(m, filter->limits_);
        if (verdict)
            return 0;
        filter->refused_ = true;
        const std::string name = error_name(verdict.error().code);
        const sd_bus_error e{name.c_str(), verdict.error().message.c_str(), 0};
        (void)sd_bus_reply_method_error(m, &e);
        note_refusal(m, verdict.error().message);
        return 1; // handled: no object sees the call
    } catch (...) {
        // Out of memory while judging: the call goes on to sdbus-c++, as without the filter.
        (void)sd_bus_message_rewind(m, 1);
        return 0;
    }
}

} // namespace ntms::dbus
