// The submitter's thread: tasks run one at a time in the order they came, the number waiting is
// bounded (a refused task is left to its caller), and stop() runs nothing more and drops what
// waits.
#include "dbus/submitter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <vector>

namespace ntms::dbus {
namespace {

TEST(Submitter, RunsTasksInTheOrderTheyCame) {
    Submitter s;
    std::vector<int> order;
    std::promise<void> last;
    for (int i = 0; i < 50; ++i) {
        std::function<void()> t = [&order, i] { order.push_back(i); };
        ASSERT_TRUE(s.submit(t));
    }
    std::function<void()> end = [&last] { last.set_value(); };
    ASSERT_TRUE(s.submit(end));
    last.get_future().wait();
    ASSERT_EQ(order.size(), 50u);
    for (size_t i = 0; i < order.size(); ++i)
        EXPECT_EQ(order[i], static_cast<int>(i));
}

TEST(Submitter, RefusesBeyondItsLimitAndLeavesTheTaskToTheCaller) {
    Submitter s(2);
    std::promise<void> release;
    std::shared_future<void> gate = release.get_future().share();
    std::promise<void> started;
    std::function<void()> blocker = [&started, gate] {
        started.set_value();
        gate.wait();
    };
    ASSERT_TRUE(s.submit(blocker));
    started.get_future().wait(); // running: no longer waiting
    std::atomic<int> ran{0};
    std::promise<void> both;
    std::function<void()> a = [&ran] { ++ran; };
    std::function<void()> b = [&ran, &both] {
        ++ran;
        both.set_value();
    };
    ASSERT_TRUE(s.submit(a));
    ASSERT_TRUE(s.submit(b));
    bool kept = false;
    std::function<void()> c = [&kept] { kept = true; };
    EXPECT_FALSE(s.submit(c));
    ASSERT_TRUE(c); // not taken: the caller still has it and answers Busy
    c();
    EXPECT_TRUE(kept);
    release.set_value();
    both.get_future().wait();
    EXPECT_EQ(ran.load(), 2);
    std::function<void()> d = [] {};
    EXPECT_TRUE(s.submit(d)); // room again once they ran
}

TEST(Submitter, StopDropsWhatWaitsAndRefusesMore) {
    Submitter s;
    std::promise<void> release;
    std::shared_future<void> gate = release.get_future().share();
    std::promise<void> started;
    std::function<void()> blocker = [&started, gate] {
        started.set_value();
        gate.wait();
    };
    ASSERT_TRUE(s.submit(blocker));
    started.get_future().wait();
    auto owned = std::make_shared<int>(7);
    std::weak_ptr<int> watch = owned;
    std::atomic<bool> ran{false};
    std::function<void()> waiting = [&ran, owned = std::move(owned)] { ran = true; };
    ASSERT_TRUE(s.submit(waiting));
    std::thread stopper([&] { s.stop(); });
    // stop() drops the waiting task (and what it holds) before it joins the running one.
    while (!watch.expired())
        std::this_thread::yield();
    release.set_value();
    stopper.join();
    EXPECT_FALSE(ran.load());
    std::function<void()> late = [] {};
    EXPECT_FALSE(s.submit(late));
}

} // namespace
} // namespace ntms::dbus
