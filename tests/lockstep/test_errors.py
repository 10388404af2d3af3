"""What a follower does with a snapshot it cannot continue from, and a policy that cannot be:
typed errors of the lockstep tree (``SnapshotRejected``, ``PolicyError``), each also the
error its callers already catch, and a simulation left as it was where the state is refused
before it is restored."""

from __future__ import annotations

import dataclasses

import msgpack
import pytest

from game import SimulationError, TickInputs
from lockstep import Follower, LockstepError, PolicyError, ServerPolicy, SnapshotRejected
from protocol import BlobError, Snapshot, compress_blob
from protocol.schema import Message


def snapshot_of(state: bytes, state_hash: str, tick: int = 0) -> Snapshot:
    data = compress_blob(state)
    return Snapshot(tick=tick, size=len(state), data_size=len(data), data=data,
                    state_hash=state_hash)


@pytest.fixture
def server() -> Follower:
    """A follower used as the source of a real state (three ticks in, no mods)."""
    source = Follower([])
    for tick in range(1, 4):
        source.sim.step(TickInputs(tick, joins=((tick, f"p{tick}"),)))
    return source


def test_a_snapshot_that_is_not_whole(server: Follower) -> None:
    whole = snapshot_of(server.sim.snapshot(), server.sim.state_hash(), tick=3)
    head: Message = dataclasses.replace(whole, data=whole.data[:1])
    follower = Follower([])
    before = follower.sim.state_hash()
    with pytest.raises(SnapshotRejected) as info:
        follower.load_snapshot(head)
    assert str(info.value) == (f"snapshot of tick 3 is not whole: 1 of {whole.data_size} "
                               "bytes")
    assert (info.value.tick, isinstance(info.value, SimulationError)) == (3, True)
    assert follower.sim.state_hash() == before


def test_a_snapshot_that_is_not_the_state_its_hash_names(server: Follower) -> None:
    follower = Follower([])
    with pytest.raises(SnapshotRejected, match="does not match its own state hash"):
        follower.load_snapshot(snapshot_of(server.sim.snapshot(), "ab" * 32, tick=3))


@pytest.mark.parametrize("state, match", [
    (b"\x92\x01", "bad snapshot"),
    (msgpack.packb({"world": b"", "mods": []}), "malformed world"),
    ("other mods", "different set of mods"),
])
def test_a_state_the_simulation_cannot_parse_changes_nothing(server: Follower,
                                                              state: bytes | str,
                                                              match: str) -> None:
    if state == "other mods":
        state = msgpack.packb({"world": server.sim.world.to_bytes(),
                               "mods": [{"name": "ghost", "faults": 0, "disabled": False,
                                         "machine": b""}]})
    assert isinstance(state, bytes)
    follower = Follower([])
    follower.load_snapshot(snapshot_of(server.sim.snapshot(), server.sim.state_hash(), 3))
    before = follower.sim.snapshot()
    with pytest.raises(SimulationError, match=match) as info:
        follower.load_snapshot(snapshot_of(state, server.sim.state_hash(), 4))
    assert not isinstance(info.value, LockstepError)  # the game's own error, passed through
    assert follower.sim.snapshot() == before and follower.tick == 3


def test_data_that_does_not_decompress_is_the_protocols_error(server: Follower) -> None:
    good = snapshot_of(server.sim.snapshot(), server.sim.state_hash(), 3)
    with pytest.raises(BlobError):
        junk = b"\x28\xb5\x2f\xfd garbage"
        Follower([]).load_snapshot(dataclasses.replace(good, data=junk, data_size=len(junk)))


@pytest.mark.parametrize("field, value", [("input_rate", 0), ("outbox_messages", -1),
                                          ("chat_burst", True)])
def test_a_policy_that_cannot_be(field: str, value: object) -> None:
    with pytest.raises(PolicyError) as info:
        ServerPolicy(**{field: value})
    error = info.value
    assert (error.field, error.value) == (field, value)
    assert isinstance(error, ValueError) and isinstance(error, LockstepError)
    assert str(error) == f"ServerPolicy.{field} must be positive, got {value!r}"
