/* Test mod for hot reload: a counter kept in the score of an entity it owns.
 *
 * on_load spawns its entity (kind 100) and starts counting from 0; on_tick adds STEP to the
 * count and writes it into the entity's score. on_save hands over (entity, count) as 16
 * bytes; on_restore takes them back. (A copy of tests/game/guests/saver.c; the hot reload
 * tests edit STEP.)
 */
#include <stdint.h>
#include <string.h>

#include "riscade.h"

#ifndef STEP
#define STEP 1
#endif

static int64_t state[2]; /* entity, count */

RISCADE_HOOK void on_load(void) {
    state[0] = rc_entity_spawn(100, 0, 0);
    state[1] = 0;
}

RISCADE_HOOK void on_tick(int64_t tick) {
    (void)tick;
    state[1] += STEP;
    rc_entity_add_score(state[0], STEP);
}

RISCADE_HOOK int64_t on_save(int64_t buf, int64_t cap) {
    if (cap < (int64_t)sizeof state)
        return -1;
    memcpy((void *)(uintptr_t)buf, state, sizeof state);
    return (int64_t)sizeof state;
}

RISCADE_HOOK void on_restore(const void *data, size_t len) {
#ifdef RESTORE_FAULTS
    *(volatile int64_t *)0 = (int64_t)len;
#endif
    if (len == sizeof state)
        memcpy(state, data, sizeof state);
}

int main(void) { return 0; }
