// How ntmsd's allocator is set up. Called once, before the first thread, by ntmsd's main() and by
// the benchmarks that measure ntmsd's memory, so that both measure the same daemon.
#pragma once

namespace ntms {

void tune_malloc();

} // namespace ntms
