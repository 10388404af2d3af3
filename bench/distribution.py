"""Mod distribution on loopback: zstd ratio per level (and with a trained dictionary), bytes
on the wire for a cold and a warm join, and join time for 1 and 20 concurrent clients.

    python -m bench.distribution
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import zstandard

from client.session import ClientOptions, play
from lockstep.policy import ServerPolicy
from mods.cache import DEFAULT_CACHE_DIR
from mods.host_api import HOST_API
from server.app import GameServer
from server.startup import prepare_mods

ROOT = Path(__file__).resolve().parent.parent
LEVELS = (1, 3, 9, 15, 19, 22)


def compression_table(elfs: dict[str, bytes]) -> None:
    total = sum(len(e) for e in elfs.values())
    print(f"zstd over the {len(elfs)} bundled mods ({total} bytes of ELF):")
    print(f"{'level':>6} {'bytes':>8} {'ratio':>6} {'ms to compress all':>19}")
    for level in LEVELS:
        c = zstandard.ZstdCompressor(level=level)
        t = time.perf_counter()
        size = sum(len(c.compress(e)) for e in elfs.values())
        ms = (time.perf_counter() - t) * 1000
        print(f"{level:>6} {size:>8} {total / size:>6.2f} {ms:>19.1f}")
    # A dictionary only pays if it ships once and many mods share it: try one trained on
    # the mods themselves (the best case for it).
    samples = [e[i:i + 4096] for e in elfs.values() for i in range(0, len(e), 4096)]
    try:
        dictionary = zstandard.train_dictionary(16384, samples)
    except zstandard.ZstdError as exc:
        print(f"dictionary: could not train ({exc})")
        return
    c = zstandard.ZstdCompressor(level=19, dict_data=dictionary)
    size = sum(len(c.compress(e)) for e in elfs.values())
    print(f"level 19 + a 16 KiB dictionary: {size} bytes + {len(dictionary.as_bytes())} "
          f"bytes of dictionary = {size + len(dictionary.as_bytes())}")


async def joins(served: list) -> None:
    server = GameServer(served, host_abi=HOST_API.abi_hash(), on_log=lambda t: None,
                        policy=ServerPolicy(max_conns_per_address=None))  # bots share 127.0.0.1
    port = await server.start("127.0.0.1", 0)
    url = f"ws://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp) / "one"
            cold = await play(ClientOptions(url, cache, ticks=1))
            warm = await play(ClientOptions(url, cache, ticks=1))
            print(f"cold join: {cold['mod_bytes_received']} mod bytes, {cold['join_ms']} ms; "
                  f"warm join: {warm['mod_bytes_received']} mod bytes "
                  f"({warm['mods_from_cache']} from cache), {warm['join_ms']} ms")
            many = await asyncio.gather(*(
                play(ClientOptions(url, Path(tmp) / f"c{i}", name=f"p{i}", ticks=1))
                for i in range(20)))
            times = [m["join_ms"] for m in many]
            print(f"20 concurrent cold joins: median {statistics.median(times):.0f} ms, "
                  f"max {max(times):.0f} ms")
    finally:
        await server.stop()


def main() -> None:
    prepared = prepare_mods(ROOT / "mods", ROOT / DEFAULT_CACHE_DIR)
    elfs = {m.entry.name: m.image.elf for m in prepared.served}
    compression_table(elfs)
    asyncio.run(joins(prepared.served))


if __name__ == "__main__":
    main()
