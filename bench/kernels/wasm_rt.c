/* The few C library functions the kernels call, for wasm32-freestanding (no libc there).
 * memcpy/memmove/memset lower to the bulk-memory instructions memory.copy / memory.fill.
 * no_builtin keeps the compiler from turning the loops below back into calls to themselves.
 */
#include "bench.h"

#define RT __attribute__((no_builtin))

RT void *memcpy(void *dst, const void *src, size_t n) {
    return __builtin_memmove(dst, src, n);
}

RT void *memmove(void *dst, const void *src, size_t n) {
    return __builtin_memmove(dst, src, n);
}

RT void *memset(void *dst, int c, size_t n) {
    return __builtin_memset(dst, c, n);
}

RT void *memchr(const void *s, int c, size_t n) {
    const unsigned char *p = s;
    for (size_t i = 0; i < n; i++)
        if (p[i] == (unsigned char)c)
            return (void *)(p + i);
    return NULL;
}

RT int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *p = a, *q = b;
    for (size_t i = 0; i < n; i++)
        if (p[i] != q[i])
            return p[i] < q[i] ? -1 : 1;
    return 0;
}
