"""Entity queries: every entity in a circle, a rectangle, or of a kind, in one host call.

A query writes up to ``max`` records of ``QUERY_RECORD_WORDS`` little-endian int64 words
(id, kind, x, y, vx, vy) into the guest at ``buf``, in id order, and returns how many
entities matched (so a result over ``max`` says some did not fit). ``max`` must be in
``0..QUERY_MAX`` (0: count only, nothing is written); a bad ``buf`` faults the mod before
anything is written. A query costs ``1 + examined // QUERY_SCAN_PER_HOST_CALL`` host calls of
the mod's ``HOST_CALLS_PER_TICK``, so a mod cannot make the host scan a full world thousands of
times a tick.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Callable, Iterable
from typing import Any

from mods.host_api import constant

from .rules import QUERY_MAX, QUERY_SCAN_PER_HOST_CALL
from .world import Entity, World

__all__ = ["KIND_ANY", "RECORD", "query_impls"]

#: The kind that matches every kind.
KIND_ANY = constant("KIND_ANY")
#: One record: id, kind, x, y, vx, vy.
RECORD = struct.Struct(f"<{constant('QUERY_RECORD_WORDS')}q")


def _write(m: Any, buf: int, limit: int, found: list[Entity], examined: int,
           charge: Callable[[int], None]) -> int:
    """Charge the scan, write the first ``limit`` records of ``found``; return the count."""
    charge(examined // QUERY_SCAN_PER_HOST_CALL)
    if found and limit:
        m.write(buf, b"".join(RECORD.pack(e.id, e.kind, e.x, e.y, e.vx, e.vy)
                              for e in found[:limit]))
    return len(found)


def _checked(limit: int) -> int:
    if not 0 <= limit <= QUERY_MAX:
        raise ValueError(f"max {limit} is outside 0..{QUERY_MAX}")
    return limit


def _of_kind(entities: Iterable[Entity], kind: int) -> list[Entity]:
    return list(entities) if kind == KIND_ANY else [e for e in entities if e.kind == kind]


def query_impls(world: Callable[[], World],
                charge: Callable[[int], None]) -> dict[str, Callable[..., Any]]:
    """The query host functions over ``world()``; ``charge(n)`` counts n more host calls
    (and raises ValueError, a fault of the mod, once they are over its budget)."""

    def query_radius(m: Any, x: int, y: int, radius: int, kind: int, buf: int,
                     limit: int) -> int:
        _checked(limit)
        entities = world().entities
        r2 = radius * radius if radius >= 0 else -1
        found = [e for e in _of_kind(entities.values(), kind)
                 if (e.x - x) * (e.x - x) + (e.y - y) * (e.y - y) <= r2]
        return _write(m, buf, limit, found, len(entities), charge)

    def query_rect(m: Any, x0: int, y0: int, x1: int, y1: int, kind: int, buf: int,
                   limit: int) -> int:
        _checked(limit)
        entities = world().entities
        found = [e for e in _of_kind(entities.values(), kind)
                 if x0 <= e.x <= x1 and y0 <= e.y <= y1]
        return _write(m, buf, limit, found, len(entities), charge)

    def query_kind(m: Any, kind: int, first: int, buf: int, limit: int) -> int:
        _checked(limit)
        w = world()
        ids = w.ids()
        start = bisect.bisect_left(ids, first)
        found = _of_kind((w.entities[i] for i in ids[start:]), kind)
        return _write(m, buf, limit, found, len(ids) - start, charge)

    return {"query_radius": query_radius, "query_rect": query_rect, "query_kind": query_kind}
