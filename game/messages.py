"""Mod-to-mod messages: ``send_message(to_mod, payload)`` -> ``on_message(from_mod, payload)``.

Delivery is in the next tick, never the same one: a message sent in tick T (0: in
``main``/``on_load``) reaches ``on_message`` in tick T + 1, after the tick's timers and before
its ``on_tick``, messages in the order they were sent. So a mod cannot make two mods ping-pong
forever inside one tick, and the order does not depend on where in the tick a mod sent it.
A mod sends at most ``MESSAGES_PER_TICK`` per tick and is sent at most as many for the next
tick, so no mod can spend another's budget on ``on_message`` calls (``send_message`` returns
0 past either, and for a name no enabled mod has); a payload over ``MESSAGE_BYTES`` is a
fault. A message sent by
a hook that faults is not sent; one for a mod disabled before delivery is dropped. The
messages waiting for the next tick are part of the hashed state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .rules import MESSAGE_BYTES, MESSAGES_PER_TICK

__all__ = ["Mailbox"]


class Mailbox:
    """Messages waiting for the next tick, as (from slot, to slot, payload), in send order."""

    def __init__(self) -> None:
        self.outbox: list[tuple[int, int, bytes]] = []
        self._sent: dict[int, int] = {}  # slot -> messages sent this tick

    def take(self) -> list[tuple[int, int, bytes]]:
        """Start a tick: the messages to deliver in it (and fresh per-tick quotas)."""
        out, self.outbox = self.outbox, []
        self._sent.clear()
        return out

    def _for(self, target: int) -> int:
        """Messages waiting for mod ``target``."""
        return sum(1 for _a, b, _p in self.outbox if b == target)

    def to_state(self) -> list[list[Any]]:
        """[[from slot, to slot, payload], ...] in send order."""
        return [[a, b, p] for a, b, p in self.outbox]

    @classmethod
    def from_state(cls, doc: Any, mods: int) -> Mailbox:
        """Inverse of ``to_state`` for a simulation of ``mods`` mods; ValueError else."""
        box = cls()
        if not isinstance(doc, list) or len(doc) > mods * MESSAGES_PER_TICK:
            raise ValueError("malformed mailbox")
        for item in doc:
            if not (isinstance(item, list) and len(item) == 3
                    and type(item[0]) is int and 1 <= item[0] <= mods
                    and type(item[1]) is int and 1 <= item[1] <= mods
                    and isinstance(item[2], bytes) and len(item[2]) <= MESSAGE_BYTES):
                raise ValueError("malformed message")
            box.outbox.append((item[0], item[1], item[2]))
        for slot in range(1, mods + 1):
            if box._for(slot) > MESSAGES_PER_TICK or \
                    sum(1 for a, _b, _p in box.outbox if a == slot) > MESSAGES_PER_TICK:
                raise ValueError(f"more than {MESSAGES_PER_TICK} messages of or for one mod")
        return box

    def host_impls(self, slot: int, find: Callable[[str], int | None],
                   journal: Callable[[Callable[[], None]], None]
                   ) -> dict[str, Callable[..., Any]]:
        """``send_message`` for mod ``slot``; ``find(name)`` is the slot of the enabled mod
        called ``name``, or None."""

        def send_message(m: Any, to_mod: str, payload: bytes) -> int:
            if len(payload) > MESSAGE_BYTES:
                raise ValueError(f"payload of {len(payload)} bytes, more than {MESSAGE_BYTES}")
            sent = self._sent.get(slot, 0)
            target = find(to_mod)
            if target is None or sent >= MESSAGES_PER_TICK \
                    or self._for(target) >= MESSAGES_PER_TICK:
                return 0
            self._sent[slot] = sent + 1
            self.outbox.append((slot, target, payload))

            def undo() -> None:
                self.outbox.pop()
                self._sent[slot] = sent
            journal(undo)
            return 1

        return {"send_message": send_message}
