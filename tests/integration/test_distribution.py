"""Mod distribution over real websockets on 127.0.0.1: cold and warm joins, refusals,
tampering, and misbehaving clients that must not hurt anyone else."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
from pathlib import Path

import msgpack
import pytest
import websockets
import zstandard

from client.cache import ModCache
from client.session import ClientError, ClientOptions, JoinRefused, play
from lockstep.policy import ServerPolicy
from mods.host_api import HOST_API
from protocol import Bye, Hello, Limits, Link, Role, decode
from server.app import ServedMod
from server.startup import Prepared
from vm import VM_ABI

from .conftest import served_from_image


def url(server) -> str:
    return f"ws://127.0.0.1:{server.port}"


async def test_cold_then_warm_join(bundled: Prepared, make_server, tmp_path: Path) -> None:
    server = await make_server(bundled.served, tick_rate=50)
    cache = tmp_path / "cache"
    cold = await play(ClientOptions(url(server), cache, name="ann", ticks=5))
    assert cold["mods"] == len(bundled.served) == 4
    assert cold["mods_from_cache"] == 0
    assert cold["mod_bytes_received"] == sum(len(m.blob) for m in bundled.served)
    # What landed in the cache is exactly what the server built.
    assert ModCache(cache).hashes() == sorted(m.entry.sha256 for m in bundled.served)
    for m in bundled.served:
        assert hashlib.sha256((cache / f"{m.entry.sha256}.elf").read_bytes()).hexdigest() \
            == m.entry.sha256
    warm = await play(ClientOptions(url(server), cache, name="ann", ticks=5))
    assert warm["mod_bytes_received"] == 0
    assert warm["mods_from_cache"] == 4
    assert warm["desyncs"] == cold["desyncs"] == 0


async def test_corrupted_cache_file_is_fetched_again(
    bundled: Prepared, make_server, tmp_path: Path
) -> None:
    server = await make_server(bundled.served, tick_rate=50)
    cache = tmp_path / "cache"
    await play(ClientOptions(url(server), cache, ticks=1))
    victim = cache / f"{bundled.served[0].entry.sha256}.elf"
    victim.write_bytes(b"\0" + victim.read_bytes()[1:])
    again = await play(ClientOptions(url(server), cache, ticks=1))
    assert again["mods_from_cache"] == 3
    assert again["mod_bytes_received"] == len(bundled.served[0].blob)


async def test_tampered_blob_is_rejected_and_nothing_cached(
    bundled: Prepared, make_server, tmp_path: Path
) -> None:
    good = bundled.served[0]
    forged = bytearray(good.image.elf)
    forged[len(forged) // 2] ^= 0xFF
    tampered = ServedMod(good.entry, good.image, zstandard.ZstdCompressor().compress(forged))
    server = await make_server([tampered, *bundled.served[1:]], tick_rate=50)
    with pytest.raises(ClientError, match="verification"):
        await play(ClientOptions(url(server), tmp_path / "cache", ticks=1))
    assert ModCache(tmp_path / "cache").hashes() == []  # all-or-nothing


async def test_zstd_bomb_from_a_server_is_refused(
    bundled: Prepared, make_server, tmp_path: Path
) -> None:
    good = bundled.served[0]
    bomb = zstandard.ZstdCompressor(level=3).compress(bytes(256 << 20))
    server = await make_server([ServedMod(good.entry, good.image, bomb)], tick_rate=50)
    with pytest.raises(ClientError, match="verification"):
        await play(ClientOptions(url(server), tmp_path / "cache", ticks=1))


@pytest.mark.parametrize("field, code", [("host_abi", "host_abi"), ("vm_abi", "vm_abi")])
async def test_abi_mismatch_is_refused_with_a_reason(
    bundled: Prepared, make_server, tmp_path: Path, field: str, code: str
) -> None:
    server = await make_server(bundled.served, tick_rate=50)
    opts = ClientOptions(url(server), tmp_path / "cache", ticks=1)
    setattr(opts, field, "f" * 64 if field == "host_abi" else "other-vm/9")
    with pytest.raises(JoinRefused) as info:
        await play(opts)
    assert info.value.code == code
    assert "mismatch" in info.value.reason
    assert server.stats["refused"] == 1


async def test_protocol_version_mismatch_is_refused(bundled: Prepared, make_server) -> None:
    server = await make_server(bundled.served, tick_rate=50)
    link = Link(Role.CLIENT)
    async with websockets.connect(url(server)) as ws:
        await ws.send(link.send(Hello(protocol_versions=(7,), vm_abi=VM_ABI,
                                      host_abi=HOST_API.abi_hash(), name="future")))
        answer = decode(await ws.recv())
    assert answer.code == "version"
    assert "no common protocol version" in answer.reason


async def _misbehave(server, kind: str) -> str:
    """One misbehaving connection; returns what the server said before closing."""
    try:
        return await _misbehave_once(server, kind)
    except Exception:  # noqa: BLE001 - a cut-off client may fail anywhere while closing
        return "closed"


async def _misbehave_once(server, kind: str) -> str:
    async with websockets.connect(url(server), max_size=None) as ws:
        if kind == "garbled":
            await ws.send(b"\xc1\xff garbage")
        elif kind == "oversized":
            await ws.send(b"\0" * (9 << 20))
        elif kind == "text":
            await ws.send("hello as text")
        elif kind == "wrong-time":
            await ws.send(msgpack.packb({"t": "ready"}))
        elif kind == "bomb":
            await ws.send(zstandard.ZstdCompressor().compress(bytes(64 << 20)))
        try:
            reply = await asyncio.wait_for(ws.recv(), 10)
        except websockets.ConnectionClosed:
            return "closed"
        try:
            msg = decode(reply)
        except Exception:  # noqa: BLE001 - anything undecodable is a failure below
            return "undecodable"
        return msg.code if isinstance(msg, Bye) else type(msg).__name__


async def test_misbehaving_clients_are_closed_and_others_play_on(
    bundled: Prepared, make_server, tmp_path: Path
) -> None:
    server = await make_server(bundled.served, tick_rate=50)
    good = asyncio.create_task(play(ClientOptions(url(server), tmp_path / "c", ticks=60,
                                                  bot_seed=5)))
    await asyncio.sleep(0.5)
    answers = await asyncio.gather(*(_misbehave(server, k) for k in
                                     ("garbled", "oversized", "text", "wrong-time", "bomb")))
    # Each was told (protocol_error) or cut off (the oversized frame exceeds max_size).
    assert answers[0] == "protocol_error"
    assert answers[1] == "closed"
    assert answers[3] == "protocol_error"
    assert answers[4] == "protocol_error"
    summary = await asyncio.wait_for(good, 60)
    assert summary["ticks"] == 60 and summary["desyncs"] == 0
    assert server.running


async def test_twenty_clients_join_at_once(
    bundled: Prepared, make_server, tmp_path: Path
) -> None:
    # Twenty players from one address: over the default cap of connections per address.
    server = await make_server(bundled.served, tick_rate=20,
                               policy=ServerPolicy(max_conns_per_address=None))
    results = await asyncio.gather(*(
        play(ClientOptions(url(server), tmp_path / f"c{i}", name=f"p{i}", ticks=3))
        for i in range(20)
    ))
    assert len({r["player_id"] for r in results}) == 20
    assert all(r["mods"] == 4 and r["desyncs"] == 0 for r in results)
    assert server.stats["mod_bytes_sent"] == 20 * sum(len(m.blob) for m in bundled.served)


def test_served_from_image_helper_matches_hash(bundled: Prepared) -> None:
    image = bundled.served[0].image
    assert served_from_image(image).entry.sha256 == bundled.served[0].entry.sha256


# -- a manifest entry the client cannot honour ----------------------------------------------------

async def test_a_mod_memory_over_the_clients_limit_is_refused(
    bundled: Prepared, make_server, tmp_path: Path
) -> None:
    good = bundled.served[0]
    greedy = ServedMod(dataclasses.replace(good.entry, memory_limit=1 << 40), good.image,
                       good.blob)
    # This server's own limits let it send the entry; the client's do not let it in.
    server = await make_server([greedy, *bundled.served[1:]], tick_rate=50,
                               limits=Limits(max_mod_memory=1 << 41,
                                             max_total_mod_memory=1 << 42))
    with pytest.raises(ClientError, match="memory_limit: 1099511627776 is over max_mod_memory"):
        await play(ClientOptions(url(server), tmp_path / "cache", ticks=1))
    assert ModCache(tmp_path / "cache").hashes() == []
    assert server.running


async def test_a_mod_that_cannot_load_with_its_limits_is_refused(
    bundled: Prepared, make_server, tmp_path: Path
) -> None:
    good = bundled.served[0]
    cramped = ServedMod(dataclasses.replace(good.entry, memory_limit=16 << 10,
                                            stack_limit=8 << 10), good.image, good.blob)
    server = await make_server([cramped, *bundled.served[1:]], tick_rate=50)
    with pytest.raises(ClientError, match=f"cannot run the server's mods: mod {good.entry.name}"):
        await play(ClientOptions(url(server), tmp_path / "cache", ticks=1))
    assert ModCache(tmp_path / "cache").hashes() == []  # nothing is kept from a failed join
    assert server.running


@pytest.mark.parametrize("memory, stack, words", [
    (1 << 20, 1 << 20, "stack_limit: 1048576 is over half of memory_limit=1048576"),
    (1 << 20, 5000, "stack_limit: 5000 is not a multiple of 4096"),
    (1 << 20, 1 << 62, "stack_limit: 4611686018427387904 is over half of memory_limit"),
    (2**62, 1 << 16, "memory_limit: 4611686018427387904 is over max_mod_memory"),
    # five mods, each within max_mod_memory, 80 MiB together
    ([16 << 20] * 5, 1 << 16,
     "83886080 bytes of guest memory in all, over max_total_mod_memory"),
])
async def test_a_hostile_stack_or_memory_is_a_clear_refusal(
    tmp_path: Path, memory: int | list[int], stack: int, words: str
) -> None:
    """A raw server whose Welcome names a machine no client should build."""
    said: list[object] = []

    async def handler(ws) -> None:
        await ws.recv()  # Hello
        memories = memory if isinstance(memory, list) else [memory]
        await ws.send(msgpack.packb({
            "t": "welcome", "protocol_version": 2, "player_id": 1, "tick_rate": 20,
            "manifest": [[f"evil{i}", "1.0.0", hashlib.sha256(b"elf%d" % i).hexdigest(), 3,
                          "c", [], mem, stack, 1000, HOST_API.abi_hash(), []]
                         for i, mem in enumerate(memories)],
            "sending": [], "token": "tok",
        }))
        with contextlib.suppress(websockets.ConnectionClosed):
            said.append(decode(await ws.recv()))

    async with websockets.serve(handler, "127.0.0.1", 0) as fake:
        port = fake.sockets[0].getsockname()[1]
        with pytest.raises(ClientError, match="protocol error") as info:
            await play(ClientOptions(f"ws://127.0.0.1:{port}", tmp_path / "cache", ticks=1))
    assert words in str(info.value)
    assert [getattr(m, "code", None) for m in said] == ["protocol_error"]
