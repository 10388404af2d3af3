"""A snapshot is the game's format: a hostile one (each field at its worst value) is refused
with a ``SimulationError`` by every reader (``Simulation.restore``, ``snapshot_part_hashes``,
``snapshot_world``), and a simulation that refused one is unchanged: same snapshot bytes,
same state hash. Real compiled mods (tests/game/guests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgpack
import pytest

from game import (
    MAX_FAULTS,
    ModImage,
    Simulation,
    SimulationError,
    TickInputs,
    snapshot_part_hashes,
    snapshot_world,
)


def played(walker: ModImage, chatter: ModImage) -> Simulation:
    sim = Simulation([walker, chatter], seed=5)
    sim.step(TickInputs(1, joins=((1, "ann"), (2, "bob"))))
    sim.step(TickInputs(2, inputs=((1, 8), (2, 2))))
    return sim


def edit(data: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    doc = msgpack.unpackb(data, raw=False)
    change(doc)
    return msgpack.packb(doc)


def set_mod(field: str, value: object, index: int = 1) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["mods"][index].__setitem__(field, value)


HOSTILE: dict[str, Callable[[dict[str, Any]], None]] = {
    # A fault count that does not fit the state hash's 64 bits, or no count at all.
    "faults 2**63": set_mod("faults", 2**63),
    "faults -1": set_mod("faults", -1),
    "faults past MAX_FAULTS": set_mod("faults", MAX_FAULTS + 1),
    "faults as text": set_mod("faults", "1"),
    "faults as a float": set_mod("faults", 1.0),
    "faults as a bool": set_mod("faults", True),
    "disabled as a list": set_mod("disabled", [1]),
    "disabled as an int": set_mod("disabled", 1),
    "machine as an int": set_mod("machine", 7),
    "machine as text": set_mod("machine", "abc"),
    "name as an int": set_mod("name", 5),
    "no machine": lambda doc: doc["mods"][1].pop("machine"),
    "mods as a map": lambda doc: doc.__setitem__("mods", {"walker": 1}),
    "world as text": lambda doc: doc.__setitem__("world", "world"),
    "world cut short": lambda doc: doc.__setitem__("world", doc["world"][:-1]),
    "world with a tail": lambda doc: doc.__setitem__("world", doc["world"] + b"\0"),
    "other mods": set_mod("name", "walker2", index=0),
    "one mod missing": lambda doc: doc["mods"].pop(),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_snapshot_is_refused_and_changes_nothing(
    case: str, walker: ModImage, chatter: ModImage
) -> None:
    source = played(walker, chatter)
    bad = edit(source.snapshot(), HOSTILE[case])
    target = Simulation([walker, chatter], seed=5)
    before, before_hash = target.snapshot(), target.state_hash()
    with pytest.raises(SimulationError):
        target.restore(bad)
    assert target.snapshot() == before and target.state_hash() == before_hash
    if case not in ("other mods", "one mod missing"):  # well-formed, only not ours
        for read in (snapshot_part_hashes, snapshot_world):
            with pytest.raises(SimulationError):
                read(bad)


@pytest.mark.parametrize("data", [b"", b"\xc1", b"\x91" * 100_000, msgpack.packb([1, 2]),
                                  msgpack.packb({"world": b"", "mods": []}) + b"\0"])
def test_bytes_that_are_no_snapshot(data: bytes, walker: ModImage) -> None:
    target = Simulation([walker])
    before = target.snapshot()
    for read in (target.restore, snapshot_part_hashes, snapshot_world):
        with pytest.raises(SimulationError, match="bad snapshot"):
            read(data)
    assert target.snapshot() == before


def test_the_readers_agree_with_the_simulation(walker: ModImage, chatter: ModImage) -> None:
    source = played(walker, chatter)
    data = source.snapshot()
    assert snapshot_part_hashes(data) == source.part_hashes()
    assert snapshot_world(data).to_bytes() == source.world.to_bytes()
    target = Simulation([walker, chatter], seed=5)
    target.restore(data)
    assert target.state_hash() == source.state_hash()
    assert target.snapshot() == data
