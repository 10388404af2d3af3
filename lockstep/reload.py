"""Hot reload, without I/O: which mods a reload replaces, when, and who is told.

The server's shell builds a changed mod and hands the result to ``plan_reload``, which
decides what the reload replaces: the changed mod, then every mod that depends on it (directly
or not), in load order, each reloaded (``on_save``/``on_restore`` or ``on_load``) so it sees
the new version as it would after a restart. ``Room.announce_reload`` schedules the swaps for
a tick ``lead`` ticks ahead and puts the announcement (a ``protocol.Reload``) in the next
``Tick``; at that tick the room passes the new images to the simulation in ``TickInputs``
and each client's ``Follower`` does the same from the announcement it received. Nothing
here reads a clock: the tick is the only time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from game.simulation import ModImage
from protocol import ModEntry, Reload

from .errors import ReloadRefused

__all__ = ["Swap", "ReloadRefused", "plan_reload", "restart_swaps", "ReloadSchedule"]


@dataclass(frozen=True)
class Swap:
    """One mod replaced by a reload: its manifest entry and image from then on."""

    entry: ModEntry
    image: ModImage


def plan_reload(manifest: Sequence[ModEntry], images: Mapping[str, ModImage],
                entry: ModEntry, image: ModImage) -> tuple[Swap, ...]:
    """The swaps that replace the running mod ``entry.name`` by ``entry``/``image``.

    Args:
        manifest: the running mods, in load order.
        images: the running mods' images by name.
        entry, image: the rebuilt mod.

    Returns:
        The changed mod's swap, then one per mod depending on it (transitively), in
        manifest order, each with its running entry and image.

    Raises:
        ReloadRefused: the mod is not running (a new mod needs a restart), its build is the
            running one, or its dependencies changed (the load order would change).
    """
    running = {e.name: e for e in manifest}
    old = running.get(entry.name)
    if old is None:
        raise ReloadRefused(entry.name, "it is not running (a new mod needs a restart)")
    if old.sha256 == entry.sha256:
        raise ReloadRefused(entry.name, "its build is the one running")
    if old.dependencies != entry.dependencies:
        raise ReloadRefused(entry.name, f"its dependencies changed from {list(old.dependencies)}"
                            f" to {list(entry.dependencies)} (restart the server)")
    affected = {entry.name}
    swaps = [Swap(entry, image)]
    for other in manifest:
        if other.name not in affected and affected.intersection(other.dependencies):
            affected.add(other.name)
            swaps.append(Swap(other, images[other.name]))
    return tuple(swaps)


class ReloadSchedule:
    """The reloads a room announced and has not applied yet."""

    def __init__(self) -> None:
        self._due: dict[int, tuple[Swap, ...]] = {}
        self._unsent: list[Reload] = []

    @property
    def pending(self) -> bool:
        """True while an announced reload has not happened."""
        return bool(self._due)

    @property
    def upcoming(self) -> frozenset[str]:
        """The SHA-256s of the builds the pending reloads swap in."""
        return frozenset(s.entry.sha256 for swaps in self._due.values() for s in swaps)

    def announce(self, tick: int, swaps: tuple[Swap, ...]) -> Reload:
        """Schedule ``swaps`` at ``tick`` (after any already scheduled); the announcement
        goes out with the next tick closed (``take_announced``)."""
        tick = max(tick, max(self._due, default=0) + 1)
        self._due[tick] = swaps
        notice = Reload(tick=tick, mods=tuple(s.entry for s in swaps))
        self._unsent.append(notice)
        return notice

    def take_announced(self) -> tuple[Reload, ...]:
        """The announcements not yet put in a tick, now taken."""
        out, self._unsent = tuple(self._unsent), []
        return out

    def due(self, tick: int) -> tuple[Swap, ...]:
        """The swaps of ``tick``, now taken (none for most ticks)."""
        return self._due.pop(tick, ())


def restart_swaps(recorded: Sequence[tuple[ModEntry, ModImage]],
                  served: Sequence[tuple[ModEntry, ModImage]]) -> tuple[Swap, ...]:
    """The swaps that bring a recorded game's mods to the builds served now (a restart).

    A mod whose image changed is reloaded as a hot reload would (``on_save``/``on_restore``
    or ``on_load``), and so is every mod that depends on a reloaded one; the others keep
    their machines. Both lists are in load order.

    Raises:
        ReloadRefused: the mods are not the same names in the same order (a world keeps its
            mods), or a mod's dependencies changed.
    """
    old_names = [e.name for e, _ in recorded]
    new_names = [e.name for e, _ in served]
    if old_names != new_names:
        raise ReloadRefused(", ".join(sorted(set(old_names) ^ set(new_names))) or "order",
                            f"the world runs the mods {old_names} and the server has "
                            f"{new_names}: a world keeps its set of mods")
    affected: set[str] = set()
    swaps = []
    for (old, old_image), (new, new_image) in zip(recorded, served, strict=True):
        if old.dependencies != new.dependencies:
            raise ReloadRefused(new.name, f"its dependencies changed from "
                                f"{list(old.dependencies)} to {list(new.dependencies)}")
        if old_image != new_image or affected.intersection(new.dependencies):
            affected.add(new.name)
            swaps.append(Swap(new, new_image))
    return tuple(swaps)
