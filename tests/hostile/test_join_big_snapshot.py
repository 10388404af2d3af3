"""A mod holding more than a message's worth of incompressible memory does not stop joins.

Before: the next join crashed the tick loop (``LocalMisuse: Snapshot of 9460476 bytes is over
max_message_size=8388608``, "FATAL: the tick loop failed"). Now the snapshot travels as a
``Snapshot`` and its ``SnapshotPart`` messages, and the joiner restores the mod's machine
from it without running the mod's start-up again. Real C mod, real server, real websockets.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from client.session import ClientOptions, play
from game.simulation import ModImage
from lockstep.follower import Follower
from mods.host_api import HOST_API
from protocol import DEFAULT_LIMITS, ModEntry, compress_mod
from server.app import GameServer, ServedMod
from tests.integration.conftest import served_from_image
from tests.vm.toolchain import DEFAULT_CACHE_DIR, compile_c

GUESTS = Path(__file__).parent / "guests"
MiB = 1 << 20


def served(name: str, *, memory: int, instructions: int = 1_000_000) -> ServedMod:
    """The test mod ``guests/<name>.c``, built by the real toolchain, as a server serves it."""
    elf = compile_c(GUESTS / f"{name}.c", opt="O2", compressed=True,
                    out_dir=DEFAULT_CACHE_DIR).read_bytes()
    image = ModImage(name, elf, memory=memory, stack=256 << 10, instructions=instructions)
    entry = ModEntry(name=name, version="1", sha256=hashlib.sha256(elf).hexdigest(),
                     size=len(elf), language="c", dependencies=(), memory_limit=memory,
                     stack_limit=256 << 10, instruction_limit=instructions,
                     host_abi=HOST_API.abi_hash())
    return ServedMod(entry, image, compress_mod(elf))


@pytest.fixture
async def big_server(walker: ModImage):
    """A server running the 12 MiB mod (already filled, of 16 MiB) beside the walker test mod."""
    server_hashes: dict[int, str] = {}
    logs: list[str] = []
    mods = [served("join_bigmem", memory=16 * MiB), served_from_image(walker)]
    server = GameServer(mods, tick_rate=10, host_abi=HOST_API.abi_hash(), on_log=logs.append,
                        on_tick=lambda t, h: server_hashes.__setitem__(t, h))
    await server.start("127.0.0.1", 0)
    try:
        yield server, server_hashes, logs
    finally:
        await server.stop()


async def test_an_honest_bot_joins_a_game_whose_snapshot_is_over_the_message_limit(
    big_server, tmp_path: Path
) -> None:
    server, server_hashes, logs = big_server
    assert ("join_bigmem", "filled") in server.room.sim.logs  # on_load ran on the server
    assert len(server.room.sim.snapshot()) > 12 * MiB > DEFAULT_LIMITS.max_message_size
    while server.room.tick < 3:
        await asyncio.sleep(0.05)
    client_hashes: dict[int, str] = {}
    followers: list[Follower] = []

    def on_tick(follower: Follower) -> None:
        client_hashes[follower.tick] = follower.sim.state_hash()
        followers[:] = [follower]

    summary = await play(ClientOptions(f"ws://127.0.0.1:{server.port}", tmp_path / "cache",
                                       name="honest", ticks=40, bot_seed=1, on_tick=on_tick))
    assert summary["desyncs"] == 0 and summary["ticks"] == 40
    assert summary["ended"] == "left after 40 ticks"
    # The snapshot really needed more than one message: compressed, it is over the limit.
    assert summary["snapshot_bytes"] > DEFAULT_LIMITS.max_message_size
    assert len(client_hashes) == 40
    for tick, digest in client_hashes.items():
        assert server_hashes[tick] == digest, f"tick {tick}"
    # The server ticked on, and nobody was dropped or crashed.
    assert server.running and server.room.tick >= max(client_hashes)
    assert not any("FATAL" in line or "too slow" in line for line in logs), logs
    # The client restored the filled machine; it never ran the mod's on_load itself.
    sim = followers[0].sim
    assert ("join_bigmem", "filled") not in sim.logs
    assert sim.mod_status() == server.room.sim.mod_status()
    assert all(faults == 0 for _, faults, _ in sim.mod_status())
