"""A bounded soak: bots join and leave for a while; the server's memory over time.

    python -m bench.soak [--seconds 60] [--max-bots 12] [--sample 5] [--seed 1]

A real GameServer (the bundled mods, built by the real toolchain; tick rate 20) on 127.0.0.1
in this process, and the bots (the real client, ``client.session.play`` with a ``bot_seed``)
in two child processes, so that the memory sampled (VmRSS from /proc/self/status, and the
peak, ``ru_maxrss``) is the server's alone. One bot stays for the whole run, in a process of
its own, and times the Ticks it receives; the others come in waves: every few seconds a new
target of bots at once is drawn, and bots join (a quarter of them with an empty mod cache, so
they download every mod) until it is reached, each playing a seeded-random number of ticks
and then leaving. At the end: joins, leaves, failures, desyncs (summed over the bots'
summaries), the server's drops, kicks and refusals, ticks, and the long-lived bot's tick
interval.

All bots share 127.0.0.1, so the per-address cap (``ServerPolicy.max_conns_per_address``) is
off here. Everything is bounded: new bots stop at ``--seconds``, the rest have a time limit.
Timings and sizes are for reading; nothing asserts them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from client.session import ClientError, ClientOptions, GameEnded, play
from lockstep.follower import Follower
from lockstep.policy import ServerPolicy
from mods.cache import DEFAULT_CACHE_DIR
from mods.host_api import HOST_API
from server.app import GameServer
from server.startup import prepare_mods

ROOT = Path(__file__).resolve().parent.parent
TICK_RATE = 20
#: Seconds between two draws of the number of bots wanted at once.
WAVE_SECONDS = 5.0
#: Seconds between two joins while below the target.
JOIN_GAP = 0.25
#: Seconds the short-lived bots get to finish after ``--seconds``, and the child in all.
DRAIN_SECONDS = 60.0
POLICY = ServerPolicy(max_conns_per_address=None)  # every bot comes from 127.0.0.1


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def vm_rss_kib() -> int:
    """This process's resident set now, in KiB (0 where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- the bots (child process) -------------------------------------------------------------------

@dataclass
class Tally:
    """What the bots saw, summed."""

    started: int = 0
    joins: int = 0
    leaves: int = 0
    desyncs: int = 0
    ticks: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, outcome: dict[str, Any] | BaseException) -> None:
        summary: dict[str, Any] | None = None
        if isinstance(outcome, GameEnded):
            summary = outcome.summary or None
            self.failures.append(str(outcome)[:160])
        elif isinstance(outcome, BaseException):
            self.failures.append(f"{type(outcome).__name__}: {outcome}"[:160])
        else:
            summary = outcome
            self.leaves += 1
        if summary is not None and "ticks" in summary:
            self.joins += 1
            self.desyncs += summary.get("desyncs", 0)
            self.ticks += summary["ticks"]


async def long_bot(url: str, seed: int, work: Path) -> dict[str, Any]:
    """The long-lived bot: plays until the server stops; its summary and tick intervals."""
    tally = Tally(started=1)
    stamps: list[float] = []

    def stamp(_: Follower) -> None:
        stamps.append(time.perf_counter())

    try:
        tally.add(await play(ClientOptions(url, work / "long", name="long", bot_seed=seed,
                                           on_tick=stamp)))
    except ClientError as exc:
        tally.add(exc)
    intervals = [(b - a) * 1000 for a, b in zip(stamps, stamps[1:], strict=False)]
    return {**asdict(tally),
            "median_ms": statistics.median(intervals) if intervals else None,
            "p99_ms": percentile(intervals, 99) if intervals else None,
            "max_ms": max(intervals) if intervals else None}


async def waves(url: str, seconds: float, max_bots: int, min_ticks: int, max_ticks: int,
                seed: int, work: Path) -> dict[str, Any]:
    """Bots joining and leaving for ``seconds``; print ``drained`` once the last has left
    (at most ``DRAIN_SECONDS`` later); return their totals."""
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    tally = Tally()
    short: set[asyncio.Task[dict[str, Any]]] = set()

    def done(task: asyncio.Task[dict[str, Any]]) -> None:
        short.discard(task)
        if task.cancelled():
            tally.add(TimeoutError(f"still playing {DRAIN_SECONDS:g} s after the end"))
        else:
            tally.add(task.exception() or task.result())

    started = loop.time()
    target = 0
    next_wave = started
    while loop.time() - started < seconds:
        if loop.time() >= next_wave:
            target = rng.randint(1, max_bots - 1)  # beside the long-lived one
            next_wave += WAVE_SECONDS
        if len(short) < target:
            tally.started += 1
            n = tally.started
            cache = work / (f"cold{n}" if n % 4 == 0 else "shared")
            task = asyncio.create_task(play(ClientOptions(
                url, cache, name=f"b{n}", ticks=rng.randint(min_ticks, max_ticks),
                bot_seed=seed * 100_000 + n)))
            short.add(task)
            task.add_done_callback(done)
        await asyncio.sleep(JOIN_GAP)
    if short:
        _, late = await asyncio.wait(set(short), timeout=DRAIN_SECONDS)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
    print("drained", flush=True)
    return asdict(tally)


# --- the server and the samples (this process) -------------------------------------------------

@dataclass
class Sample:
    """One row of the time series."""

    t: float
    rss_kib: int
    maxrss_kib: int
    objects: int
    slots: int
    players: int
    tick: int
    connections: int
    dropped: int


def sample(server: GameServer, t: float) -> Sample:
    """The server process now."""
    return Sample(t=t, rss_kib=vm_rss_kib(),
                  maxrss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  objects=len(gc.get_objects()), slots=server.room.occupied,
                  players=len(server.room.players), tick=server.room.tick,
                  connections=server.stats["connections"], dropped=server.stats["dropped"])


async def soak(args: argparse.Namespace, served: list) -> tuple[list[Sample], dict[str, Any],
                                                                  GameServer]:
    """Serve while the children's bots come and go; sample every ``args.sample`` seconds.

    Two children: the long-lived bot alone (so that its tick intervals are not those of a
    process running a dozen other clients) and the waves. When the waves say ``drained``,
    the server stops, which ends the long-lived bot. Returns the samples, the children's
    results (``waves`` and ``long``) and the stopped server.
    """
    server = GameServer(served, host_abi=HOST_API.abi_hash(), tick_rate=TICK_RATE,
                        policy=POLICY, on_log=lambda text: None)
    step = server.step
    steps: list[float] = []

    def timed_step() -> None:
        t = time.perf_counter()
        step()
        steps.append((time.perf_counter() - t) * 1000)

    server.step = timed_step  # type: ignore[method-assign]
    await server.start("127.0.0.1", 0)
    t0 = time.perf_counter()
    samples = [sample(server, 0.0)]
    result: dict[str, Any] = {"failures": []}
    deadline = args.seconds + 2 * DRAIN_SECONDS + 30
    with tempfile.TemporaryDirectory() as tmp:
        common = [sys.executable, "-m", "bench.soak", "--bots", f"ws://127.0.0.1:{server.port}",
                  "--seconds", str(args.seconds), "--max-bots", str(args.max_bots),
                  "--min-ticks", str(args.min_ticks), "--max-ticks", str(args.max_ticks),
                  "--seed", str(args.seed), "--work", tmp]
        children = {role: await asyncio.create_subprocess_exec(
            *common, "--role", role, cwd=ROOT, stdout=asyncio.subprocess.PIPE)
            for role in ("long", "waves")}

        async def read(role: str) -> None:
            stdout = children[role].stdout
            assert stdout is not None
            async for raw in stdout:
                line = raw.decode().strip()
                if line == "drained":
                    samples.append(sample(server, time.perf_counter() - t0))
                    await server.stop()
                elif line.startswith("{"):
                    result[role] = json.loads(line)

        reading = {asyncio.create_task(read(role)) for role in children}
        while not all(r.done() for r in reading) and time.perf_counter() - t0 < deadline:
            await asyncio.wait(reading, timeout=args.sample)
            if server.running:
                samples.append(sample(server, time.perf_counter() - t0))
        for role, child in children.items():
            if child.returncode is None and not all(r.done() for r in reading):
                child.kill()
                result["failures"].append(f"{role}: did not finish in {deadline:.0f} s")
        await asyncio.gather(*reading, return_exceptions=True)
        for child in children.values():
            await child.wait()
        await server.stop()
    result["step_p99_ms"] = percentile(steps, 99) if steps else None
    result["step_max_ms"] = max(steps, default=None)
    return samples, result, server


def report(args: argparse.Namespace, samples: list[Sample], result: dict[str, Any],
           server: GameServer, wall: float) -> str:
    """The printed time series and totals."""
    mib = 1024
    lines = [
        f"soak: {args.seconds:g} s of joining, up to {args.max_bots} bots at once (1 long-lived "
        f"+ waves of bots playing {args.min_ticks}-{args.max_ticks} ticks; a new target every "
        f"{WAVE_SECONDS:g} s; seed {args.seed}); tick rate {TICK_RATE}",
        "per-address cap: OFF for this run (ServerPolicy(max_conns_per_address=None); every "
        "bot comes from 127.0.0.1)",
        "server process memory (the server alone: the bots run in two child processes; "
        "maxrss is getrusage's peak, which the kernel updates lazily, so it may trail VmRSS):",
        f"{'t s':>6} {'VmRSS MiB':>10} {'maxrss MiB':>11} {'py objects':>11} {'slots':>6} "
        f"{'players':>8} {'tick':>6} {'conns':>6} {'drops':>6}",
    ]
    for s in samples:
        lines.append(f"{s.t:6.1f} {s.rss_kib / mib:10.1f} {s.maxrss_kib / mib:11.1f} "
                     f"{s.objects:11,} {s.slots:6} {s.players:8} {s.tick:6} "
                     f"{s.connections:6} {s.dropped:6}")
    first, last = samples[0], samples[-1]
    stats = server.stats
    parts = [result[role] for role in ("long", "waves") if role in result]
    total = {key: sum(p[key] for p in parts) for key in ("started", "joins", "leaves",
                                                          "desyncs", "ticks")}
    failures = [*result["failures"], *(f for p in parts for f in p["failures"])]
    failures += [f"{role}: no result" for role in ("long", "waves") if role not in result]
    long = result.get("long", {})

    def ms(value: float | None) -> str:
        return f"{value:.1f}" if value is not None else "-"

    lines += [
        f"totals: bots started {total['started']}, joins {total['joins']}, leaves "
        f"{total['leaves']}, failures {len(failures)}, desyncs {total['desyncs']} (summed "
        f"over the bots' summaries; {total['ticks']:,} ticks followed in all)",
        f"server: ticks {server.room.tick}, connections {stats['connections']}, drops "
        f"{stats['dropped']}, kicks {stats['kicked']}, refused {stats['refused']}, "
        f"mod bytes sent {stats['mod_bytes_sent']:,}; step p99 {ms(result['step_p99_ms'])} "
        f"ms, max {ms(result['step_max_ms'])} ms",
        f"server memory: VmRSS {first.rss_kib / mib:.1f} -> {last.rss_kib / mib:.1f} MiB, "
        f"peak (maxrss) {last.maxrss_kib / mib:.1f} MiB",
        f"long-lived bot (a process of its own): {long.get('ticks', 0)} ticks, "
        f"{long.get('desyncs', 0)} desyncs, tick interval median {ms(long.get('median_ms'))} "
        f"ms, p99 {ms(long.get('p99_ms'))} ms, max {ms(long.get('max_ms'))} ms",
    ]
    lines += [f"failure: {f}" for f in failures]
    lines.append(f"({wall:.0f} s)")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.soak",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=60.0,
                   help="how long new bots keep joining (default 60)")
    p.add_argument("--max-bots", type=int, default=12, help="bots at once, at most (default 12)")
    p.add_argument("--sample", type=float, default=5.0,
                   help="seconds between memory samples (default 5)")
    p.add_argument("--min-ticks", type=int, default=20)
    p.add_argument("--max-ticks", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--bots", metavar="URL", help=argparse.SUPPRESS)  # the child's part
    p.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--role", choices=("long", "waves"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.seconds <= 0 or args.sample <= 0 or args.max_bots < 2:
        p.error("--seconds and --sample must be positive, --max-bots at least 2")
    if not 1 <= args.min_ticks <= args.max_ticks:
        p.error("need 1 <= --min-ticks <= --max-ticks")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print; exit 1 on a desync, a drop, a failure or a stopped server."""
    args = parse_args(argv)
    if args.bots:  # a child: the long-lived bot, or the waves
        result = asyncio.run(long_bot(args.bots, args.seed, args.work) if args.role == "long"
                             else waves(args.bots, args.seconds, args.max_bots, args.min_ticks,
                                        args.max_ticks, args.seed, args.work))
        print(json.dumps(result), flush=True)
        return 0
    started = time.perf_counter()
    prepared = prepare_mods(ROOT / "mods", ROOT / DEFAULT_CACHE_DIR)
    if prepared.failed:
        print(f"build failed: {prepared.failed}", file=sys.stderr)
        return 2
    samples, result, server = asyncio.run(soak(args, prepared.served))
    text = report(args, samples, result, server, time.perf_counter() - started)
    print(text)
    bad = ("failure:" in text or server.stats["dropped"] or server.failure
           or any(result[role]["desyncs"] for role in ("long", "waves")))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
