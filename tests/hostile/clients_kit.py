"""Hostile clients over real websockets on 127.0.0.1, beside an honest bot.

The attacker speaks the protocol by hand (``websockets.connect`` + ``protocol.Link``); the
honest bot is the real client (``client.session.play``). Fixtures are imported by the test
modules (``from .clients_kit import bundled, make_server, server_log``); ``bundled`` is
tests/integration's.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import websockets

from client.session import ClientOptions, play
from mods.host_api import HOST_API
from protocol import (
    SUPPORTED_VERSIONS,
    Bye,
    Hello,
    Link,
    ModBlob,
    Ready,
    Refusal,
    Role,
    Snapshot,
    Welcome,
)
from server.app import GameServer, ServedMod
from tests.integration.conftest import bundled  # noqa: F401 - a fixture, re-exported
from vm import VM_ABI

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server_log(caplog: pytest.LogCaptureFixture) -> Callable[[str], list[str]]:
    """``server_log("kicked")``: the riscade.server log lines (INFO and up) containing a text."""
    caplog.set_level(logging.INFO, logger="riscade.server")

    def lines(text: str) -> list[str]:
        return [r.getMessage() for r in caplog.records
                if r.name == "riscade.server" and text in r.getMessage()]
    return lines


@pytest.fixture
def make_server(make_server: Callable) -> Callable:  # noqa: F811 - tests/integration's, faster
    """tests/integration's ``make_server``, ticking at 100 a second unless told otherwise."""

    async def start(mods: list[ServedMod], **kwargs: Any) -> GameServer:
        kwargs.setdefault("tick_rate", 100)
        return await make_server(mods, **kwargs)
    return start


def url(server: GameServer, scheme: str = "ws") -> str:
    return f"{scheme}://127.0.0.1:{server.port}"


def honest(server: GameServer, tmp: Path, *, name: str = "honest", ticks: int = 60,
           seed: int = 1, **kwargs: Any) -> asyncio.Task[dict[str, Any]]:
    """The real client, as a bot, in a task."""
    return asyncio.create_task(play(ClientOptions(url(server), tmp / name, name=name,
                                                  ticks=ticks, bot_seed=seed, **kwargs)))


async def until(cond: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait until ``cond()`` holds (polling), or fail."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


async def in_world(server: GameServer, name: str) -> int:
    """The id of the player called ``name`` once it is in the server's world."""
    found: list[int] = []

    def present() -> bool:
        found[:] = [p for p, n in server.room.players.items() if n == name]
        return bool(found)
    await until(present)
    return found[0]


def small_socket() -> socket.socket:
    """A TCP socket with a tiny receive buffer, for a client that stops reading."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


class Attacker:
    """A hand-driven client: ``await Attacker.open(server)``, then ``hello``, ``join``..."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.link = Link(Role.CLIENT)

    @classmethod
    async def open(cls, server: GameServer, *, lazy: bool = False, **kwargs: Any) -> Attacker:
        """Connect; ``lazy``: a client that stops reading (tiny buffers, queue of one)."""
        if lazy:
            sock = small_socket()
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port))
            kwargs.update(sock=sock, max_queue=1)
        ws = await websockets.connect(url(server), compression=None, max_size=None, **kwargs)
        return cls(ws)

    async def hello(self, name: str = "mallory", cached: tuple[str, ...] = ()) -> None:
        await self.ws.send(self.link.send(Hello(
            protocol_versions=SUPPORTED_VERSIONS, vm_abi=VM_ABI, host_abi=HOST_API.abi_hash(),
            name=name, cached_mods=cached)))

    async def join(self, server: GameServer, name: str = "mallory") -> Snapshot:
        """Hello (claiming every mod cached), Ready, and the first snapshot."""
        await self.hello(name, tuple(m.entry.sha256 for m in server.mods))
        first = self.link.receive(await self.ws.recv())
        assert isinstance(first, Welcome), first
        while self.link.pending_mods:
            assert isinstance(self.link.receive(await self.ws.recv()), ModBlob)
        await self.ws.send(self.link.send(Ready()))
        while True:
            msg = self.link.receive(await self.ws.recv())
            if isinstance(msg, Snapshot):
                return msg

    async def send(self, msg: Any) -> None:
        await self.ws.send(self.link.send(msg))

    async def ending(self, timeout: float = 20.0) -> tuple[Bye | Refusal | None, int | None]:
        """Read until the server says Bye or Refusal and closes: (that message, close code)."""
        said: Bye | Refusal | None = None

        async def read() -> None:
            nonlocal said
            async for data in self.ws:
                if isinstance(data, bytes):
                    try:
                        msg = self.link.receive(data)
                    except Exception:  # after the Bye the link reads nothing more
                        continue
                    if isinstance(msg, Bye | Refusal):
                        said = msg
        try:
            await asyncio.wait_for(read(), timeout)
        except websockets.ConnectionClosed:
            pass
        return said, self.ws.close_code
