"""The arena's world state: entities, players, the per-tick random stream, pending events.

Everything is integers (positions in fixed point), iteration is in id order (ids only grow,
and dicts keep insertion order), and every change made while a hook runs is journaled so that
a hook that faults can have its effect on the world undone exactly.

The world keeps its own invariants, whatever a mod asks (``game.rules`` has the numbers):
positions stay inside the arena, velocities, scores and health saturate at their bounds, a
mod has at most ``ENTITIES_PER_MOD`` entities and emits at most ``EVENTS_PER_MOD`` events a
tick. So one mod's wild values cannot make another mod's arithmetic overflow.

The world also holds the mods' own kinds and entity properties (``game.props``) and their
persistent storage (``game.storage``): journaled, serialised and hashed with the rest.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass

import msgpack

from mods.host_api import constant

from .chat import Commands
from .packing import Reader
from .presentation import Presentation
from .props import Props
from .rules import (
    ENTITIES_PER_MOD,
    EVENTS_PER_MOD,
    HEALTH_MAX,
    MAX_ENTITIES,
    MAX_EVENTS_PER_TICK,
    SCORE_MAX,
    SPEED_MAX,
)
from .storage import Storage

__all__ = [
    "Entity", "World", "NO_ENTITY", "NO_PLAYER", "KIND_PLAYER", "MAX_ENTITIES",
    "MAX_EVENTS_PER_TICK",
]

NO_ENTITY = constant("NO_ENTITY")
NO_PLAYER = constant("NO_PLAYER")
KIND_PLAYER = constant("KIND_PLAYER")
#: ``Entity.maker`` of the entities the engine itself makes (players').
ENGINE = 0
#: |value| bounds of the fields that saturate (positions are bounded by the arena).
_BOUNDS = {"vx": SPEED_MAX, "vy": SPEED_MAX, "score": SCORE_MAX, "health": HEALTH_MAX}
_MASK64 = (1 << 64) - 1
_ENTITY = struct.Struct("<10q")


@dataclass(slots=True)
class Entity:
    """One thing in the arena. Positions and velocities are fixed-point integers."""

    id: int
    kind: int
    x: int = 0
    y: int = 0
    vx: int = 0
    vy: int = 0
    health: int = 100
    score: int = 0
    owner: int = NO_PLAYER
    maker: int = ENGINE  # who made it: ENGINE, or the mod's slot (1, 2, ... in load order)


def _clamp64(v: int) -> int:
    """Wrap a Python int to a signed 64-bit value, as the guest would see it."""
    v &= _MASK64
    return v - (1 << 64) if v >> 63 else v


def _within(v: int, low: int, high: int) -> int:
    return low if v < low else high if v > high else v


class World:
    """Entities by id, players by id, the tick's random stream and its pending events."""

    def __init__(self, *, width: int, height: int, seed: int) -> None:
        self.width = width
        self.height = height
        self.seed = seed & _MASK64
        self.tick = 0
        self.next_id = 1
        self.entities: dict[int, Entity] = {}
        self.players: dict[int, int] = {}  # player id -> entity id
        self.rng = 0
        self.events: list[tuple[int, int, int]] = []
        self._made: dict[int, int] = {}  # mod slot -> entities it has (derived from entities)
        self._emitted: dict[int, int] = {}  # mod slot -> events emitted this tick
        self.events_dropped: dict[int, int] = {}  # mod slot -> events over its quota this tick
        self._ids: list[int] | None = None
        self._undo: list[Callable[[], None]] | None = None
        self.look = Presentation(self._journal)  # how things look (game.presentation)
        self.commands = Commands(self._journal)  # chat commands for /help (game.chat)
        self.props = Props(self._journal)  # mods' kinds and entity properties
        self.storage = Storage(self._journal)  # mods' persistent records
        self.reseed()  # main and on_load draw from tick 0's stream

    # --- journaling for fault containment -------------------------------------------------

    def begin(self) -> None:
        """Start journaling changes (before a hook runs)."""
        self._undo = []

    def commit(self) -> None:
        """Keep the changes made since ``begin``."""
        self._undo = None

    def rollback(self) -> None:
        """Undo every change made since ``begin``, newest first."""
        undo, self._undo = self._undo or [], None
        for step in reversed(undo):
            step()
        self._ids = None

    def _journal(self, step: Callable[[], None]) -> None:
        if self._undo is not None:
            self._undo.append(step)

    def on_rollback(self, step: Callable[[], None]) -> None:
        """Have ``rollback`` call ``step`` (state kept beside the world, e.g. timers)."""
        self._journal(step)

    # --- random stream ----------------------------------------------------------------------

    def reseed(self) -> None:
        """Seed this tick's random stream from the world seed and the tick number."""
        digest = hashlib.sha256(struct.pack("<QQ", self.seed, self.tick)).digest()
        self.rng = int.from_bytes(digest[:8], "little") or 1

    def random_u32(self) -> int:
        """Next number of the stream (xorshift64*): the same on every machine."""
        old = self.rng
        s = old
        s ^= s >> 12
        s ^= (s << 25) & _MASK64
        s ^= s >> 27
        self.rng = s
        self._journal(lambda: setattr(self, "rng", old))
        return ((s * 0x2545F4914F6CDD1D) & _MASK64) >> 32

    # --- entities -----------------------------------------------------------------------------

    def spawn(self, kind: int, x: int, y: int, maker: int = ENGINE) -> int:
        """Create an entity (inside the arena); returns its id, or NO_ENTITY when ``maker``
        (a mod's slot) has ``ENTITIES_PER_MOD`` entities or mods' entities fill the world."""
        if maker != ENGINE:
            made = self._made.get(maker, 0)
            if made >= ENTITIES_PER_MOD or sum(self._made.values()) >= MAX_ENTITIES:
                return NO_ENTITY
        eid = self.next_id
        self.next_id += 1
        self.entities[eid] = Entity(eid, _clamp64(kind), self.bounded("x", x),
                                    self.bounded("y", y), maker=maker)
        self._count(maker, 1)
        self._ids = None

        def undo() -> None:
            del self.entities[eid]
            self.next_id = eid
            self._count(maker, -1)
            self._ids = None
        self._journal(undo)
        return eid

    def _count(self, maker: int, delta: int) -> None:
        if maker != ENGINE:
            self._made[maker] = self._made.get(maker, 0) + delta

    def despawn(self, eid: int) -> int:
        """Remove an entity; 1 if it existed."""
        entity = self.entities.pop(eid, None)
        if entity is None:
            return 0
        self._count(entity.maker, -1)
        self._ids = None
        self.look.forget_entity(eid)
        self.props.forget(eid)

        def undo() -> None:
            self._count(entity.maker, 1)
            # Re-insert keeping id order.
            items = sorted([*self.entities.items(), (eid, entity)])
            self.entities.clear()
            self.entities.update(items)
            self._ids = None
        self._journal(undo)
        return 1

    def ids(self) -> list[int]:
        """Entity ids in id order (cached until the next spawn or despawn)."""
        if self._ids is None:
            self._ids = list(self.entities)
        return self._ids

    def bounded(self, field: str, value: int) -> int:
        """``value`` brought inside the world's bounds for ``field`` (saturating); fields
        without bounds wrap to a signed 64-bit value, as the guest would see them."""
        if field == "x":
            return _within(value, 0, self.width)
        if field == "y":
            return _within(value, 0, self.height)
        bound = _BOUNDS.get(field)
        return _clamp64(value) if bound is None else _within(value, -bound, bound)

    def get(self, eid: int, field: str) -> int:
        """A field of an entity, or 0 if it does not exist."""
        entity = self.entities.get(eid)
        return getattr(entity, field) if entity is not None else 0

    def set(self, eid: int, field: str, value: int) -> None:
        """Set a field of an entity (nothing if it does not exist)."""
        entity = self.entities.get(eid)
        if entity is None:
            return
        old = getattr(entity, field)
        setattr(entity, field, self.bounded(field, value))
        self._journal(lambda: setattr(entity, field, old))

    def emit(self, kind: int, a: int, b: int, maker: int = ENGINE) -> None:
        """Queue an event for the end of the tick. Past ``EVENTS_PER_MOD`` events of one mod
        this tick (or ``MAX_EVENTS_PER_TICK`` in all) it is dropped and counted in
        ``events_dropped``."""
        emitted = self._emitted.get(maker, 0)
        if emitted >= EVENTS_PER_MOD or len(self.events) >= MAX_EVENTS_PER_TICK:
            dropped = self.events_dropped.get(maker, 0)
            self.events_dropped[maker] = dropped + 1
            self._journal(lambda: self.events_dropped.__setitem__(maker, dropped))
            return
        self._emitted[maker] = emitted + 1
        self.events.append((_clamp64(kind), _clamp64(a), _clamp64(b)))

        def undo() -> None:
            self.events.pop()
            self._emitted[maker] = emitted
        self._journal(undo)

    def start_tick(self, tick: int) -> None:
        """Begin tick ``tick``: its random stream, and fresh per-tick event quotas."""
        self.tick = tick
        self.reseed()
        self._emitted.clear()
        self.events_dropped.clear()
        self.look.new_tick()

    def load_storage(self, data: bytes) -> None:
        """Replace the mods' storage by ``data`` (``Storage.to_bytes`` of an earlier run);
        ``ValueError`` if it is malformed."""
        self.storage = Storage.from_bytes(data, self._journal)

    # --- identity ----------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """Canonical serialisation: equal worlds give equal bytes."""
        return b"".join([*self._parts(), self.storage.to_bytes(), self._tail()])

    def _parts(self) -> list[bytes]:
        """``to_bytes`` but the storage and the presentation (``_tail``)."""
        parts = [
            struct.pack("<qqQqqQQQQ", self.width, self.height, self.seed, self.tick,
                        self.next_id, self.rng, len(self.entities), len(self.players),
                        len(self.events)),
        ]
        for e in self.entities.values():
            parts.append(_ENTITY.pack(e.id, e.kind, e.x, e.y, e.vx, e.vy, e.health, e.score,
                                      e.owner, e.maker))
        for pid, eid in self.players.items():
            parts.append(struct.pack("<qq", pid, eid))
        for event in self.events:
            parts.append(struct.pack("<3q", *event))
        parts.append(self.props.to_bytes())
        return parts

    def _tail(self) -> bytes:
        """msgpack of [look.dump(), commands.dump()] (0x92: an array of two); last, as it
        runs to the end of the bytes."""
        return b"".join((b"\x92", self.look.packed(), msgpack.packb(self.commands.dump())))

    @classmethod
    def from_bytes(cls, data: bytes) -> World:
        """Inverse of ``to_bytes``; raises ``ValueError`` on malformed data."""
        head = struct.Struct("<qqQqqQQQQ")
        try:
            (width, height, seed, tick, next_id, rng, n_ent, n_pl, n_ev) = head.unpack_from(data)
            world = cls(width=width, height=height, seed=seed)
            world.tick, world.next_id, world.rng = tick, next_id, rng
            at = head.size
            for _ in range(n_ent):
                fields = _ENTITY.unpack_from(data, at)
                at += _ENTITY.size
                entity = Entity(*fields)
                world.entities[entity.id] = entity
                world._count(entity.maker, 1)
            for _ in range(n_pl):
                pid, eid = struct.unpack_from("<qq", data, at)
                at += 16
                world.players[pid] = eid
            for _ in range(n_ev):
                world.events.append(struct.unpack_from("<3q", data, at))
                at += 24
        except struct.error as exc:
            raise ValueError(f"malformed world: {exc}") from None
        r = Reader(data, "world")
        r.at = at
        world.props = Props.read(r, world.entities, world._journal)
        world.storage = Storage.read(r, world._journal)
        try:
            look, commands = msgpack.unpackb(data[r.at:], raw=False)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"malformed world: {str(exc)[:200]}") from None
        world.look = Presentation.load(look, world._journal)
        world.commands = Commands.load(commands, world._journal)
        if not (world.look.labels.keys() <= world.entities.keys()
                and {p for p, _, _ in world.look.hud} <= world.players.keys()):
            raise ValueError("malformed world: a label or HUD line of nothing")
        return world

    def digest(self) -> bytes:
        """SHA-256 of ``to_bytes()`` with the storage's bytes replaced by their SHA-256
        (kept while the storage does not change: a full storage costs no hashing a tick)."""
        return hashlib.sha256(b"".join([*self._parts(), self.storage.digest(),
                                        self._tail()])).digest()
