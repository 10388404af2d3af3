"""An admin re-enables a disabled mod on a real server while a real bot client plays: the
client re-enables it at the same tick (it travels in the Tick), with 0 desyncs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from client.session import ClientOptions, play
from game.rules import MAX_FAULTS
from game.simulation import ModImage
from lockstep.follower import Follower
from server.console import admin_command
from server.startup import Prepared

from .conftest import served_from_image


async def test_enable_reaches_the_client_at_the_same_tick(
    bundled: Prepared, faulty: ModImage, make_server, tmp_path: Path
) -> None:
    server_hashes: dict[int, str] = {}
    server = await make_server([*bundled.served, served_from_image(faulty)], tick_rate=60,
                               on_tick=lambda t, h: server_hashes.__setitem__(t, h))
    seen: dict[int, tuple[str, int, bool]] = {}
    hashes: dict[int, str] = {}

    def on_tick(follower: Follower) -> None:
        hashes[follower.tick] = follower.sim.state_hash()
        seen[follower.tick] = follower.sim.mod_status()[-1]

    client = asyncio.create_task(play(ClientOptions(
        f"ws://127.0.0.1:{server.port}", tmp_path / "c", name="ann", ticks=150, bot_seed=4,
        on_tick=on_tick)))
    while not hashes or max(hashes) < 40:
        await asyncio.sleep(0.02)
    assert server.room.sim.mod_status()[-1] == ("faulty", MAX_FAULTS, True)
    reply = admin_command(server, "/enable faulty")
    enabled_at = server.room.tick + 1
    assert reply == f"mod faulty is enabled again from tick {enabled_at}"
    summary = await client
    assert summary["desyncs"] == 0
    assert all(server_hashes[t] == h for t, h in hashes.items())
    # faulty faults in every tick from 3 on: re-enabled, it faulted once in that tick, and
    # was disabled again MAX_FAULTS - 1 ticks later, on the client as on the server
    assert seen[enabled_at - 1] == ("faulty", MAX_FAULTS, True)
    assert seen[enabled_at] == ("faulty", 1, False)
    assert seen[enabled_at + MAX_FAULTS - 1] == ("faulty", MAX_FAULTS, True)
