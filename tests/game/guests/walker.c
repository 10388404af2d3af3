/* Test mod: buttons set a player's velocity, on_tick moves players inside the arena. */
#include "../../../mods/sdk/riscade.h"

#define SPEED (2 * RC_FIXED_ONE)

static long ticks_seen; /* machine state that must match across machines */

RISCADE_HOOK void on_input(int64_t player, int64_t buttons)
{
    int64_t e = rc_player_entity(player);
    int64_t vx = 0, vy = 0;
    if (buttons & RC_BUTTON_LEFT) vx -= SPEED;
    if (buttons & RC_BUTTON_RIGHT) vx += SPEED;
    if (buttons & RC_BUTTON_UP) vy -= SPEED;
    if (buttons & RC_BUTTON_DOWN) vy += SPEED;
    rc_entity_set_vel(e, vx, vy);
}

static int64_t clamp(int64_t v, int64_t hi) { return v < 0 ? 0 : v > hi ? hi : v; }

RISCADE_HOOK void on_tick(int64_t tick)
{
    ticks_seen++;
    int64_t w = rc_world_width(), h = rc_world_height();
    for (int64_t i = 0; i < rc_entity_count(); i++) {
        int64_t e = rc_entity_at(i);
        if (rc_entity_get_kind(e) != RC_KIND_PLAYER) continue;
        rc_entity_set_pos(e, clamp(rc_entity_get_x(e) + rc_entity_get_vx(e), w - 1),
                          clamp(rc_entity_get_y(e) + rc_entity_get_vy(e), h - 1));
    }
}

RISCADE_HOOK int64_t on_chat(int64_t player, const char *text, size_t len)
{
    if (len == 6 && text[0] == '/' && text[1] == 's') { /* "/score" */
        rc_entity_add_score(rc_player_entity(player), 1);
        return 1;
    }
    return 0;
}

int main(void) { return 0; }
