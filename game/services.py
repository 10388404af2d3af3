"""The game's services to mods beyond the world: queries, player info, timers, messages.

``Services`` holds their state (``Roster``, ``Timers``, ``Mailbox``), its bytes for the
snapshot and its part of the state hash; ``Services.host_impls`` gives one mod its host
functions. The simulation calls the hooks (``on_timer``, ``on_message``,
``on_mod_disabled``) at the points ``game.simulation`` documents.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, cast

import msgpack

from .messages import Mailbox
from .queries import query_impls
from .roster import Roster
from .rules import HOST_CALLS_PER_TICK
from .timers import Timers
from .world import World

__all__ = ["Services"]


class Services:
    """Roster, timers and mailbox of one simulation."""

    def __init__(self) -> None:
        self.roster = Roster()
        self.timers = Timers()
        self.mailbox = Mailbox()

    def to_bytes(self) -> bytes:
        """Canonical bytes (msgpack): equal states give equal bytes."""
        return cast(bytes, msgpack.packb([self.roster.to_state(), self.timers.to_state(),
                                          self.mailbox.to_state()]))

    @classmethod
    def from_bytes(cls, data: Any, mods: int) -> Services:
        """Inverse of ``to_bytes`` for a simulation of ``mods`` mods; ValueError else."""
        if not isinstance(data, bytes):
            raise ValueError("services are not bytes")
        try:
            doc = msgpack.unpackb(data, raw=False)
        except (ValueError, msgpack.exceptions.ExtraData) as exc:
            raise ValueError(f"malformed services: {exc}") from None
        if not (isinstance(doc, list) and len(doc) == 3):
            raise ValueError("malformed services")
        out = cls()
        out.roster = Roster.from_state(doc[0])
        out.timers = Timers.from_state(doc[1])
        out.mailbox = Mailbox.from_state(doc[2], mods)
        if any(not 1 <= slot <= mods for _due, slot, _seq, _tag in out.timers.pending):
            raise ValueError("timer of a mod that does not exist")
        return out

    def assign(self, other: Services) -> None:
        """Take ``other``'s state (restore) keeping these objects, which the mods' host
        functions hold."""
        self.roster.players = other.roster.players
        self.timers.pending, self.timers.next_seq = other.timers.pending, other.timers.next_seq
        self.mailbox.take()
        self.mailbox.outbox = other.mailbox.outbox

    def digest(self) -> bytes:
        """SHA-256 of ``to_bytes()``."""
        return hashlib.sha256(self.to_bytes()).digest()

    def host_impls(self, slot: int, mod_state: Any, world: Callable[[], World],
                   find: Callable[[str], int | None]) -> dict[str, Callable[..., Any]]:
        """The host functions of this area for mod ``slot`` (whose per-tick counters are
        ``mod_state.host_calls``); ``find(name)`` is the slot of an enabled mod, or None.
        Undo steps go to ``world()``'s journal, so a hook that faults leaves nothing here."""

        def charge(n: int) -> None:
            mod_state.host_calls += n
            if mod_state.host_calls > HOST_CALLS_PER_TICK:
                raise ValueError(f"over {HOST_CALLS_PER_TICK} host calls in one tick "
                                 "(queries count one per entity they examine / 16)")

        def journal(step: Callable[[], None]) -> None:
            world().on_rollback(step)

        def tick() -> int:
            return world().tick

        return {**query_impls(world, charge), **self.roster.host_impls(tick),
                **self.timers.host_impls(slot, tick, journal),
                **self.mailbox.host_impls(slot, find, journal)}
