"""Hot reload over real websockets: a copy of the bundled mods (and a test mod) is served, a
source file is edited, the real toolchain rebuilds it in its sandbox, and the server and every
bot client swap the new build in at the announced tick with the same state hash every tick.

Each test prints the time from saving the file to the new build running on every client
(``pytest -s`` shows it)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from client.session import ClientOptions, play
from lockstep.follower import Follower
from protocol import Reload
from server.app import GameServer
from server.startup import prepare_mods
from server.watch import ModWatcher
from tests.support.hostile_mods import stage_mods

ROOT = Path(__file__).resolve().parents[2]
#: The game tests' saver guest (tests/game/guests/saver.c), served as a mod folder here.
SAVER_SOURCE = ROOT / "tests" / "game" / "guests" / "saver.c"
SAVER_TOML = """\
# Test mod for hot reload: counts by STEP each tick into the score of an entity it owns, and
# carries (entity, count) across a reload with on_save/on_restore.
name = "saver"
version = "1.0.0"
language = "c"
sources = ["saver.c"]

[limits]
memory = 1048576
stack = 65536
instructions = 100000
"""


def saver_folder(tmp_path: Path) -> Path:
    """A mod folder holding the saver guest, its SDK include pointed at the build's SDK."""
    folder = tmp_path / "saver-src" / "saver"
    folder.mkdir(parents=True)
    source = SAVER_SOURCE.read_text()
    assert source.count('#include "../../../mods/sdk/riscade.h"') == 1
    (folder / "saver.c").write_text(
        source.replace('#include "../../../mods/sdk/riscade.h"', '#include "riscade.h"'))
    (folder / "mod.toml").write_text(SAVER_TOML)
    return folder
#: Seconds a rebuild and the swap on every client may take at most (a cold Nim build on a
#: loaded 2-core machine is the slowest), before the test gives up.
DEADLINE = 240.0


@pytest.fixture(scope="module")
def build_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build cache for the module: every copy of an unchanged mod is a cache hit."""
    return tmp_path_factory.mktemp("reload-cache")


def sha_of(follower_or_sim: Any, name: str) -> str:
    sim = getattr(follower_or_sim, "sim", follower_or_sim)
    image = next(m for m in sim.mods if m.name == name)
    return hashlib.sha256(image.elf).hexdigest()


@dataclass
class Game:
    """A served copy of the mods, its bots, and what every side saw each tick."""

    mods: Path
    server: GameServer
    console: list[str]
    server_hashes: dict[int, str] = field(default_factory=dict)
    bots: list[asyncio.Task[dict[str, Any]]] = field(default_factory=list)
    client_hashes: list[dict[int, str]] = field(default_factory=list)
    #: per client: mod name -> (sha256 -> perf_counter when the client first ran it)
    running: list[dict[str, dict[str, float]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.port}"

    def join(self, tmp: Path, name: str, seed: int) -> None:
        hashes: dict[int, str] = {}
        seen: dict[str, dict[str, float]] = {}
        names = [e.name for e in self.server.handshake.manifest]

        def on_tick(f: Follower) -> None:
            hashes[f.tick] = f.sim.state_hash()
            for mod in names:
                seen.setdefault(mod, {}).setdefault(sha_of(f, mod), time.perf_counter())

        self.client_hashes.append(hashes)
        self.running.append(seen)
        self.bots.append(asyncio.create_task(play(ClientOptions(
            self.url, tmp / f"cache-{name}", name=name, bot_seed=seed, on_tick=on_tick))))

    async def until_running(self, mod: str, sha: str, clients: int | None = None) -> list[float]:
        """Wait until every client (or the first ``clients``) runs build ``sha`` of ``mod``;
        the moment each did."""
        deadline = time.perf_counter() + DEADLINE
        chosen = self.running[:clients]
        while not all(sha in seen.get(mod, {}) for seen in chosen):
            assert time.perf_counter() < deadline, f"{mod} {sha[:12]} never ran everywhere"
            for bot in self.bots:
                if bot.done():
                    bot.result()  # raises what ended it
            await asyncio.sleep(0.02)
        return [seen[mod][sha] for seen in chosen]

    async def ticks(self, n: int) -> None:
        target = self.server.room.tick + n
        while self.server.room.tick < target:
            await asyncio.sleep(0.02)

    async def finish(self) -> list[dict[str, Any]]:
        """Stop the server; every bot's summary, each checked against the server's hashes."""
        await self.server.stop()
        summaries = await asyncio.gather(*self.bots)
        for summary, hashes in zip(summaries, self.client_hashes, strict=True):
            assert summary["desyncs"] == 0, summary
            assert hashes, "a client applied no tick"
            for tick, digest in hashes.items():
                assert self.server_hashes[tick] == digest, f"tick {tick}"
        return summaries


async def start_game(tmp_path: Path, build_cache: Path, make_server, *extra: Path,
                     bots: int = 2) -> Game:
    mods = stage_mods(tmp_path / "mods")
    for folder in extra:
        shutil.copytree(folder, mods / folder.name)
    prepared = await asyncio.to_thread(prepare_mods, mods, build_cache)
    assert not prepared.failed, prepared.failed
    console: list[str] = []
    game = Game(mods, await make_server(prepared.served, tick_rate=20, on_log=console.append),
                console)
    game.server.on_tick = lambda t, h: game.server_hashes.__setitem__(t, h)
    for i in range(bots):
        game.join(tmp_path, f"bot{i}", seed=i)
    while len(game.server.room.players) < bots:
        await asyncio.sleep(0.02)
    await game.ticks(5)
    return game


def edit(path: Path, old: str, new: str) -> float:
    """Replace ``old`` by ``new`` in ``path`` (once, and it must be there); when it was saved."""
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))
    return time.perf_counter()


def watcher(game: Game, build_cache: Path) -> ModWatcher:
    return ModWatcher(game.server, game.mods, build_cache, interval=0.05,
                      say=game.console.append)


async def reload_one(game: Game, build_cache: Path, mod: str, file: str, old: str,
                     new: str) -> tuple[Reload, list[float]]:
    """Edit one file of ``mod`` and rebuild through the watcher's entry point; the reload
    and the seconds from the save to each client running the new build."""
    before = sha_of(game.server.room.sim, mod)
    saved = edit(game.mods / mod / file, old, new)
    (announced,) = await watcher(game, build_cache).rebuild([mod])
    built = time.perf_counter()
    entry = announced.mods[0]
    assert entry.name == mod and entry.sha256 != before
    times = await game.until_running(mod, entry.sha256)
    report(mod, times, saved, built)
    return announced, [t - saved for t in times]


def report(mod: str, times: list[float], saved: float, built: float | None = None) -> None:
    split = "" if built is None else f"; rebuilt and announced after {built - saved:.2f} s"
    print(f"\nhot reload {mod}: saved -> running on every client in "
          f"{max(times) - saved:.2f} s ({', '.join(f'{t - saved:.2f}' for t in times)}{split})")


@pytest.mark.parametrize(("mod", "file", "old", "new"), [
    ("pickups", "pickups.c", "#define COIN_VALUE 1", "#define COIN_VALUE 2"),
    ("movement", "movement.zig", "MAX_SPEED: i64 = 3 *", "MAX_SPEED: i64 = 4 *"),
    ("greeter", "greeter.nim", '"Welcome, "', '"Hello, "'),
], ids=["c", "zig", "nim"])
async def test_a_reload_swaps_the_build_everywhere_without_desync(
    tmp_path: Path, build_cache: Path, make_server, mod: str, file: str, old: str, new: str,
) -> None:
    game = await start_game(tmp_path, build_cache, make_server)
    announced, _ = await reload_one(game, build_cache, mod, file, old, new)
    assert game.server.room.tick >= announced.tick
    # The swap happened at the announced tick on the server, in the manifest too.
    assert sha_of(game.server.room.sim, mod) == announced.mods[0].sha256
    assert announced.mods[0] in game.server.handshake.manifest
    await game.ticks(20)
    summaries = await game.finish()
    for summary in summaries:
        assert summary["ticks"] > 20
    assert any(f"mod {mod} becomes {announced.mods[0].sha256[:12]}" in line
               for line in game.console)


async def test_a_reload_of_a_mod_others_depend_on_reloads_them_after_it(
    tmp_path: Path, build_cache: Path, make_server
) -> None:
    game = await start_game(tmp_path, build_cache, make_server)
    unchanged = {e.name: e.sha256 for e in game.server.handshake.manifest}
    announced, _ = await reload_one(game, build_cache, "movement", "movement.zig",
                                    "STOP_SPEED: i64 = riscade.FIXED_ONE / 32",
                                    "STOP_SPEED: i64 = riscade.FIXED_ONE / 16")
    assert [e.name for e in announced.mods] == ["movement", "pickups", "greeter"]
    assert [e.sha256 for e in announced.mods[1:]] == [unchanged["pickups"], unchanged["greeter"]]
    # The dependants ran on_load again (pickups tops the arena up to five coins, no more).
    coins = [e for e in game.server.room.sim.world.ids()
             if game.server.room.sim.world.get(e, "kind") == 2]
    assert len(coins) == 5
    await game.ticks(10)
    await game.finish()


async def test_state_carries_over_through_on_save_and_on_restore(
    tmp_path: Path, build_cache: Path, make_server
) -> None:
    game = await start_game(tmp_path, build_cache, make_server, saver_folder(tmp_path))
    world = game.server.room.sim.world
    counter = next(e for e in world.ids() if world.get(e, "kind") == 100)
    announced, _ = await reload_one(game, build_cache, "saver", "saver.c",
                                    "#define STEP 1\n", "#define STEP 10\n")
    # Counted by 1 until the reload's tick, by 10 from it on, in the same entity.
    at = announced.tick
    await game.ticks(3)
    world = game.server.room.sim.world
    assert [e for e in world.ids() if world.get(e, "kind") == 100] == [counter]
    assert world.get(counter, "score") == (at - 1) + 10 * (world.tick - at + 1)
    await game.finish()


async def test_joiners_during_and_after_a_reload_get_the_new_build(
    tmp_path: Path, build_cache: Path, make_server
) -> None:
    game = await start_game(tmp_path, build_cache, make_server, bots=1)
    saved = edit(game.mods / "pickups" / "pickups.c", "#define PICKUP_RADIUS (12 *",
                 "#define PICKUP_RADIUS (14 *")
    (announced,) = await watcher(game, build_cache).rebuild(["pickups"])
    new = announced.mods[0].sha256
    assert game.server.room.tick < announced.tick
    game.join(tmp_path, "window", seed=5)  # welcomed while the reload is pending
    report("pickups", await game.until_running("pickups", new), saved)
    game.join(tmp_path, "late", seed=7)
    await game.until_running("pickups", new)
    await game.ticks(10)
    summaries = await game.finish()
    for seen in game.running[1:]:
        assert list(seen["pickups"]) == [new]  # it never ran the old build
    assert [s["mods"] for s in summaries] == [3, 3, 3]


async def test_a_failed_build_changes_nothing(
    tmp_path: Path, build_cache: Path, make_server
) -> None:
    game = await start_game(tmp_path, build_cache, make_server)
    manifest = game.server.handshake.manifest
    edit(game.mods / "pickups" / "pickups.c", "coins_taken++;", "coins_taken++ oops;")
    assert await watcher(game, build_cache).rebuild(["pickups"]) == []
    failure = [line for line in game.console if "pickups not reloaded" in line]
    assert failure, game.console
    assert re.search(r"pickups\.c:\d+:\d+: error", failure[0]), failure[0]
    await game.ticks(10)
    assert game.server.handshake.manifest == manifest
    assert not game.server.room.reloads.pending
    await game.finish()


async def test_serve_watch_notices_a_saved_file(
    tmp_path: Path, build_cache: Path, make_server
) -> None:
    """What ``riscade serve --watch`` runs: the poller sees the save and the reload follows."""
    game = await start_game(tmp_path, build_cache, make_server)
    task = asyncio.create_task(watcher(game, build_cache).run())
    try:
        await asyncio.sleep(0.2)  # its first look at the folder
        saved = edit(game.mods / "pickups" / "pickups.c", "#define COINS 5", "#define COINS 6")
        deadline = time.perf_counter() + DEADLINE
        while not any("mod pickups becomes" in line for line in game.console):
            assert time.perf_counter() < deadline, game.console
            await asyncio.sleep(0.05)
        line = next(x for x in game.console if "mod pickups becomes" in x)
        short = line.split("becomes ")[1][:12]
        times = await _until_prefix(game, "pickups", short)
        report("pickups (--watch)", times, saved)
    finally:
        task.cancel()
    await game.ticks(5)
    await game.finish()


async def _until_prefix(game: Game, mod: str, short: str) -> list[float]:
    deadline = time.perf_counter() + DEADLINE
    while True:
        found = [next((t for sha, t in seen.get(mod, {}).items() if sha.startswith(short)), None)
                 for seen in game.running]
        if all(t is not None for t in found):
            return [t for t in found if t is not None]
        assert time.perf_counter() < deadline
        await asyncio.sleep(0.02)



async def test_riscade_serve_watch_reloads_a_saved_file(tmp_path: Path, build_cache: Path) -> None:
    """The command itself: ``riscade serve --watch`` in a process, a bot in this one."""
    mods = stage_mods(tmp_path / "mods")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "riscade_cli.py"), "serve", "--mods", str(mods),
        "--cache", str(build_cache), "--port", "0", "--watch", cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    assert proc.stdout is not None
    lines: list[str] = []

    async def line_with(text: str) -> str:
        while True:
            raw = await asyncio.wait_for(proc.stdout.readline(), DEADLINE)
            assert raw, "\n".join(lines)
            lines.append(raw.decode().rstrip())
            if text in lines[-1]:
                return lines[-1]

    try:
        port = re.search(r"ws://127\.0\.0\.1:(\d+)", await line_with("listening on"))
        assert port is not None
        await line_with("watching")
        seen: dict[str, float] = {}
        bot = asyncio.create_task(play(ClientOptions(
            f"ws://127.0.0.1:{port[1]}", tmp_path / "bot", bot_seed=1,
            on_tick=lambda f: seen.setdefault(sha_of(f, "pickups"), time.perf_counter()))))
        while not seen:
            await asyncio.sleep(0.05)
        saved = edit(mods / "pickups" / "pickups.c", "#define COIN_VALUE 1", "#define COIN_VALUE 3")
        short = (await line_with("mod pickups becomes")).split("becomes ")[1][:12]
        deadline = time.perf_counter() + DEADLINE
        while not any(sha.startswith(short) for sha in seen):
            assert time.perf_counter() < deadline and not bot.done(), "\n".join(lines)
            await asyncio.sleep(0.02)
        report("pickups (riscade serve --watch)",
               [t for sha, t in seen.items() if sha.startswith(short)], saved)
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 30)
    summary = await bot
    assert summary["desyncs"] == 0
    assert proc.returncode == 0, "\n".join(lines)
