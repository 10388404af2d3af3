"""Render ``riscade.zig``: inline-asm wrappers, std options for the VM, constants, hook docs."""

from __future__ import annotations

from mods.host_api import Constant, Hook
from vm.hostcalls import HOSTCALL_BASE, ArgKind, HostFunction

from .ids import ID_CONSTANTS, param_id, result_id
from .model import CONVENTION, Sdk

ZIG_TYPES = {
    ArgKind.I32: "i32", ArgKind.I64: "i64", ArgKind.U32: "u32", ArgKind.U64: "u64",
    ArgKind.F32: "f32", ArgKind.F64: "f64", ArgKind.STR: "[]const u8",
    ArgKind.BYTES: "[]const u8",
}

_TO_REGISTER = {
    ArgKind.I32: "@as(u64, @bitCast(@as(i64, {})))",
    ArgKind.I64: "@as(u64, @bitCast({}))",
    ArgKind.U32: "@as(u64, {})",
    ArgKind.U64: "{}",
    ArgKind.F32: "@as(u64, @as(u32, @bitCast({})))",
    ArgKind.F64: "@as(u64, @bitCast({}))",
}

_FROM_REGISTER = {
    ArgKind.I32: "@truncate(@as(i64, @bitCast({})))",
    ArgKind.I64: "@bitCast({})",
    ArgKind.U32: "@truncate({})",
    ArgKind.U64: "{}",
    ArgKind.F32: "@bitCast(@as(u32, @truncate({})))",
    ArgKind.F64: "@bitCast({})",
}


def _type(name: str, kind: ArgKind) -> str:
    """The Zig type of a parameter: an id type, or the plain type of its kind."""
    ident = param_id(name, kind)
    return ident.type_name if ident else ZIG_TYPES[kind]


def _result_type(fn: HostFunction) -> str:
    ident = result_id(fn.returns, fn.doc)
    if ident:
        return "?" + ident.type_name
    return ZIG_TYPES[fn.returns] if fn.returns else "void"


def hook_signature(hook: Hook) -> str:
    """How a mod declares ``hook`` in Zig (the SDK checks this at compile time)."""
    params = ", ".join(f"{n}: {_type(n, k)}" for n, k in hook.params)
    ret = ZIG_TYPES[hook.returns] if hook.returns else "void"
    return f"pub fn {hook.name}({params}) {ret}"


def _hook_fn_type(hook: Hook) -> str:
    params = ", ".join(_type(n, k) for n, k in hook.params)
    ret = ZIG_TYPES[hook.returns] if hook.returns else "void"
    return f"fn ({params}) {ret}"


def _hook_export(hook: Hook) -> str:
    """The block of ``exportHooks`` that checks and exports one hook."""
    c_params, args = [], []
    for name, kind in hook.params:
        if kind in (ArgKind.STR, ArgKind.BYTES):
            c_params += [f"{name}: [*]const u8", f"{name}_len: usize"]
            args.append(f"{name}[0..{name}_len]")
        else:
            c_params.append(f"{name}: {ZIG_TYPES[kind]}")
            args.append(f"@enumFromInt({name})" if param_id(name, kind) else name)
    ret = ZIG_TYPES[hook.returns] if hook.returns else "void"
    call = f"Mod.{hook.name}({', '.join(args)})"
    body = f"return {call};" if hook.returns else f"{call};"
    return (f'    if (comptime hasPub(Mod, "{hook.name}")) {{\n'
            f'        checkHook(Mod, "{hook.name}", {_hook_fn_type(hook)}, '
            f'"{hook_signature(hook)}");\n'
            f"        @export(&struct {{\n"
            f"            fn f({', '.join(c_params)}) callconv(.c) {ret} {{\n"
            f"                {body}\n"
            f"            }}\n"
            f'        }}.f, .{{ .name = "{hook.name}" }});\n'
            f"    }}\n")


def render_function(fn: HostFunction) -> str:
    """One ``pub inline fn`` wrapper, with typed ids (``mods.sdk.ids``)."""
    params = ", ".join(f"{n}: {_type(n, k)}" for n, k in fn.params)
    regs: list[str] = []
    for name, kind in fn.params:
        if kind in (ArgKind.STR, ArgKind.BYTES):
            regs += [f"@intFromPtr({name}.ptr)", f"@as(u64, {name}.len)"]
        elif param_id(name, kind):
            regs.append(f"@as(u64, @bitCast(@intFromEnum({name})))")
        else:
            regs.append(_TO_REGISTER[kind].format(name))
    inputs = [f'          [a7] "{{a7}}" (HOSTCALL_BASE + {fn.number}),']
    inputs += [f'          [a{i}] "{{a{i}}}" ({value}),' for i, value in enumerate(regs)]
    asm = ("asm volatile (\"ecall\"\n"
           "        : [ret] \"={a0}\" (-> u64),\n"
           "        : " + "\n".join(inputs).lstrip() + "\n"
           "        : .{ .memory = true })")
    ident = result_id(fn.returns, fn.doc)
    if ident:
        body = (f"    const r: i64 = @bitCast({asm});\n"
                f"    return if (r == {ident.none}_RAW) null else @enumFromInt(r);")
    elif fn.returns:
        body = f"    const r: u64 = {asm};\n    return {_FROM_REGISTER[fn.returns].format('r')};"
    else:
        body = f"    _ = {asm};"
    return (f"/// {fn.number}: {fn.doc} [{fn.side.value}]\n"
            f"pub inline fn {fn.name}({params}) {_result_type(fn)} {{\n{body}\n}}\n")


def _constant(const: Constant) -> str:
    ident = ID_CONSTANTS.get(const.name)
    if ident is None:
        return f"pub const {const.name}: i64 = {const.value}; // {const.doc}\n"
    return (f"pub const {const.name}: {ident.type_name} = @enumFromInt({const.value}); "
            f"// {const.doc}\n"
            f"const {const.name}_RAW: i64 = {const.value};\n")


def render(sdk: Sdk) -> str:
    """The whole module."""
    convention = "\n".join(f"//! {line}".rstrip() for line in CONVENTION.splitlines())
    logs = any(fn.name == "log" and [k for _, k in fn.params] == [ArgKind.STR]
               for fn in sdk.functions)
    panic_doc = "log the message through the host" if logs else "no message (no log function)"
    panic_log = "log(msg);" if logs else "_ = msg;"
    hooks = "\n".join(f"//!     {hook_signature(h)}\n//!         {h.doc}" for h in sdk.hooks)
    names = ", ".join(h.name for h in sdk.hooks)
    out = [f"""\
//! riscade.zig: the riscade mod SDK for Zig.
//! GENERATED by `python -m mods.sdk` from mods/host_api.py. Do not edit.
//!
//! Host ABI {sdk.abi_hash}
//!
{convention}
//!
//! A mod's file is the module "mod" under a root file the build supplies ({ROOT_FILE}:
//! std options, panic handler, `main`, hook exports). It declares any of these hooks as
//! `pub fn` (not `export`): the SDK checks each signature at compile time, then exports a
//! C-ABI wrapper under the hook's name. It may declare `pub fn main() void` (run once when
//! the mod loads).
{hooks}
//! Entity and player ids are the distinct types `EntityId` and `PlayerId`; a function that
//! may find none returns an optional (null instead of NO_ENTITY / NO_PLAYER).
//! Positions and velocities are fixed-point integers (FIXED_ONE = one world unit).

const std = @import("std");

pub const HOST_ABI = "{sdk.abi_hash}";

/// a7 = HOSTCALL_BASE + host function number
pub const HOSTCALL_BASE: u64 = {HOSTCALL_BASE:#x};

/// An entity's id (the host's i64). `raw()` gives the number, `@enumFromInt(n)` makes one.
pub const EntityId = enum(i64) {{
    _,
    pub fn raw(self: EntityId) i64 {{
        return @intFromEnum(self);
    }}
}};

/// A player's id (the host's i64). `raw()` gives the number, `@enumFromInt(n)` makes one.
pub const PlayerId = enum(i64) {{
    _,
    pub fn raw(self: PlayerId) i64 {{
        return @intFromEnum(self);
    }}
}};

/// std options every mod adopts (the build's root file declares them): the VM delivers no
/// signals, so no signal stack (it would cost 256 KiB of thread-local memory and a failing
/// sigaltstack call).
pub const std_options: std.Options = .{{
    .signal_stack_size = null,
    .enable_segfault_handler = false,
}};

/// Panic handler every mod adopts: {panic_doc}, then trap (the VM
/// reports an illegal instruction at the panic site, with its symbol).
pub const panic = std.debug.FullPanic(panicHandler);

fn panicHandler(msg: []const u8, first_trace_addr: ?usize) noreturn {{
    _ = first_trace_addr;
    {panic_log}
    @trap();
}}

// Constants
"""]
    out += [_constant(const) for const in sdk.constants]
    out.append("\n// Host functions\n")
    out += ["\n" + render_function(fn) for fn in sdk.functions]
    out.append(f"""
// Hooks

fn hasPub(comptime Mod: type, comptime name: []const u8) bool {{
    for (@typeInfo(Mod).@"struct".decl_names) |decl| {{
        if (std.mem.eql(u8, decl, name)) return true;
    }}
    return false;
}}

fn checkHook(comptime Mod: type, comptime name: []const u8, comptime T: type,
             comptime signature: []const u8) void {{
    const F = @TypeOf(@field(Mod, name));
    if (F != T) @compileError("riscade: hook " ++ name ++ " must be `" ++ signature ++
        "`, not " ++ @typeName(F));
}}

const hook_names = [_][]const u8{{ {", ".join(f'"{h.name}"' for h in sdk.hooks)} }};

/// Check the hooks `mod` declares and export each under its name (the build's root file
/// calls this). A `pub` declaration named on_* that is not a hook is a compile error.
pub fn exportHooks(comptime Mod: type) void {{
    for (@typeInfo(Mod).@"struct".decl_names) |decl| {{
        if (!std.mem.startsWith(u8, decl, "on_")) continue;
        for (hook_names) |hook| {{
            if (std.mem.eql(u8, decl, hook)) break;
        }} else @compileError("riscade: " ++ decl ++ " is not a hook (names starting with " ++
            "on_ are reserved for hooks: {names})");
    }}
""")
    out += [_hook_export(h) for h in sdk.hooks]
    out.append("""}

/// Run the mod's `pub fn main() void` (or `!void`: an error panics with its name), if it
/// has one (the build's root file calls this).
pub fn runMain(comptime Mod: type) void {
    if (comptime !hasPub(Mod, "main")) return;
    const R = @typeInfo(@TypeOf(Mod.main)).@"fn".return_type.?;
    if (@typeInfo(R) == .error_union) {
        Mod.main() catch |err| @panic(@errorName(err));
    } else {
        Mod.main();
    }
}
""")
    return "".join(out)


#: The root file of every Zig mod, written next to ``riscade.zig``.
ROOT_FILE = "riscade_root.zig"


def render_root(sdk: Sdk) -> str:
    """The root file the build compiles every Zig mod under (module ``mod``)."""
    return f"""\
//! {ROOT_FILE}: the root file of every riscade Zig mod, supplied by the build.
//! GENERATED by `python -m mods.sdk` from mods/host_api.py. Do not edit.
//!
//! Host ABI {sdk.abi_hash}
//!
//! The mod's own file is the module "mod"; this file gives it the SDK's std options and
//! panic handler, checks and exports its hooks, and runs its `pub fn main`.
const riscade = @import("riscade");
const mod = @import("mod");

pub const std_options = riscade.std_options;
pub const panic = riscade.panic;

comptime {{
    riscade.exportHooks(mod);
}}

pub fn main() void {{
    riscade.runMain(mod);
}}
"""
