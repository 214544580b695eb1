// The request filter's walk over a raw message: an option dictionary is counted and measured
// entry by entry, refused at the first entry or byte over its bound, and a long string argument
// is refused; anything within the bounds passes untouched, with the message rewound for
// sdbus-c++. Messages are built and sealed by sd-bus itself on an unconnected bus.
#include "dbus/request_filter.hpp"

#include <cstring>
#include <functional>
#include <gtest/gtest.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace ntms::dbus {
namespace {

// An sd_bus that never connects: enough for sd-bus to build and seal messages.
class RawBus {
public:
    RawBus() {
        int fds[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
            throw std::runtime_error("socketpair");
        peer_ = fds[1];
        if (sd_bus_new(&bus_) < 0 || sd_bus_set_fd(bus_, fds[0], fds[0]) < 0 ||
            sd_bus_start(bus_) < 0)
            throw std::runtime_error("sd_bus");
    }
    ~RawBus() {
        for (auto* m : messages_)
            sd_bus_message_unref(m);
        sd_bus_close_unref(bus_); // no flush: it would wait for a peer that never answers
        close(peer_);
    }
    RawBus(const RawBus&) = delete;
    RawBus& operator=(const RawBus&) = delete;

    // A sealed InjectMedia call: "sus" then whatever body() appends.
    sd_bus_message* call(const std::function<void(sd_bus_message*)>& body,
                         const std::string& library = "lib") {
        sd_bus_message* m = nullptr;
        EXPECT_GE(sd_bus_message_new_method_call(bus_, &m, "org.ntms.Ntms1", "/org/ntms/Ntms1",
                                                 "org.ntms.Ntms1.Manager", "InjectMedia"),
                  0);
        EXPECT_GE(sd_bus_message_append(m, "sus", library.c_str(), 0u, ""), 0);
        body(m);
        EXPECT_GE(sd_bus_message_seal(m, ++cookie_, 0), 0);
        messages_.push_back(m);
        return m;
    }

private:
    sd_bus* bus_ = nullptr;
    int peer_ = -1;
    uint64_t cookie_ = 0;
    std::vector<sd_bus_message*> messages_;
};

// n options "kNNN" of type u.
void numbered_options(sd_bus_message* m, uint32_t n) {
    ASSERT_GE(sd_bus_message_open_container(m, 'a', "{sv}"), 0);
    for (uint32_t i = 0; i < n; ++i) {
        const std::string key = "k" + std::to_string(i);
        ASSERT_GE(sd_bus_message_append(m, "{sv}", key.c_str(), "u", i), 0);
    }
    ASSERT_GE(sd_bus_message_close_container(m), 0);
}

// One option "k" whose value is a string of n bytes: 6 (key) + 3 (variant signature) + n + 5.
void one_string_option(sd_bus_message* m, size_t n) {
    const std::string value(n, 'x');
    ASSERT_GE(sd_bus_message_append(m, "a{sv}", 1, "k", "s", value.c_str()), 0);
}

std::string first_type(sd_bus_message* m) {
    char t = 0;
    const char* c = nullptr;
    EXPECT_GT(sd_bus_message_peek_type(m, &t, &c), 0);
    return std::string(1, t);
}

constexpr RequestLimits limits{8, 2048};

TEST(RequestFilter, OrdinaryOptionsPassAndTheMessageIsRewound) {
    RawBus bus;
    auto* m = bus.call([](sd_bus_message* msg) {
        ASSERT_GE(sd_bus_message_append(msg, "a{sv}", 3, "timeout", "u", 60u, "application", "s",
                                        "backup", "port", "u", 101u),
                  0);
    });
    EXPECT_TRUE(check_arguments(m, limits));
    EXPECT_EQ(first_type(m), "s");
    // What sdbus-c++ reads next is the whole call, from its first argument.
    const char* library = nullptr;
    ASSERT_GE(sd_bus_message_read_basic(m, 's', &library), 0);
    EXPECT_STREQ(library, "lib");
}

TEST(RequestFilter, CountIsCheckedAtTheBound) {
    RawBus bus;
    EXPECT_TRUE(check_arguments(bus.call([](auto* m) { numbered_options(m, 8); }), limits));
    auto* over = bus.call([](auto* m) { numbered_options(m, 9); });
    const auto r = check_arguments(over, limits);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::InvalidParameter);
    EXPECT_EQ(r.error().message, "argument 4 has more than 8 options (MaxOptions= in ntmsd.conf)");
    EXPECT_EQ(first_type(over), "s");
}

TEST(RequestFilter, BytesAreCheckedAtTheBound) {
    RawBus bus;
    EXPECT_TRUE(
        check_arguments(bus.call([](auto* m) { one_string_option(m, 2048 - 14); }), limits));
    const auto r =
        check_arguments(bus.call([](auto* m) { one_string_option(m, 2048 - 13); }), limits);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, win32::InvalidParameter);
    EXPECT_EQ(r.error().message,
              "the options of argument 4 are larger than 2048 bytes (MaxOptionBytes= in "
              "ntmsd.conf)");
}

TEST(RequestFilter, NestedValuesAreMeasured) {
    RawBus bus;
    // One option holding 1,000 strings: few entries, many bytes.
    auto* strings = bus.call([](sd_bus_message* m) {
        ASSERT_GE(sd_bus_message_open_container(m, 'a', "{sv}"), 0);
        ASSERT_GE(sd_bus_message_open_container(m, 'e', "sv"), 0);
        ASSERT_GE(sd_bus_message_append(m, "s", "list"), 0);
        ASSERT_GE(sd_bus_message_open_container(m, 'v', "as"), 0);
        ASSERT_GE(sd_bus_message_open_container(m, 'a', "s"), 0);
        for (int i = 0; i < 1000; ++i)
            ASSERT_GE(sd_bus_message_append(m, "s", "item"), 0);
        for (int i = 0; i < 4; ++i)
            ASSERT_GE(sd_bus_message_close_container(m), 0);
    });
    EXPECT_FALSE(check_arguments(strings, limits));
    // A byte array is measured in place, however long.
    auto* bytes = bus.call([](sd_bus_message* m) {
        const std::string blob(1 << 20, 'b');
        ASSERT_GE(sd_bus_message_open_container(m, 'a', "{sv}"), 0);
        ASSERT_GE(sd_bus_message_open_container(m, 'e', "sv"), 0);
        ASSERT_GE(sd_bus_message_append(m, "s", "blob"), 0);
        ASSERT_GE(sd_bus_message_open_container(m, 'v', "ay"), 0);
        ASSERT_GE(sd_bus_message_append_array(m, 'y', blob.data(), blob.size()), 0);
        for (int i = 0; i < 3; ++i)
            ASSERT_GE(sd_bus_message_close_container(m), 0);
    });
    const auto r = check_arguments(bytes, limits);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("MaxOptionBytes="), std::string::npos);
    // Variants in variants, within the bounds: read to the end and passed.
    auto* nested = bus.call([](sd_bus_message* m) {
        ASSERT_GE(sd_bus_message_append(m, "a{sv}", 1, "deep", "v", "v", "(us)", 7u, "seven"), 0);
    });
    EXPECT_TRUE(check_arguments(nested, limits));
}

TEST(RequestFilter, LongStringArgumentIsRefused) {
    RawBus bus;
    EXPECT_TRUE(check_arguments(
        bus.call([](auto* m) { numbered_options(m, 0); }, std::string(max_string_argument, 'a')),
        limits));
    const auto r = check_arguments(bus.call([](auto* m) { numbered_options(m, 0); },
                                            std::string(max_string_argument + 1, 'a')),
                                   limits);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "argument 1 is longer than 4096 bytes");
}

TEST(RequestFilter, TwoHundredThousandOptionsAreRefusedAtTheFirstOneOver) {
    RawBus bus;
    auto* m = bus.call([](auto* msg) { numbered_options(msg, 200000); });
    const auto r = check_arguments(m, RequestLimits{});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "argument 4 has more than 32 options (MaxOptions= in ntmsd.conf)");
}

} // namespace
} // namespace ntms::dbus
