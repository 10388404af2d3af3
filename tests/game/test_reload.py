"""Hot reload in the simulation: a mod's program replaced at a tick boundary, on real mods."""

from __future__ import annotations

import dataclasses

import pytest

from game.simulation import ModImage, Simulation, SimulationError, TickInputs
from tests.conftest import _image

KIND_SAVER = 100


@pytest.fixture(scope="module")
def saver() -> ModImage:
    return _image("saver")


@pytest.fixture(scope="module")
def saver_v2() -> ModImage:
    return dataclasses.replace(_image("saver_v2"), name="saver")


@pytest.fixture(scope="module")
def saver_bad() -> ModImage:
    return dataclasses.replace(_image("saver_bad"), name="saver")


def counters(sim: Simulation) -> list[int]:
    """The scores of the saver's entities (one per on_load it ran)."""
    world = sim.world
    return [world.get(e, "score") for e in world.ids() if world.get(e, "kind") == KIND_SAVER]


def run(sims: list[Simulation], first: int, last: int, **at: tuple[ModImage, ...]) -> None:
    """Step every simulation through ticks first..last; ``at["t7"]`` reloads at tick 7."""
    for tick in range(first, last + 1):
        inputs = TickInputs(tick, reloads=at.get(f"t{tick}", ()))
        for sim in sims:
            sim.step(inputs)
        assert len({sim.state_hash() for sim in sims}) == 1, f"tick {tick}"


def test_state_carries_over_through_on_save_and_on_restore(saver, saver_v2, walker) -> None:
    sims = [Simulation([walker, saver]), Simulation([walker, saver])]
    run(sims, 1, 5)
    assert counters(sims[0]) == [5]
    entities = sims[0].world.ids()
    run(sims, 6, 8, t6=(saver_v2,))
    # Ticks 6, 7, 8 count by 10 from the 5 handed over; on_load did not run again.
    assert counters(sims[0]) == [35]
    assert sims[0].world.ids() == entities
    assert sims[0].mods[1] is saver_v2
    assert sims[0].mod_status() == [("walker", 0, False), ("saver", 0, False)]


def test_without_on_save_the_new_version_runs_on_load(saver, chatter) -> None:
    old = dataclasses.replace(chatter, name="saver")  # has no on_save
    sims = [Simulation([old]), Simulation([old])]
    run(sims, 1, 3)
    assert counters(sims[0]) == []
    run(sims, 4, 5, t4=(saver,))
    assert counters(sims[0]) == [2]


def test_a_fault_in_on_restore_is_contained(saver, saver_bad) -> None:
    sims = [Simulation([saver]), Simulation([saver])]
    run(sims, 1, 4)
    run(sims, 5, 6, t5=(saver_bad,))
    sim = sims[0]
    fault = sim.faults[-1]
    assert (fault.tick, fault.mod, fault.hook) == (5, "saver", "on_restore")
    assert sim.mod_status() == [("saver", 1, False)]
    # Its state did not come back: on_tick counts into entity 0, which does not exist.
    assert counters(sim) == [4]


def test_a_joiner_after_the_reload_restores_onto_the_new_program(saver, saver_v2) -> None:
    server = Simulation([saver])
    run([server], 1, 3)
    run([server], 4, 4, t4=(saver_v2,))
    joiner = Simulation([saver_v2], start=False)
    joiner.restore(server.snapshot())
    assert joiner.state_hash() == server.state_hash()
    run([server, joiner], 5, 6)
    # A follower still on the old program loads the new one without running it.
    old = Simulation([saver], start=False)
    old.replace_mod(saver_v2, start=False)
    old.restore(server.snapshot())
    assert old.state_hash() == server.state_hash()


def test_reloading_an_unknown_mod_is_refused(saver, walker) -> None:
    sim = Simulation([saver])
    before = sim.state_hash()
    with pytest.raises(SimulationError, match="no mod called 'walker'"):
        sim.replace_mod(walker)
    assert sim.state_hash() == before


@pytest.mark.parametrize("liar", ["saver_liar", "saver_negative"])
def test_an_on_save_that_lies_about_its_length_hands_nothing_over(liar, saver) -> None:
    old = dataclasses.replace(_image(liar), name="saver")
    sims = [Simulation([old]), Simulation([old])]
    run(sims, 1, 3)
    run(sims, 4, 5, t4=(saver,))
    # Nothing handed over: the new version ran on_load and counts in a new entity.
    assert counters(sims[0]) == [3, 2]
    assert any("on_save returned" in text and "nothing saved" in text
               for _, text in sims[0].logs)
