"""Timers: ``timer_after(ticks, tag)`` calls the mod's ``on_timer(tag)`` ``ticks`` ticks later.

A timer set in tick T (0: in ``main``/``on_load``) fires in tick T + ticks, after the tick's
chat lines and before its messages and ``on_tick``; the timers due in one tick fire mod by
mod in load order, each mod's in the order they were set. A mod has at most
``TIMERS_PER_MOD`` pending (``timer_after`` returns 0 past that); ``ticks`` outside
``1..TIMER_TICKS_MAX`` is a fault. A timer set by a hook that faults is not set (the world's
journal undoes it). Pending timers are part of the hashed state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .rules import TIMER_TICKS_MAX, TIMERS_PER_MOD

__all__ = ["Timers"]


class Timers:
    """Pending timers: (due tick, mod slot, sequence number, tag), kept sorted."""

    def __init__(self) -> None:
        self.pending: list[tuple[int, int, int, int]] = []
        self.next_seq = 0

    def count(self, slot: int) -> int:
        """Timers mod ``slot`` has pending."""
        return sum(1 for t in self.pending if t[1] == slot)

    def due(self, tick: int) -> list[tuple[int, int]]:
        """Remove and return the timers due in ``tick`` as (slot, tag), in firing order."""
        fired = sorted((slot, seq, tag) for due, slot, seq, tag in self.pending if due <= tick)
        self.pending = [t for t in self.pending if t[0] > tick]
        return [(slot, tag) for slot, _seq, tag in fired]

    def to_state(self) -> list[Any]:
        """[next sequence number, [[due, slot, seq, tag], ...]]: canonical."""
        return [self.next_seq, [list(t) for t in sorted(self.pending)]]

    @classmethod
    def from_state(cls, doc: Any) -> Timers:
        """Inverse of ``to_state``; ValueError on anything else."""
        timers = cls()
        if not (isinstance(doc, list) and len(doc) == 2 and type(doc[0]) is int
                and isinstance(doc[1], list)):
            raise ValueError("malformed timers")
        timers.next_seq = doc[0]
        for item in doc[1]:
            if not (isinstance(item, list) and len(item) == 4
                    and all(type(v) is int for v in item)):
                raise ValueError("malformed timer")
            timers.pending.append((item[0], item[1], item[2], item[3]))
        timers.pending.sort()
        for slot in {t[1] for t in timers.pending}:
            if timers.count(slot) > TIMERS_PER_MOD:
                raise ValueError(f"more than {TIMERS_PER_MOD} timers of one mod")
        return timers

    def host_impls(self, slot: int, tick: Callable[[], int],
                   journal: Callable[[Callable[[], None]], None]
                   ) -> dict[str, Callable[..., Any]]:
        """``timer_after`` and ``timer_cancel`` for mod ``slot``; ``journal(undo)`` records
        how to undo a change if the running hook faults."""

        def timer_after(m: Any, ticks: int, tag: int) -> int:
            if not 1 <= ticks <= TIMER_TICKS_MAX:
                raise ValueError(f"ticks {ticks} is outside 1..{TIMER_TICKS_MAX}")
            if self.count(slot) >= TIMERS_PER_MOD:
                return 0
            before, seq = self.pending[:], self.next_seq
            self.pending.append((tick() + ticks, slot, seq, tag))
            self.pending.sort()
            self.next_seq += 1
            journal(lambda: self._reset(before, seq))
            return 1

        def timer_cancel(m: Any, tag: int) -> int:
            before = self.pending[:]
            self.pending = [t for t in before if not (t[1] == slot and t[3] == tag)]
            journal(lambda: self._reset(before, self.next_seq))
            return len(before) - len(self.pending)

        return {"timer_after": timer_after, "timer_cancel": timer_cancel}

    def _reset(self, pending: list[tuple[int, int, int, int]], next_seq: int) -> None:
        self.pending, self.next_seq = pending, next_seq
