"""Player info beyond the world's player -> entity map: each player's name and join tick.

Part of the simulation's hashed state (``Roster.to_state``): names come from the tick stream
(``TickInputs.joins``), so every machine has the same roster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Roster"]


class Roster:
    """Name and join tick of each player in the game, by player id."""

    def __init__(self) -> None:
        self.players: dict[int, tuple[str, int]] = {}  # player id -> (name, join tick)

    def join(self, pid: int, name: str, tick: int) -> None:
        """Player ``pid`` joined in ``tick``."""
        self.players[pid] = (name, tick)

    def leave(self, pid: int) -> None:
        """Player ``pid`` left."""
        self.players.pop(pid, None)

    def to_state(self) -> list[list[Any]]:
        """[[player id, name, join tick], ...] by player id: canonical."""
        return [[pid, name, tick] for pid, (name, tick) in sorted(self.players.items())]

    @classmethod
    def from_state(cls, doc: Any) -> Roster:
        """Inverse of ``to_state``; ValueError on anything else."""
        roster = cls()
        if not isinstance(doc, list):
            raise ValueError("roster is not a list")
        for item in doc:
            if not (isinstance(item, list) and len(item) == 3 and type(item[0]) is int
                    and isinstance(item[1], str) and type(item[2]) is int and item[2] >= 0):
                raise ValueError("malformed roster entry")
            roster.players[item[0]] = (item[1], item[2])
        return roster

    def host_impls(self, tick: Callable[[], int]) -> dict[str, Callable[..., Any]]:
        """``player_name`` and ``player_ticks_connected``; ``tick()`` is the current tick."""

        def player_name(m: Any, pid: int, buf: int, limit: int) -> int:
            if limit < 0:
                raise ValueError(f"max {limit} is negative")
            entry = self.players.get(pid)
            if entry is None:
                return -1
            data = entry[0].encode("utf-8", "replace")
            if limit and data:
                m.write(buf, data[:limit])
            return len(data)

        def player_ticks_connected(m: Any, pid: int) -> int:
            entry = self.players.get(pid)
            return -1 if entry is None else tick() - entry[1]

        return {"player_name": player_name, "player_ticks_connected": player_ticks_connected}
