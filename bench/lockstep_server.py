"""Server cost of lockstep: CPU per tick with 1, 8 and 32 bot clients, snapshot size, the
time of a join in progress, and the cost of state hashing. All on loopback.

    python -m bench.lockstep_server [--ticks N] [--clients 1,8,32]

The bots here only speak the protocol (handshake, inputs, read ticks) without simulating,
so that the numbers are the server's. Timings are wall-clock of the synchronous
``GameServer.step`` (one tick: simulate, hash, encode and queue for every client).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

import websockets

from client.session import ClientOptions, play
from lockstep.policy import ServerPolicy
from mods.cache import DEFAULT_CACHE_DIR
from mods.host_api import HOST_API
from protocol import SUPPORTED_VERSIONS, Hello, Input, Link, Ready, Role, Snapshot, Tick
from server.app import GameServer
from server.startup import prepare_mods
from vm import VM_ABI

ROOT = Path(__file__).resolve().parent.parent


async def light_bot(url: str, name: str, seed: int, stop: asyncio.Event) -> None:
    """A protocol-only bot: downloads the mods, then sends random inputs; no simulation."""
    link = Link(Role.CLIENT)
    rng = random.Random(seed)
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(link.send(Hello(protocol_versions=SUPPORTED_VERSIONS, vm_abi=VM_ABI,
                                      host_abi=HOST_API.abi_hash(), name=name)))
        link.receive(await ws.recv())  # Welcome
        while link.pending_mods:
            link.receive(await ws.recv())
        await ws.send(link.send(Ready()))
        seq = 0
        while not stop.is_set():
            msg = link.receive(await ws.recv())
            if isinstance(msg, Tick | Snapshot) and rng.random() < 0.25:
                seq += 1
                await ws.send(link.send(Input(seq=seq, tick=link.tick or 0,
                                              buttons=rng.choice((1, 2, 4, 8, 5, 10)))))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def measure(served: list, clients: int, ticks: int) -> dict[str, float]:
    server = GameServer(served, host_abi=HOST_API.abi_hash(), tick_rate=20,
                        on_log=lambda text: None,
                        policy=ServerPolicy(max_conns_per_address=None))  # bots share 127.0.0.1
    times: list[float] = []
    step = server.step

    def timed_step() -> None:
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1000)

    server.step = timed_step  # type: ignore[method-assign]
    port = await server.start("127.0.0.1", 0)
    stop = asyncio.Event()
    bots = [asyncio.create_task(light_bot(f"ws://127.0.0.1:{port}", f"b{i}", i, stop))
            for i in range(clients)]
    while len(server.room.players) < clients:
        await asyncio.sleep(0.05)
    times.clear()
    while len(times) < ticks:
        await asyncio.sleep(0.05)
    # A full client joining the running game: download, verify, snapshot, first tick.
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        joined = await play(ClientOptions(f"ws://127.0.0.1:{port}", Path(tmp), ticks=1))
        join_s = time.perf_counter() - t
    sim = server.room.sim
    raw = sim.snapshot()
    from protocol import compress_blob

    compressed = compress_blob(raw)
    t = time.perf_counter()
    for _ in range(20):
        sim.state_hash(machines=False)
    world_hash_ms = (time.perf_counter() - t) / 20 * 1000
    t = time.perf_counter()
    for _ in range(5):
        sim.state_hash(machines=True)
    full_hash_ms = (time.perf_counter() - t) / 5 * 1000
    stop.set()
    await server.stop()
    for bot in bots:
        bot.cancel()
    await asyncio.gather(*bots, return_exceptions=True)
    return {
        "clients": clients, "ticks": len(times),
        "tick_ms_median": statistics.median(times), "tick_ms_p99": percentile(times, 99),
        "snapshot_bytes": len(raw), "snapshot_zstd_bytes": len(compressed),
        "join_in_progress_ms": join_s * 1000, "join_ms_client": joined["join_ms"],
        "hash_world_ms": world_hash_ms, "hash_world_and_machines_ms": full_hash_ms,
        "entities": len(sim.world.entities),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ticks", type=int, default=200)
    parser.add_argument("--clients", default="1,8,32")
    opts = parser.parse_args()
    prepared = prepare_mods(ROOT / "mods", ROOT / DEFAULT_CACHE_DIR)
    print(f"{'clients':>7} {'tick ms med':>11} {'p99':>7} {'snapshot':>9} {'zstd':>7} "
          f"{'join ms':>8} {'hash world':>10} {'+machines':>9}")
    for n in (int(c) for c in opts.clients.split(",")):
        r = asyncio.run(measure(prepared.served, n, opts.ticks))
        print(f"{n:>7} {r['tick_ms_median']:>11.2f} {r['tick_ms_p99']:>7.2f} "
              f"{r['snapshot_bytes']:>9} {r['snapshot_zstd_bytes']:>7} "
              f"{r['join_in_progress_ms']:>8.0f} {r['hash_world_ms']:>10.3f} "
              f"{r['hash_world_and_machines_ms']:>9.2f}", flush=True)


if __name__ == "__main__":
    main()
