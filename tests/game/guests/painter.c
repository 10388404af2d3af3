/* Test mod: drives the presentation and chat host calls (112..118) from chat lines, and
 * answers each with the call's result ("r=N" to the sender), so tests can pass any value.
 *
 * on_load: command_register("paint", "draws things"). Chat lines (all consumed but /peek):
 *   /style K S RGB SIZE   kind_style       /klabel K TEXT    kind_label
 *   /elabel E TEXT        entity_label     /hud P L TEXT     hud_set
 *   /title TEXT           score_title      /cmd NAME HELP    command_register
 *   /sound N              play_sound N times at (N, N)
 *   /styles K N           kind_style of kinds K..K+N-1: r = how many were set
 *   /eat, /top            r = chat_consumed(), consumed;  /peek: the same, not consumed
 *   /spawnlabel TEXT      spawn a coin, label it; r = its id
 *   /doomed               style kind 77, label entity 1, HUD line, title, sound: then fault
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "../../../mods/sdk/riscade.h"

static void reply(int64_t player, int64_t r)
{
    char line[32];
    rc_send_chat(player, line, (size_t)snprintf(line, sizeof line, "r=%lld", (long long)r));
}

/* The next space-separated integer of s (advanced past it). */
static int64_t num(const char **s)
{
    char *end;
    int64_t v = strtoll(*s, &end, 0);
    *s = *end == ' ' ? end + 1 : end;
    return v;
}

static int is(const char *text, size_t len, const char *cmd)
{
    size_t n = strlen(cmd);
    return len >= n && memcmp(text, cmd, n) == 0 && (len == n || text[n] == ' ');
}

RISCADE_HOOK void on_load(void)
{
    rc_command_register(RC_LIT("paint"), RC_LIT("draws things"));
}

RISCADE_HOOK int64_t on_chat(int64_t player, const char *text, size_t len)
{
    static char buf[5000];
    if (len >= sizeof buf) return 0;
    memcpy(buf, text, len);
    buf[len] = 0;
    const char *s = strchr(buf, ' ');
    s = s ? s + 1 : buf + len;
    const char *end = buf + len;
    if (is(buf, len, "/style")) {
        int64_t k = num(&s), sh = num(&s), rgb = num(&s), size = num(&s);
        reply(player, rc_kind_style(k, sh, rgb, size));
    } else if (is(buf, len, "/klabel")) {
        int64_t k = num(&s);
        reply(player, rc_kind_label(k, s, (size_t)(end - s)));
    } else if (is(buf, len, "/elabel")) {
        int64_t e = num(&s);
        reply(player, rc_entity_label(e, s, (size_t)(end - s)));
    } else if (is(buf, len, "/hud")) {
        int64_t p = num(&s), l = num(&s);
        reply(player, rc_hud_set(p, l, s, (size_t)(end - s)));
    } else if (is(buf, len, "/title")) {
        rc_score_title(s, (size_t)(end - s));
        reply(player, 0);
    } else if (is(buf, len, "/cmd")) {
        const char *sp = strchr(s, ' ');
        size_t n = sp ? (size_t)(sp - s) : (size_t)(end - s);
        const char *h = sp ? sp + 1 : end;
        reply(player, rc_command_register(s, n, h, (size_t)(end - h)));
    } else if (is(buf, len, "/sound")) {
        int64_t n = num(&s);
        for (int64_t i = 0; i < n; i++) rc_play_sound(n, n, n);
        reply(player, n);
    } else if (is(buf, len, "/styles")) {
        int64_t k = num(&s), n = num(&s), set = 0;
        for (int64_t i = 0; i < n; i++) set += rc_kind_style(k + i, RC_SHAPE_SQUARE, 0x123456, 256);
        reply(player, set);
    } else if (is(buf, len, "/eat") || is(buf, len, "/top")) {
        reply(player, rc_chat_consumed());
    } else if (is(buf, len, "/peek")) {
        reply(player, rc_chat_consumed());
        return 0;
    } else if (is(buf, len, "/spawnlabel")) {
        int64_t e = rc_entity_spawn(RC_KIND_COIN, 512, 512);
        rc_entity_label(e, s, (size_t)(end - s));
        reply(player, e);
    } else if (is(buf, len, "/doomed")) {
        rc_kind_style(77, RC_SHAPE_CIRCLE, 0xff0000, 256);
        rc_kind_label(77, RC_LIT("doomed"));
        rc_entity_label(rc_entity_spawn(RC_KIND_COIN, 0, 0), RC_LIT("doomed"));
        rc_hud_set(player, 0, RC_LIT("doomed"));
        rc_score_title(RC_LIT("doomed"));
        rc_command_register(RC_LIT("doomed"), RC_LIT("doomed"));
        rc_play_sound(9, 0, 0);
        *(volatile int64_t *)0 = 1;
    } else {
        return 0;
    }
    return 1;
}

int main(void) { return 0; }
