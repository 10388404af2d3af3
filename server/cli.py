"""``riscade serve``: build the mods, then serve them and the game; admin commands on stdin
(``/enable NAME``, ``/mods``, ``/help``: ``server.console``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import ssl
import sys
from pathlib import Path
from typing import cast

from game.errors import GameError
from lockstep.policy import ServerPolicy
from mods.errors import ModError
from mods.host_api import HOST_API

from .app import GameServer
from .console import admin_command, attach_console
from .persist import DEFAULT_EVERY, WorldError, WorldRecorder
from .startup import prepare_mods
from .watch import ModWatcher
from .world_store import WorldFileError

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
    p.add_argument("--ticks", type=int, default=None,
                   help="stop after this many ticks (more, for a resumed --world)")
    p.add_argument("--certfile", type=Path, default=None,
                   help="TLS certificate chain (PEM): serve wss:// (needs --keyfile)")
    p.add_argument("--keyfile", type=Path, default=None, help="TLS private key (PEM)")
    p.add_argument("--origin", action="append", default=None, metavar="ORIGIN",
                   help="a browser origin allowed to connect, e.g. https://game.example "
                        "(repeat for more; '*' for any). Default: the page's host must be "
                        "the server's host. Clients without an Origin are always allowed.")
    p.add_argument("--max-conns-per-address", type=int, default=8,
                   help="open connections one IP address may hold (0: no cap)")
    p.add_argument("--watch", action="store_true",
                   help="rebuild a mod when its files change and swap it into the running game")
    p.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    p.add_argument("--world", type=Path, default=None, metavar="FILE",
                   help="keep the game in this SQLite world file (created if missing): every "
                        "tick is recorded, a restart goes on from the last one, the mods' "
                        "storage lives in it. Default: the game lives in memory only")
    p.add_argument("--snapshot-every", type=int, default=DEFAULT_EVERY, metavar="TICKS",
                   help="with --world: a snapshot of the game every this many ticks")
    return p


def setup_logging(level: str) -> None:
    """Server events go to stderr with time, level and logger (the peer is in the message);
    the game's own account (what the mods log and say) goes to stdout, apart."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("riscade")
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("websockets").setLevel(logging.WARNING)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _tls(opts: argparse.Namespace) -> ssl.SSLContext | None:
    if opts.certfile is None and opts.keyfile is None:
        return None
    if opts.certfile is None or opts.keyfile is None:
        raise ValueError("--certfile and --keyfile go together")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(opts.certfile, opts.keyfile)
    return context


async def serve(opts: argparse.Namespace) -> int:
    """Build, start, run until interrupted (or ``--ticks``), stop. Returns the exit status:
    0, 1 if a mod failed to build or the tick loop failed, 2 if the server cannot start (bad
    options, a mods folder that cannot be built at all, an address it cannot bind): then one
    line on stderr says why, never a traceback."""
    try:
        tls = _tls(opts)
        policy = ServerPolicy(max_conns_per_address=opts.max_conns_per_address or None,
                              origins=tuple(opts.origin) if opts.origin else None)
        world = None if opts.world is None else \
            WorldRecorder.open(opts.world, host_abi=HOST_API.abi_hash(),
                               every=opts.snapshot_every)
    except (OSError, ValueError, ssl.SSLError, WorldFileError) as exc:
        # ValueError: lockstep.PolicyError, a bad --snapshot-every
        print(f"riscade serve: {_one_line(exc)}", file=sys.stderr)
        return 2
    print(f"riscade serve: building mods in {opts.mods}", flush=True)
    try:
        prepared = prepare_mods(opts.mods, opts.cache)
    except ModError as exc:  # a bad mod.toml, a dependency cycle: nothing was built
        print(f"riscade serve: {_one_line(exc)}", file=sys.stderr)
        return 2
    for r in prepared.results:
        if r.ok:
            state = "cached" if r.cached else f"built in {r.seconds:.1f}s"
            print(f"  ok     {r.name:<12} {r.language.value:<4} {r.size:>8} bytes "
                  f"sha256 {cast(str, r.sha256)[:12]} ({state})")
    for name, reason in prepared.failed.items():
        print(f"  FAILED {name}: {reason}")
    if not prepared.served:
        print("riscade serve: no mod built; serving an empty game")
    try:
        server = GameServer(prepared.served, seed=opts.seed, tick_rate=opts.tick_rate,
                            host_abi=HOST_API.abi_hash(), on_log=lambda t: print(t, flush=True),
                            policy=policy, world=world)
    except (GameError, WorldError, WorldFileError) as exc:
        # the mods that loaded one by one do not start together; a world that cannot go on
        if world is not None:
            world.file.close()
        print(f"riscade serve: cannot start the game: {_one_line(exc)}", file=sys.stderr)
        return 2
    if world is not None:
        print(f"riscade serve: {world.summary}", flush=True)
    if opts.ticks is not None:  # counted from where the game is (a resumed world's tick)
        server.stop_after = server.room.tick + opts.ticks
    try:
        port = await server.start(opts.host, opts.port, ssl=tls)
    except OSError as exc:
        print(f"riscade serve: cannot listen on {opts.host}:{opts.port}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2
    scheme = "wss" if tls else "ws"
    print(f"riscade serve: listening on {scheme}://{opts.host}:{port} "
          f"({len(prepared.served)} mods, {opts.tick_rate} ticks/s)", flush=True)
    watcher = None
    if opts.watch:
        watch = ModWatcher(server, opts.mods, opts.cache, say=lambda t: print(t, flush=True))
        watcher = asyncio.create_task(watch.run())
        print(f"riscade serve: watching {opts.mods} for changes", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    detach = attach_console(sys.stdin.fileno(), lambda line: _console_line(server, line)) \
        if sys.stdin is not None and not sys.stdin.closed else None
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        while not stop.is_set() and server.running:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.1)
    finally:
        if detach is not None:
            detach()
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await server.stop()
    if world is not None:
        print(f"riscade serve: {server.save_world()}")
    print(f"riscade serve: stopped at tick {server.room.tick}; {server.stats}", flush=True)
    if server.failure:
        print(f"riscade serve: {server.failure} (the traceback is in the log above)",
              file=sys.stderr)
        return 1
    return 1 if prepared.failed else 0


def _console_line(server: GameServer, line: str) -> None:
    """An admin's line on stdin: its reply on stdout."""
    reply = admin_command(server.room, line)
    if reply:
        print(f"riscade serve: {reply}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``riscade serve``."""
    opts = _parser().parse_args(argv)
    setup_logging(opts.log_level)
    return asyncio.run(serve(opts))


if __name__ == "__main__":
    sys.exit(main())
