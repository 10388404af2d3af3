"""A client tells the truth about how the game ended: a server's goodbye or a lost connection
before the ticks asked for is an error carrying the reason, never a short summary with exit 0,
never a traceback. Real servers and real websockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
import websockets

from client.cli import EXIT_ENDED, EXIT_OK
from client.cli import main as connect_main
from client.session import ClientError, ClientOptions, GameEnded, _send, play
from game.simulation import ModImage, Simulation, TickInputs
from mods.host_api import HOST_API
from protocol import (
    SUPPORTED_VERSIONS,
    Hello,
    Link,
    ModEntry,
    Role,
    Tick,
    compress_mod,
)
from server.app import GameServer, ServedMod
from tests.support.bare_server import welcome_with_snapshot
from vm import VM_ABI


@pytest.fixture
async def server(walker: ModImage):
    entry = ModEntry(name="walker", version="1", sha256=hashlib.sha256(walker.elf).hexdigest(),
                     size=len(walker.elf), language="c", dependencies=(),
                     memory_limit=walker.memory, stack_limit=walker.stack,
                     instruction_limit=walker.instructions, host_abi=HOST_API.abi_hash(),
                     permissions=tuple(sorted(walker.permissions)))
    game = GameServer([ServedMod(entry, walker, compress_mod(walker.elf))], tick_rate=40,
                      host_abi=HOST_API.abi_hash(), on_log=lambda text: None)
    await game.start("127.0.0.1", 0)
    try:
        yield game
    finally:
        await game.stop()


async def until(condition, timeout: float = 20.0) -> None:
    """Wait (polling the event loop) until ``condition()`` holds."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition never held")


def url(game: GameServer) -> str:
    return f"ws://127.0.0.1:{game.port}"


# -- the server shuts down mid-game ---------------------------------------------------------------


async def test_a_server_shutdown_before_the_ticks_asked_is_game_ended(server, tmp_path) -> None:
    seen: list[int] = []
    task = asyncio.create_task(play(ClientOptions(url(server), tmp_path / "c", ticks=10_000,
                                                  bot_seed=1,
                                                  on_tick=lambda f: seen.append(f.tick))))
    await until(lambda: len(seen) >= 5)
    await server.stop()
    with pytest.raises(GameEnded) as info:
        await task
    ended = info.value
    assert ended.code == "shutdown" and ended.reason == "the server is stopping"
    assert "server said shutdown: the server is stopping" in str(ended)
    assert 5 <= ended.summary["ticks"] < 10_000
    assert ended.summary["ended"] == "server said shutdown: the server is stopping"
    assert ended.summary["desyncs"] == 0


async def test_without_a_tick_count_a_shutdown_is_the_normal_end(server, tmp_path) -> None:
    seen: list[int] = []
    task = asyncio.create_task(play(ClientOptions(url(server), tmp_path / "c", ticks=None,
                                                  on_tick=lambda f: seen.append(f.tick))))
    await until(lambda: len(seen) >= 3)
    await server.stop()
    summary = await task
    assert summary["ended"] == "server said shutdown: the server is stopping"
    assert summary["ticks"] >= 3


async def test_connect_exits_non_zero_with_the_reason_on_a_shutdown(
    server, tmp_path, capsys
) -> None:
    args = [url(server), "--headless", "--ticks", "10000", "--bot", "--cache",
            str(tmp_path / "c"), "--reports", str(tmp_path / "r")]
    status = asyncio.create_task(asyncio.to_thread(connect_main, args))
    await until(lambda: server.room.tick > 0 and server.room.players)
    await asyncio.sleep(0.2)
    await server.stop()
    assert await status == EXIT_ENDED
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("riscade connect: the game ended after ")
    assert "server said shutdown: the server is stopping" in err
    assert '"ended": "server said shutdown: the server is stopping"' in out


async def test_connect_exits_zero_after_the_ticks_asked(server, tmp_path, capsys) -> None:
    args = [url(server), "--headless", "--ticks", "20", "--bot", "--cache",
            str(tmp_path / "c"), "--reports", str(tmp_path / "r")]
    assert await asyncio.to_thread(connect_main, args) == EXIT_OK
    out, err = capsys.readouterr()
    assert err == ""
    assert '"ended": "left after 20 ticks"' in out and '"ticks": 20' in out


# -- the connection is lost -----------------------------------------------------------------------


async def dropping_server(how: str, ticks: int = 3):
    """A real websockets server speaking the protocol (no mods) that plays ``ticks`` ticks,
    then drops the connection without a Bye: ``abort`` (no close frame) or ``close`` (1011)."""

    async def handler(ws) -> None:
        sim = Simulation([])
        link = await welcome_with_snapshot(ws, sim.snapshot(), sim.state_hash())
        for tick in range(1, ticks + 1):
            sim.step(TickInputs(tick))
            await ws.send(link.send(Tick(tick=tick, state_hash=sim.state_hash())))
            await asyncio.sleep(0.02)
        if how == "abort":
            ws.transport.abort()
        else:
            await ws.close(1011, "the server fell over")

    return await websockets.serve(handler, "127.0.0.1", 0)


@pytest.mark.parametrize("how", ["abort", "close"])
async def test_a_dropped_connection_is_game_ended_not_a_short_summary(how, tmp_path) -> None:
    fake = await dropping_server(how)
    port = fake.sockets[0].getsockname()[1]
    try:
        with pytest.raises(GameEnded) as info:
            await play(ClientOptions(f"ws://127.0.0.1:{port}", tmp_path / "c", ticks=100,
                                     bot_seed=1))
    finally:
        fake.close()
        await fake.wait_closed()
    ended = info.value
    assert ended.code is None
    assert ended.summary["ticks"] == 3 and ended.summary["ended"].startswith("connection lost")
    if how == "close":
        assert "1011" in ended.reason and "the server fell over" in ended.reason


async def test_connect_exits_non_zero_on_a_dropped_connection(tmp_path, capsys) -> None:
    fake = await dropping_server("abort")
    port = fake.sockets[0].getsockname()[1]
    try:
        status = await asyncio.to_thread(
            connect_main, [f"ws://127.0.0.1:{port}", "--ticks", "100", "--bot", "--headless",
                           "--cache", str(tmp_path / "c")])
    finally:
        fake.close()
        await fake.wait_closed()
    assert status == EXIT_ENDED
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "connection lost" in err and "Traceback" not in err


async def test_a_send_on_a_lost_connection_is_game_ended(tmp_path) -> None:
    async def hang_up(ws) -> None:
        ws.transport.abort()

    fake = await websockets.serve(hang_up, "127.0.0.1", 0)
    port = fake.sockets[0].getsockname()[1]
    try:
        async with websockets.connect(f"ws://127.0.0.1:{port}") as ws:
            await ws.wait_closed()
            hello = Hello(protocol_versions=SUPPORTED_VERSIONS, vm_abi=VM_ABI,
                          host_abi=HOST_API.abi_hash(), name="Ada")
            with pytest.raises(GameEnded, match="connection lost"):
                await _send(ws, Link(Role.CLIENT), hello)
    finally:
        fake.close()
        await fake.wait_closed()


async def test_an_address_that_is_not_a_websocket_server_is_a_client_error(tmp_path) -> None:
    async def not_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH\r\n")
        await writer.drain()
        writer.close()

    plain = await asyncio.start_server(not_http, "127.0.0.1", 0)
    port = plain.sockets[0].getsockname()[1]
    try:
        with pytest.raises(ClientError, match="cannot connect"):
            await play(ClientOptions(f"ws://127.0.0.1:{port}", tmp_path / "c", ticks=1))
        with pytest.raises(ClientError, match="cannot connect"):
            await play(ClientOptions("http://127.0.0.1:1/", tmp_path / "c", ticks=1))
    finally:
        plain.close()
        await plain.wait_closed()


def test_game_ended_builds_its_message_from_its_values() -> None:
    assert str(GameEnded("kicked", "flooding")) == "server said kicked: flooding"
    assert str(GameEnded(None, "no close frame received or sent", {"ticks": 7})) == (
        "the game ended after 7 ticks: connection lost: no close frame received or sent")
    assert isinstance(GameEnded(None, "x"), ClientError)

