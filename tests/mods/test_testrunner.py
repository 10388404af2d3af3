"""``riscade test`` (``mods.testrunner``): scenarios played on the real simulation with the real
built mods, on both engines; a failure says which file, line, tick and expectation, and what
was there. Expected reports are written out by hand from the mods' documented rules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from game.simulation import Simulation, TickInputs
from mods.build import BuildResult
from mods.scenario import load_scenario, scenario_files
from mods.testrunner import _agree, _Run, image_of, main, mods_for, run_scenario

MODS = Path(__file__).resolve().parents[2] / "mods"

CRASHER_C = """\
#include <string.h>

#include "riscade.h"

RISCADE_HOOK int64_t on_chat(int64_t player, const char *text, size_t len) {
    (void)player;
    if (len == 6 && memcmp(text, "/crash", 6) == 0)
        return *(volatile int64_t *)8;  /* below the first segment: a load fault */
    return 0;
}

int main(void) {
    return 0;
}
"""

WRONG = """\
seed = 1
ticks = 3
[[player]]
id = 1
join = 1
[[input]]
ticks = [1, 3]
player = 1
buttons = ["right"]
[[expect]]
tick = 2
entity = { player = 1 }
vx = 64
[[expect]]
tick = 3
chat = "hi"
"""


def _cache_of(results: list[BuildResult]) -> Path:
    """The build cache the session's cold build wrote (``<cache>/objects/<key>/<mod>.elf``)."""
    path = results[0].path
    assert path is not None
    return path.parents[2]


@pytest.mark.parametrize("mod", ["movement", "pickups", "greeter", "waypoints"])
def test_bundled_scenarios_pass_on_both_engines(mod: str, cold_build: list[BuildResult]) -> None:
    for path in scenario_files(MODS / mod):
        scenario = load_scenario(path)
        images = [image_of(r) for r in mods_for([mod, *scenario.mods], cold_build)]
        result = run_scenario(scenario, images)
        assert result.ok, "\n".join(result.failures)
        assert result.ticks_run == scenario.ticks


def test_a_failing_scenario_reports_expected_against_actual(
        tmp_path: Path, cold_build: list[BuildResult]) -> None:
    path = tmp_path / "wrong.toml"
    path.write_text(WRONG)
    images = [image_of(r) for r in mods_for(["movement"], cold_build)]
    result = run_scenario(load_scenario(path), images)
    assert not result.ok and result.ticks_run == 3
    entity, chat = result.failures
    # right held in ticks 1 and 2: 64, then 128 (ACCEL = FIXED_ONE / 4)
    first, second = entity.split("\n")
    assert first == f"{path}:13: tick 2: the entity of player 1: vx expected 64, actual 128"
    assert second.startswith("  actual: entity 1: kind 1, x ")
    assert second.endswith(", vx 128, vy 0, health 100, score 0, owner 1")
    assert chat == (f"{path}:16: tick 3: expected a chat line \"hi\"\n"
                    "  actual: no chat line in this tick")


def test_riscade_test_exits_1_and_prints_the_report(
        tmp_path: Path, cold_build: list[BuildResult], capsys: pytest.CaptureFixture[str]) -> None:
    mods = tmp_path / "mods"
    shutil.copytree(MODS / "movement", mods / "movement")
    (mods / "movement" / "scenarios" / "wrong.toml").write_text(WRONG)
    status = main(["--mods", str(mods), "--cache", str(_cache_of(cold_build)), "movement"])
    out = capsys.readouterr().out
    assert status == 1
    assert "PASS movement/steering (110 ticks, mods movement, engines interp and translate " \
        "agree)\n" in out
    assert "FAIL movement/wrong (tick 3 of 3, mods movement)\n" in out
    assert f"{mods / 'movement' / 'scenarios' / 'wrong.toml'}:16: tick 3: expected a chat " \
        "line \"hi\"\n" in out
    assert out.endswith("riscade test: 1 passed, 1 failed\n")


def test_riscade_test_refuses_an_unknown_mod(
        tmp_path: Path, cold_build: list[BuildResult], capsys: pytest.CaptureFixture[str]) -> None:
    mods = tmp_path / "mods"
    shutil.copytree(MODS / "movement", mods / "movement")
    assert main(["--mods", str(mods), "--cache", str(_cache_of(cold_build)), "nosuch"]) == 2
    assert capsys.readouterr().err == f"riscade test: no mod called 'nosuch' in {mods}\n"


def test_faults_are_expected_or_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     cold_build: list[BuildResult]) -> None:
    folder = tmp_path / "mods" / "crasher"
    (folder / "scenarios").mkdir(parents=True)
    (folder / "mod.toml").write_text('name = "crasher"\nversion = "1.0.0"\nlanguage = "c"\n'
                                     'sources = ["crasher.c"]\n')
    (folder / "crasher.c").write_text(CRASHER_C)
    chats = "".join(f"[[chat]]\ntick = {t}\nplayer = 1\ntext = \"/crash\"\n" for t in (2, 3, 4))
    (folder / "scenarios" / "faults.toml").write_text(
        "[[player]]\nid = 1\njoin = 1\n" + chats + """\
[[expect]]
tick = 2
fault = "crasher"
hook = "on_chat"
reason = "load fault at 0x8"
disabled = false
[[expect]]
tick = 3
fault = "crasher"
[[expect]]
tick = 4
fault = "crasher"
disabled = true
""")
    # one fault a player asks for, but nobody expects
    (folder / "scenarios" / "unexpected.toml").write_text(
        "ticks = 2\n[[player]]\nid = 1\n[[chat]]\ntick = 2\nplayer = 1\ntext = \"/crash\"\n")
    cache = str(_cache_of(cold_build))
    assert main(["--mods", str(tmp_path / "mods"), "--cache", cache]) == 1
    out = capsys.readouterr().out
    assert "PASS crasher/faults (4 ticks, mods crasher, engines interp and translate agree)" in out
    assert "FAIL crasher/unexpected (tick 2 of 2, mods crasher)\n" \
        f"{folder / 'scenarios' / 'unexpected.toml'}: tick 2: unexpected fault of mod crasher " \
        "in on_chat: load fault at 0x8 (pc " in out
    assert "(a [[expect]] with fault = \"MOD\" at that tick expects it)" in out


def test_the_engines_really_differ_and_a_disagreement_is_reported(
        tmp_path: Path, cold_build: list[BuildResult]) -> None:
    images = [image_of(r) for r in mods_for(["pickups"], cold_build)]
    interp = Simulation(list(images), engine="interp")
    translate = Simulation(list(images), engine="translate")
    assert interp.machine("pickups").engine is None
    assert translate.machine("pickups").engine is not None
    # Two runs that differ (another seed places the coins elsewhere): the comparison says so.
    path = tmp_path / "s.toml"
    path.write_text("ticks = 1\n[[expect]]\ntick = 1\nentity = { kind = 'coin' }\ncount = 5\n")
    result = run_scenario(load_scenario(path), images)
    assert result.ok
    runs = [_Run(images, 1, "translate"), _Run(images, 2, "interp")]
    for run in runs:
        run.step(TickInputs(1))
    result.failures.clear()
    assert not _agree(runs, 1, result)
    assert result.failures[0].startswith(f"{path}: tick 1: the engines disagree: state hash "
                                         "translate ")
    assert "(parts that differ: world, " in result.failures[0]
