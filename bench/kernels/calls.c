/* Call-cost targets: functions with 0, 3 and 8 integer arguments; bench_nop, with a kernel's
 * signature, whose time is a runtime's cost of calling a kernel; and a loop that calls the
 * host N times (riscv64: ecall with a7 = 0x10000 + BENCH_HOST_ADD; wasm: an import).
 * Checksum of bench_hostcall: sum of 0..n-1 (host_add(s, i) returns s + i).
 */
#include "bench.h"

#define BENCH_HOST_ADD 0x7A0 /* host function number; bench/runtimes.py registers it */

BENCH_EXPORT int64_t bench_nop(int64_t n) {
    return n;
}

BENCH_EXPORT int64_t bench_call0(void) {
    return 1;
}

BENCH_EXPORT int64_t bench_call3(int64_t a, int64_t b, int64_t c) {
    return a + b + c;
}

BENCH_EXPORT int64_t bench_call8(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e,
                                 int64_t f, int64_t g, int64_t h) {
    return a + b + c + d + e + f + g + h;
}

#ifdef __wasm__
__attribute__((import_module("env"), import_name("host_add"))) int64_t host_add(int64_t a,
                                                                                int64_t b);
#else
static inline int64_t host_add(int64_t a, int64_t b) {
    register int64_t a0 __asm__("a0") = a;
    register int64_t a1 __asm__("a1") = b;
    register int64_t a7 __asm__("a7") = 0x10000 + BENCH_HOST_ADD;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a7) : "memory");
    return a0;
}
#endif

BENCH_EXPORT int64_t bench_hostcall(int64_t n) {
    int64_t s = 0;
    for (int64_t i = 0; i < n; i++)
        s = host_add(s, i);
    return s;
}
