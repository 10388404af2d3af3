"""Player identity, the server password and the admin role, over real websockets on 127.0.0.1
with the bundled mods and the real client (``client.session.play``).

A returning player within the grace period gets its player id, entity and score back (the
token is the one the client kept in its cache folder); after it, it is a new player. A wrong
password is refused with the reason; an admin kicks and bans from chat, a player who is not
an admin cannot; a forged token makes a new player, a token whose player is connected is
refused.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from client.cache import TokenStore
from client.session import ClientOptions, GameEnded, JoinRefused, play
from lockstep.follower import Follower
from server.app import GameServer
from server.identity import Credentials
from server.startup import Prepared, prepare_mods
from server.watch import ModWatcher
from tests.support.hostile_mods import stage_mods

ADMIN_TOKEN = "admin-token-0123456789abcdef"


def url(server: GameServer) -> str:
    return f"ws://127.0.0.1:{server.port}"


async def until(cond: Any, timeout: float = 30.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if cond():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


def entity_of(server: GameServer, pid: int) -> tuple[int, int]:
    """(entity id, score) of player ``pid`` in the server's world."""
    world = server.room.sim.world
    eid = world.players[pid]
    return eid, world.entities[eid].score


async def hashes_server(make_server: Any, bundled: Prepared, **kwargs: Any) \
        -> tuple[GameServer, dict[int, str]]:
    hashes: dict[int, str] = {}
    server = await make_server(bundled.served, tick_rate=100,
                               on_tick=lambda t, h: hashes.__setitem__(t, h), **kwargs)
    return server, hashes


async def test_a_return_within_grace_reclaims_player_entity_and_score(
        bundled: Prepared, make_server: Any, tmp_path: Path) -> None:
    server, hashes = await hashes_server(make_server, bundled, grace_ticks=2000)
    cache = tmp_path / "ann"
    first = await play(ClientOptions(url(server), cache, name="ann", ticks=60, bot_seed=3))
    pid = first["player_id"]
    assert hashes[first["tick"]] == first["state_hash"]
    token = TokenStore(cache / "tokens").get(url(server), "ann")
    assert len(token) >= 32  # 192 bits, URL-safe base64
    # Gone, but kept: the player is still in the world after the connection closed.
    await until(lambda: server.room.tick > first["tick"] + 20)
    assert pid in server.room.sim.world.players and server.identities.detached(pid)
    eid, score = entity_of(server, pid)
    # Idle: from the disconnection on, every tick holds buttons 0 for it (the movement mod
    # keeps a player's last buttons: the bot's, held, would keep steering it).
    assert server.room.buttons(pid) == 0
    seen: list[tuple[int, int, int]] = []

    def on_tick(follower: Follower) -> None:
        if not seen:  # the first tick after the snapshot: the player as the client sees it
            world = follower.sim.world
            seen.append((follower.player_id or 0, world.players[follower.player_id or 0],
                         world.entities[world.players[follower.player_id or 0]].score))

    second = await play(ClientOptions(url(server), cache, name="ann", ticks=60,
                                      bot_seed=4, on_tick=on_tick))
    assert second["player_id"] == pid
    assert seen == [(pid, eid, score)]
    assert hashes[second["tick"]] == second["state_hash"] and second["desyncs"] == 0
    assert server.room.players[pid] == "ann"  # the world knows it by its old name
    assert server.stats["reclaimed"] == 1
    assert TokenStore(cache / "tokens").get(url(server), "ann") == token  # the same token
    print(f"\nidentity: first join {first['join_ms']} ms, return within grace "
          f"{second['join_ms']} ms (warm cache, snapshot {second['snapshot_bytes']} bytes)")


async def test_after_the_grace_period_it_is_a_new_player(
        bundled: Prepared, make_server: Any, tmp_path: Path) -> None:
    server, hashes = await hashes_server(make_server, bundled, grace_ticks=20)
    cache = tmp_path / "ann"
    first = await play(ClientOptions(url(server), cache, name="ann", ticks=30, bot_seed=3))
    pid = first["player_id"]
    old_token = TokenStore(cache / "tokens").get(url(server), "ann")
    await until(lambda: pid not in server.room.sim.world.players)
    assert server.identities.tokens == 0
    second = await play(ClientOptions(url(server), cache, name="ann", ticks=30, bot_seed=3))
    assert second["player_id"] != pid
    assert hashes[second["tick"]] == second["state_hash"]
    assert TokenStore(cache / "tokens").get(url(server), "ann") not in ("", old_token)


async def test_a_forged_token_is_a_new_player_and_a_connected_players_token_is_refused(
        bundled: Prepared, make_server: Any, tmp_path: Path) -> None:
    server, _ = await hashes_server(make_server, bundled)
    TokenStore(tmp_path / "eve" / "tokens").put(url(server), "eve", "A" * 32)  # forged
    ann = asyncio.create_task(play(ClientOptions(url(server), tmp_path / "ann", name="ann",
                                                 ticks=None)))
    await until(lambda: "ann" in server.room.players.values())
    eve = await play(ClientOptions(url(server), tmp_path / "eve", name="eve", ticks=10))
    ann_pid = next(p for p, n in server.room.players.items() if n == "ann")
    assert eve["player_id"] != ann_pid
    assert TokenStore(tmp_path / "eve" / "tokens").get(url(server), "eve") != "A" * 32
    # Ann's token, while Ann plays: refused, and Ann plays on.
    stolen = TokenStore(tmp_path / "ann" / "tokens").get(url(server), "ann")
    TokenStore(tmp_path / "mallory" / "tokens").put(url(server), "mallory", stolen)
    with pytest.raises(JoinRefused) as info:
        await play(ClientOptions(url(server), tmp_path / "mallory", name="mallory", ticks=10))
    assert info.value.code == "taken"
    assert "connected from elsewhere" in info.value.reason
    assert not ann.done() and server.room.players[ann_pid] == "ann"
    ann.cancel()
    with pytest.raises(asyncio.CancelledError):
        await ann


async def test_a_wrong_or_missing_password_is_refused_with_the_reason(
        bundled: Prepared, make_server: Any, tmp_path: Path) -> None:
    server = await make_server(bundled.served, tick_rate=100,
                               credentials=Credentials(password="open sesame"))
    for given, reason in (("", "this server needs a password"), ("open sesam", "wrong password"),
                          ("x" * 256, "wrong password")):
        with pytest.raises(JoinRefused) as info:
            await play(ClientOptions(url(server), tmp_path / "c", name="ann", ticks=5,
                                     password=given))
        assert (info.value.code, info.value.reason) == ("password", reason)
    assert server.room.occupied == 0
    summary = await play(ClientOptions(url(server), tmp_path / "c", name="ann", ticks=5,
                                       password="open sesame"))
    assert summary["ticks"] == 5


async def test_an_admin_kicks_a_player_and_a_player_cannot(
        bundled: Prepared, make_server: Any, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="riscade.server")
    server = await make_server(bundled.served, tick_rate=100,
                               credentials=Credentials(admin_token=ADMIN_TOKEN))
    bob = asyncio.create_task(play(ClientOptions(url(server), tmp_path / "bob", name="bob",
                                                 ticks=None, bot_seed=1)))
    await until(lambda: "bob" in server.room.players.values())
    bob_pid = next(p for p, n in server.room.players.items() if n == "bob")
    carl = await play(ClientOptions(url(server), tmp_path / "carl", name="carl", ticks=40,
                                    say=("/kick bob",)))
    assert carl["notices"] == ["not allowed: /kick is an admin command"]
    assert not bob.done() and bob_pid in server.room.players
    # Nor with a wrong admin token: refused.
    with pytest.raises(JoinRefused) as refused:
        await play(ClientOptions(url(server), tmp_path / "carl", name="carl", ticks=5,
                                 admin_token="not-the-admin-token"))
    assert (refused.value.code, refused.value.reason) == ("password", "wrong admin token")
    ann = await play(ClientOptions(url(server), tmp_path / "ann", name="ann", ticks=60,
                                   admin_token=ADMIN_TOKEN, say=("/kick BOB",)))
    assert ann["notices"] == [f"kicked bob (player {bob_pid})"]
    with pytest.raises(GameEnded) as ended:
        await bob
    assert (ended.value.code, ended.value.reason) == ("kicked", "kicked by an admin")
    await until(lambda: bob_pid not in server.room.sim.world.players)  # no grace period
    assert not any(line.startswith("/kick") for line in _chat_lines(ann))  # not in the game
    logged = [r.getMessage() for r in caplog.records if r.name == "riscade.server"]
    assert any(m.startswith("admin ") and "'ann': '/kick BOB'" in m for m in logged)
    assert any("admin ann kicked player 1 'bob' (address 127.0.0.1)" in m for m in logged)
    assert any("'carl' tried '/kick': not an admin" in m for m in logged)
    # Kicked, not banned: bob may come back, as a new player.
    again = await play(ClientOptions(url(server), tmp_path / "bob", name="bob", ticks=5))
    assert again["player_id"] != bob_pid


async def test_a_ban_keeps_the_player_out(
        bundled: Prepared, make_server: Any, tmp_path: Path) -> None:
    server = await make_server(bundled.served, tick_rate=100,
                               credentials=Credentials(admin_token=ADMIN_TOKEN))
    bob = asyncio.create_task(play(ClientOptions(url(server), tmp_path / "bob", name="bob",
                                                 ticks=None)))
    await until(lambda: "bob" in server.room.players.values())
    ann = await play(ClientOptions(url(server), tmp_path / "ann", name="ann", ticks=60,
                                   admin_token=ADMIN_TOKEN, say=("/ban bob", "/save")))
    assert ann["notices"][0].startswith("banned bob (player ")
    assert ann["notices"][1] == "no world file (serve --world FILE): nothing saved"
    with pytest.raises(GameEnded) as ended:
        await bob
    assert ended.value.code == "kicked"
    # Everyone here comes from 127.0.0.1: the address is banned, with or without bob's token.
    for who in ("bob", "fresh"):
        with pytest.raises(JoinRefused) as info:
            await play(ClientOptions(url(server), tmp_path / who, name=who, ticks=5))
        assert (info.value.code, info.value.reason) == ("banned",
                                                         "you are banned from this server")


def _chat_lines(summary: dict[str, Any]) -> list[str]:
    return [line.get("text", "") for line in summary["chat"]]


async def test_an_admin_reloads_a_mod_from_chat(make_server: Any, tmp_path: Path) -> None:
    mods = stage_mods(tmp_path / "mods")
    cache = tmp_path / "build"
    prepared = await asyncio.to_thread(prepare_mods, mods, cache)
    assert not prepared.failed, prepared.failed
    server = await make_server(prepared.served, tick_rate=20,
                               credentials=Credentials(admin_token=ADMIN_TOKEN))
    server.rebuild_mod = ModWatcher(server, mods, cache).reload_one
    before = {e.name: e.sha256 for e in server.handshake.manifest}["pickups"]
    source = mods / "pickups" / "pickups.c"
    text = source.read_text()
    assert text.count("#define COIN_VALUE 1") == 1
    source.write_text(text.replace("#define COIN_VALUE 1", "#define COIN_VALUE 2"))
    notices: list[str] = []
    admin = asyncio.create_task(play(ClientOptions(
        url(server), tmp_path / "ann", name="ann", admin_token=ADMIN_TOKEN,
        say=("/reload nosuch", "/reload pickups"), on_notice=notices.append)))
    await until(lambda: len(notices) >= 3, timeout=240)
    after = {e.name: e.sha256 for e in server.handshake.manifest}["pickups"]
    assert after != before
    assert notices[:2] == ["no mod named 'nosuch'", "rebuilding pickups"]
    assert re.fullmatch(rf"mod pickups becomes {after[:12]} at tick \d+", notices[2])
    await server.stop()
    summary = await admin
    assert summary["desyncs"] == 0 and summary["notices"] == notices
