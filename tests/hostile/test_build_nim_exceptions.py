"""Nim: an exception that escapes a hook is a recorded fault of that hook (logged, world
changes discarded, counted toward MAX_FAULTS), and the mod's next hooks run normally."""

from __future__ import annotations

from game.simulation import MAX_FAULTS, ModImage, Simulation, TickInputs
from mods.build import build_mods

from .build_mods import stage


def test_escaped_exception_is_a_fault_and_the_mod_keeps_running(tmp_path) -> None:
    mods = stage(tmp_path / "mods", "nim_raises")
    result = build_mods(mods, tmp_path / "cache")[0]
    assert result.ok, result.error
    assert result.hooks == ("on_chat", "on_tick")  # the wrappers, not the bodies
    spec = result.spec
    sim = Simulation([ModImage("nim_raises", result.path.read_bytes(),
                               memory=spec.limits.memory, stack=spec.limits.stack,
                               instructions=spec.limits.instructions)])
    sim.step(TickInputs(1))
    assert [(f.tick, f.hook) for f in sim.faults] == [(1, "on_tick")]
    assert "uncaught ValueError: bad tick 1" in sim.logs[-2][1]  # then "contained"
    assert sim.logs[-1][1].startswith("on_tick contained: illegal instruction")
    assert sim.mod_status() == [("nim_raises", 1, False)]
    for tick in (2, 3):
        sim.step(TickInputs(tick))
        assert sim.logs[-1] == ("nim_raises", f"tick {tick}")  # runs again, normally
    assert len(sim.faults) == 1
    sim.step(TickInputs(4, joins=((1, "p"),), chats=((1, "boom"),)))
    assert [(f.tick, f.hook) for f in sim.faults[1:]] == [(4, "on_chat"), (4, "on_tick")]
    assert sim.mod_status() == [("nim_raises", MAX_FAULTS, True)]  # disabled after 3
    logged = len(sim.logs)
    sim.step(TickInputs(5))
    assert len(sim.logs) == logged and len(sim.faults) == MAX_FAULTS


def test_exception_escaping_main_is_a_reported_fault_of_main(tmp_path) -> None:
    """Nim would print it to stderr (which nobody reads) and exit; the SDK logs it and traps,
    so the game records a fault of main and the mod does not run half-initialised."""
    mods = stage(tmp_path / "mods", "nim_main_raises")
    result = build_mods(mods, tmp_path / "cache")[0]
    assert result.ok, result.error
    spec = result.spec
    sim = Simulation([ModImage("nim_main_raises", result.path.read_bytes(),
                               memory=spec.limits.memory, stack=spec.limits.stack,
                               instructions=spec.limits.instructions)])
    assert [line for _, line in sim.logs[:2]] == ["before",
                                                  "main: uncaught ValueError: bad start"]
    assert sim.logs[2][1].startswith("main contained: illegal instruction")
    assert [(f.tick, f.hook) for f in sim.faults] == [(0, "main")]
    assert sim.mod_status() == [("nim_main_raises", 1, True)]
    sim.step(TickInputs(1))
    assert len(sim.logs) == 3  # disabled: on_tick never runs
