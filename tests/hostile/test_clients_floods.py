"""Floods from one client, beside an honest bot: chat, players, inputs, desync claims, and a
client that stops reading. Each once stopped the whole server (issue 11)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lockstep.policy import ServerPolicy
from protocol import Chat, Code, Desync, Input, Limits, Snapshot, Tick

from .clients_kit import Attacker, bundled, honest, in_world, make_server, server_log, until

__all__ = ["bundled", "make_server", "server_log"]  # fixtures


async def test_65_chat_lines_in_one_tick_kick_the_sender(
    bundled, make_server, server_log, tmp_path: Path
) -> None:
    server = await make_server(bundled.served)
    bot = honest(server, tmp_path, ticks=150)
    await in_world(server, "honest")
    mallory = await Attacker.open(server)
    await mallory.join(server)
    await in_world(server, "mallory")
    await asyncio.gather(*(mallory.send(Chat(text=f"spam {i} " + "x" * 480)) for i in range(65)))
    said, close = await mallory.ending()
    assert said is not None and said.code == Code.KICKED and "chat" in said.reason
    assert close == 1008
    assert server_log("kicked")
    summary = await bot
    assert summary["ticks"] == 150 and summary["desyncs"] == 0
    assert server.running and server.stats["kicked"] == 1


async def test_chat_over_the_tick_cap_is_dropped_not_fatal(
    bundled, make_server, tmp_path: Path
) -> None:
    # A lenient rate, so 200 lines reach the room: it keeps 64 a tick at most (2 per player).
    policy = ServerPolicy(chat_rate=1000, chat_burst=1000, chat_lines_per_player=100,
                          chat_bytes_per_tick=1 << 20)
    server = await make_server(bundled.served, policy=policy)
    bot = honest(server, tmp_path, ticks=120)
    await in_world(server, "honest")
    mallory = await Attacker.open(server)
    await mallory.join(server)
    await in_world(server, "mallory")
    for i in range(200):
        await mallory.ws.send(mallory.link.send(Chat(text=f"line {i}")))
    await until(lambda: server.stats["chat_dropped"] > 0)
    summary = await bot
    assert summary["desyncs"] == 0 and summary["ticks"] == 120
    assert server.running


async def test_players_past_max_players_are_refused_full_and_inputs_stay_legal(
    bundled, make_server, server_log, tmp_path: Path
) -> None:
    # grace_ticks=0: a player who leaves frees its slot at once (else it is kept for its
    # return: tests/integration/test_identity.py)
    server = await make_server(bundled.served, limits=Limits(max_players=4), grace_ticks=0,
                               policy=ServerPolicy(max_conns_per_address=None))
    bot = honest(server, tmp_path, ticks=120)
    await in_world(server, "honest")
    crowd = [await Attacker.open(server) for _ in range(3)]
    for i, a in enumerate(crowd):
        await a.join(server, f"crowd{i}")
        await a.send(Input(seq=1, tick=a.link.tick, buttons=8))
    extra = await Attacker.open(server)
    await extra.hello("fifth")
    said, close = await extra.ending()
    assert said is not None and said.code == Code.FULL and close == 1013
    assert server_log("refused 'fifth' (full)")
    # One leaves after an input: its slot opens again, and its buttons went with it.
    await crowd[0].ws.close()
    await until(lambda: len(server.room.players) <= 3)  # (a silent crowd may be dropped too)
    again = await Attacker.open(server)
    await again.join(server, "again")
    summary = await bot
    assert summary["desyncs"] == 0 and summary["ticks"] == 120 and server.running


async def test_64_players_at_the_default_limit_then_full(
    bundled, make_server, tmp_path: Path
) -> None:
    server = await make_server(bundled.served, tick_rate=50,
                               policy=ServerPolicy(max_conns_per_address=None))
    bot = honest(server, tmp_path, ticks=250)
    await in_world(server, "honest")
    crowd = await asyncio.gather(*(Attacker.open(server) for _ in range(63)))
    await asyncio.gather(*(a.join(server, f"p{i}") for i, a in enumerate(crowd)))
    for a in crowd:
        await a.send(Input(seq=1, tick=a.link.tick, buttons=1))
    drains = [asyncio.create_task(a.ending(timeout=60)) for a in crowd]
    await until(lambda: len(server.room.players) == 64)
    extra = await Attacker.open(server)
    await extra.hello("p64")
    said, close = await extra.ending()
    assert said is not None and said.code == Code.FULL and close == 1013
    summary = await bot
    assert summary["desyncs"] == 0 and summary["ticks"] == 250 and server.running
    for a in crowd:
        await a.ws.close()
    await asyncio.gather(*drains)


async def test_an_input_flood_is_kicked(bundled, make_server, server_log, tmp_path) -> None:
    server = await make_server(bundled.served)
    bot = honest(server, tmp_path, ticks=150)
    await in_world(server, "honest")
    mallory = await Attacker.open(server)
    await mallory.join(server)
    tick = mallory.link.tick
    for seq in range(1, 2001):
        try:
            await mallory.send(Input(seq=seq, tick=tick, buttons=seq & 15))
        except Exception:  # the server already closed on us
            break
    said, close = await mallory.ending()
    assert said is not None and said.code == Code.KICKED and "inputs" in said.reason
    assert close == 1008 and server_log("kicked")
    summary = await bot
    assert summary["desyncs"] == 0 and summary["ticks"] == 150 and server.running


async def test_desync_claims_are_answered_once_per_interval_then_kicked(
    bundled, make_server, server_log, tmp_path: Path
) -> None:
    policy = ServerPolicy(desync_interval=30, desync_burst=4)
    server = await make_server(bundled.served, policy=policy)
    bot = honest(server, tmp_path, ticks=200)
    await in_world(server, "honest")
    mallory = await Attacker.open(server)
    snap = await mallory.join(server)
    fake = "0" * 64

    async def next_snapshot() -> int:
        while True:
            msg = mallory.link.receive(await mallory.ws.recv())
            if isinstance(msg, Snapshot):
                return msg.tick

    # Claims made before the answer are answered by one snapshot; the next claim waits out
    # the interval.
    for _ in range(2):
        await mallory.send(Desync(tick=snap.tick, state_hash=fake))
    first = await asyncio.wait_for(next_snapshot(), 10)
    await mallory.send(Desync(tick=first, state_hash=fake))
    second = await asyncio.wait_for(next_snapshot(), 10)
    assert second - first >= 30
    assert server.stats["desyncs_reported"] == 3
    for _ in range(10):  # a flood: over the burst
        await mallory.send(Desync(tick=mallory.link.tick, state_hash=fake))
    said, close = await mallory.ending()
    assert said is not None and said.code == Code.KICKED and "desync" in said.reason
    assert close == 1008 and server_log("kicked")
    assert len(server_log("desynced at tick")) <= 4 + 3  # the log is bounded too
    summary = await bot
    assert summary["desyncs"] == 0 and summary["ticks"] == 200 and server.running


async def test_a_client_that_stops_reading_is_dropped_and_the_next_one_misses_nothing(
    bundled, make_server, server_log, tmp_path: Path
) -> None:
    # The lazy client joins first, so it comes before the others in the broadcast. A chatter
    # fills every tick with 64 lines of 500 four-byte characters (128 kB a tick), so the
    # lazy client's buffers (the kernel's grow to 4 MB on loopback) fill in a second; the
    # honest bot must not miss a tick when the lazy one is dropped.
    policy = ServerPolicy(outbox_messages=16, chat_rate=1000, chat_burst=1000,
                          chat_lines_per_player=64, chat_bytes_per_tick=128 << 10,
                          ping_interval=None)
    server = await make_server(bundled.served, tick_rate=200, policy=policy)
    lazy = await Attacker.open(server, lazy=True)
    await lazy.join(server, "lazy")
    chatter = await Attacker.open(server)
    await chatter.join(server, "chatter")
    await in_world(server, "chatter")

    async def chat() -> None:
        line = "\U0001F600" * 500
        while not server.stats["dropped"]:
            msg = chatter.link.receive(await chatter.ws.recv())
            if isinstance(msg, Tick):
                for _ in range(64):
                    await chatter.send(Chat(text=line))

    bot = honest(server, tmp_path, ticks=150)
    await in_world(server, "honest")
    chatting = asyncio.create_task(chat())
    summary = await bot
    assert summary["ticks"] == 150 and summary["desyncs"] == 0
    assert server_log("too slow"), "the lazy client was dropped"
    assert server.stats["dropped"] == 1 and server.running
    chatting.cancel()
    lazy.ws.transport.abort()  # it reads nothing, not even our close
    await chatter.ws.close()
