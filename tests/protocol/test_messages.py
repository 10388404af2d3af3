"""Messages and records check themselves when built: every bad field is refused."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import pytest

from protocol import (
    MESSAGE_TYPES,
    Code,
    Hello,
    Input,
    Limits,
    LocalMisuse,
    ModBlob,
    ModEntry,
    Player,
    Tick,
    TickChat,
    TickInput,
    Welcome,
)
from protocol.schema import Int, spec
from tests.protocol.samples import (
    BYE,
    CHAT,
    DESYNC,
    HELLO,
    INPUT,
    MANIFEST,
    SAMPLES,
    SHAS,
    SNAPSHOT,
    SNAPSHOT_PART,
    TICK,
    WELCOME,
    entry,
    sample_id,
    sha,
)


def test_every_message_type_has_a_sample() -> None:
    assert [type(m) for m in SAMPLES] == list(MESSAGE_TYPES)


@pytest.mark.parametrize("msg", SAMPLES, ids=sample_id)
def test_messages_are_frozen_and_slotted(msg: Any) -> None:
    assert not hasattr(msg, "__dict__")
    names = [f.name for f in dataclasses.fields(msg)]
    if names:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(msg, names[0], getattr(msg, names[0]))


def test_values_are_normalised_to_plain_types() -> None:
    hello = Hello(
        protocol_versions=[1, 2],
        vm_abi="vm",
        host_abi="host",
        name="Ada",
        cached_mods=[sha("a")],
    )
    assert hello.protocol_versions == (1, 2)
    assert hello.cached_mods == (sha("a"),)
    class Pad(enum.IntFlag):  # a caller's own names for bits: ints on the wire
        UP = 1
        FIRE = 16

    msg = Input(seq=1, tick=0, buttons=Pad.UP | Pad.FIRE)
    assert type(msg.buttons) is int and msg.buttons == 0b10001
    bye = dataclasses.replace(SAMPLES[-1], code=Code.SHUTDOWN)
    assert type(bye.code) is str and bye.code == "shutdown"
    blob = ModBlob(sha256=sha("x"), size=3, data=bytearray(b"abc"))
    assert type(blob.data) is bytes


def test_messages_compare_by_value() -> None:
    assert dataclasses.replace(TICK) == TICK
    assert hash(dataclasses.replace(HELLO)) == hash(HELLO)


# (sample, field, bad value): each must be refused, with the field named in the error.
INVALID: list[tuple[Any, str, Any]] = [
    (HELLO, "protocol_versions", []),
    (HELLO, "protocol_versions", [0]),
    (HELLO, "protocol_versions", [65536]),
    (HELLO, "protocol_versions", [1, 1]),
    (HELLO, "protocol_versions", [True]),
    (HELLO, "protocol_versions", ["1"]),
    (HELLO, "protocol_versions", list(range(1, 18))),
    (HELLO, "protocol_versions", 1),
    (HELLO, "vm_abi", ""),
    (HELLO, "vm_abi", "has space"),
    (HELLO, "vm_abi", "x" * 65),
    (HELLO, "vm_abi", "ünïcode"),
    (HELLO, "vm_abi", 5),
    (HELLO, "host_abi", None),
    (HELLO, "name", ""),
    (HELLO, "name", " Ada"),
    (HELLO, "name", "Ada "),
    (HELLO, "name", "A\nda"),
    (HELLO, "name", "A\x00da"),
    (HELLO, "name", "A\x85da"),
    (HELLO, "name", "A\ud800da"),
    (HELLO, "name", b"Ada"),
    (HELLO, "cached_mods", ["abc"]),
    (HELLO, "cached_mods", [sha("a").upper()]),
    (HELLO, "cached_mods", [sha("a") + "0"]),
    (HELLO, "cached_mods", [sha("a"), sha("a")]),
    (HELLO, "cached_mods", sha("a")),
    (WELCOME, "protocol_version", 0),
    (WELCOME, "protocol_version", 1.0),
    (WELCOME, "player_id", 0),
    (WELCOME, "player_id", 2**32),
    (WELCOME, "player_id", True),
    (WELCOME, "tick_rate", 0),
    (WELCOME, "tick_rate", 1001),
    (WELCOME, "manifest", [{"name": "core"}]),
    (WELCOME, "manifest", "core"),
    (WELCOME, "sending", [sha("not in the manifest")]),
    (WELCOME, "sending", [SHAS["physics"], SHAS["physics"]]),
    (SAMPLES[2], "code", "Version"),
    (SAMPLES[2], "code", "1abc"),
    (SAMPLES[2], "code", ""),
    (SAMPLES[2], "code", "x" * 33),
    (SAMPLES[2], "reason", ""),
    (SAMPLES[2], "reason", "line\nbreak"),
    (SAMPLES[3], "sha256", "0" * 63),
    (SAMPLES[3], "sha256", "g" * 64),
    (SAMPLES[3], "size", 0),
    (SAMPLES[3], "size", -1),
    (SAMPLES[3], "size", 2**63),
    (SAMPLES[3], "data", b""),
    (SAMPLES[3], "data", "zstd"),
    (SNAPSHOT, "tick", -1),
    (SNAPSHOT, "tick", 2**63),
    (SNAPSHOT, "size", -1),
    (SNAPSHOT, "data", b""),
    (SNAPSHOT, "data_size", 0),
    (SNAPSHOT, "data_size", len(SNAPSHOT.data) - 1),  # less than the data it carries
    (SNAPSHOT, "data_size", SNAPSHOT.size + SNAPSHOT.size // 128 + 1025),  # zstd cannot
    (SNAPSHOT_PART, "offset", 0),
    (SNAPSHOT_PART, "data", b""),
    (SNAPSHOT, "state_hash", bytes(32)),
    (SNAPSHOT, "players", [Player(7, "Ada"), Player(3, "Bob")]),
    (SNAPSHOT, "players", [Player(3, "Bob"), Player(3, "Bob")]),
    (SNAPSHOT, "players", [(3, "Bob")]),
    (INPUT, "seq", 0),
    (INPUT, "tick", -1),
    (INPUT, "buttons", -1),
    (INPUT, "buttons", 2**32),
    (TICK, "tick", -1),
    (TICK, "state_hash", ""),
    (TICK, "joins", [Player(9, "Cy"), Player(8, "Di")]),
    (TICK, "leaves", [3, 3]),
    (TICK, "leaves", [4, 3]),
    (TICK, "leaves", [0]),
    (TICK, "inputs", [TickInput(9, 0), TickInput(7, 0)]),
    (TICK, "inputs", [TickInput(7, 0), TickInput(7, 1)]),
    (TICK, "chats", ["hi"]),
    (CHAT, "text", ""),
    (CHAT, "text", "\x1b[31mred"),
    (DESYNC, "tick", "11"),
    (BYE, "code", "Quit"),
    (BYE, "reason", None),
    (MANIFEST[0], "name", ""),
    (MANIFEST[0], "name", ".hidden"),
    (MANIFEST[0], "name", "-flag"),
    (MANIFEST[0], "name", "has space"),
    (MANIFEST[0], "version", "1 0"),
    (MANIFEST[0], "sha256", "zz"),
    (MANIFEST[0], "size", 0),
    (MANIFEST[0], "language", ""),
    (MANIFEST[0], "dependencies", ["a", "a"]),
    (MANIFEST[0], "dependencies", [""]),
    (MANIFEST[0], "memory_limit", 0),
    (MANIFEST[0], "memory_limit", (4 << 20) + 1),
    (MANIFEST[0], "stack_limit", 0),
    (MANIFEST[0], "stack_limit", 1000),
    (MANIFEST[0], "stack_limit", (2 << 20) + 4096),
    (MANIFEST[0], "stack_limit", 2**63 - 1),
    (MANIFEST[0], "instruction_limit", -5),
    (MANIFEST[0], "host_abi", ""),
    (Player(1, "Ada"), "id", 0),
    (Player(1, "Ada"), "name", "\t"),
    (TickInput(1, 0), "player_id", 0),
    (TickInput(1, 0), "buttons", 2**32),
    (TickChat(1, "hi"), "text", ""),
]


@pytest.mark.parametrize(
    ("sample", "name", "bad"),
    INVALID,
    ids=[f"{type(s).__name__}.{n}={b!r:.20}" for s, n, b in INVALID],
)
def test_invalid_field_is_refused(sample: Any, name: str, bad: Any) -> None:
    with pytest.raises(LocalMisuse) as info:
        dataclasses.replace(sample, **{name: bad})
    assert f"{type(sample).__name__}.{name}" in str(info.value)


def test_required_fields_have_no_default() -> None:
    with pytest.raises(TypeError):
        Hello(protocol_versions=(1,), vm_abi="vm", host_abi="host")  # type: ignore[call-arg]


def test_welcome_manifest_rules() -> None:
    core, physics = entry("core"), entry("physics", "core")
    Welcome(protocol_version=1, player_id=1, tick_rate=30, manifest=(core, physics), sending=(),
            token="t")
    bad_manifests = [
        ("name 'core' repeated", (core, dataclasses.replace(physics, name="core"))),
        (f"mod {core.sha256} repeated", (core, dataclasses.replace(physics, sha256=core.sha256))),
        ("not earlier", (physics, core)),
        ("not earlier", (dataclasses.replace(core, dependencies=("core",)),)),
        ("ghost, not earlier", (core, dataclasses.replace(physics, dependencies=("ghost",)))),
    ]
    for words, manifest in bad_manifests:
        with pytest.raises(LocalMisuse, match=words):
            Welcome(protocol_version=1, player_id=1, tick_rate=30, manifest=manifest, sending=(),
                    token="t")


def test_tick_lists_may_be_empty_and_default_so() -> None:
    tick = Tick(tick=1, state_hash=sha("s"))
    assert tick.joins == tick.leaves == tick.inputs == tick.chats == ()


# -- limits: sizes a receiver bounds, checked by check_limits (the codec calls it) ----------

SMALL = Limits(
    max_mod_size=100,
    max_total_mod_memory=1 << 20,  # max_snapshot_size: derived, 11 MiB and a little
    max_mods=2,
    max_cached_mods=2,
    max_players=1,
    max_chats_per_tick=1,
    max_name_length=3,
    max_chat_length=5,
    max_reason_length=5,
)
OVER_LIMITS: list[tuple[Any, str]] = [
    (dataclasses.replace(HELLO, cached_mods=(sha("a"), sha("b"), sha("c"))), "max_cached_mods"),
    (dataclasses.replace(HELLO, name="Adalbert", cached_mods=()), "max_name_length"),
    (WELCOME, "max_mods"),
    (Welcome(1, 1, 30, (entry("turrets"),), (), "t"), "max_mod_size"),
    (SAMPLES[2], "max_reason_length"),
    (ModBlob(sha256=sha("x"), size=101, data=b"z"), "max_mod_size"),
    (dataclasses.replace(SNAPSHOT, size=12 << 20, players=()), "max_snapshot_size"),
    (dataclasses.replace(SNAPSHOT, size=1), "max_players"),
    (dataclasses.replace(SNAPSHOT, size=1, players=(Player(1, "Adalbert"),)), "max_name_length"),
    (dataclasses.replace(TICK, leaves=(), joins=(), chats=()), "max_players"),
    (dataclasses.replace(TICK, inputs=(), joins=(Player(9, "Cyrus"),), chats=()), "max_name"),
    (dataclasses.replace(TICK, inputs=(), joins=(), chats=(TickChat(1, "a"),) * 2), "max_chats"),
    (dataclasses.replace(TICK, inputs=(), joins=(), chats=(TickChat(1, "long line"),)), "chat"),
    (CHAT, "max_chat_length"),
    (BYE, "max_reason_length"),
]


@pytest.mark.parametrize(("msg", "limit"), OVER_LIMITS, ids=[x[1] for x in OVER_LIMITS])
def test_check_limits_names_field_and_limit(msg: Any, limit: str) -> None:
    msg.check_limits(Limits())  # every sample is within the defaults
    with pytest.raises(LocalMisuse, match=limit):
        msg.check_limits(SMALL)


def test_spec_refuses_an_unknown_limit() -> None:
    with pytest.raises(ValueError, match="max_nothing"):
        spec(Int(0, 1), limit="max_nothing")


def test_mod_entry_positional_order_is_the_wire_order() -> None:
    e = MANIFEST[1]
    assert e.to_array() == [
        "physics",
        "1.0.0",
        SHAS["physics"],
        e.size,
        "c",
        ["core"],
        4 << 20,
        256 << 10,
        1_000_000,
        e.host_abi,
        [],
    ]
    assert ModEntry.from_array(e.to_array()) == e
    with pytest.raises(LocalMisuse, match="expected 11 fields, got 10"):
        ModEntry.from_array(e.to_array()[:-1])
