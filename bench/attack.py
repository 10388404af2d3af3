"""What each attack costs the honest players: their tick interval with and without it.

    python -m bench.attack [--ticks N] [--only SCENARIO[,SCENARIO...]] [--idle N]

A real GameServer (the bundled mods, built by the real toolchain; tick rate 20) on 127.0.0.1,
and two honest bots: the real client (``client.session.play`` with a ``bot_seed``), each
timing the Ticks it receives (wall clock between successive ``on_tick`` calls). Each
scenario runs on a fresh server: first ``baseline`` (no attack), then each client attack,
repeated by the attacker until the bots have their ticks, then each hostile mod of
tests/hostile/mods served beside the bundled ones. The server's tick loop is held until both
bots have joined, so they see every tick from the first (a hostile mod does its worst in its
first ticks, before it is disabled).

The server and the attackers share this process; the honest bots run in a child process, so
their intervals are what the server delivers (plus their own simulation), not the attackers'
client-side work. That work still competes with the server for this process's event loop
(and everything for the machine's cores), so a ratio is an upper bound on what the server
lets an attacker cost. Timings are for reading; nothing asserts them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack
import websockets

from client.session import ClientError, ClientOptions, play
from lockstep.follower import Follower
from lockstep.policy import DEFAULT_POLICY, ServerPolicy
from mods.cache import DEFAULT_CACHE_DIR
from mods.host_api import HOST_API
from protocol import Chat, Desync, Input
from server.app import GameServer, ServedMod
from server.startup import prepare_mods
from tests.hostile.clients_kit import Attacker
from tests.support.hostile_mods import stage_mods

ROOT = Path(__file__).resolve().parent.parent
HOSTILE_MODS = ("storm", "spinner", "flooder", "vandal")
TICK_RATE = 20
BOTS = 2
#: Every attacker loop stops after this many rounds, whatever the bots are doing.
MAX_ROUNDS = 10_000
#: Keepalive for the never-reading scenario (the defaults, 20 s + 20 s, outlast the run).
LAZY_PING = (1.0, 2.0)
#: Seconds the bots have to join (they build the simulation of every mod).
JOIN_SECONDS = 120.0


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


class LogLines(logging.Handler):
    """The ``riscade.server`` log lines of one scenario, kept in memory."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def count(self, text: str) -> int:
        """Lines containing ``text``."""
        return sum(text in line for line in self.lines)


@dataclass
class Field:
    """What an attack sees: the server, its log, and when to stop."""

    server: GameServer
    log: LogLines
    stop: asyncio.Event
    idle: int


Attack = Callable[[Field], Awaitable[str]]


def _codes(ends: Counter[Any]) -> str:
    return ", ".join(f"{code} x{n}" for code, n in sorted(ends.items(), key=str))


async def _ending(a: Attacker, timeout: float = 10.0) -> str:
    """How the server ended an attacker: its Bye code and the close code."""
    said, close = await a.ending(timeout)
    return f"{said.code if said is not None else 'no bye'}/{close}"


async def chat_flood(f: Field) -> str:
    """Join, send 65 chat lines at once (the tick cap is 64), again under a new name."""
    ends: Counter[str] = Counter()
    for r in range(MAX_ROUNDS):
        if f.stop.is_set():
            break
        a = await Attacker.open(f.server)
        await a.join(f.server, f"chatter{r}")
        line = f"spam {r} " + "x" * 480
        try:
            await asyncio.gather(*(a.send(Chat(text=line)) for _ in range(65)))
        except websockets.ConnectionClosed:
            pass
        ends[await _ending(a)] += 1
    return _codes(ends)


async def input_flood(f: Field) -> str:
    """Four connections, each joining and sending 2,000 inputs as fast as it can."""
    ends: Counter[str] = Counter()

    async def one(k: int) -> None:
        for r in range(MAX_ROUNDS):
            if f.stop.is_set():
                return
            a = await Attacker.open(f.server)
            await a.join(f.server, f"flood{k}-{r}")
            tick = a.link.tick or 0
            for seq in range(1, 2001):
                try:
                    await a.send(Input(seq=seq, tick=tick, buttons=seq & 15))
                except websockets.ConnectionClosed:
                    break
            ends[await _ending(a)] += 1

    await asyncio.gather(*(one(k) for k in range(4)))
    return _codes(ends)


async def desync_flood(f: Field) -> str:
    """Join, claim a desync 20 times at once (the burst is 4), again under a new name."""
    ends: Counter[str] = Counter()
    fake = "0" * 64
    for r in range(MAX_ROUNDS):
        if f.stop.is_set():
            break
        a = await Attacker.open(f.server)
        snap = await a.join(f.server, f"claimer{r}")
        try:
            for _ in range(20):
                await a.send(Desync(tick=snap.tick, state_hash=fake))
        except websockets.ConnectionClosed:
            pass
        ends[await _ending(a)] += 1
    return _codes(ends)


async def idle_hellos(f: Field) -> str:
    """``idle`` sockets (1,000 by default) that say Hello and then read nothing, held open."""
    refused_before = f.server.stats["refused"]
    held: list[Attacker] = []
    try:
        for start in range(0, f.idle, 100):
            if f.stop.is_set():
                break
            batch = await asyncio.gather(*(Attacker.open(f.server, lazy=True)
                                           for _ in range(min(100, f.idle - start))))
            held += batch
            for i, a in enumerate(batch):
                try:
                    await a.hello(f"idle{start + i}")
                except websockets.ConnectionClosed:
                    pass  # refused at the door
        await f.stop.wait()
        refused = f.server.stats["refused"] - refused_before
        return f"{len(held)} opened: {len(held) - refused} admitted, {refused} refused (1013)"
    finally:
        for a in held:
            a.ws.transport.abort()


async def never_reading(f: Field) -> str:
    """Join, then stop reading (tiny buffers): it answers no ping; again once it is gone."""
    drops = held = 0
    loop = asyncio.get_running_loop()
    for r in range(MAX_ROUNDS):
        if f.stop.is_set():
            break
        before = f.log.count("keepalive ping timeout")
        a = await Attacker.open(f.server, lazy=True)
        try:
            await a.join(f.server, f"deaf{r}")
            end = loop.time() + 10
            while f.log.count("keepalive ping timeout") == before and not f.stop.is_set():
                if loop.time() > end:
                    held += 1  # not dropped in 10 s: a finding
                    break
                await asyncio.sleep(0.05)
            drops += f.log.count("keepalive ping timeout") > before
        finally:
            a.ws.transport.abort()
    return (f"dropped x{drops} (keepalive ping timeout)"
            + (f", {held} not dropped in 10 s" if held else ""))


def _bombs(limit: int) -> list[bytes | str]:
    nested: object = 1
    for _ in range(1000):
        nested = [nested]
    return [msgpack.packb({"t": nested}), b"\x91" * 10_000 + b"\x01",
            msgpack.packb({"t": "hello", "name": nested}), '{"t": "hello"}',
            b"\x00" * (limit + 1)]


async def garbage(f: Field) -> str:
    """Deep nesting (1,000 levels, twice), 10,000 nested arrays, a text frame and one message
    a byte over the size limit, each on a new connection, round after round."""
    ends: Counter[str] = Counter()
    bombs = _bombs(f.server.limits.max_message_size)
    for _ in range(MAX_ROUNDS):
        for bomb in bombs:
            if f.stop.is_set():
                return _codes(ends)
            a = await Attacker.open(f.server)
            try:
                await a.ws.send(bomb)
            except websockets.ConnectionClosed:
                pass
            ends[await _ending(a)] += 1
    return _codes(ends)


@dataclass(frozen=True)
class Scenario:
    """One row: an attack by clients, or a hostile mod served beside the bundled ones."""

    name: str
    attack: Attack | None = None
    mod: str | None = None
    policy: ServerPolicy = field(default_factory=ServerPolicy)


SCENARIOS = (
    Scenario("baseline"),
    Scenario("chat-flood", chat_flood),
    Scenario("input-flood", input_flood),
    Scenario("desync-flood", desync_flood),
    Scenario("idle-hellos", idle_hellos),
    Scenario("never-reading", never_reading,
             policy=ServerPolicy(ping_interval=LAZY_PING[0], ping_timeout=LAZY_PING[1])),
    Scenario("garbage", garbage),
    *(Scenario(f"mod-{name}", mod=name) for name in HOSTILE_MODS),
)


@dataclass
class Row:
    """What one scenario measured."""

    scenario: str
    outcome: str = ""
    intervals: list[float] = field(default_factory=list)  # ms, both bots
    desyncs: int = 0
    running: bool = False
    step_max_ms: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.intervals) if self.intervals else float("nan")

    @property
    def p99(self) -> float:
        return percentile(self.intervals, 99) if self.intervals else float("nan")


def build(work: Path, mod: str | None) -> list[ServedMod]:
    """The bundled mods (plus the hostile ``mod``), prepared as ``riscade serve`` does."""
    mods = stage_mods(work / (mod or "bundled"), *([mod] if mod else []))
    prepared = prepare_mods(mods, ROOT / DEFAULT_CACHE_DIR)
    if prepared.failed:
        raise SystemExit(f"build failed: {prepared.failed}")
    return prepared.served


async def _wait(cond: Callable[[], bool], timeout: float) -> bool:
    end = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > end:
            return False
        await asyncio.sleep(0.02)
    return True


async def honest_bots(url: str, ticks: int, work: Path) -> dict[str, Any]:
    """The child's part: the honest bots, each timing ``ticks`` intervals (after its first
    two ticks: the first follows the snapshot) and then leaving; returns their intervals (ms,
    both bots), desyncs and anything that went wrong."""
    stamps: list[list[float]] = [[] for _ in range(BOTS)]

    def meter(k: int) -> Callable[[Follower], None]:
        def on_tick(_: Follower) -> None:
            stamps[k].append(time.perf_counter())
        return on_tick

    bots = [play(ClientOptions(url, work / f"bot{k}", name=f"bot{k}", ticks=ticks + 2,
                               bot_seed=k + 1, on_tick=meter(k))) for k in range(BOTS)]
    budget = JOIN_SECONDS + ticks / TICK_RATE * 6 + 30
    summaries = await asyncio.gather(*(asyncio.wait_for(b, budget) for b in bots),
                                     return_exceptions=True)
    notes = []
    desyncs = 0
    for k, summary in enumerate(summaries):
        if isinstance(summary, ClientError) and getattr(summary, "summary", None):
            notes.append(f"bot{k}: {summary}")
            summary = summary.summary  # GameEnded: what the bot saw until then
        if isinstance(summary, BaseException):
            notes.append(f"bot{k}: {type(summary).__name__}: {summary}")
            continue
        desyncs += summary.get("desyncs", 0)
    intervals = [(b - a) * 1000 for s in stamps for a, b in zip(s[1:], s[2:], strict=False)]
    return {"intervals": intervals, "desyncs": desyncs, "notes": notes}


async def run(scenario: Scenario, served: list[ServedMod], ticks: int, idle: int,
              tmp: Path) -> Row:
    """Run one scenario on a fresh server, the honest bots in a child process."""
    row = Row(scenario.name)
    log = LogLines()
    logger = logging.getLogger("riscade.server")
    logger.addHandler(log)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    console: list[str] = []
    server = GameServer(served, host_abi=HOST_API.abi_hash(), tick_rate=TICK_RATE,
                        policy=scenario.policy, on_log=console.append)
    armed = False
    step = server.step

    def gated_step() -> None:  # no tick until both bots are in; each step timed
        if armed:
            t = time.perf_counter()
            step()
            row.step_max_ms = max(row.step_max_ms, (time.perf_counter() - t) * 1000)

    server.step = gated_step  # type: ignore[method-assign]
    await server.start("127.0.0.1", 0)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.attack", "--bots", f"ws://127.0.0.1:{server.port}",
        "--ticks", str(ticks), "--work", str(tmp), cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    result: dict[str, Any] = {}

    async def read() -> None:
        assert child.stdout is not None
        async for raw in child.stdout:
            line = raw.decode().strip()
            if line.startswith("{"):
                result.update(json.loads(line))

    reading = asyncio.create_task(read())
    stop = asyncio.Event()
    attack: asyncio.Task[str] | None = None
    try:
        if not await _wait(lambda: log.count(" joined") >= BOTS or reading.done(),
                           JOIN_SECONDS):
            row.notes.append("the bots did not join in time")
        armed = True
        if scenario.attack is not None:
            attack = asyncio.create_task(scenario.attack(Field(server, log, stop, idle)))
        await asyncio.wait({reading}, timeout=JOIN_SECONDS + ticks / TICK_RATE * 6 + 60)
        stop.set()
        row.running = server.running
        if attack is not None:
            try:
                row.outcome = await asyncio.wait_for(attack, 60)
            except Exception as exc:  # the attacker's failure is a finding, not a crash
                row.outcome = f"attacker failed: {type(exc).__name__}: {exc}"[:100]
    finally:
        stop.set()
        if attack is not None and not attack.done():
            attack.cancel()
        await server.stop()
        try:
            await asyncio.wait_for(reading, 90)
        except TimeoutError:
            child.kill()
        await child.wait()
        logger.removeHandler(log)
        logger.propagate = True
    if not result:
        row.notes.append(f"the bots' process said nothing (exit status {child.returncode})")
    row.intervals = result.get("intervals", [])
    row.desyncs = result.get("desyncs", 0)
    row.notes += result.get("notes", [])
    if scenario.mod is not None:
        status = {name: (faults, off) for name, faults, off in server.room.sim.mod_status()}
        faults, off = status[scenario.mod]
        row.outcome = (f"{'contained: disabled' if off else 'NOT disabled'} after {faults} "
                       f"faults; {sum(f'[{scenario.mod}]' in c for c in console)} console lines")
        others = [n for n, (fl, _) in status.items() if n != scenario.mod and fl]
        if others:
            row.notes.append(f"bundled mods faulted: {others}")
    elif scenario.attack is None:
        row.outcome = "-"
    return row


def table(rows: list[Row]) -> str:
    """The printed table; ratios against the ``baseline`` row, if it ran."""
    base = next((r.p99 for r in rows if r.scenario == "baseline"), None)
    headers = ["scenario", "attacker outcome", "median ms", "p99 ms", "p99/base", "max ms",
               "step max ms", "desyncs", "running"]
    cells = []
    for r in rows:
        ratio = f"{r.p99 / base:.2f}" if base else "-"
        cells.append([r.scenario, r.outcome, f"{r.median:.1f}", f"{r.p99:.1f}", ratio,
                      f"{max(r.intervals, default=float('nan')):.1f}", f"{r.step_max_ms:.1f}",
                      str(r.desyncs), "yes" if r.running else "NO"])
    widths = [max(len(c[i]) for c in [headers, *cells]) for i in range(len(headers))]

    def line(c: list[str]) -> str:
        return "  ".join(v.ljust(w) if i < 2 else v.rjust(w)
                         for i, (v, w) in enumerate(zip(c, widths, strict=True))).rstrip()
    out = [line(headers), line(["-" * w for w in widths]), *(line(c) for c in cells)]
    for r in rows:
        out += [f"note: {r.scenario}: {n}" for n in r.notes]
    return "\n".join(out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    names = [s.name for s in SCENARIOS]
    p = argparse.ArgumentParser(prog="python -m bench.attack",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--ticks", type=int, default=200,
                   help="tick intervals each bot measures per scenario (default 200)")
    p.add_argument("--only", action="append", default=None, metavar="SCENARIO",
                   help=f"run only these (comma-separated, repeatable): {', '.join(names)}")
    p.add_argument("--idle", type=int, default=1000,
                   help="sockets the idle-hellos attacker opens (default 1000)")
    p.add_argument("--bots", metavar="URL", help=argparse.SUPPRESS)  # the child's part
    p.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    only = [x for item in args.only or [] for x in item.split(",") if x]
    unknown = set(only) - set(names)
    if unknown:
        p.error(f"--only: unknown {', '.join(sorted(unknown))}; known: {', '.join(names)}")
    args.only = only or names
    if args.ticks < 2 or args.idle < 1:
        p.error("--ticks must be at least 2 and --idle at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios and print the table; exit 1 if the server stopped or a bot desynced."""
    args = parse_args(argv)
    if args.bots:  # the child: the honest bots
        print(json.dumps(asyncio.run(honest_bots(args.bots, args.ticks, args.work))),
              flush=True)
        return 0
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for scenario in SCENARIOS:
            if scenario.name not in args.only:
                continue
            served = build(work / "mods", scenario.mod)
            row = asyncio.run(run(scenario, served, args.ticks, args.idle,
                                  work / scenario.name))
            print(f"  {row.scenario}: median {row.median:.1f} ms, p99 {row.p99:.1f} ms, "
                  f"{row.outcome}", file=sys.stderr, flush=True)
            rows.append(row)
    print(f"{BOTS} honest bots (real client, bot_seed 1 and 2, in a child process; server and "
          f"attackers in this one) on 127.0.0.1, tick rate "
          f"{TICK_RATE} ({1000 / TICK_RATE:.0f} ms); {args.ticks} tick intervals per bot per "
          f"scenario, as received; server policy: defaults")
    print("  (never-reading: keepalive ping every "
          f"{LAZY_PING[0]:g} s, {LAZY_PING[1]:g} s to answer; idle-hellos: per-address cap "
          f"{DEFAULT_POLICY.max_conns_per_address}, the bots hold {BOTS})")
    print("attacker outcome: Bye code/close code per connection, or what the server did; "
          "step max: the longest server tick (GameServer.step)")
    print(table(rows))
    print(f"({time.perf_counter() - started:.0f} s)")
    bad = [r for r in rows if not r.running or r.desyncs]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
