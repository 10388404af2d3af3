/* An honest mod: counts ticks and says so every 10th. */
#include "riscade.h"

static long ticks;

RISCADE_HOOK void on_tick(int64_t tick) {
    (void)tick;
    if (++ticks % 10 == 0) rc_log(RC_LIT("honest: ten more ticks"));
}

int main(void) { return 0; }
