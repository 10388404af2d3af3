//! Hostile: @embedFile through a symlink (secret.txt) the test points outside the mod.
const riscade = @import("riscade");
pub const std_options = riscade.std_options;
pub const panic = riscade.panic;

const stolen = @embedFile("secret.txt");

export fn on_tick(tick: i64) void {
    _ = tick;
    riscade.log(stolen);
}

pub fn main() void {}
