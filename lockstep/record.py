"""A recorded game, without I/O: each tick's inputs as bytes, and a simulation stepped through
them with every tick's state hash checked.

A game is a snapshot plus inputs (DESIGN.md §9). The world store (``server.world_store``)
keeps the bytes in SQLite; this module decides what they are:

- ``pack_tick`` / ``unpack_tick``: one tick's ``TickInputs`` as msgpack, the mods a hot
  reload swaps in at that tick named by the SHA-256 of their build (the builds are stored
  once, apart). ``unpack_tick`` checks every field: a record that is not one (a damaged or
  forged file) is a ``RecordError`` naming its tick.
- ``pack_room`` / ``unpack_room``: the room's players and its next player id, kept with each
  snapshot so a restart neither forgets who is in the world nor reuses an id.
- ``Replay``: a simulation restored from a snapshot, stepped tick by tick; ``step`` raises
  ``HashMismatch`` (naming the tick) when the state after a tick is not the recorded one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import msgpack

from game.simulation import ModImage, Simulation, TickInputs

from .errors import HashMismatch, RecordError

__all__ = ["RecordError", "HashMismatch", "pack_tick", "unpack_tick", "pack_room",
           "unpack_room", "RoomState", "Replay"]

#: Bytes of a SHA-256 in hex.
_SHA_HEX = 64


def pack_tick(inputs: TickInputs) -> bytes:
    """The record of one tick's inputs (its reloads by build SHA-256)."""
    return cast(bytes, msgpack.packb([
        [[pid, name] for pid, name in inputs.joins],
        list(inputs.leaves),
        [[pid, buttons] for pid, buttons in inputs.inputs],
        [[pid, text] for pid, text in inputs.chats],
        list(inputs.enables),
        [hashlib.sha256(image.elf).hexdigest() for image in inputs.reloads],
    ]))


def _int(value: object) -> int:
    if type(value) is not int or not 0 <= value < 1 << 63:
        raise ValueError(f"{str(value)[:20]!r} is not an id")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{str(value)[:20]!r} is not text")
    return value


def _pairs(value: object, second: Callable[[object], Any]) -> tuple[tuple[int, Any], ...]:
    if not isinstance(value, list):
        raise ValueError("not a list")
    out = []
    for item in value:
        if not isinstance(item, list) or len(item) != 2:
            raise ValueError("not a pair")
        out.append((_int(item[0]), second(item[1])))
    return tuple(out)


def unpack_tick(tick: int, data: bytes, builds: Callable[[str], ModImage]) -> TickInputs:
    """The inputs of tick ``tick`` from its record; ``builds(sha256)`` gives the image of a
    build a reload swaps in (``KeyError`` if the store has none).

    Raises:
        RecordError: the record is malformed, or names a build the store lacks.
    """
    try:
        doc = msgpack.unpackb(data, raw=False)
        if not isinstance(doc, list) or len(doc) != 6:
            raise ValueError("not a tick record")
        joins, leaves, inputs, chats, enables, reloads = doc
        if not all(isinstance(x, list) for x in (leaves, enables, reloads)):
            raise ValueError("not a tick record")
        shas = [_str(s) for s in reloads]
        images = []
        for sha in shas:
            if len(sha) != _SHA_HEX:
                raise ValueError(f"{sha[:20]!r} is not a build's SHA-256")
            try:
                images.append(builds(sha))
            except KeyError:
                raise ValueError(f"it reloads build {sha[:12]}, which is not stored") from None
        return TickInputs(tick, joins=_pairs(joins, _str), leaves=tuple(_int(p) for p in leaves),
                          inputs=_pairs(inputs, _int), chats=_pairs(chats, _str),
                          enables=tuple(_str(n) for n in enables), reloads=tuple(images))
    except (ValueError, TypeError, msgpack.exceptions.ExtraData) as exc:
        raise RecordError(tick, f"malformed record: {exc}") from None


@dataclass
class RoomState:
    """Who is in the world (player id -> name) and the next player id a room gives."""

    players: dict[int, str] = field(default_factory=dict)
    next_player: int = 1

    def apply(self, inputs: TickInputs) -> None:
        """Follow one tick's leaves and joins (as ``Room.close_tick`` does)."""
        for pid in inputs.leaves:
            self.players.pop(pid, None)
        for pid, name in inputs.joins:
            self.players[pid] = name
            self.next_player = max(self.next_player, pid + 1)


def pack_room(room: RoomState) -> bytes:
    """The record of a room's players and next id."""
    return cast(bytes, msgpack.packb([sorted(room.players.items()), room.next_player]))


def unpack_room(tick: int, data: bytes) -> RoomState:
    """The room of a snapshot's record (``RecordError`` if malformed)."""
    try:
        doc = msgpack.unpackb(data, raw=False)
        if not isinstance(doc, list) or len(doc) != 2:
            raise ValueError("not a room record")
        return RoomState(dict(_pairs(doc[0], _str)), _int(doc[1]))
    except (ValueError, TypeError, msgpack.exceptions.ExtraData) as exc:
        raise RecordError(tick, f"malformed room record: {exc}") from None


@dataclass
class Replay:
    """A recorded game re-simulated: a simulation restored from a snapshot, stepped through
    the recorded ticks.

    Attributes:
        sim: the simulation, at the last tick applied.
        room: the room's players and next id, followed through the ticks.
    """

    sim: Simulation
    room: RoomState

    @classmethod
    def start(cls, images: list[ModImage], state: bytes, state_hash: str, room: RoomState,
              *, seed: int = 1) -> Replay:
        """Restore ``state`` (a ``Simulation.snapshot`` of the mods ``images``, in load
        order, recorded with ``state_hash`` and ``room``); the mods are loaded, nothing of
        them runs. ``seed`` only builds the simulation: the snapshot holds the world's.

        Raises:
            SimulationError: the snapshot does not restore.
            HashMismatch: it restores to another state than its recorded hash names.
        """
        sim = Simulation(list(images), seed=seed, start=False)
        sim.restore(state)
        mine = sim.state_hash()
        if mine != state_hash:
            raise HashMismatch(sim.world.tick, state_hash, mine)
        return cls(sim, room)

    @property
    def tick(self) -> int:
        """The last tick applied."""
        return self.sim.world.tick

    def step(self, inputs: TickInputs, recorded_hash: str | None) -> str:
        """Apply one recorded tick; its state hash. With ``recorded_hash``, check it.

        Raises:
            SimulationError: the tick is not the next one.
            HashMismatch: the state after it is not the recorded one.
        """
        self.sim.step(inputs)
        self.room.apply(inputs)
        mine = self.sim.state_hash()
        if recorded_hash is not None and mine != recorded_hash:
            raise HashMismatch(inputs.tick, recorded_hash, mine)
        return mine

