"""The generated SDK: committed files match the generator, and every language's wrappers
follow the host-call convention (checked by running compiled probes in a machine)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mods import HOOKS, HOST_API
from mods.manifest import Language, ModSpec
from mods.sdk import SDK_DIR, SDK_FILES, Sdk, generate, stale_files, write_sdk
from mods.toolchain import command, write_cc_wrapper
from vm.hostcalls import ArgKind, HostFunction, HostRegistry, Side

from .conftest import MODS_DIR


def test_committed_sdk_matches_the_generator() -> None:
    assert stale_files() == [], "run `python -m mods.sdk` and commit the result"
    assert SDK_DIR == MODS_DIR / "sdk"


def test_generation_is_reproducible_and_pure() -> None:
    assert generate() == generate()
    for text in generate().values():
        assert str(MODS_DIR.parent) not in text  # no paths
        assert HOST_API.abi_hash() in text


def test_cli_check_and_write(tmp_path) -> None:
    run = [sys.executable, "-m", "mods.sdk", "--out", str(tmp_path)]
    cwd = MODS_DIR.parent
    assert subprocess.run([*run, "--check"], cwd=cwd, capture_output=True).returncode == 1
    assert subprocess.run(run, cwd=cwd, capture_output=True).returncode == 0
    assert subprocess.run([*run, "--check"], cwd=cwd, capture_output=True).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(SDK_FILES.values())


def test_every_function_hook_and_constant_appears_in_every_language() -> None:
    files = generate()
    for fn in HOST_API.functions():
        assert f"rc_{fn.name}(" in files["riscade.h"]
        assert f"HOSTCALL_BASE + {fn.number};" in files["riscade.h"]
        assert f"pub inline fn {fn.name}(" in files["riscade.zig"]
        assert f"proc {fn.name}*(" in files["riscade.nim"]
    for hook in HOOKS:
        for lang in ("c", "zig", "nim"):
            assert hook.name in files[SDK_FILES[lang]]


def test_host_api_table_rules() -> None:
    functions = HOST_API.functions()
    assert len({f.name for f in functions}) == len(functions)
    keywords = {"len", "ptr", "type", "var", "let", "proc", "fn", "const", "int", "char",
                "export", "error", "result", "addr", "out", "in", "of", "and", "or"}
    for fn in functions:
        assert fn.doc and re.fullmatch(r"[a-z][a-z0-9_]*", fn.name)
        for name, _ in fn.params:
            # a parameter must not shadow a function (Zig forbids it) or a keyword
            assert name not in {f.name for f in functions} and name not in keywords
        if fn.side is not Side.BOTH:
            # one-sided functions return nothing, so the simulation cannot depend on the side
            assert fn.returns is None, fn.name
    for hook in HOOKS:
        assert hook.name.startswith("on_") and hook.doc


def test_placeholder_impls_say_the_engine_supplies_them() -> None:
    with pytest.raises(NotImplementedError, match="entity_spawn"):
        HOST_API.by_name("entity_spawn").impl(None, 1, 2, 3)


# -- probes: compile a mod per language against an SDK, run it, record the host calls ----

PROBES = {
    Language.C: ("probe.c", """\
#include "riscade.h"
RISCADE_HOOK void on_tick(int64_t tick) {
    rc_log(RC_LIT("probe"));
    rc_send_chat(RC_ALL_PLAYERS, RC_LIT("to all"));
    int64_t id = rc_entity_spawn(RC_KIND_COIN, -5 * RC_FIXED_ONE, tick);
    rc_entity_set_vel(id, INT64_MIN, INT64_MAX);
    uint32_t r = rc_random_u32();
    rc_emit_event((int64_t)r, id, rc_entity_add_score(id, -3));
}
int main(void) { return 0; }
"""),
    Language.ZIG: ("probe.zig", """\
const rc = @import("riscade");
pub fn on_tick(tick: i64) void {
    rc.log("probe");
    rc.send_chat(rc.ALL_PLAYERS, "to all");
    const id: rc.EntityId = rc.entity_spawn(rc.KIND_COIN, -5 * rc.FIXED_ONE, tick) orelse return;
    rc.entity_set_vel(id, -9223372036854775808, 9223372036854775807);
    const r: u32 = rc.random_u32();
    rc.emit_event(@as(i64, r), id.raw(), rc.entity_add_score(id, -3));
}
"""),
    Language.NIM: ("probe.nim", """\
import riscade
proc on_tick(tick: int64) {.hook.} =
  log("probe")
  send_chat(ALL_PLAYERS, "to all")
  let id = entity_spawn(KIND_COIN, -5 * FIXED_ONE, tick)
  entity_set_vel(id, low(int64), high(int64))
  let r: uint32 = random_u32()
  emit_event(int64(r), id, entity_add_score(id, -3))
"""),
}

EXPECTED_CALLS = [
    ("log", "probe"), ("send_chat", -1, "to all"), ("entity_spawn", 2, -1280, 42),
    ("entity_set_vel", 77, -(1 << 63), (1 << 63) - 1), ("random_u32",),
    ("entity_add_score", 77, -3), ("emit_event", 0xFFFFFFFE, 77, -9),
]
RETURNS = {"entity_spawn": 77, "random_u32": 0xFFFFFFFE, "entity_add_score": -9}


def compile_probe(tmp_path: Path, language: Language, source: tuple[str, str],
                  sdk_dir: Path) -> Path:
    """Compile a one-file mod with the build's own command line."""
    name, text = source
    mod = tmp_path / "probe"
    mod.mkdir(exist_ok=True)
    (mod / name).write_text(text)
    spec = ModSpec("probe", "1.0.0", language, (name,), mod)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    out = tmp_path / "probe.elf"
    argv = command(spec, out, work, sdk_dir, write_cc_wrapper(tmp_path / "tools"))
    proc = subprocess.run(argv, cwd=work, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def recording(registry: HostRegistry, returns: dict[str, object]) -> tuple[HostRegistry, list]:
    calls: list[tuple] = []

    def impl_for(name: str):
        def impl(machine, *args):
            calls.append((name, *args))
            return returns.get(name)
        return impl

    return registry.with_impls({f.name: impl_for(f.name) for f in registry.functions()}), calls


@pytest.mark.parametrize("language", list(Language), ids=lambda lang: lang.value)
def test_wrappers_follow_the_calling_convention(tmp_path, make_machine, language) -> None:
    elf = compile_probe(tmp_path, language, PROBES[language], SDK_DIR)
    registry, calls = recording(HOST_API, RETURNS)
    machine = make_machine(elf, registry)
    machine.run_main()
    machine.call("on_tick", 42)
    assert calls == EXPECTED_CALLS


# -- every argument kind, through a made-up table -------------------------------------------

I32, U32, U64, F32, F64, BYTES, I64 = (ArgKind.I32, ArgKind.U32, ArgKind.U64, ArgKind.F32,
                                       ArgKind.F64, ArgKind.BYTES, ArgKind.I64)


def _fn(number, name, params, returns):
    return HostFunction(number, name, params, returns, lambda m, *a: None, Side.BOTH, name)


ALL_KINDS = HostRegistry([
    _fn(0, "mix", (("a", I32), ("b", U32), ("c", F32), ("d", F64)), I32),
    _fn(1, "blob", (("data", BYTES), ("n", U64)), U64),
    _fn(2, "ret_u32", (), U32),
    _fn(3, "ret_f32", (), F32),
    _fn(4, "ret_f64", (), F64),
    _fn(5, "report", (("value", I64),), None),
])
ALL_KINDS_RETURNS = {"mix": -123, "blob": 102, "ret_u32": 0xFFFFFFF0, "ret_f32": 2.5,
                     "ret_f64": -0.125}
ALL_KINDS_PROBES = {
    Language.C: ("kinds.c", """\
#include "riscade.h"
RISCADE_HOOK void on_tick(int64_t tick) {
    (void)tick;
    rc_report(rc_mix(-7, 4000000000u, 1.5f, -2.25));
    rc_report((int64_t)rc_ret_u32());
    rc_report((int64_t)(rc_ret_f32() * 4));
    rc_report((int64_t)(rc_ret_f64() * 8));
    rc_report((int64_t)rc_blob("\\x01\\x02\\x03", 3, 99));
}
int main(void) { return 0; }
"""),
    Language.ZIG: ("kinds.zig", """\
const rc = @import("riscade");
pub fn on_tick(tick: i64) void {
    _ = tick;
    rc.report(rc.mix(-7, 4000000000, 1.5, -2.25));
    rc.report(rc.ret_u32());
    rc.report(@intFromFloat(rc.ret_f32() * 4));
    rc.report(@intFromFloat(rc.ret_f64() * 8));
    rc.report(@intCast(rc.blob(&[_]u8{ 1, 2, 3 }, 99)));
}
pub fn main() void {}
"""),
    Language.NIM: ("kinds.nim", """\
import riscade
proc on_tick(tick: int64) {.hook.} =
  report(mix(-7, 4000000000'u32, 1.5'f32, -2.25))
  report(int64(ret_u32()))
  report(int64(ret_f32() * 4))
  report(int64(ret_f64() * 8))
  report(int64(blob([1'u8, 2, 3], 99)))
"""),
}


@pytest.mark.parametrize("language", list(Language), ids=lambda lang: lang.value)
def test_every_argument_kind_round_trips(tmp_path, make_machine, language) -> None:
    sdk_dir = tmp_path / "sdk"
    write_sdk(sdk_dir, Sdk.of(ALL_KINDS, HOOKS, ()))
    elf = compile_probe(tmp_path, language, ALL_KINDS_PROBES[language], sdk_dir)
    registry, calls = recording(ALL_KINDS, ALL_KINDS_RETURNS)
    machine = make_machine(elf, registry)
    machine.run_main()
    machine.call("on_tick", 0)
    assert calls == [
        ("mix", -7, 4000000000, 1.5, -2.25), ("report", -123),
        ("ret_u32",), ("report", 0xFFFFFFF0),
        ("ret_f32",), ("report", 10),
        ("ret_f64",), ("report", -1),
        ("blob", b"\x01\x02\x03", 99), ("report", 102),
    ]


# -- hooks with a bytes argument and a Zig main that can fail ---------------------------------

BYTES_PROBES = {
    Language.C: ("restore.c", """\
#include "riscade.h"
RISCADE_HOOK void on_restore(const void *data, size_t data_len) {
    rc_report((int64_t)data_len * 1000 + ((const unsigned char *)data)[data_len - 1]);
}
int main(void) { return 0; }
"""),
    Language.ZIG: ("restore.zig", """\
const rc = @import("riscade");
pub fn main() !void {
    rc.report(7);
}
pub fn on_restore(data: []const u8) void {
    rc.report(@as(i64, @intCast(data.len)) * 1000 + data[data.len - 1]);
}
"""),
    Language.NIM: ("restore.nim", """\
import riscade
proc on_restore(data: seq[byte]) {.hook.} =
  report(int64(data.len) * 1000 + int64(data[^1]))
"""),
}


@pytest.mark.parametrize("language", list(Language), ids=lambda lang: lang.value)
def test_hook_with_a_bytes_argument(tmp_path, make_machine, language) -> None:
    """A hook taking bytes (on_restore) gets them as the language's byte slice."""
    sdk_dir = tmp_path / "sdk"
    write_sdk(sdk_dir, Sdk.of(ALL_KINDS, HOOKS, ()))
    elf = compile_probe(tmp_path, language, BYTES_PROBES[language], sdk_dir)
    registry, calls = recording(ALL_KINDS, {})
    machine = make_machine(elf, registry)
    machine.run_main()
    machine.call("on_restore", b"\x01\x02\xfe")
    main_calls = [("report", 7)] if language is Language.ZIG else []
    assert calls == [*main_calls, ("report", 3254)]
