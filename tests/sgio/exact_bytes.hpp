// Byte buffers for parser tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace sgio::test {

using B = std::vector<uint8_t>;

// The bytes in a heap block of exactly their size, so that ASan reports any read past the end
// (a vector's spare capacity would hide it).
class Exact {
public:
    explicit Exact(std::span<const uint8_t> b)
        : p_(std::make_unique<uint8_t[]>(b.size())), n_(b.size()) {
        std::copy(b.begin(), b.end(), p_.get());
    }
    std::span<const uint8_t> span() const { return {p_.get(), n_}; }

private:
    std::unique_ptr<uint8_t[]> p_;
    size_t n_;
};

} // namespace sgio::test
