"""The world file with the bundled mods: a 1,000-tick game that ``riscade replay --verify``
re-simulates; ``riscade serve --world`` killed with SIGKILL in the middle of a game with bots
over real websockets, then restarted: the game goes on from the last committed tick with the
hash recorded for it; a clean stop (SIGINT) and restart; the mods' storage kept in the world
file and found again by a changed mod after a restart."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import msgpack
import pytest

from client.cache import TokenStore
from client.session import ClientOptions, GameEnded, play
from game.simulation import Simulation
from lockstep.follower import Follower
from mods.host_api import HOST_API
from server.app import GameServer
from server.persist import WorldRecorder, load_replay, replay_ticks
from server.replay import main as replay_main
from server.startup import Prepared, prepare_mods
from server.world_store import WorldFile

ROOT = Path(__file__).resolve().parents[2]
#: Seconds any one wait may take (a loaded 2-core machine).
DEADLINE = 120.0


@pytest.fixture(scope="module")
def build_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build cache holding the bundled mods, for the servers started as processes."""
    cache = tmp_path_factory.mktemp("world-build")
    assert not prepare_mods(ROOT / "mods", cache).failed
    return cache


async def test_replay_verify_of_a_thousand_tick_game(
        bundled: Prepared, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "w.db"
    abi = HOST_API.abi_hash()
    game = GameServer(bundled.served, host_abi=abi, on_log=lambda text: None,
                      world=WorldRecorder.open(path, host_abi=abi, every=100))
    room = game.room
    players: list[int] = []
    for tick in range(1, 1001):  # players come and go, walk, and chat
        if tick % 150 == 1:
            pid = room.reserve()
            assert pid is not None
            room.admit(pid, f"p{pid}")
            players.append(pid)
        if tick % 400 == 0:
            room.leave(players.pop(0))
        for i, pid in enumerate(players):
            room.set_input(pid, (1, 2, 4, 8, 5, 10)[(tick // 7 + i) % 6] | (16 * (tick % 9 == 0)))
        if tick % 50 == 0 and players:
            room.chat(players[-1], "/waypoints" if tick % 100 == 0 else f"hello {tick}")
        game.step()
    assert room.tick == 1000
    await game.stop()
    capsys.readouterr()
    assert replay_main([str(path), "--verify"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("riscade replay: replayed ticks 1..1000 from the snapshot of tick 0: "
                          "1000 ticks in "), out
    assert "every tick's hash verified" in out
    assert replay_main([str(path), "--from", "555", "--to", "777", "--verify"]) == 0
    assert "replayed ticks 501..777 from the snapshot of tick 500" in capsys.readouterr().out


class Served:
    """``riscade serve`` in a process; its output read as it comes (never left to fill a
    pipe)."""

    running: list[int] = []  # process ids, killed after each test (a failed one too)

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._new = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, *args: str, cwd: Path) -> Served:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "riscade_cli.py"), "serve", "--port", "0", *args,
            cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        cls.running.append(proc.pid)
        return cls(proc)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while raw := await self.proc.stdout.readline():
            self.lines.append(raw.decode(errors="replace").rstrip())
            self._new.set()

    async def line_with(self, text: str) -> str:
        seen = 0
        async with asyncio.timeout(DEADLINE):
            while True:
                for line in self.lines[seen:]:
                    if text in line:
                        return line
                seen = len(self.lines)
                assert not self._reader.done(), self.output
                self._new.clear()
                await self._new.wait()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    async def url(self) -> str:
        found = re.search(r"ws://127\.0\.0\.1:(\d+)", await self.line_with("listening on"))
        assert found is not None
        return f"ws://127.0.0.1:{found[1]}"

    async def end(self) -> int:
        code = await asyncio.wait_for(self.proc.wait(), DEADLINE)
        await self._reader
        return code


@pytest.fixture(autouse=True)
def _no_server_left() -> Iterator[None]:
    """A test that fails half-way leaves no ``riscade serve`` behind."""
    yield
    for pid in Served.running:
        try:  # still ours? (an ended process's id may have been reused)
            ours = b"riscade_cli.py" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            if ours:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
    Served.running.clear()


def committed(path: Path) -> tuple[int, str]:
    """The last tick the world file holds and its recorded hash (read as any reader would)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tick, digest = conn.execute("SELECT tick, hash FROM ticks ORDER BY tick DESC "
                                    "LIMIT 1").fetchone()
    finally:
        conn.close()
    return int(tick), str(digest)


def recorded_state(path: Path) -> Simulation:
    """The game of the world file at its last recorded tick, as ``riscade replay`` makes it."""
    file = WorldFile.open(path, host_abi=HOST_API.abi_hash(), create=False, readonly=True)
    try:
        replay = load_replay(file)
        replay_ticks(file, replay)
    finally:
        file.close()
    return replay.sim


def leaves_by_tick(path: Path, after: int, upto: int) -> dict[int, list[int]]:
    """The ticks in ``after+1..upto`` in which players left, read from the raw records
    (msgpack: [joins, leaves, inputs, chats, enables, reloads])."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT tick, inputs FROM ticks WHERE tick > ? AND tick <= ?",
                            (after, upto)).fetchall()
    finally:
        conn.close()
    assert len(rows) == upto - after
    return {t: msgpack.unpackb(data)[1] for t, data in rows if msgpack.unpackb(data)[1]}


async def test_kill_9_then_restart_goes_on_and_a_player_comes_back_with_its_token(
        tmp_path: Path, build_cache: Path) -> None:
    world = tmp_path / "world.db"
    grace = 200  # 5 s at 40 ticks/s
    common = ("--cache", str(build_cache), "--world", str(world), "--snapshot-every", "40",
              "--tick-rate", "40", "--grace-ticks", str(grace), "--keep-snapshots", "2")
    first = await Served.start(*common, cwd=tmp_path)
    url = await first.url()
    assert f"new world in {world}" in first.output
    seen: dict[str, dict[int, str]] = {"a": {}, "b": {}}
    ids: dict[str, int | None] = {}

    def watch(name: str) -> Callable[[Follower], None]:
        def on_tick(f: Follower) -> None:
            seen[name][f.tick] = f.sim.state_hash()
            ids[name] = f.player_id
        return on_tick

    bots = [asyncio.create_task(play(ClientOptions(url, tmp_path / name, name=name,
                                                   bot_seed=seed, on_tick=watch(name))))
            for name, seed in (("a", 1), ("b", 2))]
    async with asyncio.timeout(DEADLINE):
        while min(max(s, default=0) for s in seen.values()) < 130:
            await asyncio.sleep(0.02)
    first.proc.send_signal(signal.SIGKILL)  # no goodbye, no final save
    assert await first.end() == -signal.SIGKILL
    for bot in bots:
        with pytest.raises(GameEnded):
            await bot
    tick, digest = committed(world)
    # Every tick a client saw was committed before it was sent: kill -9 lost none of them.
    assert tick >= max(max(s) for s in seen.values()) >= 130
    assert all(seen["a"][t] == seen["b"][t] for t in set(seen["a"]) & set(seen["b"]))
    a, b = ids["a"], ids["b"]
    assert {a, b} == {1, 2}, ids  # the first two players, in the order they came
    assert a is not None and b is not None
    # a's entity and score at the last committed tick, as the file's replay has them.
    crashed = recorded_state(world).world
    a_entity = crashed.players[a]
    a_score = crashed.entities[a_entity].score
    assert set(crashed.players) == {1, 2}

    clock = time.perf_counter()
    second = await Served.start(*common, cwd=tmp_path)
    url2 = await second.url()
    restart = time.perf_counter() - clock
    resumed = await second.line_with("resumed")
    assert f"resumed {world} at tick {tick} (state {digest[:16]}); 2 players held until tick " \
           f"{tick + grace} for their return, 0 leave at tick {tick + 1}; mods reloaded: " \
           "none" in resumed, second.output
    # The server's address is the same after a real restart; here the port is a new one, so
    # a's kept token is carried over to the new URL as it would have been found under it.
    tokens = TokenStore(tmp_path / "a" / "tokens")
    token = tokens.get(url, "a")
    assert token
    tokens.put(url2, "a", token)
    back: list[tuple[int, int | None, int | None, int | None]] = []

    def a_back(f: Follower) -> None:
        pid = f.player_id if f.player_id is not None else -1
        entity = f.sim.world.players.get(pid)
        score = None if entity is None else f.sim.world.entities[entity].score
        back.append((f.tick, f.player_id, entity, score))

    summary = await play(ClientOptions(url2, tmp_path / "a", name="a", ticks=60, bot_seed=1,
                                       on_tick=a_back))
    assert summary["desyncs"] == 0
    first_tick, pid, entity, score = back[0]
    # Held, a's entity keeps drifting on its velocity through the ticks before it is back and
    # may take a coin then: its score is the crashed one or more, never a new player's reset.
    assert first_tick > tick and pid == a and entity == a_entity, (back[0], a, a_entity)
    assert score is not None and score >= a_score, (back[0], a_score)
    # b never comes back: it leaves when its grace period ends, in tick tick + grace + 1.
    async with asyncio.timeout(DEADLINE):
        while committed(world)[0] <= tick + grace + 1:
            await asyncio.sleep(0.05)
    second.proc.send_signal(signal.SIGINT)  # a clean stop saves the last tick
    assert await second.end() == 0, second.output
    saved = re.search(r"world: saved the world to .* at tick (\d+)$",
                      await second.line_with("riscade serve: world: "))
    assert saved is not None
    stopped_at = int(saved[1])
    assert committed(world)[0] == stopped_at > tick + grace + 1
    # a quit after its 60 ticks (held again: it leaves grace + 1 ticks later, after the stop)
    assert leaves_by_tick(world, tick, tick + grace + 1) == {tick + grace + 1: [b]}
    later = recorded_state(world).world
    assert later.players == {a: a_entity}

    third = await Served.start(*common, "--ticks", "5", cwd=tmp_path)  # 5 more
    resumed = await third.line_with("resumed")
    assert f"at tick {stopped_at} (state {committed(world)[1][:16]}); 1 players held until " \
           f"tick {stopped_at + grace} for their return, 0 leave" in resumed, third.output
    assert await third.end() == 0, third.output
    assert committed(world)[0] == stopped_at + 5
    # The whole game, across the crash and both restarts, replays to every recorded hash,
    # from the first snapshot (kept) as from the latest two (pruned to those).
    assert replay_main([str(world), "--verify"]) == 0
    conn = sqlite3.connect(world)
    snaps = [t for (t,) in conn.execute("SELECT tick FROM snapshots ORDER BY tick")]
    conn.close()
    assert snaps[0] == 0 and len(snaps) == 3 and snaps[-1] == stopped_at + 5, snaps
    assert replay_main([str(world), "--from", str(snaps[1]), "--verify"]) == 0
    print(f"restart after kill -9 to listening: {restart:.2f} s; a: entity {a_entity}, score "
          f"{a_score}")


COUNTER_TOML = """\
name = "counter"
version = "1.0.0"
language = "c"
sources = ["counter.c"]
"""

#: A mod that counts its starts in its storage and logs the count (``WORD`` varies).
COUNTER_C = r"""
#include <stdio.h>
#include "riscade.h"

RISCADE_HOOK void on_load(void) {
    char n = 0, line[32];
    if (rc_storage_get("starts", 6, (uint64_t)(uintptr_t)&n, 1) != 1)
        n = 0;
    n++;
    rc_storage_set("starts", 6, &n, 1);
    int len = snprintf(line, sizeof line, "WORD %d", n);
    rc_log(line, (size_t)len);
}

int main(void) { return 0; }
"""


def serve_for(*args: str) -> tuple[int, str]:
    import subprocess

    done = subprocess.run([sys.executable, "riscade_cli.py", "serve", "--port", "0", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return done.returncode, done.stdout + done.stderr


def test_the_storage_lives_in_the_world_file(tmp_path: Path) -> None:
    """A mod's storage is in the world: a restart restores the mod (no on_load again); a
    changed build is reloaded and its on_load finds what the old one stored."""
    mods = tmp_path / "mods"
    (mods / "counter").mkdir(parents=True)
    (mods / "counter" / "mod.toml").write_text(COUNTER_TOML)
    source = mods / "counter" / "counter.c"
    source.write_text(COUNTER_C.replace("WORD", "start"))
    world = tmp_path / "w.db"
    common = ("--mods", str(mods), "--cache", str(tmp_path / "cache"), "--world", str(world),
              "--tick-rate", "50")
    code, out = serve_for(*common, "--ticks", "3")
    assert code == 0 and "[counter] start 1" in out, out
    code, out = serve_for(*common, "--ticks", "3")
    assert code == 0 and "mods reloaded: none" in out and "[counter]" not in out, out
    source.write_text(COUNTER_C.replace("WORD", "begin"))
    code, out = serve_for(*common, "--ticks", "3")
    assert code == 0 and "mods reloaded: counter" in out, out
    assert "[counter] begin 2" in out, out  # the new build's on_load read the old storage
    code, out = serve_for("--mods", str(mods), "--cache", str(tmp_path / "cache"),
                          "--ticks", "2")
    assert "[counter] begin 1" in out, out  # no world: a game in memory, storage empty
    assert replay_main([str(world), "--verify"]) == 0

