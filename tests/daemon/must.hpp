// The value of a result a test cannot go on without: a failure, and an exception that ends the
// test, when it is an error.
#pragma once

#include "daemon/status.hpp"

#include <gtest/gtest.h>
#include <stdexcept>
#include <utility>

namespace ntms::test {

template <typename T> T must(Expected<T> e, const char* what) {
    if (!e) {
        ADD_FAILURE() << what << ": " << e.error().message;
        throw std::runtime_error(what);
    }
    return std::move(e).value();
}

inline void must(Expected<void> e, const char* what) {
    if (!e) {
        ADD_FAILURE() << what << ": " << e.error().message;
        throw std::runtime_error(what);
    }
}

} // namespace ntms::test
