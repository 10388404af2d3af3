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
from .startup import prepare_mods
from .storage_file import FILE_NAME, StorageFile, StorageFileError, load
from .watch import ModWatcher

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
    p.add_argument("--storage", type=Path, default=None, metavar="DIR",
                   help="folder of the mods' persistent storage file (default: 'storage' "
                        "beside the build cache)")
    p.add_argument("--storage-every", type=int, default=100, metavar="TICKS",
                   help="write the storage file every this many ticks when it changed "
                        "(and at shutdown)")
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
        storage = StorageFile((opts.storage or opts.cache.parent / "storage") / FILE_NAME,
                              every=opts.storage_every)
        storage.written = load(storage.path)
    except (OSError, ValueError, ssl.SSLError, StorageFileError) as exc:
        # ValueError: lockstep.PolicyError, a bad --storage-every
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
                            policy=policy, stop_after=opts.ticks, stored=storage.written,
                            on_tick=lambda tick, _hash: _keep(storage, tick, server))
    except GameError as exc:  # the mods that loaded one by one do not start together
        print(f"riscade serve: cannot start the game: {_one_line(exc)}", file=sys.stderr)
        return 2
    try:
        port = await server.start(opts.host, opts.port, ssl=tls)
    except OSError as exc:
        print(f"riscade serve: cannot listen on {opts.host}:{opts.port}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2
    scheme = "wss" if tls else "ws"
    print(f"riscade serve: listening on {scheme}://{opts.host}:{port} "
          f"({len(prepared.served)} mods, {opts.tick_rate} ticks/s)", flush=True)
    page = f"{'https' if tls else 'http'}://{opts.host}:{port}/"
    print(f"riscade serve: {server.web.summary(page)}", flush=True)
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
        _keep(storage, None, server)
    print(f"riscade serve: stopped at tick {server.room.tick}; {server.stats}")
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


def _keep(storage: StorageFile, tick: int | None, server: GameServer) -> None:
    """Write the storage file after ``tick`` if it is due (``None``: at shutdown, now); a
    failed write is one line on stderr and the server goes on (the next write retries)."""
    data = server.room.sim.storage_bytes()
    try:
        written = storage.save(data) if tick is None else storage.tick(tick, data)
    except StorageFileError as exc:
        print(f"riscade serve: {_one_line(exc)}", file=sys.stderr)
        return
    if written and tick is None:
        print(f"riscade serve: wrote the mods' storage to {storage.path}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``riscade serve``."""
    opts = _parser().parse_args(argv)
    setup_logging(opts.log_level)
    return asyncio.run(serve(opts))


if __name__ == "__main__":
    sys.exit(main())
