// The objects behind one kind of handle (sessions, notification channels), by handle. Handles are
// numbers drawn from one sequence for every kind and never reused: a closed handle stays invalid
// when a new one is opened afterwards, and a handle of one kind is never one of another.
#pragma once

#include <ntmsapi.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

namespace ntms::lib {

// The next handle number of the sequence.
uintptr_t new_handle_number();

template <typename T> class HandleTable {
public:
    HANDLE add(std::shared_ptr<T> object) {
        const uintptr_t h = new_handle_number();
        std::lock_guard lock(mutex_);
        objects_.emplace(h, std::move(object));
        return reinterpret_cast<HANDLE>(h);
    }

    std::shared_ptr<T> find(HANDLE h) const {
        std::lock_guard lock(mutex_);
        auto it = objects_.find(reinterpret_cast<uintptr_t>(h));
        return it == objects_.end() ? nullptr : it->second;
    }

    // The object, no longer found by its handle; null when the handle was not in the table.
    std::shared_ptr<T> remove(HANDLE h) {
        std::lock_guard lock(mutex_);
        auto it = objects_.find(reinterpret_cast<uintptr_t>(h));
        if (it == objects_.end())
            return nullptr;
        auto object = std::move(it->second);
        objects_.erase(it);
        return object;
    }

private:
    mutable std::mutex mutex_;
    std::map<uintptr_t, std::shared_ptr<T>> objects_;
};

} // namespace ntms::lib
