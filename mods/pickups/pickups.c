/* pickups: coins that players collect.
 *
 * on_load tops the arena up to COINS coins, each at a random position at least MARGIN from
 * the walls (x = MARGIN + random_u32() % (width - 2 * MARGIN), then y the same way). Each
 * tick, every coin (in id order) is taken by the first player entity (in id order) within
 * PICKUP_RADIUS on both axes: the coin is despawned, the player's score grows by the
 * coin's worth, an EVENT_COIN_TAKEN event and a coin sound go out, and a new coin spawns.
 *
 * A coin's worth (COIN_VALUE) is a private entity property ("value"), so pickups takes only
 * the coins it made. The best score any player reached is kept in the mod's persistent
 * storage ("best", 8 bytes little-endian): it survives a server restart, and each log line
 * of a taken coin ends with it.
 */
#include <stdio.h>

#include "riscade.h"

#define COINS 5
#define COIN_VALUE 1
#define PICKUP_RADIUS (12 * RC_FIXED_ONE)
#define MARGIN (16 * RC_FIXED_ONE)
#define MAX_TRACKED 256

static int64_t coins_taken;
static int64_t value_key;   /* the "value" property: a coin's worth */
static int64_t best_score;  /* the best score any player reached, kept in storage */

static void load_best(void) {
    unsigned char b[8];
    if (rc_storage_get("best", 4, (uint64_t)(uintptr_t)b, sizeof b) != (int64_t)sizeof b)
        return;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    best_score = (int64_t)v;
}

static void save_best(void) {
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)best_score >> (8 * i));
    rc_storage_set("best", 4, b, sizeof b);
}

static int64_t random_coordinate(int64_t extent) {
    return MARGIN + (int64_t)(rc_random_u32() % (uint64_t)(extent - 2 * MARGIN));
}

static int64_t spawn_coin(void) {
    int64_t x = random_coordinate(rc_world_width());
    int64_t y = random_coordinate(rc_world_height());
    int64_t coin = rc_entity_spawn(RC_KIND_COIN, x, y);
    rc_entity_prop_set(coin, value_key, COIN_VALUE);
    return coin;
}

/* Ids of the entities of one kind, in id order; returns how many (at most max). */
static int collect(int64_t kind, int64_t *ids, int max) {
    int found = 0;
    int64_t n = rc_entity_count();
    for (int64_t i = 0; i < n && found < max; i++) {
        int64_t id = rc_entity_at(i);
        if (rc_entity_get_kind(id) == kind)
            ids[found++] = id;
    }
    return found;
}

static int64_t distance(int64_t a, int64_t b) {
    return a > b ? a - b : b - a;
}

static void take(int64_t player, int64_t coin) {
    int64_t x = rc_entity_get_x(coin), y = rc_entity_get_y(coin);
    int64_t value = rc_entity_prop_get(coin, value_key);
    rc_entity_despawn(coin);
    int64_t score = rc_entity_add_score(player, value);
    rc_emit_event(RC_EVENT_COIN_TAKEN, player, score);
    rc_play_sound(RC_SOUND_COIN, x, y);
    coins_taken++;
    if (score > best_score) {
        best_score = score;
        save_best();
    }
    char line[160];
    int n = snprintf(line, sizeof line,
                     "coin %lld taken by entity %lld: score %lld, %lld taken, best %lld",
                     (long long)coin, (long long)player, (long long)score,
                     (long long)coins_taken, (long long)best_score);
    rc_log(line, (size_t)n);
    spawn_coin();
}

RISCADE_HOOK void on_load(void) {
    value_key = rc_prop_key("value", 5, 0);
    load_best();
    int64_t ids[MAX_TRACKED];
    for (int have = collect(RC_KIND_COIN, ids, MAX_TRACKED); have < COINS; have++)
        spawn_coin();
}

RISCADE_HOOK void on_tick(int64_t tick) {
    (void)tick;
    int64_t coins[MAX_TRACKED], players[MAX_TRACKED];
    int ncoins = collect(RC_KIND_COIN, coins, MAX_TRACKED);
    int nplayers = collect(RC_KIND_PLAYER, players, MAX_TRACKED);
    for (int c = 0; c < ncoins; c++) {
        if (rc_entity_prop_get(coins[c], value_key) <= 0)
            continue;  /* not one of ours */
        int64_t cx = rc_entity_get_x(coins[c]), cy = rc_entity_get_y(coins[c]);
        for (int p = 0; p < nplayers; p++) {
            if (distance(rc_entity_get_x(players[p]), cx) <= PICKUP_RADIUS &&
                distance(rc_entity_get_y(players[p]), cy) <= PICKUP_RADIUS) {
                take(players[p], coins[c]);
                break;
            }
        }
    }
}

int main(void) {
    puts("pickups: ready");
    return 0;
}
