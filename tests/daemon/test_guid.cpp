#include "daemon/guid.hpp"

#include <array>
#include <chrono>
#include <cstdlib>
#include <gtest/gtest.h>
#include <set>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <unordered_set>
#include <vector>

using ntms::Guid;

namespace {

constexpr const char* sample = "0123abcd-4567-89ef-a0b1-c2d3e4f5a6b7";

TEST(Guid, ParsesTheDashedForm) {
    auto g = Guid::parse(sample);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->bytes[0], 0x01);
    EXPECT_EQ(g->bytes[3], 0xcd);
    EXPECT_EQ(g->bytes[4], 0x45);
    EXPECT_EQ(g->bytes[15], 0xb7);
    EXPECT_EQ(g->str(), sample);
}

TEST(Guid, ParsesThe32DigitForm) {
    auto g = Guid::parse("0123abcd456789efa0b1c2d3e4f5a6b7");
    ASSERT_TRUE(g);
    EXPECT_EQ(g->str(), sample);
    EXPECT_EQ(g->hex(), "0123abcd456789efa0b1c2d3e4f5a6b7");
}

TEST(Guid, ParsesAnyCaseAndPrintsLowercase) {
    auto g = Guid::parse("0123ABCD-4567-89EF-A0B1-C2D3E4F5A6B7");
    ASSERT_TRUE(g);
    EXPECT_EQ(g->str(), sample);
    EXPECT_EQ(Guid::parse("0123ABCD456789EFa0b1c2d3e4f5a6b7"), g);
}

TEST(Guid, RejectsWrongLengths) {
    for (const char* bad :
         {"", "0", "0123abcd-4567-89ef-a0b1-c2d3e4f5a6b", // 35
          "0123abcd-4567-89ef-a0b1-c2d3e4f5a6b70",        // 37
          "0123abcd456789efa0b1c2d3e4f5a6b", "0123abcd456789efa0b1c2d3e4f5a6b7a",
          " 0123abcd-4567-89ef-a0b1-c2d3e4f5a6b7", "0123abcd-4567-89ef-a0b1-c2d3e4f5a6b7\n"})
        EXPECT_FALSE(Guid::parse(bad)) << '"' << bad << '"';
}

TEST(Guid, RejectsNonHexDigits) {
    for (const char* bad :
         {"0123abcg-4567-89ef-a0b1-c2d3e4f5a6b7", "0123abcd-4567-89ef-a0b1-c2d3e4f5a6bz",
          "x123abcd456789efa0b1c2d3e4f5a6b7", "0123abcd 4567 89ef a0b1 c2d3e4f5a6b7",
          "+123abcd456789efa0b1c2d3e4f5a6b7"})
        EXPECT_FALSE(Guid::parse(bad)) << bad;
    // A NUL inside the text is not a digit either.
    EXPECT_FALSE(Guid::parse(std::string_view("0123abcd456789ef\0a0b1c2d3e4f5a6b", 32)));
}

TEST(Guid, RejectsMisplacedDashes) {
    for (std::string_view bad :
         {"0123abc-d4567-89ef-a0b1-c2d3e4f5a6b7", "0123abcd-456-789ef-a0b1-c2d3e4f5a6b7",
          "0123abcd-4567-89efa-0b1-c2d3e4f5a6b7", "0123abcd-4567-89ef-a0b1c-2d3e4f5a6b7",
          "0123abcdf4567f89effa0b1fc2d3e4f5a6b7", "-0123abcd4567-89ef-a0b1-c2d3e4f5a6b7",
          "0123abcd-456789ef-a0b1-c2d3e4f5a6b7x", "0123abcd-4567-89ef-a0b1-c2d3e4f5a6-7"}) {
        ASSERT_EQ(bad.size(), 36u) << bad; // the right length: only the dashes are wrong
        EXPECT_FALSE(Guid::parse(bad)) << bad;
    }
    EXPECT_FALSE(Guid::parse("0123abcd456789efa0b1c2d3e4f5a6-7")); // a dash in the short form
}

TEST(Guid, RejectsBraces) {
    EXPECT_FALSE(Guid::parse("{0123abcd-4567-89ef-a0b1-c2d3e4f5a6b7}"));
    EXPECT_FALSE(Guid::parse("{0123abcd-4567-89ef-a0b1-c2d3e4f5a6}"));
    EXPECT_FALSE(Guid::parse("{0123abcd456789efa0b1c2d3e4f5a6b7}"));
}

TEST(Guid, StrAndHexRoundTrip) {
    for (int i = 0; i < 100; ++i) {
        const Guid g = Guid::random();
        const std::string s = g.str();
        ASSERT_EQ(s.size(), 36u);
        EXPECT_EQ(Guid::parse(s), g);
        const std::string h = g.hex();
        ASSERT_EQ(h.size(), 32u);
        EXPECT_EQ(Guid::parse(h), g);
        EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos) << h;
    }
}

TEST(Guid, NullGuid) {
    Guid null;
    EXPECT_TRUE(null.is_null());
    EXPECT_EQ(null.str(), "00000000-0000-0000-0000-000000000000");
    EXPECT_EQ(Guid::parse("00000000000000000000000000000000"), null);
    EXPECT_FALSE(Guid::parse(sample)->is_null());
}

TEST(Guid, RandomIsVersion4AndDistinct) {
    std::set<Guid> seen;
    for (int i = 0; i < 1000; ++i) {
        const Guid g = Guid::random();
        EXPECT_EQ(g.bytes[6] >> 4, 4) << g.str();      // version 4
        EXPECT_EQ(g.bytes[8] & 0xc0, 0x80) << g.str(); // RFC 4122 variant
        EXPECT_EQ(g.str()[14], '4') << g.str();
        EXPECT_FALSE(g.is_null());
        EXPECT_TRUE(seen.insert(g).second) << "duplicate " << g.str();
    }
}

// A child of fork() does not hand out the GUIDs its parent is about to: both draw from a pool of
// random bytes, and the child's is thrown away. Without that, both would make the same next GUID.
TEST(Guid, AChildOfForkMakesOtherGuidsThanItsParent) {
    (void)Guid::random(); // the parent's pool is filled
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::array<Guid, 8> child;
        for (auto& g : child)
            g = Guid::random();
        const ssize_t n = write(fds[1], child.data(), sizeof(child));
        _exit(n == static_cast<ssize_t>(sizeof(child)) ? 0 : 1);
    }
    close(fds[1]);
    std::array<Guid, 8> parent, child;
    for (auto& g : parent)
        g = Guid::random();
    ASSERT_EQ(read(fds[0], child.data(), sizeof(child)), static_cast<ssize_t>(sizeof(child)));
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    std::set<Guid> all(parent.begin(), parent.end());
    all.insert(child.begin(), child.end());
    EXPECT_EQ(all.size(), 16u);
    EXPECT_EQ(child[0].bytes[6] >> 4, 4);
}

// Many GUIDs from several threads at once (each with its own pool): all distinct.
TEST(Guid, ThreadsMakeDistinctGuids) {
    constexpr int per_thread = 3000;
    std::array<std::vector<Guid>, 4> made;
    std::vector<std::thread> threads;
    for (auto& v : made)
        threads.emplace_back([&v] {
            for (int i = 0; i < per_thread; ++i)
                v.push_back(i % 2 ? Guid::random() : Guid::time_ordered());
        });
    for (auto& t : threads)
        t.join();
    std::set<Guid> all;
    for (const auto& v : made)
        all.insert(v.begin(), v.end());
    EXPECT_EQ(all.size(), 4u * per_thread);
}

TEST(Guid, HashAndOrderFollowTheBytes) {
    const Guid a = *Guid::parse(sample);
    const Guid b = *Guid::parse("0123abcd-4567-89ef-a0b1-c2d3e4f5a6b8");
    EXPECT_LT(a, b);
    EXPECT_NE(a, b);
    std::hash<Guid> h;
    EXPECT_EQ(h(a), h(*Guid::parse(sample)));
    std::unordered_set<Guid> set{a, b, *Guid::parse(sample)};
    EXPECT_EQ(set.size(), 2u);
    // Distinct values rarely share a hash.
    std::unordered_set<size_t> hashes;
    for (int i = 0; i < 1000; ++i)
        hashes.insert(h(Guid::random()));
    EXPECT_GT(hashes.size(), 990u);
}

} // namespace

TEST(Guid, TimeOrderedIsVersion7DistinctAndSortsByTime) {
    std::set<std::string> seen;
    std::string previous;
    for (int i = 0; i < 50; ++i) {
        const std::string s = Guid::time_ordered().str();
        EXPECT_EQ(s[14], '7') << s;                                                   // version
        EXPECT_NE(std::string_view("89ab").find(s[19]), std::string_view::npos) << s; // variant
        EXPECT_TRUE(seen.insert(s).second) << s;
        if (i % 10 == 0) {
            // A later millisecond sorts after, as text (the catalogue's key) and as bytes.
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            const std::string later = Guid::time_ordered().str();
            EXPECT_LT(s, later);
            EXPECT_LT(*Guid::parse(s), *Guid::parse(later));
        }
    }
    // The first 48 bits are the Unix time in milliseconds.
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const Guid g = Guid::time_ordered();
    int64_t ms = 0;
    for (int i = 0; i < 6; ++i)
        ms = ms << 8 | g.bytes[static_cast<size_t>(i)];
    EXPECT_LE(std::llabs(ms - now), 1000);
}
