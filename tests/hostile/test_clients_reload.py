"""Hostile clients around a hot reload: a ``Fetch`` of a build no reload announced, or of one
already fetched, closes that connection alone (1002); the honest bot follows the reload with
no desync and the server ticks on. The reload is made through ``GameServer.reload`` with test
builds (tests/game/guests/saver*.c), no source edit: the build path has its own tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import websockets

from protocol import Fetch, ModBlob, Tick, encode
from server.app import GameServer, ServedMod
from tests.conftest import _image
from tests.integration.conftest import served_from_image

from .clients_kit import Attacker, honest, in_world, make_server, until  # noqa: F401


async def served_game(make_server) -> tuple[GameServer, ServedMod]:  # noqa: F811
    server = await make_server([served_from_image(_image("saver"))])
    new = served_from_image(dataclasses.replace(_image("saver_v2"), name="saver"))
    return server, new


async def closed_code(attacker: Attacker) -> int:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await attacker.ws.recv()
    rcvd = closed.value.rcvd
    assert rcvd is not None
    return rcvd.code


async def test_a_fetch_nothing_announced_closes_that_client_alone(
    make_server, tmp_path: Path  # noqa: F811
) -> None:
    server, new = await served_game(make_server)
    bot = honest(server, tmp_path, ticks=200)
    attacker = await Attacker.open(server)
    await attacker.join(server)
    await attacker.ws.send(encode(Fetch(sha256=new.entry.sha256)))  # past its own link
    assert await closed_code(attacker) == 1002
    await in_world(server, "honest")
    notice = server.reload(new)
    summary = await bot
    assert summary["desyncs"] == 0
    assert server.room.tick > notice.tick
    assert server.mods[0] is new


async def test_a_second_fetch_of_a_build_closes_that_client_alone(
    make_server, tmp_path: Path  # noqa: F811
) -> None:
    server, new = await served_game(make_server)
    bot = honest(server, tmp_path, ticks=200)
    attacker = await Attacker.open(server)
    await attacker.join(server)
    await in_world(server, "honest")
    notice = server.reload(new)
    while True:  # the tick that announces it
        msg = attacker.link.receive(await attacker.ws.recv())
        if isinstance(msg, Tick) and msg.reloads:
            assert msg.reloads[0] == notice
            break
    await attacker.send(Fetch(sha256=new.entry.sha256))
    while not isinstance(msg := attacker.link.receive(await attacker.ws.recv()), ModBlob):
        pass
    assert msg.sha256 == new.entry.sha256
    await attacker.ws.send(encode(Fetch(sha256=new.entry.sha256)))
    assert await closed_code(attacker) == 1002
    summary = await bot
    assert summary["desyncs"] == 0 and summary["mod_bytes_received"] > 0
    await until(lambda: server.room.tick > notice.tick + 5)
