//! movement: steers player entities from their inputs and moves every entity.
//!
//! Each tick, for every player that sent input: a held direction accelerates its entity by
//! ACCEL per tick up to MAX_SPEED on that axis; an axis with no direction held loses a
//! quarter of its speed (rounded towards zero), and stops below STOP_SPEED. Then every
//! entity with a velocity moves by it; one that would leave the arena stops at the wall
//! (position clamped to [0, width] x [0, height], that velocity component set to 0).
//! All values are fixed-point integers, so every machine computes the same positions.
const riscade = @import("riscade");
const PlayerId = riscade.PlayerId;
const EntityId = riscade.EntityId;

pub const ACCEL: i64 = riscade.FIXED_ONE / 4;
pub const MAX_SPEED: i64 = 3 * riscade.FIXED_ONE;
pub const FRICTION_DIV: i64 = 4;
pub const STOP_SPEED: i64 = riscade.FIXED_ONE / 32;

const MAX_PLAYERS = 64;

const Input = struct { player: PlayerId, buttons: i64 };

/// The last buttons of each player that sent input, in order of first input.
var inputs: [MAX_PLAYERS]Input = undefined;
var input_count: usize = 0;

fn findInput(player: PlayerId) ?usize {
    for (inputs[0..input_count], 0..) |slot, i| {
        if (slot.player == player) return i;
    }
    return null;
}

pub fn on_input(player: PlayerId, buttons: i64) void {
    if (findInput(player)) |i| {
        inputs[i].buttons = buttons;
    } else if (input_count < MAX_PLAYERS) {
        inputs[input_count] = .{ .player = player, .buttons = buttons };
        input_count += 1;
    } else {
        riscade.log("movement: too many players, input ignored");
    }
}

pub fn on_player_leave(player: PlayerId, entity: EntityId) void {
    _ = entity;
    if (findInput(player)) |i| {
        input_count -= 1;
        inputs[i] = inputs[input_count];
    }
}

/// -1, 0 or 1: the direction held on one axis.
fn axis(buttons: i64, negative: i64, positive: i64) i64 {
    const neg: i64 = if (buttons & negative != 0) 1 else 0;
    const pos: i64 = if (buttons & positive != 0) 1 else 0;
    return pos - neg;
}

/// One axis of velocity after a tick of steering.
pub fn steer(v: i64, direction: i64) i64 {
    if (direction != 0) {
        return @max(-MAX_SPEED, @min(MAX_SPEED, v + direction * ACCEL));
    }
    const slowed = v - @divTrunc(v, FRICTION_DIV);
    return if (@abs(slowed) < STOP_SPEED) 0 else slowed;
}

fn steerPlayers() void {
    for (inputs[0..input_count]) |slot| {
        const e = riscade.player_entity(slot.player) orelse continue;
        const vx = steer(riscade.entity_get_vx(e), axis(slot.buttons, riscade.BUTTON_LEFT, riscade.BUTTON_RIGHT));
        const vy = steer(riscade.entity_get_vy(e), axis(slot.buttons, riscade.BUTTON_UP, riscade.BUTTON_DOWN));
        riscade.entity_set_vel(e, vx, vy);
    }
}

/// Advance one coordinate; returns the new position and velocity (0 after hitting a wall).
fn advance(pos: i64, v: i64, limit: i64) struct { pos: i64, v: i64 } {
    const next = pos + v;
    if (next < 0) return .{ .pos = 0, .v = 0 };
    if (next > limit) return .{ .pos = limit, .v = 0 };
    return .{ .pos = next, .v = v };
}

fn moveEntities() void {
    const width = riscade.world_width();
    const height = riscade.world_height();
    const n = riscade.entity_count();
    var i: i64 = 0;
    while (i < n) : (i += 1) {
        const e = riscade.entity_at(i) orelse break;
        const vx = riscade.entity_get_vx(e);
        const vy = riscade.entity_get_vy(e);
        if (vx == 0 and vy == 0) continue;
        const x = advance(riscade.entity_get_x(e), vx, width);
        const y = advance(riscade.entity_get_y(e), vy, height);
        riscade.entity_set_pos(e, x.pos, y.pos);
        if (x.v != vx or y.v != vy) riscade.entity_set_vel(e, x.v, y.v);
    }
}

pub fn on_tick(tick: i64) void {
    _ = tick;
    steerPlayers();
    moveEntities();
}

