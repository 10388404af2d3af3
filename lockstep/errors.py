"""The one exception tree of ``lockstep``.

    LockstepError
    ├── SnapshotRejected     the follower cannot continue from a server's snapshot: not
    │                        whole, or not the state its own hash names   (SimulationError)
    ├── PolicyError          a ``ServerPolicy`` limit that is not positive      (ValueError)
    ├── ReloadRefused        a rebuilt mod cannot replace the running one (hot reload)
    ├── RecordError          a recorded tick or room that cannot be read (``record``)
    ├── HashMismatch         a replayed tick's state is not the recorded one (``record``)
    └── JoinError            a client's join or resync cannot go on; carries the Bye to send
        └── Refused          the server refused us (``Refusal``, or a ``Bye``)

``SnapshotRejected`` is also a ``game.SimulationError`` (which ``Simulation.restore`` raises
for a snapshot it cannot parse), so a caller catches "this snapshot is unusable" with one
except clause; ``PolicyError`` is also a ``ValueError``, as an invalid argument is.
The errors of the packages underneath pass through unchanged: ``protocol.BlobError`` for a
snapshot that does not decompress, ``game.SimulationError`` for mods the game refuses.
"""

from __future__ import annotations

from game.errors import SimulationError

__all__ = ["LockstepError", "SnapshotRejected", "PolicyError", "ReloadRefused", "RecordError",
           "HashMismatch"]


class LockstepError(Exception):
    """Root of every error the lockstep package raises."""


class SnapshotRejected(LockstepError, SimulationError):
    """The server's snapshot of ``tick`` cannot be continued from; ``detail`` says why."""

    def __init__(self, tick: int, detail: str) -> None:
        self.tick = tick
        self.detail = detail
        super().__init__(f"snapshot of tick {tick} {detail}")


class ReloadRefused(LockstepError):
    """Mod ``name``'s new build cannot replace the running one; ``reason`` says why (the old
    one runs on)."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"mod {name} not reloaded: {reason}")


class PolicyError(LockstepError, ValueError):
    """``ServerPolicy.<field>`` was given ``value``, which is not a positive number."""

    def __init__(self, field: str, value: object) -> None:
        self.field = field
        self.value = value
        super().__init__(f"ServerPolicy.{field} must be positive, got {value!r}")


class RecordError(LockstepError):
    """A recorded tick or room that cannot be read; ``tick`` names which."""

    def __init__(self, tick: int, reason: str) -> None:
        super().__init__(f"tick {tick}: {reason}")
        self.tick = tick
        self.reason = reason


class HashMismatch(LockstepError):
    """The state after a replayed tick is not the one recorded for it."""

    def __init__(self, tick: int, recorded: str, replayed: str) -> None:
        super().__init__(f"tick {tick}: state hash {replayed[:16]} differs from the recorded "
                         f"{recorded[:16]}")
        self.tick = tick
        self.recorded = recorded
        self.replayed = replayed
