"""Following the server's game, without I/O: snapshots in, ticks in, desyncs out.

The client's simulation applies every tick the server sends and compares its state hash with
the server's. On a mismatch it reports a desync, keeps simulating while it waits, and when
the server's snapshot arrives it compares the two states part by part (world, each mod's
machine; entity by entity for the world), writes a desync report, and continues from the
snapshot: a desync heals itself.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack

from game.simulation import (
    ModImage,
    Simulation,
    SimulationError,
    TickInputs,
    snapshot_part_hashes,
)
from game.world import World
from protocol import Snapshot, Tick, decompress_blob
from protocol.limits import DEFAULT_LIMITS
from server.room import tick_hash

__all__ = ["Follower", "DesyncReport"]

#: How many past ticks' inputs a desync report includes.
REPORT_INPUTS = 8


@dataclass
class DesyncReport:
    """What a desync looked like, written as JSON when the resync snapshot arrives."""

    tick: int
    server_hash: str
    client_hash: str
    recent_inputs: list[dict[str, Any]]
    resync_tick: int | None = None
    differing_parts: list[str] = field(default_factory=list)
    entity_diffs: list[dict[str, Any]] = field(default_factory=list)


def tick_inputs(msg: Tick) -> TickInputs:
    """The simulation's view of a ``Tick`` message."""
    return TickInputs(
        tick=msg.tick,
        joins=tuple((p.id, p.name) for p in msg.joins),
        leaves=tuple(msg.leaves),
        inputs=tuple((i.player_id, i.buttons) for i in msg.inputs),
        chats=tuple((c.player_id, c.text) for c in msg.chats),
    )


class Follower:
    """A client-side simulation kept in lockstep with the server's."""

    def __init__(self, images: list[ModImage], *, report_dir: Path | None = None,
                 perturb_at: int | None = None) -> None:
        self.sim = Simulation(images, side="client")
        self.report_dir = report_dir
        self.perturb_at = perturb_at
        self.ticks = 0
        self.desyncs = 0
        self.reports: list[Path] = []
        self.pending: DesyncReport | None = None
        self._recent: deque[dict[str, Any]] = deque(maxlen=REPORT_INPUTS)

    @property
    def tick(self) -> int:
        return self.sim.world.tick

    def load_snapshot(self, msg: Snapshot) -> None:
        """Continue from the server's snapshot (the first one, or a resync)."""
        state = decompress_blob(msg.data, msg.size, limit=DEFAULT_LIMITS.max_snapshot_size)
        if self.pending is not None:
            self._finish_report(state, msg.tick)
        self.sim.restore(state)
        if tick_hash(self.sim) != msg.state_hash:
            raise ValueError(f"snapshot of tick {msg.tick} does not match its own state hash")

    def apply(self, msg: Tick) -> bool:
        """Apply one tick; returns False when it reveals a (new) desync.

        Ticks at or before the simulation's tick (sent before a resync snapshot) are skipped.
        """
        if msg.tick <= self.tick:
            return True
        inputs = tick_inputs(msg)
        self.sim.step(inputs)
        self.ticks += 1
        self._recent.append({"tick": msg.tick, "inputs": [list(i) for i in inputs.inputs],
                             "joins": [list(j) for j in inputs.joins],
                             "leaves": list(inputs.leaves)})
        if self.perturb_at == msg.tick:
            self._perturb()
        mine = tick_hash(self.sim)
        if mine == msg.state_hash or self.pending is not None:
            return True
        self.desyncs += 1
        self.pending = DesyncReport(msg.tick, msg.state_hash, mine,
                                    list(self._recent))
        return False

    def _perturb(self) -> None:
        """Change the world behind the simulation's back (tests of desync healing)."""
        world = self.sim.world
        eid = next(iter(world.entities), None)
        if eid is not None:
            world.set(eid, "x", world.get(eid, "x") + 1)
        else:
            world.rng ^= 1

    def _finish_report(self, state: bytes, tick: int) -> None:
        """Compare our diverged state with the server's at the snapshot's tick; write it."""
        report, self.pending = self.pending, None
        assert report is not None
        report.resync_tick = tick
        # Both states are now at the snapshot's tick: compare them part by part.
        try:
            theirs = snapshot_part_hashes(state)
            mine = self.sim.part_hashes()
            doc = msgpack.unpackb(state, raw=False)
            report.differing_parts = sorted(k for k in theirs if mine.get(k) != theirs[k])
            report.entity_diffs = _entity_diffs(self.sim.world, World.from_bytes(doc["world"]))
        except (SimulationError, ValueError, KeyError, TypeError,
                msgpack.exceptions.ExtraData) as exc:
            report.differing_parts = [f"unknown: {exc}"]
        if self.report_dir is not None:
            self.report_dir.mkdir(parents=True, exist_ok=True)
            path = self.report_dir / f"desync-tick{report.tick}.json"
            path.write_text(json.dumps(report.__dict__, indent=2, sort_keys=True))
            self.reports.append(path)


def _entity_diffs(mine: World, theirs: World) -> list[dict[str, Any]]:
    diffs = []
    for eid in sorted(set(mine.entities) | set(theirs.entities)):
        a, b = mine.entities.get(eid), theirs.entities.get(eid)
        if a != b:
            diffs.append({"id": eid, "client": None if a is None else a.__repr__(),
                          "server": None if b is None else b.__repr__()})
        if len(diffs) >= 32:
            break
    return diffs
