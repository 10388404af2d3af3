/* Shared by every kernel: the export attribute and the C library calls the kernels use.
 *
 * The same sources build for riscv64-linux-musl (musl supplies the string functions) and for
 * wasm32-freestanding (wasm_rt.c supplies them). Integer results are masked to fit 2^53 so
 * that LuaJIT's doubles, Lua 5.4's integers and Python's ints all compute the same checksum.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Kept, exported by name, and never inlined into a caller. */
#define BENCH_EXPORT __attribute__((used, retain, noinline))

#ifdef __wasm__
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memchr(const void *s, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#else
#include <string.h>
#endif

#endif
