"""lockstep.join against lockstep.handshake: a whole join in-process, without a socket.

The two sides talk through two real ``Link``s (every message encoded and decoded), or, where
a test plays a server that breaks the rules the link would catch, by handing the join the
message objects directly.
"""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
import zstandard

from lockstep import tick_message
from lockstep.handshake import Handshake
from lockstep.join import Join, JoinError, Refused
from protocol import (
    Bye,
    Code,
    Limits,
    Link,
    LocalMisuse,
    Message,
    Player,
    Ready,
    Refusal,
    Role,
    Snapshot,
    Welcome,
    split_snapshot,
)

from .conftest import HOST_ABI, Served, serve, server


class Wire:
    """A client link and the server's link for it: what one sends, the other receives."""

    def __init__(self) -> None:
        self.client = Link(Role.CLIENT)
        self.server = Link(Role.SERVER)

    def up(self, msg: Message) -> Message:
        return self.server.receive(self.client.send(msg))

    def down(self, msg: Message) -> Message:
        return self.client.receive(self.server.send(msg))


def snapshot_messages(hs: Handshake, limits: Limits | None = None) -> list[Message]:
    """The room's state as the server's shell sends it."""
    room = hs.room
    players = tuple(Player(id=p, name=n) for p, n in sorted(room.players.items()))
    extra = {} if limits is None else {"limits": limits}
    return split_snapshot(tick=room.tick, state=room.sim.snapshot(),
                          state_hash=room.sim.state_hash(), players=players, **extra)


def welcome_and_download(join: Join, hs: Handshake, mods: list[Served], wire: Wire,
                         cache: dict[str, bytes]) -> Welcome:
    """Hello, Welcome, the cache's mods, the blobs sent: what a join does before Ready."""
    answer = hs.accept(wire.up(join.hello))  # type: ignore[arg-type]
    assert isinstance(answer, Welcome), answer
    for sha in join.welcome(wire.down(answer)):
        join.cached(sha, cache.get(sha))
    by_sha = {m.entry.sha256: m for m in mods}
    for sha in answer.sending:
        join.blob(wire.down(by_sha[sha].message()))
    assert not join.downloading
    return answer


def test_a_cold_join_ends_in_a_follower_in_the_rooms_state(mods: list[Served]) -> None:
    hs, wire = server(mods), Wire()
    hs.room.close_tick()  # the game has been running a while
    hs.room.close_tick()
    join = Join("ann", [], host_abi=HOST_ABI)
    welcome = welcome_and_download(join, hs, mods, wire, cache={})
    assert join.from_cache == 0
    assert join.blob_bytes == sum(len(m.blob) for m in mods)
    assert join.downloaded == tuple(m.image.elf for m in mods)  # verified, for the cache
    follower = join.load_mods()
    assert follower.player_id == welcome.player_id
    assert isinstance(wire.up(Ready()), Ready)
    hs.admit(welcome.player_id)
    hs.room.set_input(welcome.player_id, 8)
    hs.room.close_tick()  # ann is in the world from this tick on
    messages = snapshot_messages(hs)
    for msg in messages[:-1]:
        assert join.snapshot(wire.down(msg)) is None
    assert join.snapshot(wire.down(messages[-1])) is follower
    assert follower.tick == hs.room.tick == 3
    assert follower.sim.state_hash() == hs.room.sim.state_hash()
    assert join.snapshot_size == sum(len(getattr(m, "data", b"")) for m in messages)
    for buttons in (1, 4, 16):  # and it follows the room's ticks in lockstep
        hs.room.set_input(welcome.player_id, buttons)
        closed = hs.room.close_tick()
        assert follower.apply(wire.down(tick_message(closed.inputs, closed.state_hash)))
        assert follower.sim.state_hash() == closed.state_hash
    assert follower.desyncs == 0


def test_a_snapshot_in_many_parts_is_the_same_state(mods: list[Served]) -> None:
    hs = server(mods)
    hs.room.close_tick()
    join = Join("ann", [], host_abi=HOST_ABI)
    welcome_and_download(join, hs, mods, Wire(), cache={})
    follower = join.load_mods()
    parts = snapshot_messages(hs, Limits(max_message_size=256))
    assert len(parts) > 3
    assert [join.snapshot(m) for m in parts] == [None] * (len(parts) - 1) + [follower]
    assert follower.sim.state_hash() == hs.room.sim.state_hash()


def test_a_partly_warm_cache_downloads_only_what_it_lacks(mods: list[Served]) -> None:
    hs, wire = server(mods), Wire()
    walker, chatter = mods
    cache = {walker.entry.sha256: walker.image.elf, "cd" * 32: b"another mod"}
    join = Join("ann", cache, host_abi=HOST_ABI)
    assert join.hello.cached_mods == tuple(sorted(cache))
    welcome = welcome_and_download(join, hs, mods, wire, cache)
    assert welcome.sending == (chatter.entry.sha256,)
    assert (join.from_cache, join.blob_bytes) == (1, len(chatter.blob))
    assert join.downloaded == (chatter.image.elf,)  # only the new one goes to the cache
    join.load_mods()
    wire.up(Ready())
    join.snapshot(wire.down(snapshot_messages(hs)[0]))
    assert join.follower is not None
    assert join.follower.sim.state_hash() == hs.room.sim.state_hash()


def test_the_hello_offers_at_most_max_cached_mods() -> None:
    cache = [hashlib.sha256(b"%d" % i).hexdigest() for i in range(1500)]
    full = Join("ann", cache + cache[:10], host_abi=HOST_ABI)
    assert full.hello.cached_mods == tuple(sorted(cache)[:1024])  # the field's limit
    Link(Role.CLIENT).send(full.hello)  # which the link lets through
    few = Join("ann", cache, host_abi=HOST_ABI, limits=Limits(max_cached_mods=3))
    assert few.hello.cached_mods == tuple(sorted(cache)[:3])


@pytest.mark.parametrize(("kwargs", "code"), [
    (dict(vm_abi="other-vm/9"), "vm_abi"),
    (dict(host_abi="f" * 64), "host_abi"),
])
def test_a_refusal_reaches_the_join_as_refused(mods: list[Served], kwargs: dict[str, str],
                                               code: str) -> None:
    hs, wire = server(mods), Wire()
    join = Join("ann", [], **{"host_abi": HOST_ABI, **kwargs})
    answer = hs.accept(wire.up(join.hello))  # type: ignore[arg-type]
    assert isinstance(answer, Refusal)
    with pytest.raises(Refused) as info:
        join.welcome(wire.down(answer))
    assert (info.value.code, info.value.bye) == (code, None)
    assert "mismatch" in info.value.reason
    assert str(info.value).startswith(f"server refused to let us join ({code}): ")


def test_a_taken_name_and_a_full_server_are_refused(mods: list[Served]) -> None:
    hs = server(mods, max_players=2)
    welcome_and_download(Join("ann", [], host_abi=HOST_ABI), hs, mods, Wire(), {})
    for name, code, reason in (("ANN", "name", "the name 'ANN' is taken"),
                               ("bob", "ok", ""),
                               ("cy", "full", "the server is full (2 players)")):
        join, wire = Join(name, [], host_abi=HOST_ABI), Wire()
        answer = wire.down(hs.accept(wire.up(join.hello)))  # type: ignore[arg-type]
        if code == "ok":
            assert isinstance(answer, Welcome)
            continue
        with pytest.raises(Refused) as info:
            join.welcome(answer)
        assert (info.value.code, info.value.reason) == (code, reason)


def test_a_bye_instead_of_a_welcome_is_a_refusal() -> None:
    join = Join("ann", [], host_abi=HOST_ABI)
    with pytest.raises(Refused, match=r"\(shutdown\): bye"):
        join.welcome(Bye(code="shutdown", reason="bye"))


def joined_up_to_blobs(mods: list[Served], limits: Limits | None = None) -> Join:
    """A join welcomed by a server sending every mod; no blob taken yet."""
    hs = server(mods)
    join = Join("ann", [], host_abi=HOST_ABI, **({} if limits is None else {"limits": limits}))
    answer = hs.accept(join.hello)
    assert isinstance(answer, Welcome)
    assert join.welcome(answer) == ()
    return join


def failed(exc: pytest.ExceptionInfo[JoinError], code: Code | None) -> str:
    bye = exc.value.bye
    assert (bye.code if bye is not None else None) == code
    if bye is not None:
        Bye(code=bye.code, reason=bye.reason)  # fit to send
    return str(exc.value)


def test_a_blob_whose_hash_differs_is_refused_and_nothing_kept(mods: list[Served]) -> None:
    walker = mods[0]
    forged = bytearray(walker.image.elf)
    forged[len(forged) // 2] ^= 0xFF
    join = joined_up_to_blobs(mods)
    blob = dataclasses.replace(walker.message(), data=zstandard.compress(bytes(forged)))
    with pytest.raises(JoinError) as info:
        join.blob(blob)
    assert "failed verification" in failed(info, Code.MOD_VERIFICATION)
    assert "SHA-256 is" in str(info.value)
    assert join.downloaded == () and join.downloading


@pytest.mark.parametrize("data", [
    zstandard.ZstdCompressor(level=3).compress(bytes(256 << 20)),  # a bomb: 256 MiB of zeros
    zstandard.ZstdCompressor(level=3, write_content_size=False).compress(bytes(1 << 20)),
    b"not zstd at all",
])
def test_a_blob_that_decompresses_past_its_size_or_not_at_all_is_refused(
        mods: list[Served], data: bytes) -> None:
    join = joined_up_to_blobs(mods)
    with pytest.raises(JoinError) as info:
        join.blob(dataclasses.replace(mods[0].message(), data=data))
    assert "failed verification" in failed(info, Code.MOD_VERIFICATION)
    assert join.downloaded == ()


def test_a_blob_of_another_size_than_its_manifest_entry_is_refused(mods: list[Served]) -> None:
    join = joined_up_to_blobs(mods)
    bigger = dataclasses.replace(mods[0].message(), size=mods[0].entry.size + 1)
    with pytest.raises(JoinError) as info:
        join.blob(bigger)
    assert "the manifest says" in failed(info, Code.MOD_VERIFICATION)


def test_a_mod_over_max_mod_size_is_refused_before_it_is_decompressed(
        mods: list[Served]) -> None:
    join = joined_up_to_blobs(mods, Limits(max_mod_size=mods[0].entry.size - 1))
    with pytest.raises(JoinError) as info:
        join.blob(mods[0].message())
    assert f"outside 0 to {mods[0].entry.size - 1} bytes" in failed(info, Code.MOD_VERIFICATION)


def test_a_blob_not_announced_or_sent_twice_is_a_protocol_error(mods: list[Served]) -> None:
    join = joined_up_to_blobs(mods)
    join.blob(mods[0].message())
    with pytest.raises(JoinError) as info:
        join.blob(mods[0].message())
    assert "came twice" in failed(info, Code.PROTOCOL_ERROR)
    stranger = serve(dataclasses.replace(mods[0].image, elf=mods[0].image.elf + b"\0"))
    with pytest.raises(JoinError) as info:
        join.blob(stranger.message())
    assert "not announced" in failed(info, Code.PROTOCOL_ERROR)
    with pytest.raises(JoinError) as info:
        join.blob(Ready())
    assert "Ready during the download" in failed(info, Code.PROTOCOL_ERROR)
    with pytest.raises(JoinError, match=r"closed during the download \(shutdown\)") as info:
        join.blob(Bye(code="shutdown", reason="stopping"))
    assert info.value.bye is None


@pytest.mark.parametrize("held", [None, b"\x7fELF not the mod"])
def test_a_cached_mod_gone_or_changed_ends_the_join(mods: list[Served], held: bytes | None
                                                    ) -> None:
    hs = server(mods)
    join = Join("ann", [m.entry.sha256 for m in mods], host_abi=HOST_ABI)
    answer = hs.accept(join.hello)
    wanted = join.welcome(answer)
    assert wanted == tuple(m.entry.sha256 for m in mods)
    join.cached(wanted[0], mods[0].image.elf)
    with pytest.raises(JoinError) as info:
        join.cached(wanted[1], held)
    reason = f"mod {mods[1].entry.name} ({wanted[1][:12]}) is neither cached nor sent"
    assert failed(info, Code.MOD_VERIFICATION) == reason
    with pytest.raises(LocalMisuse):
        join.load_mods()  # not every mod is here


def test_a_mod_that_cannot_run_with_its_manifest_limits_ends_the_join(
        mods: list[Served]) -> None:
    cramped = dataclasses.replace(mods[0].entry, memory_limit=16 << 10, stack_limit=8 << 10)
    join = Join("ann", [], host_abi=HOST_ABI)
    join.welcome(Welcome(protocol_version=2, player_id=1, tick_rate=20, manifest=(cramped,),
                         sending=(cramped.sha256,), token="t"))
    join.blob(mods[0].message())
    with pytest.raises(JoinError) as info:
        join.load_mods()
    assert failed(info, Code.MOD_VERIFICATION).startswith(
        f"cannot run the server's mods: mod {cramped.name}")
    assert join.follower is None


def test_a_snapshot_that_lies_about_its_state_is_unusable(mods: list[Served]) -> None:
    hs = server(mods)
    join = joined_up_to_blobs(mods)
    for m in mods:
        join.blob(m.message())
    join.load_mods()
    [head] = snapshot_messages(hs)
    assert isinstance(head, Snapshot)
    with pytest.raises(JoinError) as info:
        join.snapshot(dataclasses.replace(head, state_hash="0" * 64))
    assert failed(info, Code.DESYNC).startswith("the server's snapshot of tick 0 is unusable")
    with pytest.raises(JoinError, match=r"before the game began \(kicked\): go") as bye:
        join.snapshot(Bye(code="kicked", reason="go"))
    assert bye.value.bye is None


def test_steps_out_of_order_are_local_misuse(mods: list[Served]) -> None:
    join = Join("ann", [], host_abi=HOST_ABI)
    with pytest.raises(LocalMisuse):
        join.load_mods()
    with pytest.raises(LocalMisuse):
        join.snapshot(Ready())
    with pytest.raises(LocalMisuse):
        join.cached(mods[0].entry.sha256, mods[0].image.elf)  # nobody asked for it
