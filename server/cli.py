"""``riscade serve``: build the mods, then serve them and the game."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from mods.host_api import HOST_API

from .app import GameServer
from .startup import prepare_mods

__all__ = ["main"]

BUNDLED_MODS = Path(__file__).resolve().parent.parent / "mods"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="riscade serve", description=__doc__)
    p.add_argument("--mods", type=Path, default=BUNDLED_MODS, help="directory of mods")
    p.add_argument("--cache", type=Path, default=Path(".riscade-cache") / "build",
                   help="build cache directory")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--tick-rate", type=int, default=20, help="ticks per second")
    p.add_argument("--seed", type=int, default=1, help="world seed")
    p.add_argument("--ticks", type=int, default=None, help="stop after this many ticks")
    return p


async def serve(opts: argparse.Namespace) -> int:
    """Build, start, run until interrupted (or ``--ticks``), stop."""
    print(f"riscade serve: building mods in {opts.mods}", flush=True)
    prepared = prepare_mods(opts.mods, opts.cache)
    for r in prepared.results:
        if r.ok:
            state = "cached" if r.cached else f"built in {r.seconds:.1f}s"
            print(f"  ok     {r.name:<12} {r.language.value:<4} {r.size:>8} bytes "
                  f"sha256 {r.sha256[:12]} ({state})")
    for name, reason in prepared.failed.items():
        print(f"  FAILED {name}: {reason}")
    if not prepared.served:
        print("riscade serve: no mod built; serving an empty game")
    server = GameServer(prepared.served, seed=opts.seed, tick_rate=opts.tick_rate,
                        host_abi=HOST_API.abi_hash(), on_log=lambda t: print(t, flush=True))
    port = await server.start(opts.host, opts.port)
    print(f"riscade serve: listening on ws://{opts.host}:{port} "
          f"({len(prepared.served)} mods, {opts.tick_rate} ticks/s)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        while not stop.is_set() and server.running:
            if opts.ticks is not None and server.room.tick >= opts.ticks:
                break
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.1)
    finally:
        await server.stop()
    print(f"riscade serve: stopped at tick {server.room.tick}; {server.stats}")
    return 1 if prepared.failed else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``riscade serve``."""
    return asyncio.run(serve(_parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
