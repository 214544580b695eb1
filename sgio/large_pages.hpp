// An allocator for buffers of megabytes, the reply of a large library's READ ELEMENT STATUS (3.3
// MB at 64,535 slots): a block of 2 MiB or more is aligned to 2 MiB and offered to the kernel for
// transparent huge pages (madvise MADV_HUGEPAGE), so that its first use costs a page fault per 2
// MiB, not one per 4 KiB. Where the kernel has none to give, or THP is off, the block is an
// ordinary one. Smaller blocks come from operator new.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>
#include <sys/mman.h>

namespace sgio {

template <typename T> struct LargePageAllocator {
    using value_type = T;
    static constexpr std::size_t huge_page = std::size_t{2} << 20;

    LargePageAllocator() = default;
    template <typename U> LargePageAllocator(const LargePageAllocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        if (n > static_cast<std::size_t>(-1) / sizeof(T) - huge_page)
            throw std::bad_array_new_length();
        const std::size_t bytes = n * sizeof(T);
        if (bytes < huge_page)
            return static_cast<T*>(::operator new(bytes));
        const std::size_t size = (bytes + huge_page - 1) & ~(huge_page - 1);
        void* p = std::aligned_alloc(huge_page, size);
        if (!p)
            throw std::bad_alloc();
        (void)madvise(p, size, MADV_HUGEPAGE); // advice: ignored where THP is off
        return static_cast<T*>(p);
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (n * sizeof(T) < huge_page)
            ::operator delete(p);
        else
            std::free(p);
    }
    template <typename U> bool operator==(const LargePageAllocator<U>&) const noexcept {
        return true;
    }
};

} // namespace sgio
