"""The authoritative game, without I/O: players come and go, inputs arrive, ticks close.

The asyncio shell (``server.app``) feeds it and broadcasts what ``close_tick`` returns. Every
decision about what goes into a tick is made here, from the order of calls alone: no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from game.simulation import Simulation, TickInputs

__all__ = ["Room", "ClosedTick", "tick_hash"]


def tick_hash(sim: Simulation) -> str:
    """The state hash (hex) sent with tick ``sim.world.tick``: the world, every mod's fault
    state and every mod's whole machine (registers and memory), every tick. (Hashing the
    three bundled mods' machines costs about 0.5 ms.)"""
    return sim.state_hash(machines=True)


@dataclass(frozen=True)
class ClosedTick:
    """What one tick contained, and the state hash after it."""

    inputs: TickInputs
    state_hash: str


@dataclass
class Room:
    """Players, their latest inputs and the simulation they share."""

    sim: Simulation
    players: dict[int, str] = field(default_factory=dict)
    _next_player: int = 1
    _joining: dict[int, str] = field(default_factory=dict)
    _leaving: set[int] = field(default_factory=set)
    _buttons: dict[int, int] = field(default_factory=dict)
    _chats: list[tuple[int, str]] = field(default_factory=list)

    @property
    def tick(self) -> int:
        """The last tick applied."""
        return self.sim.world.tick

    def reserve(self) -> int:
        """A fresh player id, never used before in this room."""
        pid = self._next_player
        self._next_player += 1
        return pid

    def admit(self, pid: int, name: str) -> None:
        """Player ``pid`` (from ``reserve``) joins the world in the next tick."""
        self._joining[pid] = name

    def leave(self, pid: int) -> None:
        """The player leaves in the next tick (or never joins, if it had not yet)."""
        if self._joining.pop(pid, None) is not None:
            return
        if pid in self.players:
            self._leaving.add(pid)
        self._buttons.pop(pid, None)

    def set_input(self, pid: int, buttons: int) -> None:
        """Record the buttons a player holds; they count from the next tick on."""
        if pid in self.players or pid in self._joining:
            self._buttons[pid] = buttons

    def chat(self, pid: int, text: str) -> None:
        """Queue a chat line for the mods' on_chat in the next tick."""
        if pid in self.players:
            self._chats.append((pid, text))

    def close_tick(self) -> ClosedTick:
        """Apply the next tick to the simulation and return it with its state hash."""
        leaves = tuple(sorted(self._leaving))
        joins = tuple(sorted(self._joining.items()))
        for pid in leaves:
            del self.players[pid]
        self.players.update(joins)
        inputs = tuple(sorted((pid, b) for pid, b in self._buttons.items()
                              if pid in self.players))
        chats = tuple(self._chats)
        self._leaving.clear()
        self._joining.clear()
        self._chats.clear()
        ticked = TickInputs(self.tick + 1, joins=joins, leaves=leaves, inputs=inputs,
                            chats=chats)
        self.sim.step(ticked)
        return ClosedTick(ticked, tick_hash(self.sim))

