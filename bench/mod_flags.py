"""Measure mod build flag sets: build time, shipped size, and instructions run per hook.

    python bench/mod_flags.py [--zig-cache DIR]

For each variant of one language's flags, builds the shipped mods (the other languages keep
their default flags and come from the cache), then reports: compile seconds of the first
build (which includes compiling musl for a new flag set) and of a second build from an
empty mods cache; the slimmed ELF size, its zstd -19 size (what a client downloads) and its
.text size; and the RISC-V instructions the mod's hooks retire in a fixed workload on the
real ``game.Simulation`` (every shipped mod loaded, 8 players, 60 ticks, a chat line a tick;
``_workload``), a proxy for its run time in the VM. Uses a separate zig global cache
(default: a temporary directory) so the experiment leaves the real one alone.

``--chosen`` measures only the chosen flag set of each mod (the first row of each), which
builds no new musl when ``--zig-cache`` is the cache the real builds use.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import zstandard
from elftools.elf.elffile import ELFFile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from game import Simulation, TickInputs  # noqa: E402
from mods import toolchain  # noqa: E402
from mods.build import BuildResult, build_mods  # noqa: E402
from tests.support.mod_images import image_of  # noqa: E402

NO_C = "-mcpu=baseline_rv64-c-zca"
UNWIND = set(toolchain.NO_UNWIND)
C, ZIG, NIM, TARGET = toolchain.C_FLAGS, toolchain.ZIG_FLAGS, toolchain.NIM_FLAGS, toolchain.TARGET


def _swap(flags: list[str], old: str, new: str) -> list[str]:
    return [new if f == old else f for f in flags]


def _without(flags: list[str], flag: str) -> list[str]:
    return [f for f in flags if f != flag]


def _with_unwind(flags: list[str]) -> list[str]:
    return [f for f in flags if f not in UNWIND and f.split(":", 1)[-1] not in UNWIND]


# (mod, label, C_FLAGS, ZIG_FLAGS, NIM_FLAGS, TARGET); the first of each mod is the chosen set.
VARIANTS: list[tuple[str, str, list[str], list[str], list[str], list[str]]] = [
    ("pickups", "c -O2, no unwind tables (chosen)", C, ZIG, NIM, TARGET),
    ("pickups", "c -O2 with a frame pointer", _without(C, "-fomit-frame-pointer"), ZIG, NIM,
     TARGET),
    ("pickups", "c -O2 with unwind tables", _with_unwind(C), ZIG, NIM, TARGET),
    ("pickups", "c -Os", _swap(C, "-O2", "-Os"), ZIG, NIM, TARGET),
    ("pickups", "c -O2, not compressed (RV64G)", C, ZIG, NIM, TARGET + [NO_C]),
    ("movement", "zig ReleaseSafe (chosen)", C, ZIG, NIM, TARGET),
    ("movement", "zig ReleaseSafe with a frame pointer", C,
     _without(ZIG, "-fomit-frame-pointer"), NIM, TARGET),
    ("movement", "zig ReleaseSmall", C, _swap(ZIG, "ReleaseSafe", "ReleaseSmall"), NIM, TARGET),
    ("movement", "zig ReleaseFast", C, _swap(ZIG, "ReleaseSafe", "ReleaseFast"), NIM, TARGET),
    ("movement", "zig ReleaseSafe, not compressed", C, ZIG, NIM, TARGET + [NO_C]),
    ("greeter", "nim --opt:size (chosen)", C, ZIG, NIM, TARGET),
    ("greeter", "nim --opt:speed", C, ZIG, _swap(NIM, "--opt:size", "--opt:speed"), TARGET),
    ("greeter", "nim --opt:size, unwind tables", C, ZIG, _with_unwind(NIM), TARGET),
    ("greeter", "nim --opt:size, linked -Os", C, ZIG, _swap(NIM, "--passL:-O2", "--passL:-Os"),
     TARGET),
]


#: The workload: players who join at tick 1, then ticks in which each of them holds a button
#: pattern and one says "/top" (greeter's command).
PLAYERS, TICKS = 8, 60


def _workload(mod: str, results: dict[str, BuildResult]) -> int:
    """Instructions ``mod`` retires in the real simulation beside the other shipped mods (in
    load order, with their mod.toml limits): 8 players join, then 60 ticks of inputs and one
    "/top" chat line each; the join tick is not counted."""
    sim = Simulation([image_of(r) for r in results.values()], seed=3)
    sim.step(TickInputs(1, joins=tuple((p, f"p{p}") for p in range(1, PLAYERS + 1))))
    machine = sim.machine(mod)
    start = machine.instret
    for t in range(TICKS):
        inputs = tuple((p, 8 if (t // 10 + p) % 2 else 1 | 4) for p in range(1, PLAYERS + 1))
        sim.step(TickInputs(t + 2, inputs=inputs, chats=((t % PLAYERS + 1, "/top"),)))
    if sim.faults:
        raise RuntimeError(f"the workload faulted: {sim.faults[0].message}")
    return machine.instret - start


def _sizes(path: Path) -> tuple[int, int, int]:
    data = path.read_bytes()
    text = ELFFile(io.BytesIO(data)).get_section_by_name(".text")["sh_size"]
    return len(data), len(zstandard.ZstdCompressor(level=19).compress(data)), text


def _set(c: list[str], z: list[str], n: list[str], target: list[str]) -> None:
    toolchain.C_FLAGS[:] = c
    toolchain.ZIG_FLAGS[:] = z
    toolchain.NIM_FLAGS[:] = n
    toolchain.TARGET[:] = target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--zig-cache", type=Path, default=None)
    parser.add_argument("--chosen", action="store_true",
                        help="only the chosen flag set of each mod")
    args = parser.parse_args()
    chosen = {mod: label for mod, label, *_ in reversed(VARIANTS)}
    defaults = ([*C], [*ZIG], [*NIM], [*toolchain.TARGET])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ZIG_GLOBAL_CACHE_DIR"] = str(args.zig_cache or Path(tmp) / "zig")
        mods_dir = ROOT / "mods"
        print(f"{'variant':34} {'first':>7} {'again':>6} {'elf':>8} {'zstd':>8} {'.text':>7}"
              f" {'instructions':>12}")
        for mod, label, c, z, n, target in VARIANTS:
            if args.chosen and chosen[mod] != label:
                continue
            _set(c, z, n, target)
            timed: Callable[[str], dict[str, BuildResult]] = lambda cache: {  # noqa: E731
                r.name: r for r in build_mods(mods_dir, Path(tmp) / cache, jobs=1)}
            first = timed("first")
            again = timed(f"again-{label}")
            _set(*defaults)
            result = first[mod]
            if not result.ok:
                print(f"{label:34} FAILED: {result.error}")
                continue
            size, packed, text = _sizes(result.path)
            print(f"{label:34} {first[mod].seconds:6.1f}s {again[mod].seconds:5.2f}s "
                  f"{size:8} {packed:8} {text:7} {_workload(mod, first):12}", flush=True)


if __name__ == "__main__":
    main()
