/* Wrecks the world: more entities than any mod may have, wild values, events beyond its
   quota, and, on tick 3 onwards, players' entities it has no permission to touch. */
#include "riscade.h"
#include <stdint.h>

static int64_t mine = -1;

RISCADE_HOOK void on_tick(int64_t tick)
{
    if (tick == 2) {
        for (int i = 0; i < 5000; i++) {
            int64_t e = rc_entity_spawn(RC_KIND_MOD_BASE + 1, -1000000, INT64_MAX);
            if (e < 0) break;
            if (mine < 0) mine = e;
        }
        rc_entity_set_vel(mine, INT64_MAX, INT64_MIN);
        rc_entity_set_pos(mine, INT64_MIN, INT64_MAX);
        rc_entity_add_score(mine, INT64_MAX);
        rc_entity_add_score(mine, INT64_MAX);
        for (int i = 0; i < 5001; i++) rc_emit_event(901, i, 0);
        return;
    }
    if (tick >= 3) {
        int64_t p = rc_player_entity(rc_player_at(0));
        if (tick == 3) rc_entity_despawn(p);
        else if (tick == 4) rc_entity_set_vel(p, INT64_MAX, INT64_MAX);
        else rc_entity_add_score(p, -1000);
    }
}

int main(void) { return 0; }
