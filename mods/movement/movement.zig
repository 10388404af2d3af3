//! movement: steers player entities from their inputs and moves every entity.
//!
//! Each tick, for every player that sent input: a held direction accelerates its entity by
//! ACCEL per tick up to MAX_SPEED on that axis; an axis with no direction held loses a
//! quarter of its speed (rounded towards zero), and stops below STOP_SPEED. Then every
//! entity with a velocity (read 1024 at a time with one query_kind call) moves by it; one
//! that would leave the arena stops at the wall (position clamped to [0, width] x
//! [0, height], that velocity component set to 0).
//! All values are fixed-point integers, so every machine computes the same positions.
//! Players look like blue squares one unit wide, labelled "P<id>".
const std = @import("std");
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

pub fn on_load() void {
    _ = riscade.kind_style(riscade.KIND_PLAYER, riscade.SHAPE_SQUARE, 0x3399FF, riscade.FIXED_ONE);
}

pub fn on_player_join(player: PlayerId, entity: EntityId) void {
    var buf: [24]u8 = undefined;
    const label = std.fmt.bufPrint(&buf, "P{d}", .{player.raw()}) catch "P";
    _ = riscade.entity_label(entity, label);
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

/// Entity records (id, kind, x, y, vx, vy) of one query_kind page.
const RECORD: usize = @intCast(riscade.QUERY_RECORD_WORDS);
const PAGE: usize = 1024;
var page: [PAGE * RECORD]i64 = undefined;

/// Every entity, in id order, a page of records per host call (not 3-8 host calls each).
fn moveEntities() void {
    const width = riscade.world_width();
    const height = riscade.world_height();
    var first: i64 = 0;
    while (true) {
        const matched = riscade.query_kind(riscade.KIND_ANY, first, @intFromPtr(&page), PAGE);
        const got: usize = @min(@as(usize, @intCast(matched)), PAGE);
        for (0..got) |i| {
            const r = page[i * RECORD ..][0..RECORD];
            const e: EntityId = @enumFromInt(r[0]);
            const vx = r[4];
            const vy = r[5];
            if (vx == 0 and vy == 0) continue;
            const x = advance(r[2], vx, width);
            const y = advance(r[3], vy, height);
            riscade.entity_set_pos(e, x.pos, y.pos);
            if (x.v != vx or y.v != vy) riscade.entity_set_vel(e, x.v, y.v);
        }
        if (got < PAGE or @as(usize, @intCast(matched)) == PAGE) break;
        first = page[(PAGE - 1) * RECORD] + 1;
    }
}

pub fn on_tick(tick: i64) void {
    _ = tick;
    steerPlayers();
    moveEntities();
}

