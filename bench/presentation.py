"""What presentation state costs per tick: the world's hash (``World.digest``, every tick on
server and clients) with no presentation and with the most the limits allow, and
``presentation_state`` (what a renderer asks for).

    python -m bench.presentation [--repeat N] [--mods M] [--players P]

The full case: ``MAX_ENTITIES`` entities each with a ``LABEL_LENGTH`` label, M mods each
styling ``KIND_STYLES_PER_MOD`` kinds with labels and registering ``COMMANDS_PER_MOD``
commands, and ``HUD_LINES_PER_MOD`` full HUD lines per mod for each of P players.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from game.presentation import presentation_state
from game.rules import (
    COMMANDS_PER_MOD,
    HUD_LINE_LENGTH,
    HUD_LINES_PER_MOD,
    KIND_STYLES_PER_MOD,
    LABEL_LENGTH,
    MAX_ENTITIES,
)
from game.simulation import Simulation
from game.world import KIND_PLAYER, World


def _filled(world: World, mods: int, players: int) -> None:
    for i in range(MAX_ENTITIES):
        eid = world.spawn(1000 + i % 50, i * 7, i * 3)
        world.look.label_entity(eid, "x" * LABEL_LENGTH)
    for pid in range(1, players + 1):
        world.players[pid] = world.spawn(KIND_PLAYER, pid, pid)
    for slot in range(1, mods + 1):
        for k in range(KIND_STYLES_PER_MOD):
            kind = slot * 100 + k
            world.look.style_kind(slot, kind, 1, 0xABCDEF, 256)
            world.look.label_kind(slot, kind, "k" * LABEL_LENGTH)
        for c in range(COMMANDS_PER_MOD):
            world.commands.register(slot, f"m{slot}c{c}", "h" * 80)
        for pid in range(1, players + 1):
            for line in range(HUD_LINES_PER_MOD):
                world.look.set_hud(pid, slot, line, "h" * HUD_LINE_LENGTH)


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out) * 1000


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.presentation", description=__doc__)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--mods", type=int, default=16)
    p.add_argument("--players", type=int, default=64)
    args = p.parse_args(argv)
    sim = Simulation([])
    empty = World(width=sim.width, height=sim.height, seed=1)
    print(f"{'case':44} {'digest ms':>10} {'bytes':>9}")
    print(f"{'empty world':44} {_median_ms(empty.digest, args.repeat):10.3f} "
          f"{len(empty.to_bytes()):9}")
    plain = World(width=sim.width, height=sim.height, seed=1)
    for i in range(MAX_ENTITIES):
        plain.spawn(1000, i, i)
    print(f"{f'{MAX_ENTITIES} entities, no presentation':44} "
          f"{_median_ms(plain.digest, args.repeat):10.3f} {len(plain.to_bytes()):9}")
    _filled(sim.world, args.mods, args.players)
    full = f"full: {args.mods} mods, {args.players} players"
    print(f"{full:44} {_median_ms(sim.world.digest, args.repeat):10.3f} "
          f"{len(sim.world.to_bytes()):9}")
    ms = _median_ms(lambda: presentation_state(sim), args.repeat)
    print(f"{'presentation_state (full)':44} {ms:10.3f}")

if __name__ == "__main__":
    main()
