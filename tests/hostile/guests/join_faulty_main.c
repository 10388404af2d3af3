/* Test mod whose main faults (a store to address 0): the server disables it at start-up.
   A joining client must restore it disabled without running it. */
#include "../../../mods/sdk/riscade.h"

RISCADE_HOOK void on_tick(int64_t tick)
{
    rc_log("faulty mod ticked", 17);
}

int main(void)
{
    rc_log("faulty main ran", 15);
    *(volatile int *)0 = 1;
    return 0;
}
