// When the bus lets go of the objects of ended jobs and answered operator requests: a time for
// each GUID, and the next one found at once. The bus thread asks for the next before every
// poll, so a walk over every object kept (an hour's ended jobs, thousands at a busy site) would
// be paid by every method call.
#pragma once

#include "daemon/guid.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace ntms::dbus {

class Expiries {
public:
    using Clock = std::chrono::steady_clock;

    // The time of id: set, or moved when it had one.
    void set(const Guid& id, Clock::time_point when) {
        auto [it, added] = by_id_.try_emplace(id, when);
        if (!added) {
            by_time_.erase({it->second, id});
            it->second = when;
        }
        by_time_.emplace(when, id);
    }
    bool contains(const Guid& id) const { return by_id_.count(id) != 0; }
    size_t size() const { return by_id_.size(); }

    // Those whose time has come by now, earliest first; they are forgotten here.
    std::vector<Guid> take_due(Clock::time_point now) {
        std::vector<Guid> due;
        while (!by_time_.empty() && by_time_.begin()->first <= now) {
            const Guid id = by_time_.begin()->second;
            by_time_.erase(by_time_.begin());
            by_id_.erase(id);
            due.push_back(id);
        }
        return due;
    }

    // Milliseconds from now until the next time (rounded up, at most an hour), or -1 when none.
    int next_ms(Clock::time_point now) const {
        if (by_time_.empty())
            return -1;
        const auto ms =
            std::chrono::ceil<std::chrono::milliseconds>(by_time_.begin()->first - now).count();
        return static_cast<int>(std::clamp<decltype(ms)>(ms, 0, 3600 * 1000));
    }

private:
    std::map<Guid, Clock::time_point> by_id_;
    std::set<std::pair<Clock::time_point, Guid>> by_time_;
};

} // namespace ntms::dbus
