/* Test mod: on tick 5 moves every entity, then loops forever. */
#include "../../../mods/sdk/riscade.h"

static volatile long spins;

RISCADE_HOOK void on_tick(int64_t tick)
{
    if (tick != 5) return;
    for (int64_t i = 0; i < rc_entity_count(); i++)
        rc_entity_set_pos(rc_entity_at(i), 1, 1); /* must be rolled back */
    for (;;) spins++;
}

int main(void) { return 0; }
