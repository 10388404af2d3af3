"""The mods' storage, kinds and properties over real websockets: a server started from a
storage file's bytes, bots that play, a late joiner; every hash equal, and the joiner holds
the server's storage."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

from client.session import ClientOptions, play
from lockstep.follower import Follower
from server.startup import Prepared


def blob(b: bytes) -> bytes:
    return struct.pack("<I", len(b)) + b


#: pickups' best score 41 and waypoints' total 5, as game/storage.py documents the bytes.
STORED = struct.pack("<I", 2) + b"".join(
    blob(mod) + struct.pack("<I", 1) + blob(key) + blob(struct.pack("<q", value))
    for mod, key, value in ((b"pickups", b"best", 41), (b"waypoints", b"total", 5)))


async def test_storage_and_properties_stay_in_lockstep_and_reach_a_joiner(
    bundled: Prepared, make_server, tmp_path: Path
) -> None:
    server_hashes: dict[int, str] = {}
    server_storage: dict[int, bytes] = {}

    def on_server_tick(tick: int, digest: str) -> None:
        server_hashes[tick] = digest
        server_storage[tick] = server.room.sim.storage_bytes()

    server = await make_server(bundled.served, tick_rate=60, stored=STORED,
                               on_tick=on_server_tick)
    assert server.room.sim.storage_bytes() == STORED
    assert len(server.room.sim.world.props.values) == 5  # each coin's worth
    url = f"ws://127.0.0.1:{server.port}"
    early_hashes: dict[int, str] = {}
    early = asyncio.create_task(play(ClientOptions(
        url, tmp_path / "a", name="early", ticks=300, bot_seed=3,
        on_tick=lambda f: early_hashes.__setitem__(f.tick, f.sim.state_hash()))))
    while server.room.tick < 150:
        await asyncio.sleep(0.05)
    late_hashes: dict[int, str] = {}
    late_storage: dict[int, bytes] = {}

    def on_late_tick(follower: Follower) -> None:
        late_hashes[follower.tick] = follower.sim.state_hash()
        late_storage[follower.tick] = follower.sim.storage_bytes()

    late = await play(ClientOptions(url, tmp_path / "b", name="late", ticks=100, bot_seed=4,
                                    on_tick=on_late_tick))
    assert late["desyncs"] == 0 and (await early)["desyncs"] == 0
    assert min(late_hashes) > 150
    for hashes in (early_hashes, late_hashes):
        assert all(server_hashes[t] == h for t, h in hashes.items())
    assert all(server_storage[t] == b for t, b in late_storage.items())  # from the snapshot
    assert all(b[:4] == struct.pack("<I", 2) for b in late_storage.values())
