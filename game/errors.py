"""The one exception tree of ``game``.

    GameError
    └── SimulationError      a mod image, a snapshot or a tick's inputs the simulation
                             cannot accept; the simulation is unchanged

A hook that faults is not an error of the game: the simulation contains it (``FaultRecord``)
and goes on. ``SimulationError`` is what a caller gets for what it handed in: a mod whose
limits the game refuses or whose ELF the VM cannot load, a malformed snapshot or one of other
mods, a tick out of order.
"""

from __future__ import annotations

__all__ = ["GameError", "SimulationError"]


class GameError(Exception):
    """Root of every error the game package raises."""


class SimulationError(GameError):
    """A mod image, snapshot or input the simulation cannot accept (nothing was changed)."""
