"""What a hostile mod can cost a tick with the game's budgets (game/rules.py).

    python -m bench.hostile_tick [--ticks N] [--players N]

Builds the bundled mods and the hostile mods of tests/hostile/mods with the real toolchain,
then steps the real simulation (as the server does: every machine hashed every tick) with
the bundled mods alone (the baseline) and with each hostile mod beside them, in the same
process. Prints per scenario the tick time (median, max; wall clock of ``Simulation.step``
plus the state hash) and the instructions the mods retired in the worst tick, and the
ratio of each to the baseline's median. Hostile mods are disabled after MAX_FAULTS faults,
so their cost falls in the first ticks: "max" is the number that matters.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from game.rules import STARTUP_INSTRUCTIONS, TICK_INSTRUCTIONS
from game.simulation import Simulation, TickInputs
from server.startup import prepare_mods
from tests.support.hostile_mods import HOSTILE_DIR, stage_mods


def _prepare(work: Path, hostile: str | None) -> list:
    mods = stage_mods(work / (hostile or "baseline"), *([hostile] if hostile else []))
    prepared = prepare_mods(mods, work / "cache")
    if prepared.failed:
        raise SystemExit(f"build failed: {prepared.failed}")
    return [m.image for m in prepared.served]


def _run(images: list, ticks: int, players: int) -> tuple[list[float], int, float]:
    t0 = time.perf_counter()
    sim = Simulation(images, seed=11, on_log=lambda mod, text: None)
    startup = time.perf_counter() - t0
    times, worst = [], 0
    for tick in range(1, ticks + 1):
        joins = tuple((p, f"p{p}") for p in range(1, players + 1)) if tick == 1 else ()
        inputs = tuple((p, 1 << (p + tick) % 4) for p in range(1, players + 1))
        before = sum(s.machine.instret for s in sim._states)
        t0 = time.perf_counter()
        sim.step(TickInputs(tick, joins=joins, inputs=inputs))
        sim.state_hash()
        times.append(time.perf_counter() - t0)
        worst = max(worst, sum(s.machine.instret for s in sim._states) - before)
    return times, worst, startup


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ticks", type=int, default=40)
    parser.add_argument("--players", type=int, default=8)
    args = parser.parse_args()
    scenarios = [None, *sorted(p.name for p in HOSTILE_DIR.iterdir() if p.is_dir())]
    print(f"budgets: {TICK_INSTRUCTIONS:,} instructions per tick for all mods; "
          f"startup {STARTUP_INSTRUCTIONS:,} per main/on_load")
    print(f"{args.players} players, {args.ticks} ticks; times in ms per tick (step + hash)")
    print(f"{'scenario':<10} {'median':>8} {'max':>8} {'max/base':>9} {'worst instr':>12} "
          f"{'startup ms':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        base = None
        for hostile in scenarios:
            images = _prepare(Path(tmp), hostile)
            times, worst, startup = _run(images, args.ticks, args.players)
            median = statistics.median(times) * 1000
            if base is None:
                base = median
            print(f"{hostile or 'baseline':<10} {median:8.2f} {max(times) * 1000:8.1f} "
                  f"{max(times) * 1000 / base:9.1f} {worst:12,} {startup * 1000:10.1f}")


if __name__ == "__main__":
    main()
