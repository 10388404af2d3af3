/* Test program: main builds heap state (a large malloc that musl serves with mmap, small ones
   from brk); on_tick walks and grows it. A machine that never ran main must be able to take
   over from a snapshot of one that did, even in the middle of an on_tick call. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HOOK __attribute__((used, retain, visibility("default")))

static uint64_t *table;
static size_t n;
static char *small;

HOOK int64_t on_tick(int64_t t)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++) {
        table[i] += (uint64_t)t;
        s += table[i];
    }
    char *p = malloc(64 + (size_t)t);
    p[0] = (char)t;
    return (int64_t)(s ^ (uintptr_t)p ^ (uint64_t)small[1]);
}

int main(void)
{
    n = 100000;
    table = malloc(n * sizeof *table);
    for (size_t i = 0; i < n; i++)
        table[i] = i * i;
    small = malloc(100);
    strcpy(small, "hello");
    return 0;
}
