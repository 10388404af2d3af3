/* The smallest program: one line of output, exit status 0. */
#include <stdio.h>

int main(void)
{
    puts("hello from riscv64");
    return 0;
}
