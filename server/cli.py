"""``riscade serve``: build the mods, then serve them and the game; admin commands on stdin
(``/kick``, ``/ban``, ``/save``, ``/reload``, ``/enable``, ``/mods``, ``/help``:
``server.admin``). Secrets (password, admin token) are read from files, never taken on the
command line, where any local user could read them in the process list."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ssl
import sys
from pathlib import Path
from typing import cast

from game.errors import GameError
from lockstep.policy import ServerPolicy
from mods.cache import DEFAULT_CACHE_DIR
from mods.errors import ModError
from mods.host_api import HOST_API

from .app import GameServer
from .config import DEFAULT_FILE, ConfigError, parse_with_config
from .console import admin_command, attach_console
from .identity import DEFAULT_GRACE_TICKS, Credentials, read_secret
from .logs import FORMATS, LEVELS, setup_logging
from .persist import DEFAULT_EVERY, DEFAULT_KEEP, WorldError, WorldRecorder
from .shutdown import StartInterrupted, Stopper, shut_down, stop_while_starting
from .startup import prepare_mods
from .watch import ModWatcher
from .world_store import WorldFileError

__all__ = ["main", "build_parser"]

BUNDLED_MODS = Path(__file__).resolve().parent.parent / "mods"


def build_parser() -> argparse.ArgumentParser:
    """The options of ``riscade serve`` (``server.config`` reads riscade.toml against them)."""
    p = argparse.ArgumentParser(prog="riscade serve", description=__doc__)
    p.add_argument("--config", type=Path, default=None, metavar="FILE",
                   help=f"read options from this TOML file (default: ./{DEFAULT_FILE} if it "
                        "exists); flags given here override it")
    p.add_argument("--mods", type=Path, default=None,
                   help="directory of mods (default: the mods bundled with riscade)")
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE_DIR,
                   help="build cache directory (default: %(default)s, as riscade build)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (0.0.0.0: every IPv4 interface)")
    p.add_argument("--port", type=int, default=8765,
                   help="TCP port of the game (websockets) and of GET /status and /metrics")
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
    p.add_argument("--log-level", default="INFO", type=str.upper, choices=LEVELS,
                   help="the least severe server log lines shown: " + ", ".join(LEVELS))
    p.add_argument("--log-format", default="text", choices=FORMATS,
                   help="server log lines as text, or as one JSON object per line (time, "
                        "level, logger, event, peer, message)")
    p.add_argument("--world", type=Path, default=None, metavar="FILE",
                   help="keep the game in this SQLite world file (created if missing): every "
                        "tick is recorded, a restart goes on from the last one, the mods' "
                        "storage lives in it. Default: the game lives in memory only")
    p.add_argument("--snapshot-every", type=int, default=DEFAULT_EVERY, metavar="TICKS",
                   help="with --world: a snapshot of the game every this many ticks")
    p.add_argument("--keep-snapshots", type=int, default=DEFAULT_KEEP, metavar="N",
                   help="with --world: keep the first snapshot and the latest N (every tick's "
                        "inputs are kept)")
    p.add_argument("--password-file", type=Path, default=None, metavar="FILE",
                   help="players must give the password in this file's first line")
    p.add_argument("--admin-token-file", type=Path, default=None, metavar="FILE",
                   help="a client giving the token in this file's first line (16-64 "
                        "printable ASCII characters) may use the admin commands in chat")
    p.add_argument("--grace-ticks", type=int, default=DEFAULT_GRACE_TICKS, metavar="TICKS",
                   help="ticks a disconnected player's slot, entity and score are kept for "
                        "its return (0: it leaves at once)")
    return p


def _credentials(opts: argparse.Namespace) -> Credentials:
    """The password and admin token of ``--password-file`` and ``--admin-token-file``."""
    return Credentials(
        password=read_secret(opts.password_file, "password") if opts.password_file else None,
        admin_token=read_secret(opts.admin_token_file, "admin token")
        if opts.admin_token_file else None)




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
    if opts.mods is None:
        opts.mods = BUNDLED_MODS
    try:
        tls = _tls(opts)
        policy = ServerPolicy(max_conns_per_address=opts.max_conns_per_address or None,
                              origins=tuple(opts.origin) if opts.origin else None)
        credentials = _credentials(opts)
        if opts.grace_ticks < 0:
            raise ValueError(f"--grace-ticks must be 0 or more, not {opts.grace_ticks}")
        world = None if opts.world is None else \
            WorldRecorder.open(opts.world, host_abi=HOST_API.abi_hash(),
                               every=opts.snapshot_every, keep=opts.keep_snapshots)
    except (OSError, ValueError, ssl.SSLError, WorldFileError) as exc:
        # ValueError: lockstep.PolicyError, a bad --snapshot-every or --keep-snapshots
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
                            policy=policy, world=world, credentials=credentials,
                            grace_ticks=opts.grace_ticks)
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
    page = f"{'https' if tls else 'http'}://{opts.host}:{port}/"
    print(f"riscade serve: {server.web.summary(page)}", flush=True)
    watcher = None
    watch = ModWatcher(server, opts.mods, opts.cache, say=lambda t: print(t, flush=True))
    server.rebuild_mod = watch.reload_one
    if opts.watch:
        watcher = asyncio.create_task(watch.run())
        print(f"riscade serve: watching {opts.mods} for changes", flush=True)
    stopper = Stopper()
    loop = asyncio.get_running_loop()
    detach = attach_console(sys.stdin.fileno(), lambda line: _console_line(server, line)) \
        if sys.stdin is not None and not sys.stdin.closed else None
    stopper.install(loop)
    saved_badly = False
    try:
        while not stopper.event.is_set() and server.running:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stopper.event.wait(), 0.1)
    finally:
        if detach is not None:
            detach()
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        if stopper.signal:
            print(f"riscade serve: {stopper.reason}", flush=True)
        try:
            saved = await shut_down(server, stopper.reason, save=server.failure is None)
        except Exception as exc:  # noqa: BLE001 - the world store's failure, in one line
            saved_badly = True
            print(f"riscade serve: cannot save the world: {_one_line(exc)}", file=sys.stderr)
        else:
            if saved is not None:
                print(f"riscade serve: world: {saved}", flush=True)
        stopper.uninstall(loop)
    print(f"riscade serve: stopped at tick {server.room.tick}; {server.stats}", flush=True)
    if server.failure:
        print(f"riscade serve: {server.failure} (the traceback is in the log above)",
              file=sys.stderr)
        return 1
    if saved_badly:
        return 1
    return 1 if prepared.failed else 0


def _console_line(server: GameServer, line: str) -> None:
    """An admin's line on stdin: its reply on stdout."""
    reply = admin_command(server, line,
                          reply=lambda text: print(f"riscade serve: {text}", flush=True))
    if reply:
        print(f"riscade serve: {reply}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``riscade serve``."""
    try:
        opts = parse_with_config(build_parser(), sys.argv[1:] if argv is None else argv)
    except ConfigError as exc:
        print(f"riscade serve: {_one_line(exc)}", file=sys.stderr)
        return 2
    setup_logging(opts.log_level, opts.log_format)
    stop_while_starting()
    try:
        return asyncio.run(serve(opts))
    except StartInterrupted as exc:
        print(f"riscade serve: {exc}", file=sys.stderr)
        return 0


if __name__ == "__main__":
    sys.exit(main())
