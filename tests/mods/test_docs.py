"""mods/README.md: the generated reference matches the generator and lists every function,
hook, constant and limit; the walkthrough's mods build and run in the game."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import game.rules
from game.simulation import Simulation, TickInputs
from mods import CONSTANTS, HOOKS, HOST_API
from mods.build import build_mods
from mods.sdk import Sdk, docs
from tests.support.mod_images import image_of
from vm.hostcalls import ArgKind, HostFunction, HostRegistry, Side

from .conftest import MODS_DIR

README = MODS_DIR / "README.md"


def test_committed_readme_matches_the_generator() -> None:
    assert docs.README == README
    assert not docs.readme_is_stale(), "run `python -m mods.sdk` and commit mods/README.md"


def reference() -> str:
    text = README.read_text()
    return text[text.index(docs.BEGIN):text.index(docs.END)]


def test_reference_lists_every_function_hook_and_constant() -> None:
    ref = reference()
    for fn in HOST_API.functions():
        assert re.search(rf"^\| {fn.number} \| `{fn.name}\(.*\| {fn.side.value} \|.*"
                         rf"{re.escape(fn.doc.replace('|', chr(92) + '|'))} \|$", ref, re.M), fn
    for hook in HOOKS:
        assert f"| `{hook.name}(" in ref and hook.doc in ref
        assert f"void {hook.name}(" in ref or f"int64_t {hook.name}(" in ref  # C
        assert f"pub fn {hook.name}(" in ref and f"proc {hook.name}(" in ref  # Zig, Nim
    for const in CONSTANTS:
        assert f"| `{const.name}` | {const.value} |" in ref


def test_reference_lists_every_limit_of_game_rules_with_its_value() -> None:
    ref = reference()
    numbers = [n for n in game.rules.__all__ if isinstance(getattr(game.rules, n), int)]
    assert len(numbers) >= 20
    for name in numbers:
        # a limit that is also a host constant (QUERY_MAX...) has a row in both tables
        rows = [line for line in ref.splitlines() if f"`{name}`" in line
                and line.startswith("| `")]
        assert any(f"{getattr(game.rules, name):,}" in row for row in rows), name
    assert "Faults after which a mod is disabled." in ref  # MAX_FAULTS' own comment
    assert "stdout" in ref and f"{1 << 20:,} bytes per stream" in ref


def test_an_appended_function_reaches_the_reference() -> None:
    extra = HostFunction(200, "entity_nearest", (("x", ArgKind.I64), ("y", ArgKind.I64)),
                         ArgKind.I64, lambda m, *a: 0, Side.BOTH,
                         "The nearest entity, or NO_ENTITY.")
    api = HostRegistry([*HOST_API.functions(), extra])
    ref = docs.render_reference(Sdk.of(api))
    assert ("| 200 | `entity_nearest(x: i64, y: i64) -> i64` | both | `-> ?EntityId` | "
            "The nearest entity, or NO_ENTITY. |") in ref
    assert api.abi_hash() in ref and HOST_API.abi_hash() not in ref


def test_limits_are_grouped_under_their_comment(tmp_path, monkeypatch) -> None:
    (tmp_path / "fake_rules.py").write_text(
        '__all__ = ["A", "B", "C", "D", "E"]\n'
        "#: A and B together.\nA = 1\nB = 2 * A\n\n"
        "#: C alone,\n#: on two lines.\nC = 3\nD = 4\nE = 5  # no #: comment\n_HIDDEN = 6\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert docs.limits("fake_rules") == [
        ([("A", 1), ("B", 2)], "A and B together."),
        ([("C", 3), ("D", 4), ("E", 5)], "C alone, on two lines."),
    ]


def test_cli_check_and_write_the_readme(tmp_path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# mods\n\nhand-written\n\n{docs.BEGIN}\nSTALE-REFERENCE\n{docs.END}\n\nmore\n")
    run = [sys.executable, "-m", "mods.sdk", "--docs", "--readme", str(readme)]
    cwd = MODS_DIR.parent
    check = subprocess.run([*run, "--check"], cwd=cwd, capture_output=True, text=True)
    assert check.returncode == 1 and "README.md (its generated reference) is stale" in \
        check.stderr
    assert subprocess.run(run, cwd=cwd, capture_output=True).returncode == 0
    text = readme.read_text()
    assert text.startswith("# mods\n\nhand-written\n\n") and text.endswith(f"{docs.END}\n\nmore\n")
    assert "STALE-REFERENCE" not in text and "### Host functions" in text
    assert subprocess.run([*run, "--check"], cwd=cwd, capture_output=True).returncode == 0
    readme.write_text("no markers\n")
    bad = subprocess.run(run, cwd=cwd, capture_output=True, text=True)
    assert bad.returncode == 1 and "lacks the lines" in bad.stderr


# -- the walkthrough ---------------------------------------------------------------------

_FILE = re.compile(r"<!-- file: (?P<path>[\w/.]+) -->\n```\w*\n(?P<body>.*?)```", re.S)


def walkthrough_files() -> dict[str, str]:
    return {m["path"]: m["body"] for m in _FILE.finditer(README.read_text())}


def test_walkthrough_has_one_mod_per_language() -> None:
    files = walkthrough_files()
    assert sorted(files) == ["hello_c/hello.c", "hello_c/mod.toml", "hello_nim/hello.nim",
                             "hello_nim/mod.toml", "hello_zig/hello.zig",
                             "hello_zig/mod.toml"]


@pytest.mark.parametrize("mod,greeting", [("hello_c", "hello from C"),
                                          ("hello_zig", "hello from Zig"),
                                          ("hello_nim", "hello from Nim")])
def test_walkthrough_mod_builds_and_runs_in_the_game(tmp_path: Path, mod, greeting) -> None:
    for path, body in walkthrough_files().items():
        if path.startswith(mod + "/"):
            target = tmp_path / "mymods" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body)
    [result] = build_mods(tmp_path / "mymods", tmp_path / "cache")
    assert result.ok, result.error
    assert result.hooks == ("on_player_join", "on_chat")
    sim = Simulation([image_of(result)])
    assert (mod, f"{mod}: ready") in sim.logs
    sim.step(TickInputs(1, joins=((3, "me"),)))
    assert [(c.player, c.text) for c in sim.mod_chat] == [(3, greeting)]
    sim.step(TickInputs(2, chats=((3, "/hello"), (3, "/other"))))
    assert [(c.player, c.text) for c in sim.mod_chat] == [(3, "hello again")]
    assert sim.faults == []
