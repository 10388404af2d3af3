"""Fuzz ``protocol.decode``: whatever the bytes, a message or ``PeerViolation`` with a reason.

Targets: arbitrary bytes, arbitrary msgpack data, maps shaped like a message with arbitrary
values, mutations of the encoded samples, and round trips of generated valid messages. The
seed corpus (``corpus/decode/*.bin``) and the literal cases below replay every run.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import msgpack
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from protocol import LocalMisuse, Message, PeerViolation, decode, encode
from protocol.messages import MESSAGE_TYPES
from protocol.schema import short_repr
from tests.fuzz.profiles import corpus_files, examples
from tests.fuzz.strategies import encoded_samples, messages, mutated, wire_values


def check_decode(data: Any) -> Message | None:
    """Decode ``data``; fail on anything but a message or a ``PeerViolation`` with a reason."""
    try:
        msg = decode(data)
    except PeerViolation as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a reason"
        return None
    assert isinstance(msg, Message)
    assert decode(encode(msg)) == msg
    return msg


# -- issue 11, item 4: deep nesting (literal bytes) ------------------------------------------

#: ``{"t": [[[...nil...]]]}``, 1,000 arrays deep: msgpack unpacks it, the error message
#: used to repr it and raise RecursionError.
DEEP_TAG_1000 = b"\x81\xa1t" + b"\x91" * 1000 + b"\xc0"
#: 10,000 arrays deep: msgpack's StackError has an empty message; the reason used to be "".
DEEP_10000 = b"\x91" * 10_000 + b"\xc0"
DEEP_MAP_TAG_1000 = b"\x81\xa1t" + b"\x81\xa1a" * 1000 + b"\xc0"
DEEP_MAP_TAG_10000 = b"\x81\xa1t" + b"\x81\xa1a" * 10_000 + b"\xc0"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (DEEP_TAG_1000, "unknown message type [[[[...]]]]"),
        (DEEP_10000, "not a msgpack message: nested too deep"),
        (DEEP_MAP_TAG_10000, "not a msgpack message: nested too deep"),
        (DEEP_MAP_TAG_1000, "unknown message type {'a': {'a': {'a': {...}}}}"),
    ],
    ids=["array-1000", "array-10000", "map-10000", "map-1000"],
)
def test_deep_nesting_is_a_peer_violation_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(PeerViolation) as info:
        decode(data)
    assert str(info.value) == reason


def test_short_repr_of_a_value_nested_without_end() -> None:
    deep: Any = None
    for _ in range(100_000):
        deep = [deep]
    assert short_repr(deep) == "[[[[...]]]]"
    assert len(short_repr("x" * 10_000)) <= 40
    assert len(short_repr(b"\xff" * 10_000)) <= 40
    assert short_repr("ABC") == "'ABC'"


# -- targets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", corpus_files("decode"), ids=lambda p: p.name)
def test_decode_seed_corpus(path: Any) -> None:
    check_decode(path.read_bytes())


@examples(300)
@given(st.binary(max_size=300))
@example(DEEP_TAG_1000)
@example(DEEP_10000)
@example(b"\xc1")  # the one byte msgpack never uses
@example(b"\x81\xa1t\xa5hello\x81\xa1t\xc0")  # a nested map beside the fields
def test_decode_arbitrary_bytes(data: bytes) -> None:
    check_decode(data)


@examples(100)
@given(st.one_of(st.text(max_size=8), st.integers(), st.none(), st.lists(st.integers())))
def test_decode_not_bytes(data: Any) -> None:
    with pytest.raises(PeerViolation):
        decode(data)


@examples(300)
@given(wire_values())
def test_decode_arbitrary_msgpack(value: Any) -> None:
    check_decode(msgpack.packb(value))


@st.composite
def shaped_maps(draw: st.DrawFn) -> dict[Any, Any]:
    """A map with a real ``"t"`` and the message's field names, holding arbitrary values;
    sometimes a field is dropped or a stranger added."""
    cls = draw(st.sampled_from(MESSAGE_TYPES))
    out: dict[Any, Any] = {"t": cls.TAG}
    for f in fields(cls):
        if draw(st.integers(0, 9)):
            out[f.name] = draw(wire_values(max_leaves=8))
    if draw(st.booleans()):
        out[draw(st.one_of(st.text(max_size=6), st.binary(max_size=3)))] = None
    return out


@examples(200)
@given(shaped_maps())
def test_decode_message_shaped_maps(value: dict[Any, Any]) -> None:
    check_decode(msgpack.packb(value))


@examples(400)
@given(mutated(st.sampled_from(encoded_samples())))
def test_decode_mutated_samples(data: bytes) -> None:
    check_decode(data)


@examples(200)
@given(messages())
def test_valid_messages_round_trip(msg: Message) -> None:
    try:
        data = encode(msg)
    except LocalMisuse as exc:  # over a limit: refused on our side, with a reason
        assert str(exc).strip()
        return
    assert decode(data) == msg
