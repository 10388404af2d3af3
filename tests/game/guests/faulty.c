/* Test mod: from tick 3 on, spawns an entity and then dereferences NULL. */
#include "../../../mods/sdk/riscade.h"

RISCADE_HOOK void on_tick(int64_t tick)
{
    if (tick >= 3) {
        rc_entity_spawn(RC_KIND_MOD_BASE, 0, 0); /* must be rolled back */
        *(volatile int64_t *)0 = tick;
    }
}

int main(void) { return 0; }
