//! Hostile: @embedFile through a symlink (secret.txt) the test points outside the mod.
const riscade = @import("riscade");

const stolen = @embedFile("secret.txt");

pub fn on_tick(tick: i64) void {
    _ = tick;
    riscade.log(stolen);
}

