/* Hostile-for-joins test mod: on_load fills 12 MiB of its memory with bytes zstd cannot
   shrink (xorshift64), so every snapshot of it is over the 8 MiB message limit. Each tick
   changes a word of it, so its machine's state moves on. */
#include "../../../mods/sdk/riscade.h"

#define FILL_BYTES (12u << 20)
#define WORDS (FILL_BYTES / 8)

static uint64_t table[WORDS];
static uint64_t total;

RISCADE_HOOK void on_load(void)
{
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < WORDS; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        table[i] = s;
    }
    rc_log("filled", 6);
}

RISCADE_HOOK void on_tick(int64_t tick)
{
    size_t i = (size_t)((uint64_t)tick * 2654435761u) % WORDS;
    table[i] ^= (uint64_t)tick;
    total += table[i];
}

int main(void) { return 0; }
