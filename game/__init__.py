"""riscade's game: a deterministic world plus one VM per mod, advanced one tick at a time.

No I/O, no clock, no randomness but the world's seeded stream: server and clients run this
same code on the same inputs and get the same state hash every tick.

    game.simulation   Simulation (step, state_hash, snapshot/restore), ModImage, TickInputs,
                      FaultRecord, ModChat; snapshot_part_hashes and snapshot_world for
                      desync reports
    game.world        World and Entity: the arena's state, its invariants, its bytes
    game.rules        every number the game decides by (budgets, caps, bounds), ModLimits
    game.text         printable(): text from mods made safe to print
    game.presentation how things look (kind styles, labels, HUD lines, scoreboard, sounds)
                      and presentation_state(sim): the whole picture for a renderer
    game.chat         the chat command registry behind the game's /help
    game.errors       GameError and SimulationError

The snapshot format (``Simulation.snapshot``, ``World.to_bytes``) and the state hash are the
game's: other packages read a snapshot only through ``Simulation.restore`` and
``snapshot_part_hashes``. Constants a mod shares with the game (``NO_ENTITY``,
``KIND_PLAYER``...) come from ``mods.host_api``, which generates the SDK from them.
"""

from .errors import GameError, SimulationError
from .presentation import presentation_state
from .rules import ModLimits
from .simulation import (
    ALL_PLAYERS,
    MAX_FAULTS,
    FaultRecord,
    ModChat,
    ModImage,
    Simulation,
    TickInputs,
    over_tick_budget,
    snapshot_part_hashes,
    snapshot_world,
)
from .world import KIND_PLAYER, NO_ENTITY, NO_PLAYER, Entity, World

__all__ = [
    "Simulation", "ModImage", "TickInputs", "FaultRecord", "ModChat", "ALL_PLAYERS",
    "MAX_FAULTS", "over_tick_budget", "snapshot_part_hashes", "snapshot_world", "World",
    "Entity", "NO_ENTITY", "NO_PLAYER", "KIND_PLAYER", "ModLimits", "GameError",
    "SimulationError", "presentation_state",
]
