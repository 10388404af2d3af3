/* Test mod whose start-up is expensive: main burns instructions and logs, on_load logs and
   spawns a marker entity. A joining client must not run either: it restores the machine and
   the world from the server's snapshot. */
#include "../../../mods/sdk/riscade.h"

#define BURN 500000

static volatile uint64_t burned;
static int64_t ticks_seen;

RISCADE_HOOK void on_load(void)
{
    rc_log("on_load ran", 11);
    rc_entity_spawn(7, 100, 100);
}

RISCADE_HOOK void on_tick(int64_t tick)
{
    ticks_seen += tick;
}

int main(void)
{
    for (uint64_t i = 0; i < BURN; i++)
        burned += i;
    rc_log("main ran", 8);
    return 0;
}
