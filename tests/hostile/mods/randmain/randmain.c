/* Draws random numbers in main and on_load, and says what it drew. */
#include "riscade.h"
#include <stdio.h>

static uint32_t drawn[2];

RISCADE_HOOK void on_load(void)
{
    drawn[1] = rc_random_u32();
    char line[64];
    int n = snprintf(line, sizeof line, "drew %u %u", drawn[0], drawn[1]);
    rc_log(line, (size_t)n);
}

int main(void) { drawn[0] = rc_random_u32(); return 0; }
