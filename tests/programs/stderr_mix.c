/* Writes to both stdout (buffered) and stderr (unbuffered); exits with 1. */
#include <stdio.h>

int main(void)
{
    for (int i = 0; i < 5; i++) {
        printf("out %d\n", i);
        fprintf(stderr, "err %d: %s\n", i, i % 2 ? "odd" : "even");
    }
    fputs("final stdout line without flush", stdout);
    fputc('\n', stdout);
    fputs("warning: exiting with status 1\n", stderr);
    return 1;
}
