"""The server side of a join without mods, for tests that play a server by hand."""

from __future__ import annotations

from typing import Any

from protocol import SUPPORTED_VERSIONS, Hello, Link, Role, Welcome, negotiate, split_snapshot


async def welcome_with_snapshot(ws: Any, state: bytes, state_hash: str) -> Link:
    """Answer the client's Hello with a Welcome (player 1, no mods), wait for its Ready, send
    ``state`` as the snapshot of tick 0 claiming ``state_hash``; the server's ``Link``."""
    link = Link(Role.SERVER)
    hello = link.receive(await ws.recv())
    assert isinstance(hello, Hello)
    version = negotiate(hello.protocol_versions, SUPPORTED_VERSIONS)
    await ws.send(link.send(Welcome(protocol_version=version, player_id=1, tick_rate=50,
                                    manifest=(), sending=(), token="bare")))
    link.receive(await ws.recv())  # Ready
    for msg in split_snapshot(tick=0, state=state, state_hash=state_hash):
        await ws.send(link.send(msg))
    return link
