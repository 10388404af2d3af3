"""Snapshots of any legal size: split into messages within the message limit, checked part by
part by the link (order, declared total, bounds), joined back whole. No sockets."""

from __future__ import annotations

import dataclasses
import hashlib

import msgpack
import pytest

from protocol import (
    DEFAULT_LIMITS,
    Bye,
    Code,
    Input,
    Limits,
    Link,
    LocalMisuse,
    MessageTooLarge,
    PeerViolation,
    Ready,
    Role,
    Snapshot,
    SnapshotAssembler,
    SnapshotPart,
    State,
    Tick,
    decompress_blob,
    encode,
    max_compressed_size,
    split_snapshot,
)
from protocol.limits import snapshot_room
from protocol.snapshots import MAX_PARTS, PART_SIZE
from tests.protocol.samples import (
    BLOBS,
    HELLO,
    SNAPSHOT,
    SNAPSHOT_HEAD,
    SNAPSHOT_PART,
    TICK,
    WELCOME,
    sha,
)
from tests.protocol.test_link import Pair, pair_in

KiB = 1 << 10
#: Limits whose messages are small, so that a few hundred KiB need many parts.
SMALL_MESSAGES = Limits(max_message_size=64 * KiB)


def noise(n: int, seed: int = 0) -> bytes:
    """``n`` bytes zstd cannot shrink (SHA-256 in counter mode)."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{i}".encode()).digest()
        i += 1
    return bytes(out[:n])


def ready_pair(limits: Limits = SMALL_MESSAGES) -> Pair:
    """A client link and the server's link for it, both with ``limits``, in READY."""
    p = Pair()
    p.client = Link(Role.CLIENT, limits=limits)
    p.server = Link(Role.SERVER, limits=limits)
    p.c2s(HELLO)
    p.s2c(WELCOME)
    for blob in BLOBS.values():
        p.s2c(blob)
    p.c2s(Ready())
    assert p.client.state is State.READY
    return p


# -- splitting and joining ----------------------------------------------------------------------


def test_a_big_snapshot_travels_in_parts_each_within_the_message_limit() -> None:
    state = noise(300 * KiB)
    msgs = split_snapshot(tick=10, state=state, state_hash=sha("s"), limits=SMALL_MESSAGES)
    head, parts = msgs[0], msgs[1:]
    assert isinstance(head, Snapshot) and all(isinstance(m, SnapshotPart) for m in parts)
    assert len(parts) >= 300 * KiB // (64 * KiB)  # a message holds less than 64 KiB of data
    assert head.size == len(state) and not head.whole
    assert all(len(encode(m, limits=SMALL_MESSAGES)) <= 64 * KiB for m in msgs)
    assert head.data_size == len(head.data) + sum(len(m.data) for m in parts)

    p = ready_pair()
    assembler = SnapshotAssembler()
    whole = None
    for msg in msgs:
        assert whole is None
        whole = assembler.add(p.s2c(msg))
        # Both links stay in SNAPSHOT until the last byte, then both are PLAYING.
        assert p.client.state is (State.PLAYING if msg is msgs[-1] else State.SNAPSHOT)
    assert whole is not None and whole.whole and not assembler.in_flight
    assert p.client.snapshot_due == p.server.snapshot_due == 0
    assert decompress_blob(whole.data, whole.size, limit=SMALL_MESSAGES.max_snapshot_size) == state
    p.s2c(dataclasses.replace(TICK, tick=11))


def test_a_small_snapshot_is_one_message_and_goes_straight_to_playing() -> None:
    msgs = split_snapshot(tick=10, state=b"tiny world", state_hash=sha("s"))
    assert len(msgs) == 1 and isinstance(msgs[0], Snapshot) and msgs[0].whole
    p = pair_in(State.READY)
    assert SnapshotAssembler().add(p.s2c(msgs[0])) == msgs[0]
    assert p.client.state is State.PLAYING


def test_parts_grow_so_that_a_snapshot_takes_a_bounded_number_of_messages() -> None:
    state = noise(5 * PART_SIZE + 1)
    assert len(split_snapshot(tick=0, state=state, state_hash=sha("s"))) == 6  # 1 MiB parts
    four = split_snapshot(tick=0, state=state, state_hash=sha("s"), max_parts=4)
    assert len(four) == 4
    assert MAX_PARTS * PART_SIZE < 256 * PART_SIZE  # a 64 MiB snapshot takes 64 messages
    with pytest.raises(LocalMisuse, match="max_parts"):
        split_snapshot(tick=0, state=state, state_hash=sha("s"), max_parts=0)


def test_split_refuses_a_state_over_the_snapshot_limit() -> None:
    limits = Limits(max_total_mod_memory=KiB, max_mods=1)
    state = noise(limits.max_snapshot_size + 1)
    with pytest.raises(LocalMisuse, match="Snapshot.size: .* is over max_snapshot_size"):
        split_snapshot(tick=0, state=state, state_hash=sha("s"), limits=limits)


def test_split_refuses_a_message_limit_with_no_room_for_data() -> None:
    with pytest.raises(LocalMisuse, match="leaves no room"):
        split_snapshot(tick=0, state=b"x" * 100, state_hash=sha("s"),
                       limits=Limits(max_message_size=60))


def test_the_assembler_refuses_a_part_that_does_not_continue() -> None:
    assembler = SnapshotAssembler()
    with pytest.raises(LocalMisuse, match="does not continue"):
        assembler.add(SNAPSHOT_PART)
    assert assembler.add(SNAPSHOT_HEAD) is None and assembler.in_flight
    with pytest.raises(LocalMisuse, match="does not continue"):
        assembler.add(dataclasses.replace(SNAPSHOT_PART, offset=101))
    whole = assembler.add(SNAPSHOT_PART)
    assert whole is not None and whole.data == SNAPSHOT_HEAD.data + SNAPSHOT_PART.data


# -- the link's rules, both ways, on literal messages ----------------------------------------------


def literal(fields: dict[str, object]) -> bytes:
    """A message as raw msgpack, built without any of our constructors."""
    return msgpack.packb(fields)


PART_RULES: list[tuple[SnapshotPart, str]] = [
    (SnapshotPart(offset=101, data=SNAPSHOT_PART.data), "at offset 101, expected offset 100"),
    (SnapshotPart(offset=99, data=SNAPSHOT_PART.data), "at offset 99, expected offset 100"),
    (SnapshotPart(offset=1, data=b"x"), "at offset 1, expected offset 100"),
    (dataclasses.replace(SNAPSHOT_PART, data=SNAPSHOT_PART.data + b"!"), "runs past"),
]


@pytest.mark.parametrize(("part", "words"), PART_RULES, ids=[w for _, w in PART_RULES])
def test_a_part_out_of_order_or_past_the_total_is_refused_both_ways(
    part: SnapshotPart, words: str
) -> None:
    p = pair_in(State.SNAPSHOT)
    due = p.client.snapshot_due
    with pytest.raises(PeerViolation, match=words):
        p.client.receive(encode(part))
    assert p.client.state is State.ERROR and p.client.snapshot_due == due
    with pytest.raises(LocalMisuse, match=words):
        p.server.send(part)
    assert p.server.state is State.ERROR


def test_a_repeated_part_is_refused() -> None:
    p = pair_in(State.SNAPSHOT)
    first = SnapshotPart(offset=100, data=SNAPSHOT_PART.data[:10])
    p.s2c(first)
    with pytest.raises(PeerViolation, match="at offset 100, expected offset 110"):
        p.client.receive(encode(first))


def test_a_part_after_the_snapshot_is_whole_is_refused() -> None:
    p = pair_in(State.PLAYING)  # the head and its one part came
    late = SnapshotPart(offset=len(SNAPSHOT_HEAD.data) + len(SNAPSHOT_PART.data), data=b"z")
    with pytest.raises(PeerViolation, match="server may not send SnapshotPart in state PLAYING"):
        p.client.receive(encode(late))
    q = pair_in(State.PLAYING)
    q.s2c(SNAPSHOT)  # a whole snapshot: no part may follow either
    with pytest.raises(PeerViolation, match="may not send SnapshotPart in state PLAYING"):
        q.client.receive(encode(SNAPSHOT_PART))


def test_a_part_without_a_snapshot_is_refused() -> None:
    p = pair_in(State.READY)
    with pytest.raises(PeerViolation, match="server may not send SnapshotPart in state READY"):
        p.client.receive(literal({"t": "snapshot_part", "offset": 1, "data": b"x"}))


def test_a_tick_while_a_snapshot_is_in_flight_is_refused() -> None:
    p = pair_in(State.SNAPSHOT)
    with pytest.raises(PeerViolation, match="server may not send Tick in state SNAPSHOT"):
        p.client.receive(encode(dataclasses.replace(TICK, tick=11)))
    q = pair_in(State.SNAPSHOT)
    with pytest.raises(LocalMisuse, match="server may not send Tick in state SNAPSHOT"):
        q.server.send(Tick(tick=11, state_hash=sha("11")))


def test_too_few_parts_then_a_tick_is_refused() -> None:
    p = pair_in(State.SNAPSHOT)
    p.s2c(SnapshotPart(offset=100, data=SNAPSHOT_PART.data[:-1]))  # one byte short
    assert p.client.state is State.SNAPSHOT and p.client.snapshot_due == 1
    with pytest.raises(PeerViolation, match="Tick in state SNAPSHOT"):
        p.client.receive(encode(dataclasses.replace(TICK, tick=11)))


def test_a_client_may_only_say_bye_while_a_snapshot_is_in_flight() -> None:
    p = pair_in(State.SNAPSHOT)
    with pytest.raises(LocalMisuse, match="client may not send Input in state SNAPSHOT"):
        p.client.send(Input(seq=1, tick=10, buttons=0))
    q = pair_in(State.SNAPSHOT)
    q.c2s(Bye(code=Code.QUIT, reason="bored"))
    assert q.server.state is State.CLOSED


def test_a_resync_snapshot_in_parts_then_ticks_go_on() -> None:
    p = pair_in(State.PLAYING)
    p.s2c(dataclasses.replace(TICK, tick=11))
    msgs = split_snapshot(tick=11, state=noise(3 * PART_SIZE), state_hash=sha("s11"))
    assert len(msgs) > 1
    for msg in msgs:
        p.s2c(msg)
    assert p.client.state is State.PLAYING and p.client.tick == 11
    p.s2c(Tick(tick=12, state_hash=sha("12")))


# -- declared totals: bounded before a byte of data is accepted ------------------------------------


def test_a_declared_size_over_the_snapshot_limit_is_refused_before_any_part() -> None:
    limits = Limits(max_total_mod_memory=12 << 20)  # what the sample manifest needs
    p = ready_pair(limits)
    huge = literal({"t": "snapshot", "tick": 10, "size": limits.max_snapshot_size + 1,
                    "data_size": 1 << 20, "data": b"x", "state_hash": sha("s"),
                    "players": []})
    with pytest.raises(PeerViolation, match="Snapshot.size: .* is over max_snapshot_size"):
        p.client.receive(huge)
    assert p.client.state is State.ERROR and p.client.snapshot_due == 0


def test_a_declared_compressed_size_zstd_cannot_produce_is_refused() -> None:
    p = pair_in(State.READY)
    size = 1000
    bomb = literal({"t": "snapshot", "tick": 10, "size": size,
                    "data_size": max_compressed_size(size) + 1, "data": b"x",
                    "state_hash": sha("s"), "players": []})
    with pytest.raises(PeerViolation, match="cannot be the compressed form of 1000 bytes"):
        p.client.receive(bomb)
    assert p.client.state is State.ERROR


def test_a_declared_total_below_the_data_carried_is_refused() -> None:
    p = pair_in(State.READY)
    short = literal({"t": "snapshot", "tick": 10, "size": 1000, "data_size": 2,
                     "data": b"xyz", "state_hash": sha("s"), "players": []})
    with pytest.raises(PeerViolation, match="data_size: 2 bytes, less than the 3 bytes"):
        p.client.receive(short)


def test_a_part_over_the_message_limit_is_refused_before_it_is_read() -> None:
    link = Link(Role.CLIENT, limits=SMALL_MESSAGES)
    big = literal({"t": "snapshot_part", "offset": 1, "data": bytes(64 * KiB)})
    with pytest.raises(MessageTooLarge):
        link.receive(big)


def test_a_snapshot_larger_than_the_manifest_can_fill_is_refused_both_ways() -> None:
    # The sample manifest: 3 mods of 4 MiB. The default limits would allow 1 GiB and more.
    cap = snapshot_room(sum(e.memory_limit for e in WELCOME.manifest), len(WELCOME.manifest))
    assert cap < DEFAULT_LIMITS.max_snapshot_size
    p = ready_pair(DEFAULT_LIMITS)
    fits = dataclasses.replace(SNAPSHOT, size=cap)
    too_big = dataclasses.replace(SNAPSHOT, size=cap + 1)
    words = f"Snapshot of {cap + 1} bytes is over the {cap} bytes the manifest's mods can fill"
    with pytest.raises(PeerViolation, match=words):
        p.client.receive(encode(too_big))
    assert p.client.state is State.ERROR and p.client.tick is None
    with pytest.raises(LocalMisuse, match=words):
        p.server.send(too_big)
    q = ready_pair(DEFAULT_LIMITS)
    q.s2c(fits)
    assert q.client.state is State.PLAYING
