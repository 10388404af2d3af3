/* Exported functions for vmcall, host-call and snapshot tests. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((used, retain, noinline))

static long hostcall2(long number, long a, long b)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a7 __asm__("a7") = 0x10000 + number;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a7) : "memory");
    return a0;
}

static long counter;
static char *journal;
static size_t journal_len;

EXPORT long bump(long by) { counter += by; return counter; }

EXPORT long add3(long a, long b, long c) { return a + 2 * b + 3 * c; }

EXPORT double scale(double v, long k) { return v * (double)k + 0.25; }

/* FNV-1a of a buffer passed as pointer + length. */
EXPORT uint64_t fnv(const unsigned char *p, long n)
{
    uint64_t h = 1469598103934665603ull;
    for (long i = 0; i < n; i++) { h ^= p[i]; h *= 1099511628211ull; }
    return h;
}

/* Appends to a heap journal: state that lives in malloc'd memory between calls. */
EXPORT long remember(const char *p, long n)
{
    journal = realloc(journal, journal_len + n + 1);
    memcpy(journal + journal_len, p, n);
    journal_len += n;
    journal[journal_len] = 0;
    printf("journal=%s\n", journal);
    fflush(stdout); /* stdout is not a tty: fully buffered */
    return (long)journal_len;
}

EXPORT long spin(long n)
{
    volatile long acc = 0;
    for (long i = 0; i < n; i++) acc += i;
    return acc;
}

EXPORT long square(long v) { return v * v; }

/* Asks the host (call 1: add) and the host may call back into square(). */
EXPORT long ask_host(long a, long b) { return hostcall2(1, a, b) + 1; }

/* Passes a string to host call 2 (log). */
EXPORT long log_text(const char *p, long n) { return hostcall2(2, (long)p, n); }

EXPORT long unknown_host(void) { return hostcall2(999, 0, 0); }

EXPORT long poke(long addr) { *(volatile long *)addr = 1; return 0; }

/* For entries (prepared calls) taking every way out: nested calls, recursion, floats, a load
   that may fault, an exit from inside a call. */
EXPORT long twice(long v) { return square(v) + square(v + 1); }

EXPORT long deep(long n) { return n <= 1 ? n : deep(n - 1) + deep(n - 2); }

static double weights[8] = {0.5, 1.25, 2.0, 3.5, -1.0, 0.125, 9.0, 7.75};

EXPORT long fsum(long n)
{
    double s = 0;
    for (long i = 0; i < n; i++) s += weights[i & 7] * (double)i;
    return (long)s;
}

static long table[4] = {11, 22, 33, 44};

EXPORT long pick(long i) { return table[i]; }

EXPORT long leave(long status) { exit((int)status); }

/* A computed jump (a switch's table) right after a call, before a0 is read again. */
EXPORT long after_call_switch(long k)
{
    long v = square(k);
    switch (k & 7) {
    case 0: return v + 11;
    case 1: return v + 23;
    case 2: return v - 5;
    case 3: return v * 2;
    case 4: return v ^ 99;
    case 5: return v + 1000;
    case 6: return v - 77;
    default: return v | 1;
    }
}

/* One side of the branch stays cold until the caller starts passing such n. */
EXPORT long phased(long n)
{
    long acc = n;
    if (n & 1024) {
        for (int i = 0; i < 4; i++) acc = acc * 3 + i;
    } else {
        acc += 7;
    }
    return acc;
}

/* Host calls in a loop: a budget stop between two of them, a CSR read between them. */
EXPORT long chatty(long n)
{
    long acc = 0;
    for (long i = 0; i < n; i++) {
        long cycles;
        __asm__ volatile("rdinstret %0" : "=r"(cycles));
        acc += hostcall2(1, i, cycles & 7);
    }
    return acc;
}

int main(void)
{
    counter = 100;
    puts("callee ready");
    return 0;
}
