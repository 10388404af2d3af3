"""lockstep.handshake: the server's answer to every Hello, decided without a socket."""

from __future__ import annotations

import dataclasses

import msgpack
import pytest

from protocol import (
    PROTOCOL_VERSION,
    Code,
    Hello,
    Link,
    LocalMisuse,
    PeerViolation,
    Refusal,
    Role,
    Welcome,
)
from vm import VM_ABI

from .conftest import HOST_ABI, Served, server


def hello(name: str = "ann", **kwargs: object) -> Hello:
    fields: dict[str, object] = dict(protocol_versions=(PROTOCOL_VERSION,), vm_abi=VM_ABI,
                                     host_abi=HOST_ABI, name=name)
    fields.update(kwargs)
    return Hello(**fields)  # type: ignore[arg-type]


def welcomed(answer: Welcome | Refusal) -> Welcome:
    assert isinstance(answer, Welcome), answer
    return answer


def refused(answer: Welcome | Refusal, code: Code) -> str:
    assert isinstance(answer, Refusal), answer
    assert answer.code == code
    return answer.reason


def test_a_cold_client_is_welcomed_and_sent_every_mod(mods: list[Served]) -> None:
    hs = server(mods)
    w = welcomed(hs.accept(hello()))
    assert (w.protocol_version, w.player_id, w.tick_rate) == (PROTOCOL_VERSION, 1, 20)
    assert w.manifest == (mods[0].entry, mods[1].entry)
    assert w.sending == (mods[0].entry.sha256, mods[1].entry.sha256)
    assert hs.name(1) == "ann"
    assert hs.room.occupied == 1


def test_a_partly_warm_cache_is_sent_only_what_it_lacks(mods: list[Served]) -> None:
    hs = server(mods)
    stranger = "ab" * 32  # a mod this server does not serve: ignored
    w = welcomed(hs.accept(hello(cached_mods=(mods[1].entry.sha256, stranger))))
    assert w.sending == (mods[0].entry.sha256,)
    warm = welcomed(hs.accept(hello("bob", cached_mods=tuple(m.entry.sha256 for m in mods))))
    assert warm.sending == ()
    assert warm.player_id == 2


@pytest.mark.parametrize(("fields", "code", "words"), [
    (dict(protocol_versions=(999,)), Code.VERSION, "no common protocol version"),
    (dict(vm_abi="other-vm/9"), Code.VM_ABI, "'other-vm/9'"),
    (dict(host_abi="f" * 64), Code.HOST_ABI, "host ABI mismatch"),
    (dict(name="\u200b\u200d"), Code.NAME, "empty once invisible characters are removed"),
    # 32 characters, each 2 in NFC (U+2ADC is a composition exclusion): 64 once cleaned
    (dict(name="\u2adc" * 32), Code.NAME, "your name is not allowed"),
])
def test_a_refusal_names_its_reason_and_holds_nothing(
        mods: list[Served], fields: dict[str, object], code: Code, words: str) -> None:
    hs = server(mods, max_players=1)
    reason = refused(hs.accept(hello(**fields)), code)
    assert words in reason
    assert hs.room.occupied == 0
    assert welcomed(hs.accept(hello())).player_id > 0  # the one slot is still free


def test_a_name_is_taken_whatever_its_case_width_or_invisible_characters(
        mods: list[Served]) -> None:
    hs = server(mods)
    welcomed(hs.accept(hello("Bob")))
    for other in ("bob", "BOB", "\uff42\uff4f\uff42", "B\u200bob", "\u202eBob", "Bob\ufe0f"):
        assert "is taken" in refused(hs.accept(hello(other)), Code.NAME)
    assert hs.room.occupied == 1


def test_a_name_is_cleaned_and_freed_when_its_player_leaves(mods: list[Served]) -> None:
    hs = server(mods)
    w = welcomed(hs.accept(hello("\u202ebo\u200bb")))
    assert hs.name(w.player_id) == "bob"
    hs.leave(w.player_id)
    assert hs.room.occupied == 0
    again = welcomed(hs.accept(hello("BOB")))
    assert again.player_id != w.player_id  # ids are never reused
    hs.leave(12345)  # an unknown id: nothing happens
    assert hs.name(again.player_id) == "BOB"


def test_a_full_room_refuses_until_a_slot_frees(mods: list[Served]) -> None:
    hs = server(mods, max_players=2)
    first = welcomed(hs.accept(hello("a")))
    welcomed(hs.accept(hello("b")))
    assert refused(hs.accept(hello("c")), Code.FULL) == "the server is full (2 players)"
    hs.leave(first.player_id)
    assert welcomed(hs.accept(hello("c"))).player_id == 3


def test_admitted_players_join_the_world_under_their_clean_names(mods: list[Served]) -> None:
    hs = server(mods)
    a = welcomed(hs.accept(hello("a\u2003\u3000b")))
    b = welcomed(hs.accept(hello("cy")))
    hs.admit(a.player_id)
    closed = hs.room.close_tick()
    assert closed.inputs.joins == ((a.player_id, "a b"),)  # b has not said Ready yet
    assert hs.room.players == {a.player_id: "a b"}
    hs.leave(a.player_id)
    hs.leave(b.player_id)
    assert hs.room.close_tick().inputs.leaves == (a.player_id,)
    assert hs.room.players == {}


def test_a_manifest_a_welcome_cannot_carry_holds_nothing(mods: list[Served]) -> None:
    twice = [mods[0], dataclasses.replace(mods[0], entry=dataclasses.replace(
        mods[0].entry, name="again"))]  # two entries with one hash
    hs = server(twice)
    with pytest.raises(LocalMisuse, match="repeated"):
        hs.accept(hello())
    assert hs.room.occupied == 0
    hs.manifest = (mods[0].entry,)
    assert welcomed(hs.accept(hello())).sending == (mods[0].entry.sha256,)  # "ann" is free


def test_a_malformed_hello_never_reaches_the_handshake() -> None:
    """The server's link refuses it first (the shell then says Bye, protocol_error)."""
    too_many = {"t": "hello", "protocol_versions": [PROTOCOL_VERSION], "vm_abi": VM_ABI,
                "host_abi": HOST_ABI, "name": "ann",
                "cached_mods": [f"{i:064x}" for i in range(1025)]}
    with pytest.raises(PeerViolation, match="1025"):
        Link(Role.SERVER).receive(msgpack.packb(too_many))
    spaced = dict(too_many, cached_mods=[], name=" ann")
    with pytest.raises(PeerViolation, match="surrounding spaces"):
        Link(Role.SERVER).receive(msgpack.packb(spaced))


def test_a_returning_player_gets_its_id_slot_name_and_token_back(mods: list[Served]) -> None:
    issued: dict[int, str] = {}

    def issue(pid: int) -> str:
        issued[pid] = f"token-of-{pid}"
        return issued[pid]

    hs = server(mods, max_players=2)
    hs.issue = issue
    w = welcomed(hs.accept(hello("ann")))
    assert w.token == "token-of-1" and issued == {1: "token-of-1"}
    hs.admit(w.player_id)
    hs.room.close_tick()
    back = welcomed(hs.accept(hello("someone", token=w.token,
                                    cached_mods=(mods[0].entry.sha256,)),
                              reclaim=w.player_id))
    assert (back.player_id, back.token) == (w.player_id, w.token)
    assert back.sending == (mods[1].entry.sha256,)
    assert hs.name(w.player_id) == "ann" and hs.room.occupied == 1  # no second slot
    assert issued == {1: "token-of-1"}  # no new token
    hs.admit(w.player_id)  # already in the world: no second join
    assert hs.room.close_tick().inputs.joins == ()
    # The version rules apply to a returning player too; a slot not held cannot be claimed.
    refused(hs.accept(hello(token=w.token, protocol_versions=(1,)), reclaim=1), Code.VERSION)
    with pytest.raises(LocalMisuse, match="holds no slot"):
        hs.accept(hello(token="t"), reclaim=99)
    with pytest.raises(LocalMisuse, match="no token"):
        hs.accept(hello(), reclaim=1)


def test_holder_finds_a_player_by_its_name_as_names_compare(mods: list[Served]) -> None:
    hs = server(mods)
    w = welcomed(hs.accept(hello("Bob")))
    assert hs.holder("bob") == hs.holder("\uff42\uff4f\uff42") == hs.holder(" BOB ") == \
        w.player_id
    assert hs.holder("ann") is None
    hs.leave(w.player_id)
    assert hs.holder("Bob") is None
