/* Hostile: 2 MiB of initialised data in a mod whose memory limit is 1 MiB. */
#include "riscade.h"

static volatile unsigned char table[2 << 20] = {1};

RISCADE_HOOK void on_tick(int64_t tick) { table[tick & 0xFFFFF] = 2; }

int main(void) { return table[0] - 1; }
