// The removal times of the bus's ended jobs and answered requests: the next time is the earliest
// of all, a time set again replaces the first, and what is due is handed out once, earliest first.
#include "dbus/expiries.hpp"

#include <gtest/gtest.h>

namespace ntms::dbus {
namespace {

using namespace std::chrono_literals;
using Clock = Expiries::Clock;

TEST(Expiries, NothingKeptMeansNoTimeout) {
    Expiries e;
    EXPECT_EQ(e.next_ms(Clock::now()), -1);
    EXPECT_TRUE(e.take_due(Clock::now()).empty());
}

TEST(Expiries, TheNextIsTheEarliestWhateverTheOrderTheyCame) {
    Expiries e;
    const auto t0 = Clock::now();
    const Guid late = Guid::random(), early = Guid::random(), middle = Guid::random();
    e.set(late, t0 + 3000ms);
    e.set(early, t0 + 1000ms);
    e.set(middle, t0 + 2000ms);
    EXPECT_EQ(e.size(), 3u);
    EXPECT_EQ(e.next_ms(t0), 1000);
    EXPECT_EQ(e.next_ms(t0 + 999ms + 500us), 1); // rounded up: the poll never wakes too soon
    EXPECT_TRUE(e.take_due(t0 + 999ms).empty());
    const auto due = e.take_due(t0 + 2500ms);
    ASSERT_EQ(due.size(), 2u);
    EXPECT_EQ(due[0], early);
    EXPECT_EQ(due[1], middle);
    EXPECT_FALSE(e.contains(early));
    EXPECT_TRUE(e.contains(late));
    EXPECT_EQ(e.next_ms(t0 + 2500ms), 500);
    EXPECT_EQ(e.take_due(t0 + 3000ms), std::vector<Guid>{late});
    EXPECT_EQ(e.size(), 0u);
    EXPECT_EQ(e.next_ms(t0 + 3000ms), -1);
}

TEST(Expiries, ATimeSetAgainReplacesTheFirst) {
    Expiries e;
    const auto t0 = Clock::now();
    const Guid id = Guid::random();
    e.set(id, t0 + 1000ms);
    e.set(id, t0 + 5000ms);
    EXPECT_EQ(e.size(), 1u);
    EXPECT_EQ(e.next_ms(t0), 5000);
    EXPECT_TRUE(e.take_due(t0 + 1000ms).empty());
    EXPECT_EQ(e.take_due(t0 + 5000ms).size(), 1u);
}

TEST(Expiries, AFarTimeWaitsAnHourAtMost) {
    Expiries e;
    const auto t0 = Clock::now();
    e.set(Guid::random(), t0 + 48h);
    EXPECT_EQ(e.next_ms(t0), 3600 * 1000);
}

} // namespace
} // namespace ntms::dbus
