"""Following the server's game, without I/O: snapshots in, ticks in, desyncs out.

The client's simulation applies every tick the server sends and compares its state hash with
the server's. On a mismatch it reports a desync, keeps simulating while it waits, and when
the server's snapshot arrives it compares the two states part by part (world, each mod's
machine; entity by entity for the world), adds a desync report to ``reports`` (data: the
client shell writes it), and continues from the snapshot: a desync heals itself.

Chat comes out of the same simulation: after each tick ``Follower.chat`` holds the lines this
player sees, the players' lines no mod consumed and the lines mods sent to everyone or to this
player. The server's simulation produced the same lines from the same tick, so none travels
in a message. (While a desync lasts, the lines are those of the diverged simulation.)

Hot reloads: a ``Tick`` may announce that at a later tick some mods become other builds
(``protocol.Reload``). ``announce`` records it and names the builds this client lacks (the
shell gets them from its cache or asks the server); ``add_mod`` takes each one; ``ready``
says whether a tick can be applied (every build it swaps in is here), and ``apply`` swaps
them in at that tick, as the server did. A snapshot of a tick at or after a reload loads the
new builds without running them (the state comes from the snapshot).
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any, cast

from game.simulation import (
    ALL_PLAYERS,
    ModImage,
    Simulation,
    SimulationError,
    snapshot_part_hashes,
    snapshot_world,
)
from game.world import World
from protocol import ModEntry, Snapshot, Tick, decompress_blob
from protocol.limits import DEFAULT_LIMITS

from .errors import SnapshotRejected
from .wire import image_of, tick_inputs

__all__ = ["Follower", "DesyncReport", "ChatLine", "visible_chat"]

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


@dataclass(frozen=True)
class ChatLine:
    """A chat line a player sees.

    Attributes:
        tick: the tick that produced it.
        text: the line.
        player: the player who said it, for a player's line; else None.
        mod: the mod that sent it, for a mod's line; else None.
        private: a mod's line to this player alone (not to everyone).
    """

    tick: int
    text: str
    player: int | None = None
    mod: str | None = None
    private: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The line for a JSON summary: tick, text, and "player" or "mod" (and "private")."""
        out: dict[str, Any] = {"tick": self.tick, "text": self.text}
        if self.player is not None:
            out["player"] = self.player
        if self.mod is not None:
            out["mod"] = self.mod
        if self.private:
            out["private"] = True
        return out

    def __str__(self) -> str:
        if self.mod is not None:
            return f"[{self.mod}{' to you' if self.private else ''}] {self.text}"
        return f"<{self.player}> {self.text}"


def visible_chat(sim: Simulation, player_id: int | None) -> list[ChatLine]:
    """The chat lines of ``sim``'s last tick that ``player_id`` sees: players' lines, then
    mods' lines to everyone or to ``player_id``, each in the order they were produced."""
    tick = sim.world.tick
    lines = [ChatLine(tick, text, player=pid) for pid, text in sim.chat]
    lines += [ChatLine(tick, m.text, mod=m.mod, private=m.player != ALL_PLAYERS)
              for m in sim.mod_chat
              if m.player == ALL_PLAYERS or (player_id is not None and m.player == player_id)]
    return lines


class Follower:
    """A client-side simulation kept in lockstep with the server's."""

    def __init__(self, images: list[ModImage], *, player_id: int | None = None) -> None:
        """Load the mods (``SimulationError`` if one cannot be loaded) without running any of
        their code: no ``main``, no ``on_load``. Every machine's state comes from the server's
        snapshot (``load_snapshot``), so a join costs what the transfer costs, whatever the
        mods do at start-up, and a mod the server disabled stays disabled. ``player_id`` is
        who this client plays as (None: a spectator, who sees no mod's private lines)."""
        self.sim = Simulation(images, start=False)
        self.player_id = player_id
        #: The chat lines this player sees from the last tick ``apply`` applied.
        self.chat: list[ChatLine] = []
        self.ticks = 0
        self.desyncs = 0
        #: Every desync report, finished (compared with the server's state) when the resync
        #: snapshot arrived.
        self.reports: list[DesyncReport] = []
        self.pending: DesyncReport | None = None
        self._recent: deque[dict[str, Any]] = deque(maxlen=REPORT_INPUTS)
        self._reloads: dict[int, tuple[ModEntry, ...]] = {}  # tick -> what it swaps in
        self._elves: dict[str, bytes] = {_sha(i.elf): i.elf for i in images}

    # --- hot reloads ------------------------------------------------------------------------

    def announce(self, msg: Tick) -> list[ModEntry]:
        """Record the reloads ``msg`` announces (again: no effect); returns the builds they
        swap in that this client does not hold, each once, to fetch before their tick."""
        lacking: dict[str, ModEntry] = {}
        for reload in msg.reloads:
            self._reloads[reload.tick] = reload.mods
            for entry in reload.mods:
                if entry.sha256 not in self._elves:
                    lacking.setdefault(entry.sha256, entry)
        return list(lacking.values())

    def add_mod(self, elf: bytes) -> None:
        """A build an announced reload swaps in (verified by the caller against its hash)."""
        self._elves[_sha(elf)] = elf

    def ready(self, msg: Tick) -> bool:
        """True if every build the reload at ``msg.tick`` swaps in is here."""
        return all(e.sha256 in self._elves for e in self._reloads.get(msg.tick, ()))

    def _swap_in(self, tick: int) -> tuple[ModImage, ...]:
        """The images the reload at ``tick`` swaps in (none for most ticks), now taken."""
        entries = self._reloads.pop(tick, ())
        for entry in entries:
            if entry.sha256 not in self._elves:
                raise SimulationError(f"tick {tick} reloads mod {entry.name}, whose build "
                                      f"{entry.sha256[:12]} this client does not have")
        images = tuple(image_of(e, self._elves[e.sha256]) for e in entries)
        if images:  # keep the builds running and those still to come
            keep = {_sha(i.elf) for i in self.sim.mods} | {_sha(i.elf) for i in images} | {
                e.sha256 for mods in self._reloads.values() for e in mods}
            self._elves = {sha: elf for sha, elf in self._elves.items() if sha in keep}
        return images

    @property
    def tick(self) -> int:
        return self.sim.world.tick

    def load_snapshot(self, msg: Snapshot) -> None:
        """Continue from the server's snapshot (the first one, or a resync).

        Args:
            msg: a whole snapshot (``msg.whole``: as ``SnapshotAssembler`` returns it).

        Raises:
            BlobError: the data is not the zstd frame of ``msg.size`` bytes.
            SimulationError: the state is malformed or of other mods (nothing changed).
            SnapshotRejected: not whole, or not the state ``msg.state_hash`` names (also a
                ``SimulationError``). Our simulation is then unusable.
        """
        if not msg.whole:
            raise SnapshotRejected(msg.tick, f"is not whole: {len(msg.data)} of "
                                   f"{msg.data_size} bytes")
        # Limits.__post_init__ fills max_snapshot_size in: never None on an instance
        limit = cast(int, DEFAULT_LIMITS.max_snapshot_size)
        state = decompress_blob(msg.data, msg.size, limit=limit)
        if self.pending is not None:
            self._finish_report(state, msg.tick)
        for tick in sorted(t for t in self._reloads if t <= msg.tick):
            for image in self._swap_in(tick):  # the snapshot holds the new builds' state
                self.sim.replace_mod(image, start=False)
        self.sim.restore(state)
        self.chat = []
        if self.sim.state_hash() != msg.state_hash:
            raise SnapshotRejected(msg.tick, "does not match its own state hash")

    def apply(self, msg: Tick) -> bool:
        """Apply one tick; returns False when it reveals a (new) desync.

        Ticks at or before the simulation's tick (sent before a resync snapshot) are skipped.
        """
        self.chat = []
        self.announce(msg)
        if msg.tick <= self.tick:
            return True
        inputs = tick_inputs(msg, self._swap_in(msg.tick))
        self.sim.step(inputs)
        self.ticks += 1
        self.chat = visible_chat(self.sim, self.player_id)
        self._recent.append({"tick": msg.tick, "inputs": [list(i) for i in inputs.inputs],
                             "joins": [list(j) for j in inputs.joins],
                             "leaves": list(inputs.leaves)})
        mine = self.sim.state_hash()
        if mine == msg.state_hash or self.pending is not None:
            return True
        self.desyncs += 1
        self.pending = DesyncReport(msg.tick, msg.state_hash, mine,
                                    list(self._recent))
        return False

    def _finish_report(self, state: bytes, tick: int) -> None:
        """Compare our diverged state with the server's at the snapshot's tick; keep it."""
        report, self.pending = self.pending, None
        assert report is not None
        report.resync_tick = tick
        # Both states are now at the snapshot's tick: compare them part by part.
        try:
            theirs = snapshot_part_hashes(state)
            mine = self.sim.part_hashes()
            report.differing_parts = sorted(k for k in theirs if mine.get(k) != theirs[k])
            report.entity_diffs = _entity_diffs(self.sim.world, snapshot_world(state))
        except SimulationError as exc:
            report.differing_parts = [f"unknown: {exc}"]
        self.reports.append(report)


def _sha(elf: bytes) -> str:
    return hashlib.sha256(elf).hexdigest()


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
