// Bounds on what one method call to ntmsd's objects may carry, checked on the raw message by an
// sd-bus filter. Filters run before sd-bus dispatches a call to an object, so before sdbus-c++
// deserialises its arguments: an a{sv} becomes a std::map of Variants, each a message of its
// own, and 200,000 options once held the bus thread for seconds and left 300 MB behind. The walk
// reads the message in place and stops at the first bound passed; the call is then answered
// with org.ntms.Ntms1.Error.InvalidParameter and no handler runs.
//
// What the bus thread can not avoid: sd-bus reads a whole message into one buffer before anyone
// sees it (up to its own ceiling of 128 MiB; the bus daemon's max_message_size, 32 MiB by
// default on dbus-daemon, passes less). RequestFilter reports each refusal, so that the loop can
// give that buffer back to the system once sd-bus has freed it.
#pragma once

#include "daemon/status.hpp"

#include <cstddef>
#include <cstdint>
#include <sdbus-c++/IConnection.h>
#include <systemd/sd-bus.h>

namespace ntms::dbus {

struct RequestLimits {
    // Entries of one a{sv} argument (MaxOptions=).
    uint32_t max_options = 32;
    // Its keys and values as marshalled, padding aside (MaxOptionBytes=).
    uint32_t max_option_bytes = 16384;
};

// No string argument of ntmsd's methods is longer than a GUID, a library name or an interface
// name; a string, object path or signature argument longer than this is refused.
inline constexpr size_t max_string_argument = 4096;

// Walks the arguments of m (a sealed message) from the start; InvalidParameter naming the bound
// passed. m is left rewound. A body sd-bus cannot read is not judged here: it passes, and
// sdbus-c++ refuses it as before (InvalidArgs).
Expected<void> check_arguments(sd_bus_message* m, const RequestLimits& limits);

class RequestFilter {
public:
    // Installs the filter for method calls to /org/ntms/Ntms1 and below. Throws sdbus::Error
    // when it cannot.
    RequestFilter(sdbus::IConnection& connection, RequestLimits limits);
    ~RequestFilter();
    RequestFilter(const RequestFilter&) = delete;
    RequestFilter& operator=(const RequestFilter&) = delete;

    // True once after a call was refused; the loop asks after each processed message, when the
    // refused message has been freed.
    bool take_refusal();

private:
    static int on_message(sd_bus_message* m, void* self, sd_bus_error* error) noexcept;

    RequestLimits limits_;
    sd_bus_slot* slot_ = nullptr;
    bool refused_ = false;
};

} // namespace ntms::dbus
