/* Each event costs ~100k instructions and emits two more: without a per-tick budget, one
   tick runs the 1024-event cap to the end (10 s on this machine). */
#include "riscade.h"

static volatile long work;

RISCADE_HOOK void on_tick(int64_t tick) { rc_emit_event(900, tick, 0); }

RISCADE_HOOK void on_event(int64_t kind, int64_t a, int64_t b)
{
    if (kind != 900) return;
    for (int i = 0; i < 20000; i++) work++;
    rc_emit_event(900, a, b + 1);
    rc_emit_event(900, a, b + 2);
}

int main(void) { return 0; }
