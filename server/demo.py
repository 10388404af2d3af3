"""``riscade demo``: the bundled mods served on loopback, two bots playing, a page to join them.

Builds the bundled mods, serves them (and the game page) on ``127.0.0.1:PORT``, prints the URL
to open in a browser, and lets two bot clients play until Ctrl-C, or for ``--ticks N`` ticks,
after which each bot's JSON summary is printed (exit status 0 if no bot saw a desync).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import tempfile
from pathlib import Path
from typing import Any, cast

from client.session import ClientOptions, play
from mods.host_api import HOST_API

from .app import GameServer
from .startup import prepare_mods

__all__ = ["DEFAULT_PORT", "main"]

#: The demo's port when it is free (else any free port, said so).
DEFAULT_PORT = 8765
ROOT = Path(__file__).resolve().parent.parent


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="riscade demo", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; if taken, a free one)")
    p.add_argument("--ticks", type=int, default=None,
                   help="stop after the bots played this many ticks (default: until Ctrl-C)")
    p.add_argument("--tick-rate", type=int, default=20, help="ticks per second")
    p.add_argument("--cache", type=Path, default=ROOT / ".riscade-cache" / "build",
                   help="build cache directory")
    return p


def _free(port: int) -> bool:
    """True if ``127.0.0.1:port`` can be bound now (as asyncio binds it)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def _start(server: GameServer, port: int) -> int:
    """Listen on ``port``, or on a free port if it is taken (saying so)."""
    if port == 0 or _free(port):
        return await server.start("127.0.0.1", port)
    chosen = await server.start("127.0.0.1", 0)
    print(f"riscade demo: port {port} is taken; using port {chosen} instead")
    return chosen


async def _run(args: argparse.Namespace, server: GameServer) -> list[Any]:
    port = await _start(server, args.port)
    print(f"riscade demo: {server.web.summary(f'http://127.0.0.1:{port}/')}")
    print(f"riscade demo: open http://127.0.0.1:{port}/ in a browser to play "
          f"(two bots are playing on ws://127.0.0.1:{port}); Ctrl-C stops")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGINT, stop.set)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            bots = [asyncio.ensure_future(play(ClientOptions(
                url=f"ws://127.0.0.1:{port}", name=f"bot{i}", cache_dir=Path(tmp) / f"c{i}",
                ticks=args.ticks, bot_seed=i, report_dir=Path(tmp) / "reports")))
                for i in (1, 2)]
            stopped = asyncio.ensure_future(stop.wait())
            waiting: list[asyncio.Future[Any]] = [
                stopped, asyncio.gather(*bots, return_exceptions=True)]
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if stop.is_set():
                print("riscade demo: stopping")
                await server.stop()  # the bots get the server's goodbye and end
            return list(await asyncio.gather(*bots, return_exceptions=True))
    finally:
        with contextlib.suppress(NotImplementedError):
            loop.remove_signal_handler(signal.SIGINT)
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    """``riscade demo [--port P] [--ticks N]``; the exit status."""
    args = _parser().parse_args(argv)
    print("riscade demo: building the bundled mods (a first build takes a few minutes)")
    prepared = prepare_mods(ROOT / "mods", args.cache)
    for r in prepared.results:
        print(f"  {r.name:<10} {r.language.value:<4} "
              + (f"{r.size} bytes, sha256 {cast(str, r.sha256)[:12]}" if r.ok
                 else f"FAILED: {r.error}"))
    server = GameServer(prepared.served, host_abi=HOST_API.abi_hash(),
                        tick_rate=args.tick_rate, on_log=print)
    results = asyncio.run(_run(args, server))
    ok = not prepared.failed
    for r in results:
        if isinstance(r, BaseException):
            print(f"riscade demo: a bot ended: {' '.join(str(r).split()) or type(r).__name__}")
            ok = ok and args.ticks is None  # stopped by Ctrl-C: the bots were cut off
        else:
            print(json.dumps(r, sort_keys=True))
            ok = ok and r["desyncs"] == 0
    return 0 if ok else 1
