/* Faults on purpose: from tick 2 on, on_tick stores through a pointer that points nowhere.
   The tests find the faulting line by its marker comment. */
#include "riscade.h"
#include <stdint.h>

static int64_t ticks_seen;

static int64_t wreck(int64_t tick)
{
    volatile int64_t *nowhere = (volatile int64_t *)(uintptr_t)(8 * tick);
    *nowhere = tick; /* FAULT HERE */
    return tick;
}

RISCADE_HOOK void on_tick(int64_t tick)
{
    int64_t seen = ++ticks_seen;
    if (tick >= 2)
        seen += wreck(tick);
    if (seen == 1)
        rc_log("first tick", 10);
}

int main(void) { return 0; }
