"""What the world file costs: per tick of a served game (with and without ``--world``), in
bytes per 1,000 ticks, and how fast ``riscade replay`` re-simulates it.

    python -m bench.world_store [--ticks N] [--players N] [--every N] [--keep N]

The game: the bundled mods, ``--players`` scripted players (seeded pseudo-random buttons,
a chat line now and then), ``--ticks`` ticks closed back to back by ``GameServer.step``
(no network, no tick clock), once without a world file and once with one (a commit every
tick, a snapshot every ``--every`` ticks, the first and the latest ``--keep`` kept; the
players hold tokens, so their identities are written too). Then the raw cost of one
commit of one tick record with ``synchronous=NORMAL`` (the policy) and ``FULL`` (an fsync
per commit), and the replay of the recorded file with and without ``--verify``. Timings
are for reading.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from mods.host_api import HOST_API
from server.app import GameServer, ServedMod
from server.persist import DEFAULT_KEEP, WorldRecorder, load_replay, replay_ticks
from server.startup import prepare_mods
from server.world_store import WorldFile

ROOT = Path(__file__).resolve().parent.parent


def _play(mods: list[ServedMod], ticks: int, players: int,
          world: WorldRecorder | None) -> tuple[list[float], list[float]]:
    """Seconds per ``step``, and per tick the recorder's own seconds (with a world)."""
    abi = HOST_API.abi_hash()
    game = GameServer(mods, host_abi=abi, on_log=lambda text: None, world=world)
    rng = random.Random(5)
    pids = []
    for n in range(players):
        pid = game.room.reserve()
        assert pid is not None
        game.room.admit(pid, f"p{n}")
        game.identities.issue(pid)
        pids.append(pid)
    steps, recording = [], []
    for tick in range(1, ticks + 1):
        for pid in pids:
            game.room.set_input(pid, rng.choice((1, 2, 4, 8, 5, 10)) | 16 * (rng.random() < .1))
        if tick % 25 == 0:
            game.room.chat(pids[tick % len(pids)], f"hello at {tick}")
        before = world.seconds if world else 0.0
        start = time.perf_counter()
        game.step()
        steps.append(time.perf_counter() - start)
        if world is not None:
            recording.append(world.seconds - before)
    asyncio.run(game.stop())
    return steps, recording


def _commit_cost(folder: Path, synchronous: str, n: int = 300) -> float:
    """Milliseconds per commit of one 40-byte tick record."""
    conn = sqlite3.connect(folder / f"commit-{synchronous}.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("CREATE TABLE ticks (tick INTEGER PRIMARY KEY, inputs BLOB, hash TEXT)")
    start = time.perf_counter()
    for tick in range(n):
        conn.execute("INSERT INTO ticks VALUES (?, ?, ?)", (tick, bytes(40), "0" * 64))
        conn.commit()
    seconds = time.perf_counter() - start
    conn.close()
    return seconds / n * 1000


def _ms(values: list[float]) -> str:
    return f"mean {statistics.fmean(values) * 1000:.3f} ms, median " \
        f"{statistics.median(values) * 1000:.3f} ms"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.world_store", description=__doc__)
    p.add_argument("--ticks", type=int, default=1000)
    p.add_argument("--players", type=int, default=8)
    p.add_argument("--every", type=int, default=100, help="ticks between snapshots")
    p.add_argument("--keep", type=int, default=DEFAULT_KEEP,
                   help="snapshots kept besides the first (serve --keep-snapshots)")
    p.add_argument("--rounds", type=int, default=2,
                   help="games played without and with a world file, alternately")
    opts = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        mods = prepare_mods(ROOT / "mods", folder / "cache").served
        path = folder / "world.db"
        # Translations are shared between machines running the same code: warm them first,
        # or whichever game runs first pays for them.
        _play(mods, opts.ticks // 2, opts.players, None)
        plain: list[float] = []
        stored: list[float] = []
        recording: list[float] = []
        for _ in range(opts.rounds):  # alternated: the machine's load changes
            plain += _play(mods, opts.ticks, opts.players, None)[0]
            path.unlink(missing_ok=True)
            world = WorldRecorder.open(path, host_abi=HOST_API.abi_hash(), every=opts.every,
                                       keep=opts.keep)
            steps, recorded = _play(mods, opts.ticks, opts.players, world)
            stored += steps
            recording += recorded
        snap_ticks = [r for t, r in enumerate(recording) if (t % opts.ticks + 1) % opts.every == 0]
        tick_only = [r for t, r in enumerate(recording) if (t % opts.ticks + 1) % opts.every != 0]
        print(f"game: {len(mods)} bundled mods, {opts.players} players, {opts.ticks} ticks "
              f"({opts.rounds} games each way), "
              f"a snapshot every {opts.every} ticks (the first and the latest {opts.keep} "
              f"kept), a commit every tick (WAL, "
              f"synchronous=NORMAL)")
        print(f"  step without --world: {_ms(plain)}")
        print(f"  step with --world:    {_ms(stored)}")
        print(f"  of which recording:   {_ms(recording)}; a tick alone {_ms(tick_only)}; "
              f"a tick with its snapshot {_ms(snap_ticks)}")
        conn = sqlite3.connect(path)
        inputs, = conn.execute("SELECT SUM(LENGTH(inputs)) + 64 * COUNT(*) FROM ticks"
                               ).fetchone()
        snaps, count = conn.execute("SELECT SUM(LENGTH(state)), COUNT(*) FROM snapshots"
                                    ).fetchone()
        builds, = conn.execute("SELECT SUM(LENGTH(elf)) FROM builds").fetchone()
        free, = conn.execute("PRAGMA freelist_count").fetchone()
        page, = conn.execute("PRAGMA page_size").fetchone()
        conn.close()
        size = path.stat().st_size
        per = 1000 / opts.ticks
        print(f"  file: {size / 1024:.0f} KiB for {opts.ticks} ticks = "
              f"{size * per / 1024:.0f} KiB per 1,000 ticks (tick records with hashes "
              f"{inputs * per / 1024:.1f} KiB, {count} snapshots {snaps / 1024:.0f} KiB = "
              f"{snaps / count / 1024:.1f} KiB each, mod builds {builds / 1024:.0f} KiB once, "
              f"{free * page / 1024:.0f} KiB free pages for the next snapshots)")
        print(f"  one commit of one tick record: {_commit_cost(folder, 'NORMAL'):.3f} ms with "
              f"synchronous=NORMAL, {_commit_cost(folder, 'FULL'):.3f} ms with FULL (fsync)")
        file = WorldFile.open(path, host_abi=HOST_API.abi_hash(), readonly=True)
        for verify in (True, False):
            replay = load_replay(file, 0)
            start = time.perf_counter()
            done = replay_ticks(file, replay, verify=verify)
            seconds = time.perf_counter() - start
            print(f"  replay {'--verify' if verify else '(no --verify)'}: {done} ticks in "
                  f"{seconds:.2f} s = {done / seconds:.0f} ticks/s")
        file.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
