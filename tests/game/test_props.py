"""Mods' own kinds, entity properties and ownership (host calls 96..100), with the keeper
test mod built by the real toolchain, on both engines; and game.props' state on its own."""

from __future__ import annotations

import pytest

from game.props import Props
from game.rules import KINDS_PER_MOD, NAMED_MAX, PROP_KEYS_PER_MOD, PROP_VALUES_PER_MOD
from game.simulation import Simulation, SimulationError
from game.world import World
from tests.game.keeper import Driver, image, use_engine

BASE = 100  # KIND_MOD_BASE, written out: the test must not take it from the code under test


@pytest.fixture(params=["interp", "translate"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_engine(monkeypatch, request.param)
    return str(request.param)


def two(*permissions_b: str) -> Driver:
    """Mods "a" (no permissions) and "b" (``permissions_b``), player 1 joined (entity 1)."""
    return Driver(Simulation([image("a"), image("b", *permissions_b)], seed=3))


def test_kinds_are_private_unless_both_declare_them_shared(engine: str) -> None:
    d = two()
    assert d.say("/kind coin 0", "/kind flag 1", "/kind coin 0", "/kind flag 0",
                 "@b /kind flag 1") == [
        "a: kind 100", "b: kind 101",  # the same private name: two kinds
        "a: kind 102", "b: kind 102",  # shared by both: one kind
        "a: kind 100", "b: kind 101",  # again: the same numbers
        "a: kind 103", "b: kind 104",  # a private "flag" is not the shared one
        "b: kind 102",
    ]
    assert not d.faults()


def test_a_private_key_is_its_mods_and_a_shared_one_everyones_who_declares_it(
        engine: str) -> None:
    d = two()
    assert d.say("/key hp 0", "/key team 1", "@a /spawn") == [
        "a: key 1", "b: key 2", "a: key 3", "b: key 3", "a: spawned 2"]
    assert d.say("@a /pset 2 1 42", "@b /pset 2 2 -5", "@a /pset 1 3 7",
                 "@a /pget 2 1", "@b /pget 2 2", "/pget 1 3") == [
        "a: pset", "b: pset", "a: pset", "a: pget 42", "b: pget -5", "a: pget 7", "b: pget 7"]
    # b uses a's private key: contained, nothing read.
    lines = d.say("@b /pget 2 1")
    assert [f.mod for f in d.faults()] == ["b"]
    assert "property key 1 is not one this mod registered" in d.faults()[0].message
    assert lines[0].startswith("b: on_chat contained")
    # A key nobody registered, and a shared key b never declared shared.
    d2 = two()
    d2.say("@a /key team 1")
    d2.say("@b /pset 1 1 3", "@a /pget 1 99")
    assert [(f.mod, "key" in f.message) for f in d2.faults()] == [("b", True), ("a", True)]


def test_properties_go_with_their_entity_and_read_zero_when_it_is_gone(engine: str) -> None:
    d = two()
    d.say("@a /key hp 0", "@a /spawn", "@a /pset 2 1 9")
    assert d.sim.world.props.values == {2: {1: 9}}
    assert d.say("@a /kill 2", "@a /pget 2 1", "@a /pset 2 1 5", "@a /pget 2 1") == [
        "a: killed 1", "a: pget 0", "a: pset", "a: pget 0"]
    assert d.sim.world.props.values == {}
    d.say("@a /pset 1 1 4", "@a /pset 1 1 0")  # 0 removes it
    assert d.sim.world.props.values == {}


def test_a_faulting_hook_undoes_its_kinds_keys_and_properties(engine: str) -> None:
    d = two()
    d.say("@a /key hp 0", "@a /pset 1 1 7")
    before = d.sim.world.props.to_bytes()
    d.say("@a /then-fault /pset 1 1 8")
    d.say("@a /then-fault /kind ghost 1", "@b /then-fault /key ghost 0")
    assert [f.mod for f in d.faults()] == ["a", "a", "b"]
    assert d.sim.world.props.to_bytes() == before
    assert d.say("@a /pget 1 1", "@a /kind next 0", "@b /key next 0") == [
        "a: pget 7", f"a: kind {BASE}", "b: key 2"]


def test_names_are_bounded(engine: str) -> None:
    d = two()
    d.say("@a /kind " + "k" * (NAMED_MAX + 1) + " 0")
    assert "is not 1..32 printable ASCII" in d.faults()[-1].message
    assert d.say("@b /kind " + "k" * NAMED_MAX + " 0") == [f"b: kind {BASE}"]


def test_a_mod_changes_only_what_it_made_unless_its_permissions_say(engine: str) -> None:
    d = two()
    assert d.say("@a /spawn", "@a /may 2", "@b /may 2", "@a /may 1", "@b /may 1") == [
        "a: spawned 2", "a: may 1", "b: may 0", "a: may 0", "b: may 0"]
    d.say("@b /move 2")
    assert 'another mod\'s; the mod needs permissions = ["entities"]' in d.faults()[-1].message
    d.say("@b /kill 2")
    assert len(d.faults()) == 2 and 2 in d.sim.world.entities
    d.say("@a /move 1")
    assert 'a player\'s; the mod needs permissions = ["players"]' in d.faults()[-1].message
    # With the permissions, b may.
    p = two("entities", "players")
    assert p.say("@a /spawn", "@b /may 2", "@b /may 1", "@b /kill 2") == [
        "a: spawned 2", "b: may 1", "b: may 1", "b: killed 1"]
    assert not p.faults()


def test_server_and_client_agree_and_a_snapshot_carries_props(engine: str) -> None:
    server, client = two(), two()
    script = [("/kind coin 0", "/key hp 0", "/key team 1"), ("@a /spawn", "@b /spawn"),
              ("@a /pset 2 1 11", "@b /pset 3 2 22", "/pset 1 3 5"), ("@b /kill 3",)]
    for lines in script:
        server.say(*lines)
        client.say(*lines)
        assert server.sim.state_hash() == client.sim.state_hash()
    joiner = Simulation([image("a"), image("b")], seed=3, start=False)
    joiner.restore(server.sim.snapshot())
    assert joiner.state_hash() == server.sim.state_hash()
    assert joiner.world.props.values == {1: {3: 5}, 2: {1: 11}}
    late = Driver.__new__(Driver)
    late.sim = joiner
    assert late.say("/pget 1 3", "@a /kind coin 0") == ["a: pget 5", "b: pget 5",
                                                         f"a: kind {BASE}"]


# --- the state on its own -------------------------------------------------------------------

def world_with_props() -> World:
    w = World(width=1000, height=1000, seed=1)
    for _ in range(3):
        w.spawn(7, 1, 1, maker=1)
    w.props.kinds.register("a", "coin", False)
    w.props.kinds.register("b", "flag", True)
    w.props.kinds.register("a", "flag", True)
    key = w.props.keys.register("a", "hp", False)
    w.props.set("a", 2, key, -3)
    w.props.set("a", 3, key, 1 << 40)
    return w


def test_props_round_trip_byte_for_byte() -> None:
    w = world_with_props()
    data = w.to_bytes()
    again = World.from_bytes(data)
    assert again.to_bytes() == data
    assert again.props.values == {2: {1: -3}, 3: {1: 1 << 40}}
    assert again.props.kinds.register("a", "flag", True) == BASE + 1
    assert again.props.kinds.register("c", "coin", False) == BASE + 2


def test_a_mod_holds_a_bounded_number_of_values() -> None:
    p = Props()
    mine, shared = p.keys.register("a", "mine", False), p.keys.register("a", "team", True)
    assert p.keys.register("b", "team", True) == shared
    for eid in range(1, PROP_VALUES_PER_MOD + 1):
        p.set("a", eid, mine, eid)
    assert p.held == {"a": PROP_VALUES_PER_MOD}
    with pytest.raises(ValueError, match="at most 2048 property values"):
        p.set("a", 1, shared, 5)
    p.set("a", 1, mine, 7)  # changing a value it holds is not one more
    p.set("b", 1, shared, 5)  # b holds its own
    p.set("a", 2, mine, 0)  # removing one frees one
    p.set("a", 1, shared, 6)  # ... and a value b held passes to a
    assert p.held == {"a": PROP_VALUES_PER_MOD, "b": 0}
    p.forget(1)
    assert p.held == {"a": PROP_VALUES_PER_MOD - 2, "b": 0} and 1 not in p.values


def test_a_mods_names_are_capped() -> None:
    p = Props()
    for i in range(KINDS_PER_MOD):
        assert p.kinds.register("a", f"k{i}", i % 2 == 0) == BASE + i
    with pytest.raises(ValueError, match="at most 64 kinds"):
        p.kinds.register("a", "one-more", False)
    assert p.kinds.register("a", "k3", False) == BASE + 3  # known names still answer
    for i in range(PROP_KEYS_PER_MOD):
        p.keys.register("b", f"k{i}", True)
    with pytest.raises(ValueError, match="at most 64 property keys"):
        p.keys.register("b", "x", True)


@pytest.mark.parametrize("change", [
    "value of a missing entity", "zero value", "unknown key",
    "kind numbered out of order", "private kind of two mods", "count 2**32-1", "non-ascii name",
    "holder not a registrant", "out of order",
])
def test_hostile_props_bytes_are_refused(change: str) -> None:
    w = world_with_props()
    data = bytearray(w.to_bytes())
    row = 8 + 8 + 8 + 2  # entity, key, value, holder (its index among the key's registrants)
    values_at = len(data) - 4 - 2 * row  # the two values, before storage's count

    def value(i: int, eid: int | None = None, key: int | None = None, v: int | None = None,
              holder: int | None = None) -> None:
        at = values_at + row * i
        for off, new, size in ((0, eid, 8), (8, key, 8), (16, v, 8), (24, holder, 2)):
            if new is not None:
                data[at + off:at + off + size] = new.to_bytes(size, "little", signed=True)
    if change == "value of a missing entity":
        value(1, eid=99)
    elif change == "zero value":
        value(0, v=0)
    elif change == "unknown key":
        value(0, key=2)
    elif change == "holder not a registrant":
        value(1, holder=1)
    elif change == "out of order":
        value(1, eid=2)
    elif change == "count 2**32-1":
        data[values_at - 4:values_at] = b"\xff\xff\xff\xff"
    else:
        kinds_at = data.find(b"coin") - 4 - 4 - 8  # number, owner blob ("a"), name length
        if change == "kind numbered out of order":
            data[kinds_at:kinds_at + 8] = (BASE + 5).to_bytes(8, "little")
        if change == "private kind of two mods":
            data[kinds_at + 8 + 4:kinds_at + 8 + 5] = b"b"  # owner "b", registrant "a"
        if change == "non-ascii name":
            data[data.find(b"coin"):data.find(b"coin") + 1] = b"\xc3"
    with pytest.raises(ValueError, match="malformed"):
        World.from_bytes(bytes(data))


def test_a_simulation_refuses_a_snapshot_with_bad_props(engine: str) -> None:
    d = two()
    d.say("@a /key hp 0", "@a /pset 1 1 7")
    snap = d.sim.snapshot()
    bad = snap.replace((7).to_bytes(8, "little"), (0).to_bytes(8, "little"), 1)
    assert bad != snap
    before = d.sim.state_hash()
    with pytest.raises(SimulationError):
        d.sim.restore(bad)
    assert d.sim.state_hash() == before
