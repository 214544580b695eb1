#include "daemon/malloc_tuning.hpp"

#include <malloc.h>

namespace ntms {

void tune_malloc() {
    // sd-bus reads each message whole into one buffer. Once glibc has freed one large block it
    // raises its mmap threshold, serves the next from its heap and keeps it there: a fixed
    // threshold makes every block of 1 MiB or more a mapping of its own, unmapped when freed.
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
    // glibc gives threads up to 8 arenas a core, each keeping what it freed. With a worker a
    // library, 64 libraries spread their start-up's buffers over 16 arenas on 2 cores.
    // bench_startup 64 x 10,000, peak RSS of the whole bench: 210 and 224 MB with glibc's
    // default, 176 MB with 4 arenas, 160 and 163 MB with 2, 163 MB with 1; first start and
    // restart within the runs' spread with 2 (1: the restart 15 % slower). The workers allocate
    // little once started; SQLite and SCSI, not malloc, are what they wait for.
    mallopt(M_ARENA_MAX, 2);
}

} // namespace ntms
