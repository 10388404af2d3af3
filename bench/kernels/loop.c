/* An integer loop: multiply, add, shift, mask and a data-dependent branch per iteration.
 * A 32-bit LCG (multiplier < 2^21, so x * a stays exact in a double) drives the branch.
 * Checksum: the accumulator mod 2^32.
 */
#include "bench.h"

BENCH_EXPORT int64_t bench_loop(int64_t n) {
    uint32_t x = 1;
    uint64_t acc = 0;
    for (int64_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        uint32_t hi = x >> 16;
        if (hi & 1)
            acc += hi;
        else
            acc += (uint64_t)(i & 1023) * 3;
        acc &= 0xFFFFFFFFu;
    }
    return (int64_t)acc;
}
