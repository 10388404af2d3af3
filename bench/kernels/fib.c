/* Recursive Fibonacci: calls, returns and stack traffic. Checksum: fib(n). */
#include "bench.h"

static int64_t fib(int64_t n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

BENCH_EXPORT int64_t bench_fib(int64_t n) {
    return fib(n);
}
