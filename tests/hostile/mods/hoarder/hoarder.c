/* Hoards the game's data, one attack a tick:
   tick 2: stores 4096-byte values under "k0", "k1", ... until the storage refuses one;
   tick 3: spawns ENTITIES_PER_MOD entities and sets 9 properties on each (past its cap);
   tick 4: registers 65 kinds (past its cap);
   tick 5: writes the property key after its own last one: another mod's. */
#include <stdio.h>

#include "riscade.h"

#define KEYS 9

static int64_t keys[KEYS];
static char big[4096];

RISCADE_HOOK void on_load(void)
{
    for (int i = 0; i < KEYS; i++) {
        char name[8];
        int n = snprintf(name, sizeof name, "m%d", i);
        keys[i] = rc_prop_key(name, (size_t)n, 0);
    }
}

RISCADE_HOOK void on_tick(int64_t tick)
{
    char line[64];
    if (tick == 2) {
        int stored = 0;
        for (;;) {
            char key[8];
            int n = snprintf(key, sizeof key, "k%d", stored);
            if (!rc_storage_set(key, (size_t)n, big, sizeof big))
                break;
            stored++;
        }
        rc_log(line, (size_t)snprintf(line, sizeof line, "stored %d", stored));
    } else if (tick == 3) {
        for (int i = 0; i < 512; i++) {
            int64_t e = rc_entity_spawn(RC_KIND_MOD_BASE + 7, 0, 0);
            for (int k = 0; k < KEYS; k++)
                rc_entity_prop_set(e, keys[k], 1 + i);
        }
    } else if (tick == 4) {
        for (int i = 0; i < 65; i++) {
            char name[8];
            int n = snprintf(name, sizeof name, "x%d", i);
            rc_kind_register(name, (size_t)n, i & 1);
        }
    } else if (tick == 5) {
        int64_t coin = rc_entity_at(0);
        rc_entity_prop_set(coin, keys[KEYS - 1] + 1, 1000);
    }
}

int main(void) { return 0; }
