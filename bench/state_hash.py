"""What a machine's state hash costs per tick: incremental (``Machine.state_hash``) against
hashing a whole snapshot (``sha256(machine.snapshot())``, the definition before it), in the
same process.

    python -m bench.state_hash [--repeat N]

Machines: the bundled mods after 8 players played 40 ticks, and a test mod that filled 12 MiB
of its 16 MiB with random bytes and then changes one word a tick (the worst a mod can make
every tick cost). Each measurement: the mod's on_tick (if it has one), then the hash.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from pathlib import Path

from game.simulation import Simulation, TickInputs
from server.startup import prepare_mods
from tests.vm.toolchain import DEFAULT_CACHE_DIR, compile_c
from vm import Machine, MachineLimits

ROOT = Path(__file__).resolve().parent.parent
BIG = ROOT / "tests" / "hostile" / "guests" / "join_bigmem.c"


def _bundled() -> list[tuple[str, Machine, object]]:
    with tempfile.TemporaryDirectory() as tmp:
        prepared = prepare_mods(ROOT / "mods", Path(tmp))
    sim = Simulation([m.image for m in prepared.served], seed=3, on_log=lambda m, t: None)
    for tick in range(1, 41):
        joins = tuple((p, f"p{p}") for p in range(1, 9)) if tick == 1 else ()
        sim.step(TickInputs(tick, joins=joins, inputs=tuple((p, 8) for p in range(1, 9))))
    def tick(m: Machine) -> object:
        if "on_tick" in m.program.functions:
            return lambda: m.call("on_tick", 41)
        return lambda: None

    return [(s.image.name, s.machine, tick(s.machine)) for s in sim._states]


def _big() -> tuple[str, Machine, object]:
    elf = compile_c(BIG, opt="O2", compressed=True, out_dir=DEFAULT_CACHE_DIR).read_bytes()
    m = Machine(elf, limits=MachineLimits(memory=16 << 20, stack=256 << 10))
    m.run_main(max_instructions=10**8)
    try:
        m.call("on_load", budget=10**8)
    except Exception:  # noqa: BLE001 - its last line logs through a host call we lack
        m.abandon_call()
    ticks = iter(range(1, 10**9))
    return ("12 MiB changed", m, lambda: m.call("on_tick", next(ticks)))


def _time(fn, repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    print(f"median ms of {args.repeat}: one tick then the hash; 'x' = whole / incremental")
    print(f"{'machine':<16} {'memory':>8} {'whole':>9} {'incremental':>12} {'x':>6}")
    for name, m, tick in [*_bundled(), _big()]:
        assert m.state_hash() == m.state_hash()

        def whole(m=m, tick=tick) -> None:
            tick()
            hashlib.sha256(m.snapshot()).hexdigest()

        def incremental(m=m, tick=tick) -> None:
            tick()
            m.state_hash()

        a, b = _time(whole, args.repeat), _time(incremental, args.repeat)
        print(f"{name:<16} {m.memory.size >> 20:>6}Mi {a * 1000:9.2f} {b * 1000:12.2f} "
              f"{a / b:6.1f}")


if __name__ == "__main__":
    main()
