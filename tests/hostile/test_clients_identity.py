"""Identity under attack, beside an honest bot: oversized and forged tokens, a crowd of
forged tokens, a returning player that gives up half-way, and secrets sprayed at a password
server. The server keeps ticking for everyone else."""

from __future__ import annotations

import secrets
from pathlib import Path

import msgpack

from client.cache import TokenStore
from client.session import ClientOptions, play
from lockstep.policy import ServerPolicy
from mods.host_api import HOST_API
from protocol import SUPPORTED_VERSIONS, Code, Hello, Limits, Refusal, Welcome
from server.identity import Credentials
from vm import VM_ABI

from .clients_kit import (
    Attacker,
    bundled,
    honest,
    in_world,
    make_server,
    server_log,
    until,
    url,
)

__all__ = ["bundled", "make_server", "server_log"]  # fixtures


def hello(name: str, **kwargs: str) -> Hello:
    return Hello(protocol_versions=SUPPORTED_VERSIONS, vm_abi=VM_ABI,
                 host_abi=HOST_API.abi_hash(), name=name, **kwargs)


async def test_an_oversized_token_is_a_protocol_error_and_the_game_goes_on(
        bundled, make_server, server_log, tmp_path: Path) -> None:
    server = await make_server(bundled.served)
    bot = honest(server, tmp_path, ticks=100)
    await in_world(server, "honest")
    raw = hello("mallory").to_map()
    for token, words in (("x" * 65, "Hello.token"), ("spa ce", "Hello.token"),
                         ("x" * 100_000, "exceeds max_str_len")):  # (cut before decoding)
        mallory = await Attacker.open(server)
        await mallory.ws.send(msgpack.packb({**raw, "token": token}))
        said, close = await mallory.ending()
        assert said is not None and said.code == Code.PROTOCOL_ERROR and close == 1002
        assert words in said.reason
    assert server.room.occupied == 1 and server.identities.tokens == 1
    summary = await bot
    assert summary["desyncs"] == 0 and summary["ticks"] == 100 and server.running


async def test_a_crowd_of_forged_tokens_are_new_players_and_tokens_stay_bounded(
        bundled, make_server, tmp_path: Path) -> None:
    server = await make_server(bundled.served, grace_ticks=30,
                               policy=ServerPolicy(max_conns_per_address=None))
    crowd = [await Attacker.open(server) for _ in range(20)]
    for i, a in enumerate(crowd):
        await a.ws.send(a.link.send(hello(f"p{i}", token=secrets.token_urlsafe(24))))
    welcomes = [a.link.receive(await a.ws.recv()) for a in crowd]
    assert all(isinstance(w, Welcome) for w in welcomes)
    ids = {w.player_id for w in welcomes if isinstance(w, Welcome)}
    assert len(ids) == 20 and server.identities.tokens == 20
    for a in crowd:
        await a.ws.close()
    # Never joined (no Ready): they leave at once, tokens and all.
    await until(lambda: server.identities.tokens == 0 and server.room.occupied == 0)


async def test_a_return_that_gives_up_before_ready_keeps_the_slot(
        bundled, make_server, tmp_path: Path) -> None:
    server = await make_server(bundled.served, grace_ticks=5000)
    first = await play(ClientOptions(url(server), tmp_path / "ann", name="ann", ticks=20))
    pid = first["player_id"]
    token = TokenStore(tmp_path / "ann" / "tokens").get(url(server), "ann")
    await until(lambda: server.identities.detached(pid))
    half = await Attacker.open(server)
    await half.ws.send(half.link.send(hello("ann", token=token)))
    welcome = half.link.receive(await half.ws.recv())
    assert isinstance(welcome, Welcome) and welcome.player_id == pid and welcome.token == token
    assert not server.identities.detached(pid)
    # A second return while that one holds the player: refused.
    other = await Attacker.open(server)
    await other.ws.send(other.link.send(hello("ann", token=token)))
    said, close = await other.ending()
    assert isinstance(said, Refusal) and said.code == Code.TAKEN and close == 1008
    await half.ws.close()  # gone before Ready: the slot is kept again, not given up
    await until(lambda: server.identities.detached(pid))
    assert pid in server.room.sim.world.players
    again = await play(ClientOptions(url(server), tmp_path / "ann", name="ann", ticks=20))
    assert again["player_id"] == pid and again["desyncs"] == 0


async def test_a_password_spray_is_refused_each_time_and_holds_nothing(
        bundled, make_server, server_log, tmp_path: Path) -> None:
    server = await make_server(bundled.served, credentials=Credentials(password="p" * 40),
                               policy=ServerPolicy(max_conns_per_address=None))
    bot = honest(server, tmp_path, ticks=100, password="p" * 40)
    await in_world(server, "honest")
    for guess in ("", "p", "p" * 39, "p" * 41, "P" * 40, "p" * 256):
        a = await Attacker.open(server)
        await a.ws.send(a.link.send(hello("guess", password=guess)))
        said, close = await a.ending()
        assert isinstance(said, Refusal) and said.code == Code.PASSWORD and close == 1008
    assert server.room.occupied == 1
    assert len(server_log("refused 'guess' (password)")) == 6
    summary = await bot
    assert summary["desyncs"] == 0 and server.running


async def guess(server, address: str, **secrets_: str) -> Refusal | Welcome:
    """A Hello from ``address`` (a loopback address of its own) carrying ``secrets_``: the
    server's answer (the connection is closed after it)."""
    a = await Attacker.open(server, local_addr=(address, 0))
    await a.ws.send(a.link.send(hello("guess", **secrets_)))
    answer = a.link.receive(await a.ws.recv())
    await a.ws.close()
    assert isinstance(answer, Refusal | Welcome)
    return answer


async def test_wrong_secrets_lock_their_address_out_and_no_other(
        bundled, make_server, server_log, tmp_path: Path) -> None:
    password, admin = "p" * 40, "a" * 32
    server = await make_server(
        bundled.served, credentials=Credentials(password=password, admin_token=admin),
        policy=ServerPolicy(max_conns_per_address=None, wrong_secret_limit=3,
                            wrong_secret_window=100_000, lockout_ticks=100))
    bot = honest(server, tmp_path, ticks=200, password=password)
    await in_world(server, "honest")
    # No password at all is no guess: it never counts.
    for _ in range(5):
        said = await guess(server, "127.0.0.2")
        assert isinstance(said, Refusal) and said.reason == "this server needs a password"
    for wrong in ("p", "P" * 40):
        said = await guess(server, "127.0.0.2", password=wrong)
        assert isinstance(said, Refusal) and said.reason == "wrong password"
    said = await guess(server, "127.0.0.2", password=password, admin_token="b" * 32)
    assert isinstance(said, Refusal) and said.reason == "wrong admin token"  # the third
    locked_at = server.room.tick
    assert len(server_log("address locked out for 100 ticks after 3 wrong secrets")) == 1
    # Locked out: even the right password is refused, with the reason.
    said = await guess(server, "127.0.0.2", password=password)
    assert isinstance(said, Refusal) and said.code == Code.PASSWORD
    assert said.reason.startswith("too many wrong passwords or admin tokens from your "
                                  "address: try again in ")
    # Another address is not concerned, admins included; the bot plays on.
    assert isinstance(await guess(server, "127.0.0.3", password=password), Welcome)
    assert isinstance(await guess(server, "127.0.0.3", password=password, admin_token=admin),
                      Welcome)
    await until(lambda: server.room.occupied == 1)  # the welcomed guesses left again
    assert server.running
    # The lockout ends after its ticks.
    await until(lambda: server.room.tick > locked_at + 100)
    assert isinstance(await guess(server, "127.0.0.2", password=password), Welcome)
    summary = await bot
    assert summary["desyncs"] == 0 and summary["ticks"] == 200


async def test_kept_slots_yield_to_new_players_so_a_join_loop_cannot_fill_the_server(
        bundled, make_server, server_log, tmp_path: Path) -> None:
    server = await make_server(bundled.served, limits=Limits(max_players=3), grace_ticks=100_000)
    firsts = [await play(ClientOptions(url(server), tmp_path / "loop", name=f"loop{i}", ticks=5))
              for i in range(3)]
    await until(lambda: all(server.identities.detached(s["player_id"]) for s in firsts))
    assert server.room.occupied == 3  # full of kept slots
    newcomer = await play(ClientOptions(url(server), tmp_path / "new", name="new", ticks=5))
    assert newcomer["player_id"] not in {s["player_id"] for s in firsts}
    oldest = firsts[0]["player_id"]
    assert server_log(f"player {oldest} 'loop0': its kept slot goes to a new player")
    assert not server.identities.detached(oldest)
    # Its player comes back as a new one; the others are still kept.
    back = await play(ClientOptions(url(server), tmp_path / "loop", name="loop0", ticks=5))
    assert back["player_id"] != oldest
    assert server.identities.tokens == 3 and server.room.occupied == 3
