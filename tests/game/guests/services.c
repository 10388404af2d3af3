/* Test mod for the services host API (queries, player info, timers, messages): a player's
 * chat line is a command, and the mod logs what the host call gave back. Loaded twice under
 * two names, so the copies can message each other; "@NAME COMMAND" is for mod NAME only (its
 * name is its argv[0]).
 *
 *   spawn KIND X Y VX VY      spawn an entity with a velocity; logs its id
 *   radius X Y R KIND MAX     query_radius; logs "n=COUNT" and one "id,kind,x,y,vx,vy" per record
 *   rect X0 Y0 X1 Y1 KIND MAX query_rect, logged the same way
 *   kind KIND FIRST MAX       query_kind, logged the same way
 *   name PID MAX              player_name (MAX <= 95); logs "len=N [bytes written]", the byte after
 *   conn PID                  player_ticks_connected
 *   after TICKS TAG           timer_after; logs its result
 *   cancel TAG                timer_cancel; logs its result
 *   send MOD PAYLOAD          send_message; logs its result
 *   flood MOD N               N send_message calls; logs how many returned 1
 *   timers N                  N timer_after(5, i) calls; logs how many returned 1
 *   bigmsg MOD                send_message with a payload of MESSAGE_BYTES + 1 bytes (faults)
 *   badbuf                    query_kind into address 16 (faults)
 *   bigmax                    query_kind with max = QUERY_MAX + 1 (faults)
 *   crash                     sets a timer, sends a message, then dereferences NULL
 *   spin                      query_kind over every entity 20,000 times (runs out of host calls)
 */
#include <stdio.h>
#include <string.h>

#include "../../../mods/sdk/riscade.h"

#define MAXREC 64
static int64_t rec[MAXREC * RC_QUERY_RECORD_WORDS + 1];
static char line[256];
static char self[64];

static void say(void) { rc_log(line, strlen(line)); }

static void report(int64_t count, int64_t max) {
    snprintf(line, sizeof line, "n=%lld", (long long)count);
    say();
    for (int64_t i = 0; i < count && i < max; i++) {
        int64_t *r = &rec[i * RC_QUERY_RECORD_WORDS];
        snprintf(line, sizeof line, "%lld,%lld,%lld,%lld,%lld,%lld", (long long)r[0],
                 (long long)r[1], (long long)r[2], (long long)r[3], (long long)r[4],
                 (long long)r[5]);
        say();
    }
}

static uint64_t buf(void) { return (uint64_t)(uintptr_t)rec; }

RISCADE_HOOK void on_load(void) {
    rc_timer_after(2, 1002);
    rc_timer_after(1, 1001);
}

RISCADE_HOOK void on_timer(int64_t tag) {
    snprintf(line, sizeof line, "timer %lld at %lld", (long long)tag, (long long)rc_tick_number());
    say();
}

RISCADE_HOOK void on_message(const char *from, size_t from_len, const void *payload,
                             size_t len) {
    snprintf(line, sizeof line, "message from %.*s: %.*s at %lld", (int)from_len, from,
             (int)len, (const char *)payload, (long long)rc_tick_number());
    say();
}

RISCADE_HOOK void on_mod_disabled(const char *name, size_t len) {
    snprintf(line, sizeof line, "disabled %.*s at %lld", (int)len, name,
             (long long)rc_tick_number());
    say();
}

RISCADE_HOOK int64_t on_chat(int64_t player, const char *text, size_t len) {
    (void)player;
    char cmd[200], word[64];
    long long a = 0, b = 0, c = 0, d = 0, e = 0, f = 0;
    if (len >= sizeof cmd) return 0;
    if (len > 0 && text[0] == '@') {
        size_t n = strlen(self);
        if (len <= n + 1 || memcmp(text + 1, self, n) != 0 || text[n + 1] != ' ') return 0;
        text += n + 2;
        len -= n + 2;
    }
    memcpy(cmd, text, len);
    cmd[len] = 0;
    if (sscanf(cmd, "spawn %lld %lld %lld %lld %lld", &a, &b, &c, &d, &e) == 5) {
        int64_t id = rc_entity_spawn(a, b, c);
        rc_entity_set_vel(id, d, e);
        snprintf(line, sizeof line, "spawned %lld", (long long)id);
        say();
    } else if (sscanf(cmd, "radius %lld %lld %lld %lld %lld", &a, &b, &c, &d, &e) == 5) {
        report(rc_query_radius(a, b, c, d, buf(), e), e);
    } else if (sscanf(cmd, "rect %lld %lld %lld %lld %lld %lld", &a, &b, &c, &d, &e, &f) == 6) {
        report(rc_query_rect(a, b, c, d, e, buf(), f), f);
    } else if (sscanf(cmd, "kind %lld %lld %lld", &a, &b, &c) == 3) {
        report(rc_query_kind(a, b, buf(), c), c);
    } else if (sscanf(cmd, "name %lld %lld", &a, &b) == 2) {
        char name[96];
        memset(name, '#', sizeof name);
        int64_t n = rc_player_name(a, (uint64_t)(uintptr_t)name, b);
        snprintf(line, sizeof line, "len=%lld [%.*s] guard=%c", (long long)n,
                 (int)(n < 0 ? 0 : n < b ? n : b), name, name[b < 0 ? 0 : b]);
        say();
    } else if (sscanf(cmd, "conn %lld", &a) == 1) {
        snprintf(line, sizeof line, "conn=%lld", (long long)rc_player_ticks_connected(a));
        say();
    } else if (sscanf(cmd, "after %lld %lld", &a, &b) == 2) {
        snprintf(line, sizeof line, "after=%lld", (long long)rc_timer_after(a, b));
        say();
    } else if (sscanf(cmd, "cancel %lld", &a) == 1) {
        snprintf(line, sizeof line, "cancel=%lld", (long long)rc_timer_cancel(a));
        say();
    } else if (sscanf(cmd, "send %63s %199s", word, line) == 2) {
        int64_t r = rc_send_message(word, strlen(word), line, strlen(line));
        snprintf(line, sizeof line, "send=%lld", (long long)r);
        say();
    } else if (sscanf(cmd, "flood %63s %lld", word, &a) == 2) {
        int64_t ok = 0;
        for (long long i = 0; i < a; i++) ok += rc_send_message(word, strlen(word), "x", 1);
        snprintf(line, sizeof line, "flood=%lld", (long long)ok);
        say();
    } else if (sscanf(cmd, "timers %lld", &a) == 1) {
        int64_t ok = 0;
        for (long long i = 0; i < a; i++) ok += rc_timer_after(5, i);
        snprintf(line, sizeof line, "timers=%lld", (long long)ok);
        say();
    } else if (sscanf(cmd, "bigmsg %63s", word) == 1) {
        static char big[RC_MESSAGE_BYTES + 1];
        rc_send_message(word, strlen(word), big, sizeof big);
    } else if (strcmp(cmd, "badbuf") == 0) {
        rc_query_kind(RC_KIND_ANY, 0, 16, 4);
    } else if (strcmp(cmd, "bigmax") == 0) {
        rc_query_kind(RC_KIND_ANY, 0, buf(), RC_QUERY_MAX + 1);
    } else if (strcmp(cmd, "crash") == 0) {
        rc_timer_after(1, 999);
        rc_send_message(RC_LIT("svc_a"), RC_LIT("lost"));
        rc_send_message(RC_LIT("svc_b"), RC_LIT("lost"));
        *(volatile int64_t *)0 = 1;
    } else if (strcmp(cmd, "spin") == 0) {
        for (int i = 0; i < 20000; i++) rc_query_kind(RC_KIND_ANY, 0, buf(), 0);
    } else {
        return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc > 0) snprintf(self, sizeof self, "%s", argv[0]);
    return 0;
}
