"""Joins do not re-run mods: a joiner's machines come from the snapshot, not from main/on_load.

Before, a client ran every mod's ``main`` and ``on_load`` (even a mod the server had disabled)
before restoring the snapshot, so a mod could make every join cost up to 50 hook budgets.
Real C mods, real server, real websockets.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from client.session import ClientOptions, play
from lockstep.follower import Follower
from mods.host_api import HOST_API
from server.app import GameServer
from tests.hostile.test_join_big_snapshot import served


async def test_a_joiner_runs_no_mod_start_up_yet_matches_every_tick(tmp_path: Path) -> None:
    mods = [served("join_startup", memory=1 << 20), served("join_faulty_main", memory=1 << 20)]
    server_hashes: dict[int, str] = {}
    server = GameServer(mods, tick_rate=30, host_abi=HOST_API.abi_hash(), on_log=lambda s: None,
                        on_tick=lambda t, h: server_hashes.__setitem__(t, h))
    # The server ran the start-up: main burned its loop and logged, on_load logged and
    # spawned; the faulty mod's main faulted and the mod was disabled.
    sim = server.room.sim
    assert ("join_startup", "main ran") in sim.logs
    assert ("join_startup", "on_load ran") in sim.logs
    assert ("join_faulty_main", "faulty main ran") in sim.logs
    assert [(f.mod, f.hook) for f in sim.faults] == [("join_faulty_main", "main")]
    assert sim.mod_status()[1] == ("join_faulty_main", 1, True)
    main_cost = sim.machine("join_startup").instret
    assert main_cost > 500_000 * 3  # main's loop alone: at least 3 instructions a turn
    await server.start("127.0.0.1", 0)
    try:
        while server.room.tick < 5:
            await asyncio.sleep(0.02)
        client_hashes: dict[int, str] = {}
        followers: list[Follower] = []

        def on_tick(follower: Follower) -> None:
            client_hashes[follower.tick] = follower.sim.state_hash()
            followers[:] = [follower]

        summary = await play(ClientOptions(f"ws://127.0.0.1:{server.port}", tmp_path / "c",
                                           ticks=30, bot_seed=2, on_tick=on_tick))
    finally:
        await server.stop()
    assert summary["desyncs"] == 0 and len(client_hashes) == 30
    for tick, digest in client_hashes.items():
        assert server_hashes[tick] == digest, f"tick {tick}"
    mine = followers[0].sim
    # Not one line of either start-up was logged on the client, and no fault was recorded
    # there: the disabled mod was never run, it arrived disabled.
    assert mine.logs == []
    assert mine.faults == []
    assert mine.mod_status() == server.room.sim.mod_status()
    assert mine.mod_status()[1] == ("join_faulty_main", 1, True)
    # The world came from the snapshot: on_load's marker entity is there exactly once.
    assert [e.kind for e in mine.world.entities.values()].count(7) == 1
