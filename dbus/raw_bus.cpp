#include "raw_bus.hpp"

#include "dbus/context.hpp"

#include <sdbus-c++/IObject.h>

namespace ntms::dbus {

namespace {

// A pointer to a protected member, formed in a class derived from its owner, may be applied to
// any object of the owner: the standard way in, without changing sdbus-c++. Never instantiated.
struct MessageInside : sdbus::Message {
    static constexpr void* sdbus::Message::*handle = &MessageInside::msg_;
};

} // namespace

sd_bus_message* raw_message(const sdbus::Message& m) {
    return static_cast<sd_bus_message*>(m.*MessageInside::handle);
}

sd_bus* raw_bus(sdbus::IConnection& connection) {
    // A message made on the connection knows its bus. This one is never sent, and the object
    // never registers anything: it is dropped at the end of this function.
    auto object = sdbus::createObject(connection, root_path);
    const sdbus::Signal probe = object->createSignal(bus::service, "Probe");
    return sd_bus_message_get_bus(raw_message(probe));
}

} // namespace ntms::dbus
