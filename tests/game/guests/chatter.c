/* Test mod: chat lines sent with send_chat.
 *
 * on_player_join: "hello player N" to that player, "N joined" to everyone.
 * on_chat "/echo TEXT": TEXT back to the sender (consumed); "/spam": 100 lines to everyone
 *   (consumed); "/ctl": a line with control characters to everyone (consumed); anything
 *   else is not consumed.
 * on_tick 7: sends "doomed" to everyone, then faults: the line must not reach anyone.
 */
#include <stdio.h>
#include <string.h>

#include "../../../mods/sdk/riscade.h"

RISCADE_HOOK void on_player_join(int64_t player, int64_t entity)
{
    char line[64];
    (void)entity;
    rc_send_chat(player, line, (size_t)snprintf(line, sizeof line, "hello player %lld",
                                                (long long)player));
    rc_send_chat(RC_ALL_PLAYERS, line, (size_t)snprintf(line, sizeof line, "%lld joined",
                                                        (long long)player));
}

RISCADE_HOOK int64_t on_chat(int64_t player, const char *text, size_t len)
{
    if (len >= 6 && memcmp(text, "/echo ", 6) == 0) {
        rc_send_chat(player, text + 6, len - 6);
        return 1;
    }
    if (len == 5 && memcmp(text, "/spam", 5) == 0) {
        for (int i = 0; i < 100; i++)
            rc_send_chat(RC_ALL_PLAYERS, RC_LIT("spam"));
        return 1;
    }
    if (len == 4 && memcmp(text, "/ctl", 4) == 0) {
        rc_send_chat(RC_ALL_PLAYERS, RC_LIT("red\x1b[31m\nbell\a"));
        return 1;
    }
    return 0;
}

RISCADE_HOOK void on_tick(int64_t tick)
{
    if (tick == 7) {
        rc_send_chat(RC_ALL_PLAYERS, RC_LIT("doomed"));
        *(volatile int64_t *)0 = tick;
    }
}

int main(void) { return 0; }
