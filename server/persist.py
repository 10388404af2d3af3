"""A server's world kept in a world file (``riscade serve --world FILE``).

``WorldRecorder`` is what ``GameServer`` talks to:

- ``simulation``: the game to serve. For a new file, a fresh simulation of the mods. For a
  file that holds a game, its latest snapshot restored and the ticks recorded after it
  replayed, each one's state hash checked (``lockstep.record.Replay``), so the game goes on
  from the last committed tick with the hash recorded for it.
- ``attach``: the room then takes over the recorded players and player ids, and the
  server's ``Identities`` the recorded tokens (digests) and bans. **Players after a
  restart**: those who held a token are held as after a disconnect, each for a whole grace
  period counted from the restart's tick (the time the server was down is not ticks, and
  nobody could return while it was down): a ``Hello`` with the token gets the same player id,
  entity and score back; whoever does not return leaves when the grace period ends (a leave
  recorded like any other, so a replay goes through it). Players without a token (a file of
  an older riscade, a grace period of 0) leave at the first tick after the restart.
  **Mods changed between runs**: a mod whose build or
  limits changed is reloaded at that first tick as a hot reload does (``on_save`` is run by
  the recorded build, ``on_restore`` or ``on_load`` by the new one; the mods depending on it
  are reloaded too); unchanged mods keep their restored machines. A different set of mods,
  or changed dependencies, is refused (``lockstep.reload.restart_swaps``).
- ``record``: after each tick, its inputs and state hash, the builds a reload swapped in,
  the identities when they changed, and every ``every`` ticks a snapshot (then the
  snapshots but the first and the latest ``keep`` are dropped), **committed every tick**
  (WAL, synchronous=NORMAL): ``kill -9`` loses at most the tick being written, and the
  identities in the file are always those of its last tick.
- ``save`` (``GameServer.save_world``): a snapshot of the current tick, committed now.

The mods' persistent storage (``storage_get``/``storage_set``) is part of the world, so it
lives in the world file's snapshots with the rest: a restart finds it where the game was.

A write that fails (a full disk) is logged once and recording stops; the game goes on, and
``save`` says why it cannot save.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from game.simulation import ModImage, Simulation, SimulationError
from lockstep.errors import LockstepError
from lockstep.record import (
    Replay,
    RoomState,
    pack_room,
    pack_tick,
    unpack_room,
    unpack_tick,
)
from lockstep.reload import Swap, restart_swaps
from lockstep.room import ClosedTick, Room
from protocol import ModEntry

from .identity import Identities
from .world_store import WorldFile, WorldFileError

__all__ = ["WorldRecorder", "WorldError", "load_replay", "replay_ticks", "DEFAULT_EVERY",
           "DEFAULT_KEEP"]

log = logging.getLogger("riscade.world")

#: Ticks between two snapshots (``riscade serve --snapshot-every``).
DEFAULT_EVERY = 100
#: Snapshots kept besides the first (``riscade serve --keep-snapshots``).
DEFAULT_KEEP = 20
#: The meta key of the identities (``Identities.to_state`` as JSON).
_IDENTITIES = "identities"


class WorldError(Exception):
    """A world file's game that cannot go on here; one line, the file unchanged."""


class _Builds:
    """The file's builds by SHA-256, each read once."""

    def __init__(self, file: WorldFile) -> None:
        self.file = file
        self._got: dict[str, tuple[ModEntry, ModImage]] = {}

    def get(self, sha256: str) -> tuple[ModEntry, ModImage]:
        if sha256 not in self._got:
            self._got[sha256] = self.file.build(sha256)
        return self._got[sha256]

    def image(self, sha256: str) -> ModImage:
        return self.get(sha256)[1]


def load_replay(file: WorldFile, at_or_before: int | None = None) -> Replay:
    """The game of ``file`` restored from its latest snapshot at or before
    ``at_or_before`` (None: the latest).

    Raises:
        WorldError: there is no such snapshot, or it does not restore to its hash.
        WorldFileError: the file cannot be read.
    """
    snap = file.snapshot(at_or_before)
    if snap is None:
        raise WorldError(f"{file.path} has no snapshot at or before tick {at_or_before}")
    recorded = file.tick_hash(snap.tick)
    if recorded is not None and recorded != snap.state_hash:
        raise WorldError(f"tick {snap.tick}: the snapshot's state hash {snap.state_hash[:16]} "
                         f"is not the tick's {recorded[:16]}")
    builds = _Builds(file)
    try:
        images = [builds.image(sha) for sha in snap.mods]
        return Replay.start(images, snap.state, snap.state_hash,
                            unpack_room(snap.tick, snap.room),
                            seed=int(file.meta("seed") or 1))
    except KeyError as exc:
        raise WorldError(f"{file.path}: the snapshot of tick {snap.tick} runs build "
                         f"{str(exc)[1:13]}, which is not stored") from None
    except (SimulationError, LockstepError) as exc:
        raise WorldError(f"{file.path}: the snapshot of tick {snap.tick}: {exc}") from None


def replay_ticks(file: WorldFile, replay: Replay, upto: int | None = None, *,
                 verify: bool = True) -> int:
    """Step ``replay`` through the recorded ticks after its tick, up to ``upto`` (None: all);
    with ``verify``, check each one's state hash. Returns how many ticks were stepped.

    Raises:
        WorldError: a tick is missing, malformed, or (``verify``) not the recorded state; the
            message names the tick.
    """
    builds = _Builds(file)
    done = 0
    for tick, data, state_hash in file.ticks(replay.tick, upto):
        if tick != replay.tick + 1:
            raise WorldError(f"tick {replay.tick + 1}: not recorded (the next one is {tick})")
        try:
            replay.step(unpack_tick(tick, data, builds.image), state_hash if verify else None)
        except (LockstepError, SimulationError) as exc:
            raise WorldError(str(exc) if str(exc).startswith("tick ")
                             else f"tick {tick}: {exc}") from None
        done += 1
    return done


@dataclass
class WorldRecorder:
    """Keeps a server's game in a world file (see the module).

    Args:
        file: the open world file.
        every: ticks between snapshots (at least 1).
        keep: snapshots kept besides the first (at least 1).
    """

    file: WorldFile
    every: int = DEFAULT_EVERY
    keep: int = DEFAULT_KEEP
    #: What ``attach`` did, in one line (the CLI prints it).
    summary: str = ""
    #: Why recording stopped (a failed write), or None while it records.
    failure: str | None = None
    #: Seconds spent recording (ticks and snapshots), ticks and snapshots written.
    seconds: float = 0.0
    ticks: int = 0
    snapshots: int = 0
    _room: Room | None = field(default=None, repr=False)
    _resumed: Replay | None = field(default=None, repr=False)
    _swaps: tuple[Swap, ...] = ()
    _served: list[tuple[ModEntry, ModImage]] = field(default_factory=list, repr=False)
    _snapshot_tick: int = -1
    _closed: bool = False
    _identities: Identities | None = field(default=None, repr=False)
    _saved_identities: Identities | None = field(default=None, repr=False)
    _identities_written: str = ""

    def __post_init__(self) -> None:
        _check_options(self.every, self.keep)

    @classmethod
    def open(cls, path: Path, *, host_abi: str, every: int = DEFAULT_EVERY,
             keep: int = DEFAULT_KEEP) -> WorldRecorder:
        """Open (or create) the world file at ``path`` for a server with ``host_abi``.

        Raises:
            WorldFileError: it is not a world this server can use (the file is unchanged).
            ValueError: ``every`` or ``keep`` is below 1.
        """
        _check_options(every, keep)
        return cls(WorldFile.open(path, host_abi=host_abi), every, keep)

    @property
    def path(self) -> Path:
        """The world file."""
        return self.file.path

    def simulation(self, served: Sequence[tuple[ModEntry, ModImage]], *, seed: int,
                   stored: bytes, on_log: Callable[[str, str], None],
                   locate: Callable[[bytes, int], str | None] | None = None) -> Simulation:
        """The game to serve with the mods ``served`` (entry, image; load order).

        Raises:
            WorldError: the recorded game cannot go on with these mods, or does not replay
                to its recorded hashes (nothing was written).
            WorldFileError: the file cannot be read.
            SimulationError: a new game's mods do not start together.
        """
        self._served = list(served)
        if self.file.snapshot() is None:  # a new world (or one whose first run never ticked)
            return Simulation([i for _, i in served], seed=seed, stored=stored, on_log=on_log,
                              locate=locate)
        saved = self.file.meta(_IDENTITIES)
        if saved is not None:
            try:
                self._saved_identities = Identities.from_state(json.loads(saved))
            except (ValueError, RecursionError) as exc:  # json.JSONDecodeError is a ValueError
                raise WorldError(f"{self.path}: its player identities are damaged: "
                                 f"{' '.join(str(exc).split())[:200]}") from None
            self._identities_written = saved
        replay = load_replay(self.file)
        replay_ticks(self.file, replay)
        recorded = [self.file.build(_sha(image)) for image in replay.sim.mods]
        try:
            self._swaps = restart_swaps(recorded, self._served)
        except LockstepError as exc:
            raise WorldError(f"{self.path}: {exc}") from None
        self._resumed = replay
        replay.sim.on_log = on_log
        replay.sim.locate = locate
        replay.sim.mod_chat = []
        return replay.sim

    def attach(self, room: Room, identities: Identities) -> dict[int, str]:
        """Record ``room``'s game and the server's ``identities`` from now on (after
        ``simulation``); see the module for what a resumed room does. Writes the builds
        served and, for a new world, its meta and the snapshot of its start, and commits
        them. Returns the players held for their return (player id: name).

        Raises:
            WorldFileError: the file cannot be written.
        """
        self._room = room
        self._identities = identities
        held: dict[int, str] = {}
        for entry, image in self._served:
            self.file.put_build(entry, image)
        replay = self._resumed
        if replay is None:
            self.file.set_meta("seed", str(room.sim.world.seed))
            self._snapshot(room)
            self.summary = f"new world in {self.path}"
        else:
            players = replay.room.players
            room.resume(players, replay.room.next_player)
            saved = self._saved_identities
            kept = identities.resume(saved, players, room.tick) if saved is not None else []
            held = {pid: players[pid] for pid in kept}
            for pid in sorted(players):
                if pid not in held:
                    room.leave(pid)
            if self._swaps:  # nobody to tell: joiners' snapshots wait until the swap
                room.reloads.announce(room.tick + 1, self._swaps)
                room.reloads.take_announced()
            reloads = ", ".join(s.entry.name for s in self._swaps) or "none"
            self.summary = (f"resumed {self.path} at tick {room.tick} (state "
                            f"{room.sim.state_hash()[:16]}); {len(held)} players held until "
                            f"tick {room.tick + identities.grace_ticks} for their return, "
                            f"{len(players) - len(held)} leave at tick {room.tick + 1}; mods "
                            f"reloaded: {reloads}")
        self._write_identities()
        self.file.commit()
        return held

    def _write_identities(self) -> None:
        """The identities into the open transaction, if they changed since last written."""
        if self._identities is None:
            return
        doc = json.dumps(self._identities.to_state(), separators=(",", ":"))
        if doc != self._identities_written:
            self.file.set_meta(_IDENTITIES, doc)
            self._identities_written = doc

    def _snapshot(self, room: Room) -> None:
        sim = room.sim
        self.file.put_snapshot(room.tick, [_sha(i) for i in sim.mods],
                               pack_room(RoomState(dict(room.players), room.next_player)),
                               sim.snapshot(), sim.state_hash())
        self.file.prune_snapshots(self.keep)
        self._snapshot_tick = room.tick
        self.snapshots += 1

    def record(self, closed: ClosedTick) -> None:
        """Record a tick the room closed (and a snapshot when one is due); commit. A failed
        write is logged once and recording stops."""
        if self.failure is not None or self._closed or self._room is None:
            return
        start = time.perf_counter()
        inputs = closed.inputs
        try:
            for entry, image in zip(closed.swapped, inputs.reloads, strict=True):
                self.file.put_build(entry, image)
            self.file.put_tick(inputs.tick, pack_tick(inputs), closed.state_hash)
            if inputs.tick % self.every == 0:
                self._snapshot(self._room)
            self._write_identities()
            self.file.commit()
        except WorldFileError as exc:
            self.failure = str(exc)
            log.error("the world is no longer recorded: %s", exc)
        self.ticks += 1
        self.seconds += time.perf_counter() - start

    def save(self) -> str:
        """A snapshot of the current tick, committed now; one line saying what happened."""
        room = self._room
        if room is None:
            return "the world is not running yet: nothing saved"
        if self._closed:
            return f"the world was saved to {self.path} at tick {self._snapshot_tick} and closed"
        if self.failure is not None:
            return f"cannot save the world: {self.failure}"
        try:
            if self._snapshot_tick != room.tick:
                self._snapshot(room)
            self._write_identities()
            self.file.commit()
        except WorldFileError as exc:
            self.failure = str(exc)
            log.error("the world is no longer recorded: %s", exc)
            return f"cannot save the world: {exc}"
        return f"saved the world to {self.path} at tick {room.tick}"

    def close(self) -> str:
        """``save``, then close the file (later calls only say so). Never raises."""
        if self._closed:
            return self.save()
        said = self.save()
        self._closed = True
        self.file.close()
        return said


def _check_options(every: int, keep: int) -> None:
    if every < 1:
        raise ValueError(f"a snapshot is taken every 1 or more ticks, not {every}")
    if keep < 1:
        raise ValueError(f"at least 1 snapshot is kept besides the first, not {keep}")


def _sha(image: ModImage) -> str:
    return hashlib.sha256(image.elf).hexdigest()
