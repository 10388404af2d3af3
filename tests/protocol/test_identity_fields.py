"""Protocol 4's identity fields: Hello's optional token, password and admin token (absent on the
wire when empty, so a Hello keeps its version-1 shape), Welcome's token, and their limits."""

from __future__ import annotations

import dataclasses

import msgpack
import pytest

from protocol import Hello, LocalMisuse, PeerViolation, Welcome, decode, encode
from protocol.messages import MAX_SECRET
from tests.protocol.samples import HELLO, WELCOME

V1_HELLO_KEYS = {"t", "protocol_versions", "vm_abi", "host_abi", "name", "cached_mods"}


def wire(msg: Hello | Welcome) -> dict[str, object]:
    out = msgpack.unpackb(encode(msg))
    assert isinstance(out, dict)
    return out


def test_a_hello_without_secrets_has_the_version_1_shape_and_decodes_both_ways() -> None:
    assert set(wire(HELLO)) == V1_HELLO_KEYS
    assert decode(encode(HELLO)) == HELLO
    full = dataclasses.replace(HELLO, token="T" * 32, password="open sesame",
                               admin_token="a" * 20)
    assert wire(full) == {**wire(HELLO), "token": "T" * 32, "password": "open sesame",
                          "admin_token": "a" * 20}
    assert decode(encode(full)) == full
    # Each optional field alone.
    only = dataclasses.replace(HELLO, password="pw")
    assert set(wire(only)) == V1_HELLO_KEYS | {"password"} and decode(encode(only)) == only


@pytest.mark.parametrize(("field", "value", "words"), [
    ("token", "x" * 65, "0-64 printable ASCII"),
    ("token", "has space", "0-64 printable ASCII"),
    ("token", 5, "expected a str"),
    ("admin_token", "é", "0-64 printable ASCII"),
    ("password", "p" * (MAX_SECRET + 1), f"0-{MAX_SECRET} characters"),
    ("password", "line\nbreak", "without control characters"),
    ("password", ["list"], "expected a str"),
])
def test_a_peer_cannot_send_an_oversized_or_odd_secret(field: str, value: object,
                                                       words: str) -> None:
    raw = msgpack.packb({**wire(HELLO), field: value})
    with pytest.raises(PeerViolation, match=words):
        decode(raw)
    if isinstance(value, str):
        with pytest.raises(LocalMisuse, match=words):
            dataclasses.replace(HELLO, **{field: value})


def test_a_password_of_the_longest_length_passes() -> None:
    longest = dataclasses.replace(HELLO, password="p" * MAX_SECRET)
    assert decode(encode(longest)) == longest


def test_a_welcome_must_carry_a_token() -> None:
    raw = wire(WELCOME)
    del raw["token"]
    with pytest.raises(PeerViolation, match="missing token"):
        decode(msgpack.packb(raw))
    with pytest.raises(PeerViolation, match="printable ASCII"):
        decode(msgpack.packb({**wire(WELCOME), "token": ""}))


def test_a_hellos_repr_hides_its_secrets() -> None:
    text = repr(dataclasses.replace(HELLO, token="T0KEN" * 4, password="hunter2",
                                    admin_token="ADM1N" * 4))
    assert "T0KEN" not in text and "hunter2" not in text and "ADM1N" not in text
    assert "token='***'" in text and "name='Ada'" in text
