"""``Simulation(engine=...)``: every mod's machine runs on the engine asked for, and the two
engines give the same state hash every tick (what ``riscade test`` relies on)."""

from __future__ import annotations

import pytest

from game.simulation import ModImage, Simulation, TickInputs


def test_each_engine_is_used_and_both_agree_every_tick(walker: ModImage) -> None:
    interp = Simulation([walker], seed=3, engine="interp")
    translate = Simulation([walker], seed=3, engine="translate")
    assert interp.machine("walker").engine is None  # the reference interpreter alone
    assert translate.machine("walker").engine is not None
    assert Simulation([walker], seed=3).machine("walker").engine is not None  # the default
    for tick in range(1, 31):
        inputs = TickInputs(tick, joins=((1, "ann"),) if tick == 1 else (),
                            inputs=((1, tick % 16),))
        interp.step(inputs)
        translate.step(inputs)
        assert interp.state_hash() == translate.state_hash(), tick


def test_an_unknown_engine_is_refused(walker: ModImage) -> None:
    with pytest.raises(ValueError, match="engine must be one of"):
        Simulation([walker], engine="jit")
