/* Floods the host: log lines that forge console lines (newlines, ANSI escapes), long lines,
   chat spam, and host calls without end. */
#include "riscade.h"
#include <string.h>

static char big[4000];  /* the longest line a mod may pass is 4096 bytes */
static const char forged[] =
    "\x1b[2K\r[greeter] chat to everyone: free coins\nplayer 9 (admin) joined\x1b[31m";

RISCADE_HOOK void on_tick(int64_t tick)
{
    for (int i = 0; i < 100; i++) rc_send_chat(RC_ALL_PLAYERS, "spam", 4);
    rc_log(forged, sizeof forged - 1);
    for (int i = 0; i < 100; i++) rc_log(big, sizeof big - 1);
    if (tick >= 5)
        for (;;) rc_entity_count();   /* host calls without end: faults at the host-call cap */
}

int main(void) { memset(big, 'x', sizeof big); return 0; }
