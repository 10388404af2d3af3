"""Load order: mods sorted so every mod comes after its dependencies, ties broken by name.

The game loads mods and calls their hooks in this order on every machine, so it must be a
pure function of the manifests.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from .errors import ModDependencyError
from .manifest import ModSpec

__all__ = ["load_order"]


def load_order(specs: Sequence[ModSpec]) -> list[ModSpec]:
    """``specs`` in dependency order (Kahn's algorithm; among ready mods, smallest name first).

    Raises:
        ModDependencyError: a dependency names no mod in ``specs`` (the first such mod by
            name), or the dependencies form a cycle (one cycle, as names).
    """
    by_name = {s.name: s for s in specs}
    for spec in sorted(specs, key=lambda s: s.name):
        missing = [d for d in spec.dependencies if d not in by_name]
        if missing:
            raise ModDependencyError(spec.name, missing=missing)
    waiting = {s.name: len(set(s.dependencies)) for s in specs}
    dependents: dict[str, list[str]] = {name: [] for name in by_name}
    for spec in specs:
        for dep in set(spec.dependencies):
            dependents[dep].append(spec.name)
    ready = [name for name, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order: list[ModSpec] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(by_name[name])
        for dependent in dependents[name]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, dependent)
    if len(order) < len(specs):
        cycle = _find_cycle(by_name, {name for name, n in waiting.items() if n > 0})
        raise ModDependencyError(cycle[0], cycle=cycle)
    return order


def _find_cycle(by_name: dict[str, ModSpec], stuck: set[str]) -> list[str]:
    """A dependency cycle among the ``stuck`` mods, e.g. ``["a", "b", "a"]``.

    Every stuck mod waits on at least one stuck dependency (else Kahn's algorithm would have
    released it), so following the smallest one from the smallest stuck mod must revisit one.
    """
    path: list[str] = []
    on_path: dict[str, int] = {}
    name = min(stuck)
    while name not in on_path:
        on_path[name] = len(path)
        path.append(name)
        name = min(d for d in by_name[name].dependencies if d in stuck)
    return path[on_path[name]:] + [name]
