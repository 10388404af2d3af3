/* waypoints: beacons that players visit.
 *
 * on_load registers the shared kind "beacon" (kind_register: every mod that declares the
 * name shared gets the same kind) and the shared property key "visits", reads the visits
 * of earlier runs from storage ("total", 8 bytes little-endian), and spawns BEACONS beacons
 * at random places at least MARGIN from the walls.
 *
 * on_tick: each beacon (in id order) that this mod may change (entity_may_change: its own;
 * another mod's beacon is left alone) and that a player entity (in id order) reaches within
 * REACH on both axes is visited: its "visits" property grows by one, it jumps to a random
 * place, the total grows (and is stored) and the line "beacon B visited by entity E: V
 * visits, T in all" is logged.
 *
 * on_chat: "/waypoints" answers the sender "Beacons visited: T"; "/waypoints reset" deletes
 * the stored total (storage_delete) and answers "Beacon visits reset". Both are consumed.
 */
#include <stdio.h>
#include <string.h>

#include "riscade.h"

#define BEACONS 2
#define REACH (8 * RC_FIXED_ONE)
#define MARGIN (8 * RC_FIXED_ONE)
#define MAX_TRACKED 256

static int64_t beacon_kind;
static int64_t visits_key;
static int64_t total;

static int64_t random_coordinate(int64_t extent) {
    return MARGIN + (int64_t)(rc_random_u32() % (uint64_t)(extent - 2 * MARGIN));
}

static void place(int64_t beacon) {
    int64_t x = random_coordinate(rc_world_width());
    rc_entity_set_pos(beacon, x, random_coordinate(rc_world_height()));
}

static void store_total(void) {
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)total >> (8 * i));
    rc_storage_set("total", 5, b, sizeof b);
}

static void load_total(void) {
    unsigned char b[8];
    if (rc_storage_get("total", 5, (uint64_t)(uintptr_t)b, sizeof b) != (int64_t)sizeof b)
        return;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    total = (int64_t)v;
}

static void reply(int64_t player, const char *fmt, long long value) {
    char line[96];
    int n = snprintf(line, sizeof line, fmt, value);
    rc_send_chat(player, line, (size_t)n);
}

static int64_t distance(int64_t a, int64_t b) {
    return a > b ? a - b : b - a;
}

RISCADE_HOOK void on_load(void) {
    beacon_kind = rc_kind_register("beacon", 6, 1);
    visits_key = rc_prop_key("visits", 6, 1);
    load_total();
    for (int i = 0; i < BEACONS; i++) {
        int64_t x = random_coordinate(rc_world_width());
        rc_entity_spawn(beacon_kind, x, random_coordinate(rc_world_height()));
    }
}

RISCADE_HOOK void on_tick(int64_t tick) {
    (void)tick;
    int64_t beacons[MAX_TRACKED], players[MAX_TRACKED];
    int nbeacons = 0, nplayers = 0;
    int64_t n = rc_entity_count();
    for (int64_t i = 0; i < n; i++) {
        int64_t id = rc_entity_at(i);
        int64_t kind = rc_entity_get_kind(id);
        if (kind == beacon_kind && nbeacons < MAX_TRACKED && rc_entity_may_change(id))
            beacons[nbeacons++] = id;
        else if (kind == RC_KIND_PLAYER && nplayers < MAX_TRACKED)
            players[nplayers++] = id;
    }
    for (int b = 0; b < nbeacons; b++) {
        int64_t bx = rc_entity_get_x(beacons[b]), by = rc_entity_get_y(beacons[b]);
        for (int p = 0; p < nplayers; p++) {
            if (distance(rc_entity_get_x(players[p]), bx) > REACH ||
                distance(rc_entity_get_y(players[p]), by) > REACH)
                continue;
            int64_t visits = rc_entity_prop_get(beacons[b], visits_key) + 1;
            rc_entity_prop_set(beacons[b], visits_key, visits);
            place(beacons[b]);
            total++;
            store_total();
            char line[128];
            int len = snprintf(line, sizeof line,
                               "beacon %lld visited by entity %lld: %lld visits, %lld in all",
                               (long long)beacons[b], (long long)players[p],
                               (long long)visits, (long long)total);
            rc_log(line, (size_t)len);
            break;
        }
    }
}

RISCADE_HOOK int64_t on_chat(int64_t player, const char *text, size_t len) {
    if (len == 10 && memcmp(text, "/waypoints", 10) == 0) {
        reply(player, "Beacons visited: %lld", (long long)total);
        return 1;
    }
    if (len == 16 && memcmp(text, "/waypoints reset", 16) == 0) {
        rc_storage_delete("total", 5);
        total = 0;
        static const char done[] = "Beacon visits reset";
        rc_send_chat(player, done, sizeof done - 1);
        return 1;
    }
    return 0;
}

int main(void) {
    return 0;
}
