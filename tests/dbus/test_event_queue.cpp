// The queue of domain events on their way to the bus thread: each push makes its descriptor
// readable, except under a Hold, where what the thread pushes makes it readable once, when the
// thread's last Hold ends; take() gives every event in order and clears the descriptor.
#include "dbus/event_queue.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <thread>

namespace ntms::dbus {
namespace {

bool readable(const EventQueue& q) {
    pollfd p{q.fd(), POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

JobRecord job_of(int n) {
    JobRecord r;
    r.id = Guid::random();
    r.media_moved = static_cast<uint32_t>(n);
    return r;
}

TEST(EventQueue, EachPushWakesTheBusThread) {
    EventQueue q;
    EXPECT_FALSE(readable(q));
    q.job_added(job_of(1));
    EXPECT_TRUE(readable(q));
    EXPECT_EQ(q.take().size(), 1u);
    EXPECT_FALSE(readable(q));
}

TEST(EventQueue, UnderAHoldTheEventsAndTheReplyWakeItOnceAtTheEnd) {
    EventQueue q;
    int ran = 0;
    {
        EventQueue::Hold outer;
        q.job_added(job_of(1));
        {
            EventQueue::Hold inner;
            q.job_changed(job_of(2));
        }
        EXPECT_FALSE(readable(q)); // the outer Hold still lives
        q.post([&ran] { ++ran; });
        EXPECT_FALSE(readable(q));
    }
    EXPECT_TRUE(readable(q));
    auto events = q.take();
    ASSERT_EQ(events.size(), 3u);
    ASSERT_TRUE(std::holds_alternative<JobAdded>(events[0]));
    EXPECT_EQ(std::get<JobAdded>(events[0]).job.media_moved, 1u);
    ASSERT_TRUE(std::holds_alternative<JobChanged>(events[1]));
    ASSERT_TRUE(std::holds_alternative<BusTask>(events[2]));
    std::get<BusTask>(events[2]).run();
    EXPECT_EQ(ran, 1);
    EXPECT_FALSE(readable(q));
}

// A Hold is the thread's own: another thread's pushes wake the bus thread at once meanwhile.
TEST(EventQueue, AHoldDelaysOnlyItsOwnThreadsPushes) {
    EventQueue q;
    EventQueue::Hold here;
    std::thread([&q] { q.job_added(job_of(1)); }).join();
    EXPECT_TRUE(readable(q));
    EXPECT_EQ(q.take().size(), 1u);
    q.job_added(job_of(2));
    EXPECT_FALSE(readable(q));
}

// Pushes to two queues under one Hold: each is woken, neither is forgotten.
TEST(EventQueue, AHoldOverTwoQueuesWakesBoth) {
    EventQueue a, b;
    {
        EventQueue::Hold together;
        a.job_added(job_of(1));
        b.job_added(job_of(2));
    }
    EXPECT_TRUE(readable(a));
    EXPECT_TRUE(readable(b));
}

} // namespace
} // namespace ntms::dbus
