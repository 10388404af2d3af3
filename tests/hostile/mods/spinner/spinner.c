/* Every hook spins forever. */
#include "riscade.h"

static volatile long spins;

RISCADE_HOOK void on_tick(int64_t tick) { (void)tick; for (;;) spins++; }
RISCADE_HOOK void on_player_join(int64_t player, int64_t entity)
{
    (void)player; (void)entity;
    for (;;) spins++;
}

int main(void) { return 0; }
