"""A real server on 127.0.0.1 with the bundled mods built by the real toolchain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from game.simulation import ModImage
from lockstep import entry_for
from mods.host_api import HOST_API
from protocol import compress_mod
from server.app import GameServer, ServedMod
from server.startup import Prepared, prepare_mods

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    """The mods in mods/, built once per test session."""
    prepared = prepare_mods(ROOT / "mods", tmp_path_factory.mktemp("build-cache"))
    assert not prepared.failed, prepared.failed
    return prepared


def served_from_image(image: ModImage, *, blob: bytes | None = None) -> ServedMod:
    """A ServedMod for a test mod image (optionally with a forged blob)."""
    entry = entry_for(image, version="0.1", language="c", dependencies=(),
                      host_abi=HOST_API.abi_hash())
    return ServedMod(entry, image, blob if blob is not None else compress_mod(image.elf))


@pytest.fixture
async def make_server() -> AsyncIterator:
    """Start GameServers on free loopback ports; all are stopped after the test."""
    servers: list[GameServer] = []

    async def start(mods: list[ServedMod], **kwargs) -> GameServer:
        kwargs.setdefault("on_log", lambda text: None)
        tls = kwargs.pop("ssl", None)
        server = GameServer(mods, host_abi=HOST_API.abi_hash(), **kwargs)
        await server.start("127.0.0.1", 0, ssl=tls)
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()
