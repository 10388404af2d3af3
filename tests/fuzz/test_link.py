"""Fuzz ``protocol.Link`` in both roles: sequences of valid and invalid messages and bytes.

Each run starts from a prefix of a legal session (so every state is reached), then feeds
arbitrary actions. The rules checked: ``send`` returns bytes or raises ``LocalMisuse``;
``receive`` returns a message or raises ``PeerViolation`` (``LocalMisuse`` only when the link
was already in ``ERROR``); after an error the link is in ``ERROR``; every error has a reason.
A pair of links (client and server) must agree: whatever one may send, the other receives.
"""

from __future__ import annotations

from typing import Any

import msgpack
from hypothesis import example, given
from hypothesis import strategies as st

from protocol import (
    Link,
    LocalMisuse,
    Message,
    PeerViolation,
    ProtocolError,
    Role,
    State,
    encode,
)
from tests.fuzz.profiles import examples
from tests.fuzz.strategies import encoded_samples, messages, mutated
from tests.fuzz.test_decode import DEEP_10000, DEEP_TAG_1000
from tests.protocol.samples import (
    BLOBS,
    BYE,
    CHAT,
    DESYNC,
    HELLO,
    INPUT,
    READY,
    SNAPSHOT,
    TICK,
    WELCOME,
)

C, S = Role.CLIENT, Role.SERVER
#: A legal session, in order; a run replays a prefix of it first.
SESSION: tuple[tuple[Role, Message], ...] = (
    (C, HELLO),
    (S, WELCOME),
    (S, BLOBS["physics"]),
    (S, BLOBS["turrets"]),
    (C, READY),
    (S, SNAPSHOT),
    (C, INPUT),
    (S, TICK),
    (C, CHAT),
    (C, DESYNC),
)


def _encoded(msg: Message) -> bytes:
    try:
        return encode(msg)
    except LocalMisuse:  # over a limit: send its fields anyway, as a hostile peer would
        return msgpack.packb(msg.to_map())


peer_bytes = st.one_of(
    messages().map(_encoded),
    mutated(st.sampled_from(encoded_samples())),
    st.binary(max_size=64),
    st.sampled_from(encoded_samples()),
)
actions = st.lists(
    st.one_of(st.tuples(st.just("send"), messages()), st.tuples(st.just("recv"), peer_bytes)),
    max_size=12,
)


def _reason(exc: ProtocolError) -> None:
    assert str(exc).strip(), f"{type(exc).__name__} without a reason"


def act(link: Link, action: str, payload: Any) -> None:
    """Do one action on ``link``; fail on any outcome the link's contract does not allow."""
    before = link.state
    if action == "send":
        try:
            data = link.send(payload)
        except LocalMisuse as exc:
            _reason(exc)
            assert link.state is State.ERROR
            return
        assert isinstance(data, bytes)
        assert before is not State.CLOSED
        return
    try:
        msg = link.receive(payload)
    except PeerViolation as exc:
        _reason(exc)
        assert before is not State.ERROR
        assert link.state is State.ERROR
        return
    except LocalMisuse as exc:
        _reason(exc)
        assert before is State.ERROR
        return
    assert isinstance(msg, Message)
    assert before not in (State.ERROR, State.CLOSED)


def replay(link: Link, steps: int) -> None:
    """Walk ``link`` through the first ``steps`` messages of the legal session."""
    for sender, msg in SESSION[:steps]:
        if sender is link.role:
            link.send(msg)
        else:
            link.receive(encode(msg))


@examples(200)
@given(st.sampled_from([C, S]), st.integers(0, len(SESSION)), actions)
@example(S, 0, [("recv", DEEP_TAG_1000), ("recv", DEEP_10000)])  # issue 11 item 4
@example(C, 1, [("recv", DEEP_10000), ("send", BYE)])
def test_one_link_takes_anything(role: Role, steps: int, todo: list[tuple[str, Any]]) -> None:
    link = Link(role)
    replay(link, steps)
    for action, payload in todo:
        act(link, action, payload)


@examples(200)
@given(
    st.integers(0, len(SESSION)),
    st.lists(st.tuples(st.sampled_from([C, S]), messages()), max_size=10),
)
def test_a_pair_agrees(steps: int, todo: list[tuple[Role, Message]]) -> None:
    links = {C: Link(C), S: Link(S)}
    for sender, msg in SESSION[:steps]:
        links[sender.peer].receive(links[sender].send(msg))
    for sender, msg in todo:
        try:
            data = links[sender].send(msg)
        except LocalMisuse as exc:
            _reason(exc)
            return
        got = links[sender.peer].receive(data)
        assert got == msg
        assert links[C].state is links[S].state
