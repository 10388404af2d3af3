"""Stopping a real server: the first signal wakes the serve loop (a real signal to this
process), the world is saved before anyone is told, a client in the game gets the reason,
and a save that fails still lets every client hear why before the error comes out."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from client.session import ClientOptions, GameEnded, play
from game.simulation import ModImage
from lockstep import entry_for
from lockstep.policy import ServerPolicy
from mods.host_api import HOST_API
from protocol import compress_mod
from server.app import GameServer, ServedMod
from server.shutdown import Stopper, shut_down


def served(image: ModImage) -> ServedMod:
    entry = entry_for(image, version="0.1", language="c", dependencies=(),
                      host_abi=HOST_API.abi_hash())
    return ServedMod(entry, image, compress_mod(image.elf))


class Saving(GameServer):
    """A server whose save records the tick it saved at (or fails, if told to)."""

    saved_at: list[int]
    fail: bool = False

    def save_world(self) -> str:
        self.saved_at.append(self.room.tick)
        if self.fail:
            raise OSError("disk full")
        return f"saved tick {self.room.tick}"


async def until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(1200):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


async def test_a_real_signal_sets_the_stopper_once() -> None:
    stopper = Stopper()
    loop = asyncio.get_running_loop()
    stopper.install(loop)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(stopper.event.wait(), 10)
        os.kill(os.getpid(), signal.SIGINT)  # a second one changes nothing
        await asyncio.sleep(0.05)
    finally:
        stopper.uninstall(loop)
    assert stopper.signal == "SIGTERM"
    assert stopper.reason == "server stopping (SIGTERM)"
    assert Stopper().reason == "the server is stopping"


@pytest.mark.parametrize("fail", [False, True])
async def test_the_world_is_saved_then_the_player_told_why(
    fail: bool, walker: ModImage, tmp_path: Path
) -> None:
    server = Saving([served(walker)], tick_rate=50, host_abi=HOST_API.abi_hash(),
                    on_log=lambda text: None)
    server.saved_at, server.fail = [], fail
    port = await server.start("127.0.0.1", 0)
    bot = asyncio.create_task(play(ClientOptions(
        f"ws://127.0.0.1:{port}", tmp_path / "cache", name="ann", ticks=10**6, bot_seed=3,
        report_dir=tmp_path / "reports")))
    try:
        await until(lambda: len(server.playing) == 1, "ann playing")
        if fail:
            with pytest.raises(OSError, match="disk full"):
                await shut_down(server, "server stopping (SIGTERM)")
        else:
            assert await shut_down(server, "server stopping (SIGTERM)") == \
                f"saved tick {server.room.tick}"
    finally:
        await server.stop()
    assert server.saved_at == [server.room.tick]  # saved once, at the last tick
    with pytest.raises(GameEnded) as ended:
        await bot
    assert (ended.value.code, ended.value.reason) == ("shutdown", "server stopping (SIGTERM)")
    assert ended.value.summary["desyncs"] == 0
    assert ended.value.summary["ticks"] <= server.room.tick


async def test_no_save_after_a_failed_tick_loop_and_stop_is_idempotent() -> None:
    server = Saving([], on_log=lambda text: None)
    server.saved_at = []
    await server.start("127.0.0.1", 0)
    assert await shut_down(server, "bye", save=False) is None
    await server.stop("again")
    assert server.saved_at == []


async def test_a_client_that_never_answers_the_close_is_cut_off_at_the_bound(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With a close timeout far beyond the bound, a client that neither reads nor answers
    would hold ``stop`` for 60 s: it is cut off when the bound runs out."""
    server = GameServer([], policy=ServerPolicy(close_timeout=60.0), on_log=lambda text: None)
    port = await server.start("127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 b"Sec-WebSocket-Version: 13\r\n\r\n")
    await writer.drain()
    await until(lambda: server.open_connections == 1, "the stuck client connected")
    loop = asyncio.get_running_loop()
    started = loop.time()
    with caplog.at_level("WARNING", logger="riscade.server"):
        await shut_down(server, "server stopping (SIGTERM)", bound=1.0)
    took = loop.time() - started
    assert "1 connections did not close in time: cut off" in caplog.text
    assert took < 30  # far below the 60 s close timeout: a hang detector, not a speed test
    assert server.open_connections == 0
    writer.close()
