"""A hook with a wrong signature, a misspelt name or no export fails the build with the mod's
file:line, in every language (real toolchain); the Zig typed API runs a mod in the game."""

from __future__ import annotations

from pathlib import Path

import pytest

from game.simulation import Simulation, TickInputs
from mods import HOOKS, ModBuildError
from mods.build import BuildResult, build_mods
from mods.hookcheck import definitions, problems
from mods.manifest import Language, ModSpec
from tests.support.mod_images import image_of

SUFFIX = {"c": "c", "zig": "zig", "nim": "nim"}


def build_one(tmp_path: Path, language: str, source: str, *,
              permissions: str = "[]") -> tuple[BuildResult, Path]:
    """Build a one-file mod ``m`` in ``language``; the result and the source's path."""
    mod = tmp_path / "mods" / "m"
    mod.mkdir(parents=True)
    path = mod / f"m.{SUFFIX[language]}"
    path.write_text(source)
    (mod / "mod.toml").write_text(
        f'name = "m"\nversion = "1.0.0"\nlanguage = "{language}"\n'
        f'sources = ["m.{SUFFIX[language]}"]\npermissions = {permissions}\n')
    [result] = build_mods(tmp_path / "mods", tmp_path / "cache")
    return result, path


def failure(result: BuildResult) -> str:
    assert isinstance(result.error, ModBuildError), result.error
    return str(result.error)


# (language, source, line of the offending definition, message part)
WRONG_SIGNATURES = {
    "c": ('#include "riscade.h"\n'
          "\n"
          "RISCADE_HOOK void on_tick(int32_t tick) { (void)tick; }\n"
          "int main(void) { return 0; }\n", 3, "on_tick"),
    "zig": ('const riscade = @import("riscade");\n'
            "\n"
            "pub fn on_tick(tick: i32) void {\n"
            "    _ = tick;\n"
            "}\n", 3, "riscade: hook on_tick must be `pub fn on_tick(tick: i64) void`"),
    "nim": ("import riscade\n"
            "\n"
            "proc on_chat(player: int64, text: cstring): int64 {.hook.} =\n"
            "  0\n", 3,
            "riscade: hook on_chat must be `proc on_chat(player: int64, text: string): "
            "int64 {.hook.}`"),
}


@pytest.mark.parametrize("language", sorted(WRONG_SIGNATURES))
def test_wrong_hook_signature_fails_the_build_at_its_line(tmp_path, language) -> None:
    source, line, message = WRONG_SIGNATURES[language]
    result, path = build_one(tmp_path, language, source)
    text = failure(result)
    assert f"{path}:{line}:" in text, text
    assert message in text


MISSPELT = {
    "c": ('#include "riscade.h"\n'
          "RISCADE_HOOK void on_tik(int64_t tick) { (void)tick; }\n"
          "int main(void) { return 0; }\n", 2),
    "zig": ('const riscade = @import("riscade");\n'
            "pub fn on_tik(tick: i64) void {\n    _ = tick;\n}\n", 2),
    "nim": ("import riscade\nproc on_tik(tick: int64) {.hook.} =\n  discard\n", 2),
}


@pytest.mark.parametrize("language", sorted(MISSPELT))
def test_misspelt_hook_fails_the_build_at_its_line(tmp_path, language) -> None:
    source, line = MISSPELT[language]
    result, path = build_one(tmp_path, language, source)
    text = failure(result)
    assert f"{path}:{line}: error: riscade: on_tik is not a hook" in text or \
        f"{path}:{line}: error: on_tik is not a hook" in text, text
    assert "on_tick" in text  # the list of hooks


NOT_EXPORTED = {
    "zig": ('const riscade = @import("riscade");\n'
            "fn on_tick(tick: i64) void {\n    _ = tick;\n}\n", 2, "declare it `pub fn`"),
    "zig-export": ('const riscade = @import("riscade");\n'
                   "export fn on_tick(tick: i64) void {\n    _ = tick;\n}\n", 2,
                   "as `pub fn`, not `export fn`"),
    "nim": ("import riscade\nproc on_tick(tick: int64) =\n  discard\n", 2,
            "add the `{.hook.}` pragma"),
    "zig-private-misspelt": ('const riscade = @import("riscade");\n'
                             "fn on_tik(tick: i64) void {\n    _ = tick;\n}\n", 2,
                             "on_tik is not a hook"),
}


@pytest.mark.parametrize("case", sorted(NOT_EXPORTED))
def test_hook_that_is_not_exported_fails_the_build_at_its_line(tmp_path, case) -> None:
    source, line, message = NOT_EXPORTED[case]
    result, path = build_one(tmp_path, case.split("-")[0], source)
    text = failure(result)
    assert f"{path}:{line}: error:" in text and message in text, text


def test_c_static_misspelt_function_is_not_an_error(tmp_path) -> None:
    """C: a static on_* function is not exported, and a line scan cannot tell it from code
    in ``#if 0``: the compiler's unused-function warning is what the modder gets."""
    result, _ = build_one(tmp_path, "c", '#include "riscade.h"\n'
                          "#if 0\nRISCADE_HOOK void on_tik(int64_t t) { (void)t; }\n#endif\n"
                          "/* void on_tok(void) { } */\n"
                          "static void on_helper(void) { }\n"
                          "int main(void) { on_helper(); return 0; }\n")
    assert result.ok, result.error


def test_definitions_scan(tmp_path) -> None:
    src = tmp_path / "a.zig"
    src.write_text("pub fn on_tick(t: i64) void {}\n    fn on_inner() void {}\n"
                   "// fn on_comment() void {}\nexport fn on_load() void {}\n")
    spec = ModSpec("a", "1.0.0", Language.ZIG, ("a.zig",), tmp_path)
    found = [(d.name, d.line, d.export_keyword) for d in definitions(spec)]
    assert found == [("on_tick", 1, False), ("on_load", 4, True)]
    assert problems(spec, {"on_tick", "on_load"}) == [
        f"{src}:4: error: declare hook on_load as `pub fn`, not `export fn` (the SDK checks "
        "its signature and exports it)"]


TYPED_ZIG = """\
//! Uses the typed API: ids, optionals, a string hook argument.
const rc = @import("riscade");

var coin: ?rc.EntityId = null;

pub fn main() void {
    rc.log("typed: main");
}

pub fn on_player_join(player: rc.PlayerId, entity: rc.EntityId) void {
    const mine = rc.player_entity(player) orelse return;
    if (mine != entity) @panic("player_entity disagrees with on_player_join");
    if (rc.player_entity(@enumFromInt(999)) != null) @panic("unknown player has an entity");
    coin = rc.entity_spawn(rc.KIND_COIN, 10 * rc.FIXED_ONE, 20 * rc.FIXED_ONE);
}

pub fn on_chat(player: rc.PlayerId, text: []const u8) i64 {
    if (!std.mem.eql(u8, text, "/owner")) return 0;
    const c = coin orelse return 0;
    rc.entity_set_owner(c, player);
    const owner = rc.entity_get_owner(c) orelse return 0;
    rc.send_chat(owner, "you own the coin");
    rc.entity_set_owner(c, rc.NO_PLAYER);
    if (rc.entity_get_owner(c) != null) @panic("NO_PLAYER is not null");
    return 1;
}

const std = @import("std");
"""


def test_zig_typed_api_compiles_and_runs_in_the_game(tmp_path) -> None:
    result, _ = build_one(tmp_path, "zig", TYPED_ZIG, permissions='["players"]')
    assert result.ok, result.error
    assert result.hooks == ("on_player_join", "on_chat")
    sim = Simulation([image_of(result)])
    assert ("m", "typed: main") in sim.logs
    sim.step(TickInputs(1, joins=((5, "p5"),)))
    coins = [e for e in sim.world.entities.values() if e.kind == 2]
    assert [(c.x, c.y) for c in coins] == [(2560, 5120)]
    sim.step(TickInputs(2, chats=((5, "/owner"),)))
    assert [(c.player, c.text) for c in sim.mod_chat] == [(5, "you own the coin")]
    assert coins[0].owner == -1 and sim.faults == []


def test_definitions_scan_c(tmp_path) -> None:
    src = tmp_path / "a.c"
    src.write_text("/* void on_comment(void) {\n} */\n"
                   "RISCADE_HOOK void on_tick(int64_t t);\n"
                   "RISCADE_HOOK void\non_tick(int64_t t) {\n    on_load();\n}\n"
                   "// void on_line(void) {}\n"
                   "static int64_t *on_tik (void) { return 0; }\n")
    spec = ModSpec("a", "1.0.0", Language.C, ("a.c",), tmp_path)
    assert [(d.name, d.line) for d in definitions(spec)] == [("on_tick", 5), ("on_tik", 9)]
    assert problems(spec, {"on_tick"}) == []  # a static misspelt function is not exported
    assert problems(spec, {"on_tick", "on_tik"}) == [
        f"{src}:9: error: on_tik is not a hook (names starting with on_ are reserved for "
        f"hooks: {', '.join(h.name for h in HOOKS)})"]
