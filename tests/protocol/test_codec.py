"""encode / decode: literal bytes, round trips, and nothing but PeerViolation on bad input.

Expected bytes are built here with ``msgpack.packb`` from dicts written out by hand, or are
literal hex: never by the code under test.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import msgpack
import pytest

import protocol.codec
from protocol import (
    Chat,
    Limits,
    LocalMisuse,
    Message,
    MessageTooLarge,
    PeerViolation,
    ProtocolError,
    Ready,
    decode,
    encode,
)
from tests.protocol.samples import (
    BLOBS,
    BYE,
    CHAT,
    DESYNC,
    FETCH,
    HELLO,
    HOST_ABI,
    INPUT,
    NOTICE,
    READY,
    REFUSAL,
    SAMPLES,
    SHAS,
    SNAPSHOT,
    SNAPSHOT_PART,
    TICK,
    VM_ABI,
    WELCOME,
    sample_id,
    sha,
)


def mod_array(name: str, deps: list[str], size: int) -> list[Any]:
    return [name, "1.0.0", SHAS[name], size, "c", deps, 4 << 20, 256 << 10, 1_000_000, HOST_ABI, []]


# The wire form of every sample, spelled out: this is the protocol's format, version 2.
WIRE: list[tuple[Message, dict[str, Any]]] = [
    (
        HELLO,
        {
            "t": "hello",
            "protocol_versions": [1, 2],
            "vm_abi": VM_ABI,
            "host_abi": HOST_ABI,
            "name": "Ada",
            "cached_mods": [SHAS["core"]],
        },
    ),
    (
        WELCOME,
        {
            "t": "welcome",
            "protocol_version": 2,
            "player_id": 7,
            "tick_rate": 30,
            "manifest": [
                mod_array("core", [], WELCOME.manifest[0].size),
                mod_array("physics", ["core"], WELCOME.manifest[1].size),
                mod_array("turrets", ["core", "physics"], WELCOME.manifest[2].size),
            ],
            "sending": [SHAS["physics"], SHAS["turrets"]],
            "token": "q3Zb1cQx7vT0mN9pL2kW8yR4sU6aE5dH",
        },
    ),
    (
        REFUSAL,
        {"t": "refusal", "code": "version", "reason": "this server speaks protocol 3 only"},
    ),
    (
        BLOBS["physics"],
        {
            "t": "mod_blob",
            "sha256": SHAS["physics"],
            "size": BLOBS["physics"].size,
            "data": BLOBS["physics"].data,
        },
    ),
    (READY, {"t": "ready"}),
    (
        SNAPSHOT,
        {
            "t": "snapshot",
            "tick": 10,
            "size": SNAPSHOT.size,
            "data_size": len(SNAPSHOT.data),
            "data": SNAPSHOT.data,
            "state_hash": sha("state 10"),
            "players": [[3, "Bob"], [7, "Ada"]],
        },
    ),
    (SNAPSHOT_PART, {"t": "snapshot_part", "offset": 100, "data": SNAPSHOT_PART.data}),
    (INPUT, {"t": "input", "seq": 1, "tick": 10, "buttons": 17}),
    (
        TICK,
        {
            "t": "tick",
            "tick": 11,
            "state_hash": sha("state 11"),
            "joins": [[9, "Cy"]],
            "leaves": [3],
            "inputs": [[7, 17], [9, 2]],
            "chats": [[7, "hi all"], [7, "gg"]],
            "enables": ["pickups"],
            "reloads": [[1000, [mod_array("physics", ["core"], WELCOME.manifest[1].size)]]],
        },
    ),
    (CHAT, {"t": "chat", "text": "hello, world ☺"}),
    (DESYNC, {"t": "desync", "tick": 11, "state_hash": sha("mine")}),
    (FETCH, {"t": "fetch", "sha256": SHAS["physics"]}),
    (NOTICE, {"t": "notice", "text": "kicked Bob (player 3)"}),
    (BYE, {"t": "bye", "code": "quit", "reason": "player quit"}),
]


def test_wire_table_covers_every_sample() -> None:
    assert [m for m, _ in WIRE] == list(SAMPLES)


@pytest.mark.parametrize(("msg", "wire"), WIRE, ids=[sample_id(m) for m, _ in WIRE])
def test_encode_gives_the_literal_bytes(msg: Message, wire: dict[str, Any]) -> None:
    assert encode(msg) == msgpack.packb(wire)


@pytest.mark.parametrize(("msg", "wire"), WIRE, ids=[sample_id(m) for m, _ in WIRE])
def test_decode_of_the_literal_bytes(msg: Message, wire: dict[str, Any]) -> None:
    assert decode(msgpack.packb(wire)) == msg


@pytest.mark.parametrize("msg", SAMPLES, ids=sample_id)
def test_round_trip(msg: Message) -> None:
    data = encode(msg)
    again = decode(data)
    assert again == msg and type(again) is type(msg)
    assert encode(again) == data


def test_literal_hex() -> None:
    assert encode(Ready()) == bytes.fromhex("81 a1 74 a5 72 65 61 64 79")  # {"t": "ready"}
    # {"t": "chat", "text": "hi"}
    assert encode(Chat("hi")) == bytes.fromhex("82 a1 74 a4 63 68 61 74 a4 74 65 78 74 a2 68 69")
    assert decode(bytes.fromhex("81 a1 74 a5 72 65 61 64 79")) == Ready()


def test_decode_accepts_any_msgpack_width_and_memoryview() -> None:
    # 1 as uint64 (cf 00..01), "chat" as str8 (d9 04): valid msgpack, not the shortest form.
    data = bytes.fromhex("82 a1 74 d9 04 63 68 61 74 a4 74 65 78 74 a1 78")
    assert decode(data) == Chat("x")
    assert decode(memoryview(encode(CHAT))) == CHAT
    assert decode(bytearray(encode(CHAT))) == CHAT


# -- malformed input: PeerViolation naming the problem ---------------------------------------

MALFORMED: list[tuple[Any, str]] = [
    (b"", "not a msgpack message"),
    (b"\xc1", "not a msgpack message"),
    (msgpack.packb({"t": "chat", "text": "hi"}) + b"\x00", "not a msgpack message"),
    (msgpack.packb({"t": "chat", "text": "hi"})[:-1], "not a msgpack message"),
    (msgpack.packb([1, 2]), "expected a map, got list"),
    (msgpack.packb(5), "expected a map, got int"),
    (msgpack.packb({"text": "hi"}), "unknown message type None"),
    (msgpack.packb({"t": "shout", "text": "hi"}), "unknown message type 'shout'"),
    (msgpack.packb({"t": b"chat", "text": "hi"}), "unknown message type b'chat'"),
    (msgpack.packb({"t": 1}), "unknown message type 1"),
    (msgpack.packb({"t": "chat"}), "Chat: missing text"),
    (msgpack.packb({"t": "chat", "text": "hi", "loud": True}), "Chat: unknown 'loud'"),
    (msgpack.packb({"t": "chat", "text": "hi", b"x": 1}), "Chat: unknown b'x'"),
    (msgpack.packb({"t": "chat", "text": b"hi"}), "Chat.text: expected a str, got bytes"),
    (msgpack.packb({"t": "chat", "text": None}), "Chat.text: expected a str, got NoneType"),
    (msgpack.packb({"t": "input", "seq": True, "tick": 0, "buttons": 0}), "Input.seq: expected"),
    (msgpack.packb({"t": "input", "seq": 1.0, "tick": 0, "buttons": 0}), "Input.seq: expected"),
    (msgpack.packb({"t": "input", "seq": 1, "tick": 0, "buttons": -1}), "Input.buttons: -1"),
    (msgpack.packb({"t": "input", "seq": 1, "tick": 2**64 - 1, "buttons": 0}), "Input.tick"),
    (msgpack.packb({"t": "ready", "x": {"t": "ready"}}), "Ready: unknown 'x'"),
    (msgpack.packb({**dict(WIRE[8][1]), "joins": [[9]]}), "Player: expected 2 fields, got 1"),
    (msgpack.packb({**dict(WIRE[8][1]), "joins": [{"id": 9}]}), "Tick.joins[0]: expected a"),
    (msgpack.packb({**dict(WIRE[8][1]), "leaves": 3}), "Tick.leaves: expected a list"),
    (msgpack.packb({**dict(WIRE[1][1]), "manifest": [[]]}), "ModEntry: expected 11 fields"),
    (msgpack.packb({**dict(WIRE[1][1]), "sending": [sha("x")]}), "not in the manifest"),
    # A server cannot make a client build an impossible or enormous machine.
    (msgpack.packb({**dict(WIRE[1][1]), "manifest": [
        ["core", "1.0.0", SHAS["core"], 10, "c", [], 4 << 20, 4 << 20, 1000, HOST_ABI, []]]}),
     "ModEntry.stack_limit: 4194304 is over half of memory_limit=4194304"),
    (msgpack.packb({**dict(WIRE[1][1]), "manifest": [
        ["core", "1.0.0", SHAS["core"], 10, "c", [], 4 << 20, 12345, 1000, HOST_ABI, []]]}),
     "ModEntry.stack_limit: 12345 is not a multiple of 4096"),
    (msgpack.packb({**dict(WIRE[1][1]), "manifest": [
        ["core", "1.0.0", SHAS["core"], 10, "c", [], 4 << 20, 2**64 - 1, 1000, HOST_ABI, []]]}),
     "ModEntry.stack_limit: 18446744073709551615 is outside"),
    (msgpack.packb({**dict(WIRE[1][1]), "sending": [], "manifest": [
        ["core", "1.0.0", SHAS["core"], 10, "c", [], 1 << 40, 1 << 20, 1000, HOST_ABI, []]]}),
     "ModEntry.memory_limit: 1099511627776 is over max_mod_memory=16777216"),
    (msgpack.packb({**dict(WIRE[1][1]), "sending": [], "manifest": [
        ["core", "1.0.0", SHAS["core"], 10, "c", [], 4 << 20, 1 << 20, 10**12, HOST_ABI, []]]}),
     "ModEntry.instruction_limit: 1000000000000 is over max_mod_instructions=1000000"),
    (b"\x82\xa1t\xa4chat\xa4text\xa3\xff\xfe\xfd", "not a msgpack message"),  # bad UTF-8
    (msgpack.packb({"t": "chat", 1: "hi"}), "not a msgpack message"),
    (b"\x83\xa1t\xa4chat\xa4text\xa1a\xa4text\xa1b", "repeats a key"),
    (msgpack.packb({"t": "chat", "text": msgpack.ExtType(1, b"x")}), "max_ext_len"),
    (msgpack.packb({"t": "chat", "text": msgpack.Timestamp(0)}), "max_ext_len"),
    ("text frame", "expected a binary message, got str"),
    (None, "expected a binary message, got NoneType"),
]


@pytest.mark.parametrize(("data", "words"), MALFORMED, ids=[w for _, w in MALFORMED])
def test_malformed_input_is_a_peer_violation(data: Any, words: str) -> None:
    with pytest.raises(PeerViolation) as info:
        decode(data)
    assert words in str(info.value)


def test_oversized_message_is_refused_before_unpacking(monkeypatch: pytest.MonkeyPatch) -> None:
    def unpack_must_not_run(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("unpacked an oversized message")

    limits = Limits(max_message_size=100)
    fits = encode(Chat("x" * 80), limits=limits)
    assert len(fits) <= 100 and decode(fits, limits=limits) == Chat("x" * 80)
    data = msgpack.packb({"t": "chat", "text": "x" * 200})
    monkeypatch.setattr(protocol.codec.msgpack, "unpackb", unpack_must_not_run)
    with pytest.raises(MessageTooLarge) as info:
        decode(data, limits=limits)
    assert (info.value.size, info.value.limit) == (len(data), 100)
    assert isinstance(info.value, PeerViolation)
    assert str(info.value) == f"message of {len(data)} bytes is over the limit of 100 bytes"


def test_default_size_limit_is_8_mib() -> None:
    with pytest.raises(MessageTooLarge) as info:
        decode(bytes(8 * 2**20 + 1))
    assert info.value.limit == 8 * 2**20


def test_limits_hold_on_decode_and_encode() -> None:
    limits = Limits(max_chat_length=5)
    long_chat = Chat("123456")
    with pytest.raises(LocalMisuse, match="Chat.text: length 6 is over max_chat_length=5"):
        encode(long_chat, limits=limits)
    with pytest.raises(PeerViolation, match="Chat.text: length 6 is over max_chat_length=5"):
        decode(encode(long_chat), limits=limits)


def test_encode_refuses_a_message_over_the_size_limit() -> None:
    # 82, a1 "t", a4 "chat", a4 "text", a5 "xxxxx": 1 + 2 + 5 + 5 + 6 = 19 bytes
    with pytest.raises(LocalMisuse, match="Chat of 19 bytes is over max_message_size=10"):
        encode(Chat("x" * 5), limits=Limits(max_message_size=10))


def test_encode_refuses_what_is_not_a_message() -> None:
    with pytest.raises(LocalMisuse, match="not a message"):
        encode({"t": "ready"})  # type: ignore[arg-type]


def test_msgpack_lengths_are_bounded_by_the_limits() -> None:
    limits = Limits(max_mods=4, max_cached_mods=4, max_players=4, max_chats_per_tick=4)
    too_long_array = msgpack.packb({"t": "chat", "text": "hi", "x": [0] * 100})
    too_long_map = msgpack.packb({"t": "chat", "text": "hi", **{str(i): 0 for i in range(20)}})
    for data in (too_long_array, too_long_map):
        with pytest.raises(PeerViolation, match="not a msgpack message.*exceeds"):
            decode(data, limits=limits)
    # No string may be longer in UTF-8 than the longest text limit allows (1000 characters).
    too_long_str = msgpack.packb({"t": "chat", "text": "x" * 4001})
    with pytest.raises(PeerViolation, match="not a msgpack message.*exceeds max_str_len"):
        decode(too_long_str)


def test_a_declared_huge_array_is_refused_without_allocating() -> None:
    # array32 claiming 2**32 - 1 items, map32 claiming as many pairs, str32 and bin32 too.
    for head in (b"\xdd", b"\xdf", b"\xdb", b"\xc6"):
        with pytest.raises(PeerViolation):
            decode(head + b"\xff\xff\xff\xff")


def test_nested_too_deep_is_refused() -> None:
    with pytest.raises(PeerViolation):
        decode(b"\x91" * 100_000 + b"\x00")


# -- fuzzing: nothing but ProtocolError, and whatever decodes is a valid message -------------


def decode_or_violation(data: bytes) -> Message | None:
    """Decode ``data``; a PeerViolation is fine, any other exception fails the test."""
    try:
        msg = decode(data)
    except PeerViolation:
        return None
    assert decode(encode(msg)) == msg
    return msg


def test_random_bytes() -> None:
    rng = random.Random(1)
    for _ in range(3000):
        decode_or_violation(rng.randbytes(rng.randrange(0, 200)))


def test_random_bytes_that_start_like_a_map() -> None:
    rng = random.Random(2)
    for _ in range(3000):
        head = bytes([0x80 | rng.randrange(16), 0xA1, 0x74])
        decode_or_violation(head + rng.randbytes(rng.randrange(0, 120)))


@pytest.mark.parametrize("msg", SAMPLES, ids=sample_id)
def test_bit_flips_of_valid_messages(msg: Message) -> None:
    rng = random.Random(sample_id(msg))
    data = encode(msg)
    for _ in range(400):
        mutated = bytearray(data)
        for _ in range(rng.choice((1, 1, 2, 3))):
            mutated[rng.randrange(len(mutated))] ^= 1 << rng.randrange(8)
        decode_or_violation(bytes(mutated))


@pytest.mark.parametrize("msg", SAMPLES, ids=sample_id)
def test_truncations_and_extensions(msg: Message) -> None:
    data = encode(msg)
    for end in range(len(data)):
        with pytest.raises(PeerViolation):
            decode(data[:end])
    for extra in (b"\x00", b"\xc0", data):
        with pytest.raises(PeerViolation):
            decode(data + extra)


ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**63,
    2**64 - 1,
    -(2**63),
    1.5,
    float("nan"),
    "",
    "x",
    "ünï",
    sha("x"),
    b"",
    b"\x00" * 40,
    [],
    [1],
    [[1, "Ada"]],
    [sha("a")],
    {},
    {"t": "ready"},
]


def mutate_map(rng: random.Random, wire: dict[str, Any]) -> dict[Any, Any]:
    """A structured mutation of a wire map: drop, add or change one field, maybe nested."""
    out: dict[Any, Any] = dict(wire)
    if not out:
        return {"t": rng.choice(ODD_VALUES)}
    action = rng.randrange(5)
    key = rng.choice(list(out))
    if action == 0:
        del out[key]
    elif action == 1:
        out[rng.choice(["extra", "t2", b"t", "T"])] = rng.choice(ODD_VALUES)
    elif action == 2 and isinstance(out[key], list) and out[key]:
        items = list(out[key])
        i = rng.randrange(len(items))
        if isinstance(items[i], list) and items[i]:
            inner = list(items[i])
            inner[rng.randrange(len(inner))] = rng.choice(ODD_VALUES)
            items[i] = inner
        else:
            items[i] = rng.choice(ODD_VALUES)
        out[key] = items
    elif action == 3:
        out["t"] = rng.choice([w["t"] for _, w in WIRE])  # a valid tag over other fields
    else:
        out[key] = rng.choice(ODD_VALUES)
    return out


def test_structured_mutations_of_valid_messages() -> None:
    rng = random.Random(3)
    decoded = 0
    for _ in range(4000):
        _, wire = rng.choice(WIRE)
        mutated = mutate_map(rng, wire)
        if rng.random() < 0.3:
            mutated = mutate_map(rng, mutated)
        decoded += decode_or_violation(msgpack.packb(mutated)) is not None
    assert decoded < 1000  # most mutations break a rule; the rest decoded to valid messages


def test_one_error_type_for_everything() -> None:
    assert issubclass(PeerViolation, ProtocolError)
    assert issubclass(MessageTooLarge, PeerViolation)
    assert not issubclass(LocalMisuse, PeerViolation)


def test_decoded_messages_are_distinct_objects() -> None:
    data = encode(TICK)
    a, b = decode(data), decode(data)
    assert a == b and a is not b
    assert dataclasses.asdict(a) == dataclasses.asdict(TICK)
