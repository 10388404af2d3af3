/* Test mod: mods' kinds, entity properties, ownership and persistent storage, driven by chat.
 *
 * Every command is consumed and logs one line with its results:
 *   /kind NAME SHARED        "kind N"          kind_register
 *   /key NAME SHARED         "key N"           prop_key
 *   /spawn                   "spawned ID"      entity_spawn(KIND_MOD_BASE, 0, 0)
 *   /pset ID KEY VALUE       "pset"            entity_prop_set
 *   /pget ID KEY             "pget V"          entity_prop_get
 *   /may ID                  "may M"           entity_may_change
 *   /move ID                 "moved"           entity_set_pos(ID, 0, 0)
 *   /kill ID                 "killed R"        entity_despawn
 *   /sset KEY VALUE          "sset R"          storage_set
 *   /sget KEY CAP            "sget N VALUE"    storage_get into a 64-byte buffer (CAP <= 64)
 *   /sgetat KEY ADDR CAP     "sget N"          storage_get into any address (hostile)
 *   /sgetro KEY              "sget N"          storage_get into this function's code
 *   /sdel KEY                "sdel R"          storage_delete
 *   /sbig N                  "sbig R"          storage_set("big", N bytes of 'x')
 *   /sfill                   "sfill N USED"    storage_set 1000-byte values until refused
 *   /then-fault CMD...       runs CMD, then faults (its effects must be undone)
 * "@NAME CMD" runs CMD only in the mod called NAME (its argv[0]).
 */
#include <stdio.h>
#include <string.h>

#include "../../../mods/sdk/riscade.h"

static char big[8192];
static char me[64];

static void say(const char *fmt, long long a, long long b)
{
    char line[200];
    int n = snprintf(line, sizeof line, fmt, a, b);
    rc_log(line, (size_t)n);
}

static int64_t command(const char *text)
{
    char name[100];
    long long a = 0, b = 0, c = 0;
    if (sscanf(text, "/kind %99s %lld", name, &a) == 2) {
        say("kind %lld", (long long)rc_kind_register(name, strlen(name), a), 0);
    } else if (sscanf(text, "/key %99s %lld", name, &a) == 2) {
        say("key %lld", (long long)rc_prop_key(name, strlen(name), a), 0);
    } else if (strcmp(text, "/spawn") == 0) {
        say("spawned %lld", (long long)rc_entity_spawn(RC_KIND_MOD_BASE, 0, 0), 0);
    } else if (sscanf(text, "/pset %lld %lld %lld", &a, &b, &c) == 3) {
        rc_entity_prop_set(a, b, c);
        say("pset", 0, 0);
    } else if (sscanf(text, "/pget %lld %lld", &a, &b) == 2) {
        say("pget %lld", (long long)rc_entity_prop_get(a, b), 0);
    } else if (sscanf(text, "/may %lld", &a) == 1) {
        say("may %lld", (long long)rc_entity_may_change(a), 0);
    } else if (sscanf(text, "/move %lld", &a) == 1) {
        rc_entity_set_pos(a, 0, 0);
        say("moved", 0, 0);
    } else if (sscanf(text, "/kill %lld", &a) == 1) {
        say("killed %lld", (long long)rc_entity_despawn(a), 0);
    } else if (sscanf(text, "/sset %99s %4000s", name, big) == 2) {
        say("sset %lld", (long long)rc_storage_set(name, strlen(name), big, strlen(big)), 0);
    } else if (sscanf(text, "/sget %99s %lld", name, &a) == 2) {
        char buf[64 + 1];
        memset(buf, 0, sizeof buf);
        int64_t n = rc_storage_get(name, strlen(name), (uint64_t)(uintptr_t)buf, a > 64 ? 64 : a);
        char line[200];
        int len = snprintf(line, sizeof line, "sget %lld %s", (long long)n, buf);
        rc_log(line, (size_t)len);
    } else if (sscanf(text, "/sgetat %99s %lli %lld", name, &a, &b) == 3) {
        say("sget %lld", (long long)rc_storage_get(name, strlen(name), (uint64_t)a, b), 0);
    } else if (sscanf(text, "/sgetro %99s", name) == 1) {
        say("sget %lld", (long long)rc_storage_get(name, strlen(name),
                                                   (uint64_t)(uintptr_t)&command, 8), 0);
    } else if (sscanf(text, "/sdel %99s", name) == 1) {
        say("sdel %lld", (long long)rc_storage_delete(name, strlen(name)), 0);
    } else if (sscanf(text, "/sbig %lld", &a) == 1) {
        memset(big, 'x', sizeof big);
        say("sbig %lld", (long long)rc_storage_set("big", 3, big, (size_t)a), 0);
    } else if (strcmp(text, "/sfill") == 0) {
        memset(big, 'y', 1000);
        long long n = 0;
        for (;;) {
            char key[16];
            int len = snprintf(key, sizeof key, "fill%lld", n);
            if (!rc_storage_set(key, (size_t)len, big, 1000))
                break;
            n++;
        }
        say("sfill %lld", n, 0);
    } else {
        return 0;
    }
    return 1;
}

RISCADE_HOOK int64_t on_chat(int64_t player, const char *text, size_t len)
{
    char line[4096];
    (void)player;
    if (len >= sizeof line)
        return 0;
    memcpy(line, text, len);
    line[len] = 0;
    if (line[0] == '@') {
        size_t n = strlen(me);
        if (strncmp(line + 1, me, n) != 0 || line[1 + n] != ' ')
            return 0;
        memmove(line, line + 2 + n, strlen(line + 2 + n) + 1);
    }
    if (strncmp(line, "/then-fault ", 12) == 0) {
        line[11] = '/';
        command(line + 11);
        volatile int64_t *bad = (int64_t *)8;
        return *bad;
    }
    return command(line);
}

int main(int argc, char **argv)
{
    if (argc > 0)
        snprintf(me, sizeof me, "%s", argv[0]);
    return 0;
}
