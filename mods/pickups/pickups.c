/* pickups: coins that players collect.
 *
 * on_load tops the arena up to COINS coins, each at a random position at least MARGIN from
 * the walls (x = MARGIN + random_u32() % (width - 2 * MARGIN), then y the same way). Each
 * tick, every coin (in id order) is taken by the first player entity (in id order) within
 * PICKUP_RADIUS on both axes: the coin is despawned, the player's score grows by the coin's
 * worth, an EVENT_COIN_TAKEN event and a coin sound go out, and a new coin spawns. (One
 * query_kind call reads the coins, one query_rect call per coin finds the player.) Coins look
 * like gold discs labelled "coin" (kind_style, kind_label), each one labelled with what it is
 * worth (entity_label).
 *
 * A coin's worth (COIN_VALUE) is a private entity property ("value"), so pickups takes only
 * the coins it made. The best score any player reached is kept in the mod's persistent
 * storage ("best", 8 bytes little-endian): it survives a server restart, and each log line
 * of a taken coin ends with it.
 *
 * Bonus coins: a message (on_message) whose payload is a player entity's id (8 bytes,
 * little-endian) spawns one extra coin BONUS_OFFSET to the right of that entity, unless a
 * coin is already within BONUS_OFFSET of it (query_radius) or it is no player's entity.
 * greeter sends one when a player reaches a milestone.
 *
 * Hot reload: the count of coins taken carries over to the next version (on_save,
 * on_restore); the coins themselves are entities, and the world stays.
 */
#include <stdio.h>
#include <string.h>

#include "riscade.h"

#define COINS 5
#define COIN_VALUE 1
#define PICKUP_RADIUS (12 * RC_FIXED_ONE)
#define MARGIN (16 * RC_FIXED_ONE)
#define MAX_TRACKED 256
#define BONUS_OFFSET (2 * PICKUP_RADIUS)

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

/* What every version needs before its first tick: on_load, or on_restore after a reload. */
static void init(void) {
    value_key = rc_prop_key("value", 5, 0);
    load_best();
}

static int64_t random_coordinate(int64_t extent) {
    return MARGIN + (int64_t)(rc_random_u32() % (uint64_t)(extent - 2 * MARGIN));
}

static int64_t coin_at(int64_t x, int64_t y) {
    int64_t coin = rc_entity_spawn(RC_KIND_COIN, x, y);
    rc_entity_prop_set(coin, value_key, COIN_VALUE);
    rc_entity_label(coin, RC_LIT("+1"));  /* COIN_VALUE */
    return coin;
}

static int64_t spawn_coin(void) {
    int64_t x = random_coordinate(rc_world_width());
    int64_t y = random_coordinate(rc_world_height());
    return coin_at(x, y);
}

#define WORDS RC_QUERY_RECORD_WORDS

/* Records (id, kind, x, y, vx, vy) of the entities of one kind, in id order, with one host
 * call; returns how many (at most max). */
static int collect(int64_t kind, int64_t *records, int max) {
    int64_t n = rc_query_kind(kind, 0, (uint64_t)(uintptr_t)records, max);
    return n < max ? (int)n : max;
}

/* The first player entity (in id order) within PICKUP_RADIUS of (x, y) on both axes, or
 * RC_NO_ENTITY: one query_rect call. */
static int64_t player_near(int64_t x, int64_t y) {
    int64_t record[WORDS];
    int64_t n = rc_query_rect(x - PICKUP_RADIUS, y - PICKUP_RADIUS, x + PICKUP_RADIUS,
                              y + PICKUP_RADIUS, RC_KIND_PLAYER, (uint64_t)(uintptr_t)record, 1);
    return n > 0 ? record[0] : RC_NO_ENTITY;
}

static void take(int64_t player, int64_t coin, int64_t value, int64_t x, int64_t y) {
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
    init();
    rc_kind_style(RC_KIND_COIN, RC_SHAPE_CIRCLE, 0xFFD700, RC_FIXED_ONE * 3 / 4);
    rc_kind_label(RC_KIND_COIN, RC_LIT("coin"));
    for (int64_t have = rc_query_kind(RC_KIND_COIN, 0, 0, 0); have < COINS; have++)
        spawn_coin();
}

static int64_t coins[MAX_TRACKED * WORDS];

RISCADE_HOOK void on_tick(int64_t tick) {
    (void)tick;
    int ncoins = collect(RC_KIND_COIN, coins, MAX_TRACKED);
    for (int c = 0; c < ncoins; c++) {
        int64_t *coin = &coins[c * WORDS];
        int64_t value = rc_entity_prop_get(coin[0], value_key);
        if (value <= 0)
            continue;  /* not one of ours */
        int64_t player = player_near(coin[2], coin[3]);
        if (player != RC_NO_ENTITY)
            take(player, coin[0], value, coin[2], coin[3]);
    }
}

RISCADE_HOOK void on_message(const char *from, size_t from_len, const void *payload,
                             size_t len) {
    if (len != sizeof(int64_t))
        return;
    const unsigned char *b = payload;
    uint64_t id = 0;
    for (int i = 7; i >= 0; i--)
        id = (id << 8) | b[i];
    int64_t player = (int64_t)id;
    if (rc_entity_get_kind(player) != RC_KIND_PLAYER)
        return;
    int64_t x = rc_entity_get_x(player), y = rc_entity_get_y(player);
    if (rc_query_radius(x, y, BONUS_OFFSET, RC_KIND_COIN, 0, 0) > 0)
        return;
    int64_t coin = coin_at(x + BONUS_OFFSET, y);
    char line[128];
    int n = snprintf(line, sizeof line, "bonus coin %lld for entity %lld (asked by %.*s)",
                     (long long)coin, (long long)player, (int)from_len, from);
    rc_log(line, (size_t)n);
}

RISCADE_HOOK int64_t on_save(int64_t buf, int64_t cap) {
    if (cap < (int64_t)sizeof coins_taken)
        return 0;
    memcpy((void *)(uintptr_t)buf, &coins_taken, sizeof coins_taken);
    return (int64_t)sizeof coins_taken;
}

RISCADE_HOOK void on_restore(const void *data, size_t data_len) {
    init();
    if (data_len == sizeof coins_taken)
        memcpy(&coins_taken, data, sizeof coins_taken);
}

int main(void) {
    puts("pickups: ready");
    return 0;
}
