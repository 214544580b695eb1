// What sdbus-c++ 1.2.0 keeps to itself of sd-bus: the sd_bus_message inside a Message and the
// sd_bus of a connection. ntmsd needs them to look at a request before sdbus-c++ copies its
// arguments (dbus/request_filter.hpp). Both pointers are borrowed: valid while the Message, or
// the connection, lives.
#pragma once

#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/Message.h>
#include <systemd/sd-bus.h>

namespace ntms::dbus {

sd_bus_message* raw_message(const sdbus::Message& m);
// Throws sdbus::Error when the connection cannot make a message.
sd_bus* raw_bus(sdbus::IConnection& connection);

} // namespace ntms::dbus
