/* A program to debug with gdb (tests/integration/test_gdb.py): a call in a loop, a local
   struct, a global double, an exit status; with an argument, a store through a wild pointer.
   The tests find lines by their marker comments. */
#include <stdint.h>
#include <stdio.h>

struct pair { long left; long right; };

double scale = 1.5;

static long square(long v)
{
    long sq = v * v; /* SQUARE BODY */
    return sq;
}

static void wreck(long where)
{
    *(volatile long *)(uintptr_t)where = 1; /* WILD STORE */
}

int main(int argc, char **argv)
{
    struct pair p = { 3, 4 };
    long total = 0;
    for (long i = 1; i <= 4; i++) {
        total += square(i);
    }
    p.left += total; /* AFTER LOOP */
    double d = (double)total * scale;
    printf("total %ld %.1f %ld\n", total, d, p.left + p.right);
    if (argc > 1)
        wreck(16);
    return (int)(total & 0xff);
}
