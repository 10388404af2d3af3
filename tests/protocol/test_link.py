"""The state table: legal sessions pass; anything out of order is refused, then ERROR."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from protocol import (
    FLOW,
    MESSAGE_TYPES,
    Bye,
    Chat,
    Code,
    Desync,
    Fetch,
    Hello,
    Input,
    Limits,
    Link,
    LocalMisuse,
    Message,
    MessageTooLarge,
    ModBlob,
    Notice,
    PeerViolation,
    Ready,
    Refusal,
    Reload,
    Role,
    Snapshot,
    SnapshotPart,
    State,
    Tick,
    Welcome,
    encode,
)
from tests.protocol.samples import (
    BLOBS,
    BYE,
    CHAT,
    FETCH,
    HELLO,
    INPUT,
    MANIFEST,
    REFUSAL,
    SAMPLES,
    SHAS,
    SNAPSHOT,
    SNAPSHOT_HEAD,
    SNAPSHOT_PART,
    TICK,
    WELCOME,
    sample_id,
    sha,
)


class Pair:
    """A client link and the server's link for it, passing messages through bytes."""

    def __init__(self) -> None:
        self.client = Link(Role.CLIENT)
        self.server = Link(Role.SERVER)

    def link(self, role: Role) -> Link:
        return self.client if role is Role.CLIENT else self.server

    def send(self, sender: Role, msg: Message) -> Message:
        got = self.link(sender.peer).receive(self.link(sender).send(msg))
        assert got == msg
        assert self.client.state is self.server.state
        return got

    def c2s(self, msg: Message) -> Message:
        return self.send(Role.CLIENT, msg)

    def s2c(self, msg: Message) -> Message:
        return self.send(Role.SERVER, msg)


def pair_in(state: State) -> Pair:
    """A pair driven through the sample session up to ``state``."""
    p = Pair()
    steps: list[tuple[State, Callable[[], object]]] = [
        (State.HELLO_SENT, lambda: p.c2s(HELLO)),
        (State.SYNCING, lambda: p.s2c(WELCOME)),
        (State.READY, lambda: [p.s2c(b) for b in BLOBS.values()] and p.c2s(Ready())),
        (State.SNAPSHOT, lambda: p.s2c(SNAPSHOT_HEAD)),
        (State.PLAYING, lambda: p.s2c(SNAPSHOT_PART)),
        (State.CLOSED, lambda: p.c2s(BYE)),
    ]
    for reached, step in steps:
        if p.client.state is state:
            break
        step()
        assert p.client.state is reached
    assert p.client.state is state
    return p


# -- legal sessions ---------------------------------------------------------------------------


def test_a_whole_session() -> None:
    p = Pair()
    assert p.client.state is p.server.state is State.START
    p.c2s(HELLO)
    assert p.client.state is State.HELLO_SENT
    p.s2c(WELCOME)
    assert p.client.state is State.SYNCING
    assert p.client.protocol_version == p.server.protocol_version == 2
    assert p.client.pending_mods == p.server.pending_mods == {SHAS["physics"], SHAS["turrets"]}
    p.s2c(BLOBS["turrets"])
    assert p.client.pending_mods == p.server.pending_mods == {SHAS["physics"]}
    p.s2c(BLOBS["physics"])
    assert p.client.pending_mods == frozenset()
    p.c2s(Ready())
    assert p.client.state is State.READY
    p.s2c(SNAPSHOT)
    assert p.client.state is State.PLAYING and p.client.tick == p.server.tick == 10
    p.c2s(Input(seq=1, tick=10, buttons=1))
    p.s2c(TICK)
    p.c2s(Input(seq=5, tick=11, buttons=0))
    p.c2s(CHAT)
    p.c2s(Desync(tick=11, state_hash=sha("mine")))
    p.s2c(dataclasses.replace(SNAPSHOT, tick=11))  # a resync may repeat the last tick
    p.s2c(Tick(tick=12, state_hash=sha("12")))
    p.s2c(Tick(tick=13, state_hash=sha("13")))
    assert p.client.tick == p.server.tick == 13
    p.c2s(Bye(code=Code.QUIT, reason="bye"))
    assert p.client.state is p.server.state is State.CLOSED


def test_a_warm_cache_transfers_no_mod() -> None:
    p = Pair()
    p.c2s(dataclasses.replace(HELLO, cached_mods=tuple(SHAS.values())))
    p.s2c(dataclasses.replace(WELCOME, sending=()))
    assert p.client.pending_mods == frozenset()
    p.c2s(Ready())
    p.s2c(SNAPSHOT)
    assert p.client.state is State.PLAYING


def test_a_refusal_closes() -> None:
    p = pair_in(State.HELLO_SENT)
    p.s2c(REFUSAL)
    assert p.client.state is p.server.state is State.CLOSED


@pytest.mark.parametrize("state", [s for s in State if s not in (State.CLOSED, State.ERROR)])
@pytest.mark.parametrize("role", list(Role))
def test_either_side_may_say_bye_in_any_open_state(state: State, role: Role) -> None:
    p = pair_in(state)
    p.send(role, Bye(code=Code.SHUTDOWN, reason="stopping"))
    assert p.client.state is p.server.state is State.CLOSED


# -- the table itself -------------------------------------------------------------------------


def test_the_table_is_data_about_roles_states_and_messages() -> None:
    senders: dict[type[Message], set[Role]] = {}
    for (role, state), row in FLOW.items():
        assert isinstance(role, Role) and isinstance(state, State)
        for kind, following in row.items():
            assert kind in MESSAGE_TYPES and isinstance(following, State)
            senders.setdefault(kind, set()).add(role)
    assert set(senders) == set(MESSAGE_TYPES)
    assert all(len(roles) == 1 for kind, roles in senders.items() if kind is not Bye)
    assert not any(state is State.CLOSED for _, state in FLOW)


# -- out of order: every message the table does not allow, in every state ---------------------

C, S = Role.CLIENT, Role.SERVER
St = State
#: The protocol's sessions, written out here by hand (DESIGN.md's sequence), not read from
#: ``FLOW``: who may send what in each state, and the state both ends are in after it.
ALLOWED: dict[tuple[Role, State], dict[type[Message], State]] = {
    (C, St.START): {Hello: St.HELLO_SENT, Bye: St.CLOSED},
    (S, St.START): {Bye: St.CLOSED},
    (C, St.HELLO_SENT): {Bye: St.CLOSED},
    (S, St.HELLO_SENT): {Welcome: St.SYNCING, Refusal: St.CLOSED, Bye: St.CLOSED},
    (C, St.SYNCING): {Ready: St.READY, Bye: St.CLOSED},
    (S, St.SYNCING): {ModBlob: St.SYNCING, Bye: St.CLOSED},
    (C, St.READY): {Bye: St.CLOSED},
    (S, St.READY): {Snapshot: St.SNAPSHOT, Bye: St.CLOSED},
    (C, St.SNAPSHOT): {Bye: St.CLOSED},
    (S, St.SNAPSHOT): {SnapshotPart: St.SNAPSHOT, Bye: St.CLOSED},
    (C, St.PLAYING): {Input: St.PLAYING, Chat: St.PLAYING, Desync: St.PLAYING,
                      Fetch: St.PLAYING, Bye: St.CLOSED},
    (S, St.PLAYING): {Tick: St.PLAYING, ModBlob: St.PLAYING, Snapshot: St.SNAPSHOT,
                      Notice: St.PLAYING, Bye: St.CLOSED},
    (C, St.ERROR): {Bye: St.CLOSED},
    (S, St.ERROR): {Bye: St.CLOSED},
}


def test_the_table_is_the_protocol_as_written() -> None:
    assert FLOW == ALLOWED


REFUSED = [
    (state, role, msg)
    for state in State
    if state is not State.ERROR
    for role in Role
    for msg in SAMPLES
    if type(msg) not in ALLOWED.get((role, state), {})
]


@pytest.mark.parametrize(
    ("state", "sender", "msg"),
    REFUSED,
    ids=[f"{s.name}-{r.value}-{sample_id(m)}" for s, r, m in REFUSED],
)
def test_out_of_order_is_refused_both_ways(state: State, sender: Role, msg: Message) -> None:
    words = f"{sender.value} may not send {type(msg).__name__} in state {state.name}"
    p = pair_in(state)
    with pytest.raises(PeerViolation, match=words):
        p.link(sender.peer).receive(encode(msg))
    assert p.link(sender.peer).state is State.ERROR
    with pytest.raises(LocalMisuse, match=words):
        p.link(sender).send(msg)
    assert p.link(sender).state is State.ERROR


# -- rules beyond the table: refused by the sender's link and by the receiver's ---------------

GUARDS: list[tuple[State, Role, Message, str]] = [
    (State.HELLO_SENT, Role.SERVER, dataclasses.replace(WELCOME, protocol_version=3), "offer"),
    (
        State.HELLO_SENT,
        Role.SERVER,
        dataclasses.replace(WELCOME, sending=(SHAS["physics"],)),
        "neither sends nor finds cached mod 'turrets'",
    ),
    (
        State.HELLO_SENT,
        Role.SERVER,
        dataclasses.replace(
            WELCOME, manifest=tuple(dataclasses.replace(e, host_abi="old") for e in MANIFEST)
        ),
        "built for host ABI old",
    ),
    (State.SYNCING, Role.SERVER, ModBlob(SHAS["core"], 310, b"z"), "was not announced"),
    (
        State.SYNCING,
        Role.SERVER,
        dataclasses.replace(BLOBS["physics"], size=BLOBS["physics"].size + 1),
        "the manifest says",
    ),
    (State.SYNCING, Role.CLIENT, Ready(), "Ready while 2 announced mods have not come"),
    (State.PLAYING, Role.SERVER, dataclasses.replace(TICK, tick=12), "Tick 12 follows tick 10"),
    (State.PLAYING, Role.SERVER, dataclasses.replace(TICK, tick=10), "Tick 10 follows tick 10"),
    (State.PLAYING, Role.SERVER, dataclasses.replace(SNAPSHOT, tick=9), "goes back"),
    (State.PLAYING, Role.CLIENT, Input(seq=1, tick=11, buttons=0), "names tick 11"),
    (State.PLAYING, Role.CLIENT, Desync(tick=11, state_hash=sha("x")), "names tick 11"),
    (State.PLAYING, Role.CLIENT, FETCH, "which no pending reload announced"),
    (State.PLAYING, Role.SERVER, BLOBS["physics"], "was not announced, or was already sent"),
]


@pytest.mark.parametrize(("state", "sender", "msg", "words"), GUARDS, ids=[g[3] for g in GUARDS])
def test_session_rules_hold_both_ways(state: State, sender: Role, msg: Message, words: str) -> None:
    p = pair_in(state)
    receiver = p.link(sender.peer)
    before = (receiver.pending_mods, receiver.tick, receiver.protocol_version)
    with pytest.raises(PeerViolation, match=words):
        receiver.receive(encode(msg))
    assert receiver.state is State.ERROR
    assert (receiver.pending_mods, receiver.tick, receiver.protocol_version) == before
    with pytest.raises(LocalMisuse, match=words):
        p.link(sender).send(msg)
    assert p.link(sender).state is State.ERROR


def test_a_mod_is_sent_once() -> None:
    p = pair_in(State.SYNCING)
    p.s2c(BLOBS["physics"])
    with pytest.raises(LocalMisuse, match="already sent"):
        p.server.send(BLOBS["physics"])
    with pytest.raises(PeerViolation, match="already sent"):
        p.client.receive(encode(BLOBS["physics"]))


def test_a_reloaded_mod_is_fetched_once_before_its_tick_and_sent_once() -> None:
    p = pair_in(State.PLAYING)
    p.s2c(TICK)  # announces physics for tick 1000
    p.c2s(FETCH)
    p.s2c(BLOBS["physics"])
    assert p.client.state is p.server.state is State.PLAYING
    with pytest.raises(LocalMisuse, match="already sent"):
        p.server.send(BLOBS["physics"])
    with pytest.raises(LocalMisuse, match="already fetched"):
        p.client.send(FETCH)


def test_a_reload_cannot_be_fetched_once_its_tick_came() -> None:
    p = pair_in(State.PLAYING)
    p.s2c(dataclasses.replace(TICK, reloads=(Reload(tick=12, mods=(MANIFEST[1],)),)))
    p.s2c(dataclasses.replace(TICK, tick=12, reloads=()))
    with pytest.raises(PeerViolation, match="no pending reload announced"):
        p.server.receive(encode(FETCH))


def test_a_reload_is_announced_ahead() -> None:
    with pytest.raises(LocalMisuse, match="not ahead of it"):
        dataclasses.replace(TICK, reloads=(Reload(tick=11, mods=(MANIFEST[1],)),))
    with pytest.raises(LocalMisuse, match="empty"):
        Reload(tick=12, mods=())


def test_input_numbers_increase() -> None:
    p = pair_in(State.PLAYING)
    p.c2s(INPUT)
    with pytest.raises(PeerViolation, match="Input seq 1 does not follow seq 1"):
        p.server.receive(encode(INPUT))
    with pytest.raises(LocalMisuse, match="Input seq 1 does not follow seq 1"):
        p.client.send(INPUT)


def test_a_warm_cache_hello_lets_the_server_skip_cached_mods_only() -> None:
    p = Pair()
    p.c2s(Hello(protocol_versions=(2,), vm_abi="vm", host_abi=MANIFEST[0].host_abi, name="Ada"))
    with pytest.raises(LocalMisuse, match="neither sends nor finds cached mod 'core'"):
        p.server.send(WELCOME)


# -- errors and what follows them ----------------------------------------------------------


def test_after_an_error_only_bye_can_be_sent() -> None:
    p = pair_in(State.PLAYING)
    with pytest.raises(PeerViolation, match="not a msgpack message"):
        p.server.receive(b"\xc1")
    assert p.server.state is State.ERROR
    with pytest.raises(LocalMisuse, match=r"in ERROR \(not a msgpack message"):
        p.server.receive(encode(INPUT))
    with pytest.raises(LocalMisuse, match="server may not send Tick in state ERROR"):
        p.server.send(TICK)
    data = p.server.send(Bye(code=Code.PROTOCOL_ERROR, reason="bad bytes"))
    assert p.server.state is State.CLOSED
    assert p.client.receive(data) == Bye(code="protocol_error", reason="bad bytes")
    assert p.client.state is State.CLOSED


def test_an_oversized_message_puts_the_link_in_error() -> None:
    link = Link(Role.SERVER, limits=Limits(max_message_size=50))
    with pytest.raises(MessageTooLarge):
        link.receive(encode(HELLO))
    assert link.state is State.ERROR


def test_limits_apply_to_what_a_link_sends() -> None:
    link = Link(Role.CLIENT, limits=Limits(max_name_length=2))
    with pytest.raises(LocalMisuse, match="Hello.name: length 3 is over max_name_length=2"):
        link.send(HELLO)
    assert link.state is State.ERROR


def test_nothing_is_read_after_close() -> None:
    p = pair_in(State.CLOSED)
    with pytest.raises(PeerViolation, match="server may not send Tick in state CLOSED"):
        p.client.receive(encode(TICK))
    with pytest.raises(LocalMisuse, match="server may not send Bye in state CLOSED"):
        p.server.send(BYE)


def test_a_link_needs_a_role_and_sends_only_messages() -> None:
    with pytest.raises(LocalMisuse, match="role"):
        Link("client")  # type: ignore[arg-type]
    link = Link(Role.CLIENT)
    with pytest.raises(LocalMisuse, match="not a message"):
        link.send(b"hello")  # type: ignore[arg-type]
    assert link.state is State.ERROR


def test_roles_know_their_peer() -> None:
    assert Role.CLIENT.peer is Role.SERVER and Role.SERVER.peer is Role.CLIENT


def test_snapshot_is_needed_before_ticks() -> None:
    p = pair_in(State.READY)
    with pytest.raises(PeerViolation, match="server may not send Tick in state READY"):
        p.client.receive(encode(TICK))


def test_a_new_snapshot_resets_the_tick_sequence() -> None:
    p = pair_in(State.PLAYING)
    p.s2c(dataclasses.replace(SNAPSHOT, tick=50))
    p.s2c(dataclasses.replace(TICK, tick=51))
    assert p.client.tick == 51


def test_pending_reloads_are_bounded() -> None:
    limits = Limits(max_mods=2)
    client, server = Link(Role.CLIENT, limits=limits), Link(Role.SERVER, limits=limits)
    p = pair_in(State.PLAYING)
    p.client, p.server = client, server
    for link in (client, server):  # straight to PLAYING at tick 10, as pair_in leaves it
        link.state, link.tick = State.PLAYING, 10
    p.s2c(dataclasses.replace(TICK, reloads=(Reload(tick=100, mods=(MANIFEST[1],)),
                                             Reload(tick=200, mods=(MANIFEST[1],)))))
    third = dataclasses.replace(TICK, tick=12, reloads=(Reload(tick=300, mods=(MANIFEST[1],)),))
    with pytest.raises(LocalMisuse, match="3 reloads of 1 builds pending, over max_mods=2"):
        server.send(third)
    with pytest.raises(PeerViolation, match="3 reloads of 1 builds pending"):
        client.receive(encode(third, limits=limits))
