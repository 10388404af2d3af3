"""The authoritative game, without I/O: players come and go, inputs arrive, ticks close.

The asyncio shell (``server.app``) feeds it and broadcasts what ``close_tick`` returns. Every
decision about what goes into a tick is made here, from the order of calls alone: no clock.

Every limit of a tick is kept here, where a player's message is accepted, so a tick the room
closes always fits the protocol's limits: ``reserve`` refuses a player beyond ``max_players``
(players present, joining and still in their handshake all hold a slot), ``chat`` refuses a
line beyond the tick's lines or bytes or the player's lines, and a player who leaves takes
its buttons along.

Hot reloads (``lockstep.reload``) are scheduled here too: ``announce_reload`` puts the
announcement in the next tick closed, and the tick it names hands the new images to the
simulation before anything else happens in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from game.simulation import Simulation, TickInputs
from protocol import DEFAULT_LIMITS, ModEntry, Reload

from .policy import DEFAULT_POLICY
from .reload import ReloadSchedule, Swap

__all__ = ["Room", "ClosedTick"]


@dataclass(frozen=True)
class ClosedTick:
    """What one tick contained, and the state hash after it.

    Attributes:
        inputs: the tick's inputs (``inputs.reloads``: the mods it replaced).
        state_hash: the state's hash after it.
        announced: the reloads announced in it (for later ticks).
        swapped: the manifest entries the mods it replaced have from now on.
    """

    inputs: TickInputs
    state_hash: str
    announced: tuple[Reload, ...] = ()
    swapped: tuple[ModEntry, ...] = ()


@dataclass
class Room:
    """Players, their latest inputs and the simulation they share."""

    sim: Simulation
    max_players: int = DEFAULT_LIMITS.max_players
    max_chats: int = DEFAULT_LIMITS.max_chats_per_tick
    chat_lines_per_player: int = DEFAULT_POLICY.chat_lines_per_player
    chat_bytes_per_tick: int = DEFAULT_POLICY.chat_bytes_per_tick
    players: dict[int, str] = field(default_factory=dict)
    _next_player: int = 1
    _reserved: set[int] = field(default_factory=set)
    _chat_bytes: int = 0
    _chats_by: dict[int, int] = field(default_factory=dict)
    _joining: dict[int, str] = field(default_factory=dict)
    _leaving: set[int] = field(default_factory=set)
    _buttons: dict[int, int] = field(default_factory=dict)
    _chats: list[tuple[int, str]] = field(default_factory=list)
    _enables: list[str] = field(default_factory=list)
    reloads: ReloadSchedule = field(default_factory=ReloadSchedule)

    @property
    def tick(self) -> int:
        """The last tick applied."""
        return self.sim.world.tick

    @property
    def occupied(self) -> int:
        """Slots held: players present (those leaving until their tick closes), joining, and
        reserved by a handshake."""
        return len(self.players) + len(self._joining) + len(self._reserved)

    @property
    def next_player(self) -> int:
        """The player id ``reserve`` gives next."""
        return self._next_player

    def resume(self, players: dict[int, str], next_player: int) -> None:
        """Continue a recorded game (``server.world``): ``players`` are in the world (no
        connection plays them yet), and ids below ``next_player`` are never given again."""
        self.players = dict(players)
        self._next_player = max(self._next_player, next_player)

    def reserve(self) -> int | None:
        """A fresh player id, never used before in this room, holding a slot until ``admit``
        or ``leave``; ``None`` if all ``max_players`` slots are held."""
        if self.occupied >= self.max_players:
            return None
        pid = self._next_player
        self._next_player += 1
        self._reserved.add(pid)
        return pid

    def admit(self, pid: int, name: str) -> None:
        """Player ``pid`` (from ``reserve``) joins the world in the next tick."""
        if pid in self._reserved:
            self._reserved.discard(pid)
            self._joining[pid] = name

    def leave(self, pid: int) -> None:
        """The player leaves in the next tick (or never joins, if it had not yet); its
        buttons go with it."""
        self._reserved.discard(pid)
        self._buttons.pop(pid, None)
        if self._joining.pop(pid, None) is None and pid in self.players:
            self._leaving.add(pid)

    def set_input(self, pid: int, buttons: int) -> None:
        """Record the buttons a player holds; they count from the next tick on."""
        if (pid in self.players or pid in self._joining) and pid not in self._leaving:
            self._buttons[pid] = buttons

    def buttons(self, pid: int) -> int | None:
        """The buttons player ``pid`` holds in the next tick's inputs (``None``: none)."""
        return self._buttons.get(pid)

    def chat(self, pid: int, text: str) -> bool:
        """Queue a chat line for the mods' on_chat in the next tick; False (dropped) if the
        player is not in the world, or the tick already holds ``max_chats`` lines or
        ``chat_bytes_per_tick`` bytes, or this player's ``chat_lines_per_player`` lines."""
        size = len(text.encode("utf-8", "surrogatepass"))
        if (pid not in self.players or pid in self._leaving
                or len(self._chats) >= self.max_chats
                or self._chat_bytes + size > self.chat_bytes_per_tick
                or self._chats_by.get(pid, 0) >= self.chat_lines_per_player):
            return False
        self._chats.append((pid, text))
        self._chat_bytes += size
        self._chats_by[pid] = self._chats_by.get(pid, 0) + 1
        return True

    def enable_mod(self, name: str) -> str | None:
        """Re-enable disabled mod ``name`` at the start of the next tick (it travels in that
        tick, so every client does it at the same tick); None if queued, else why not."""
        problem = self.sim.enable_problem(name)
        if problem is None and name not in self._enables:
            self._enables.append(name)
        return problem

    def announce_reload(self, swaps: tuple[Swap, ...], lead: int) -> Reload:
        """Schedule ``swaps`` (``plan_reload``) ``lead`` ticks after the next tick, which
        announces them; returns the announcement."""
        return self.reloads.announce(self.tick + 1 + max(1, lead), swaps)

    def close_tick(self) -> ClosedTick:
        """Apply the next tick to the simulation and return it with its state hash."""
        leaves = tuple(sorted(self._leaving))
        joins = tuple(sorted(self._joining.items()))
        for pid in leaves:
            del self.players[pid]
            self._buttons.pop(pid, None)
        self.players.update(joins)
        inputs = tuple(sorted((pid, b) for pid, b in self._buttons.items()
                              if pid in self.players))
        chats = tuple(self._chats)
        self._leaving.clear()
        self._joining.clear()
        self._chats.clear()
        self._chats_by.clear()
        self._chat_bytes = 0
        enables, self._enables = tuple(self._enables), []
        swaps = self.reloads.due(self.tick + 1)
        ticked = TickInputs(self.tick + 1, joins=joins, leaves=leaves, inputs=inputs,
                            chats=chats, enables=enables, reloads=tuple(s.image for s in swaps))
        self.sim.step(ticked)
        return ClosedTick(ticked, self.sim.state_hash(), self.reloads.take_announced(),
                          tuple(s.entry for s in swaps))

