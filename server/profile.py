"""``riscade profile``: build the mods, run them in a profiled game with scripted players, and
print per mod and hook the instructions per tick, host calls and hottest guest functions.

    riscade profile [--mods DIR] [--cache DIR] [--ticks N] [--players N] [--seed N]
                    [--top N] [--out DIR]

The mods are built as ``riscade serve`` builds them (``server.startup.prepare_mods``, the same
cache), run in the real simulation on the reference interpreter with a profiler per machine
(``game.profiling``, ``vm.profiler``). ``--out DIR`` also writes ``DIR/profile.txt`` (the
table) and ``DIR/profile.folded`` (collapsed stacks, ``mod;on_tick;f;g COUNT``: feed it to
``flamegraph.pl`` or open it in speedscope). Exit status 0, or 1 if a mod failed to build or
load, or a profiler's count differed from its machine's (which would be a bug).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from game.profiling import format_profile, profile_game
from mods.cache import DEFAULT_CACHE_DIR

from .cli import BUNDLED_MODS
from .startup import prepare_mods

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="riscade profile", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mods", type=Path, default=BUNDLED_MODS, help="directory of mods")
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE_DIR,
                   help="build cache directory (riscade build's and serve's)")
    p.add_argument("--ticks", type=int, default=200, help="ticks to run (default 200)")
    p.add_argument("--players", type=int, default=4, help="scripted players (default 4)")
    p.add_argument("--seed", type=int, default=1, help="world and players' seed")
    p.add_argument("--top", type=int, default=10, help="hottest functions shown per mod")
    p.add_argument("--max-depth", type=int, default=None,
                   help="shadow call stack frames kept (default 256)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="write profile.txt and profile.folded there")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run ``riscade profile``; returns the exit status."""
    opts = _parser().parse_args(argv)
    depth = 1 if opts.max_depth is None else opts.max_depth
    if opts.ticks < 1 or opts.players < 0 or opts.top < 0 or depth < 1:
        print("riscade profile: --ticks and --max-depth must be at least 1, --players and "
              "--top at least 0")
        return 2
    prepared = prepare_mods(opts.mods, opts.cache)
    for name, reason in prepared.failed.items():
        print(f"riscade profile: mod {name} left out: {reason}")
    images = [served.image for served in prepared.served]
    if not images:
        print(f"riscade profile: no mod to profile in {opts.mods}")
        return 1
    profile = profile_game(images, ticks=opts.ticks, players=opts.players, seed=opts.seed,
                           max_depth=opts.max_depth)
    text = format_profile(profile, top=opts.top)
    print(text, end="")
    if opts.out is not None:
        opts.out.mkdir(parents=True, exist_ok=True)
        (opts.out / "profile.txt").write_text(text)
        folded = profile.collapsed()
        (opts.out / "profile.folded").write_text("".join(line + "\n" for line in folded))
        print(f"riscade profile: wrote {opts.out / 'profile.txt'} and "
              f"{opts.out / 'profile.folded'} ({len(folded)} stacks)")
    exact = all(m.instructions == m.retired for m in profile.mods)
    return 0 if exact and not prepared.failed else 1
