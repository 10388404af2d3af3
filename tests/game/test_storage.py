"""Persistent per-mod storage (host calls 104..106) with the keeper test mod built by the
real toolchain, on both engines; and game.storage's state bytes, hostile ones included."""

from __future__ import annotations

import struct

import pytest

from game.simulation import Simulation, SimulationError
from game.storage import Storage
from tests.game.keeper import Driver, image, use_engine

LIMIT = 16 << 10  # STORAGE_BYTES_PER_MOD, written out


@pytest.fixture(params=["interp", "translate"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    use_engine(monkeypatch, request.param)
    return str(request.param)


def two(stored: bytes = b"") -> Driver:
    return Driver(Simulation([image("a"), image("b")], seed=3, stored=stored))


def test_set_get_delete_each_mod_its_own(engine: str) -> None:
    d = two()
    assert d.say("@a /sset best 12345", "/sget best 64", "@a /sget best 3",
                 "@a /sget best 0", "@b /sset best zz", "/sget best 64") == [
        "a: sset 1", "a: sget 5 12345", "b: sget -1 ",  # b has no "best"
        "a: sget 5 123",  # cut at cap, the full length returned
        "a: sget 5 ",  # cap 0: the length only
        "b: sset 1", "a: sget 5 12345", "b: sget 2 zz"]
    assert d.say("@a /sdel best", "@a /sdel best", "/sget best 64") == [
        "a: sdel 1", "a: sdel 0", "a: sget -1 ", "b: sget 2 zz"]
    assert not d.faults()


def test_sizes_are_bounded(engine: str) -> None:
    d = two()
    assert d.say("@a /sbig 4096", "@a /sget big 2", "@a /sset " + "k" * 64 + " v") == [
        "a: sbig 1", "a: sget 4096 xx", "a: sset 1"]
    d.say("@a /sset " + "k" * 65 + " v")
    assert "a storage key is 1..64 bytes, not 65" in d.faults()[-1].message
    d.say("@b /sbig 4097")  # longer than a guest string may be: the VM refuses it first
    assert "4097 bytes, more than 4096" in d.faults()[-1].message
    d3 = two()
    assert d3.say("@a /sfill") == ["a: sfill 16"]  # 10 x (5 + 1000) + 6 x (6 + 1000) bytes
    assert d3.sim.world.storage.used("a") == 10 * 1005 + 6 * 1006 <= LIMIT
    # A smaller value fits, and then exactly what is left (16384 - 16086 + 999 = 1297 bytes).
    assert d3.say("@a /sset fill0 z", "@a /sbig 1295", "@a /sbig 1294", "@a /sset x y",
                  "@b /sset x y") == [
        "a: sset 1", "a: sbig 0", "a: sbig 1", "a: sset 0", "b: sset 1"]  # b: its own total
    assert d3.sim.world.storage.used("a") == LIMIT


def test_a_bad_buffer_is_the_mods_fault(engine: str) -> None:
    d = two()
    d.say("/sset k abcdefgh")
    d.say("@a /sgetat k 0x10 8")
    assert "cannot write 8 bytes" in d.faults()[-1].message
    d.say("@b /sgetro k")  # its own code is read-only
    assert "cannot write 8 bytes" in d.faults()[-1].message
    d.say("@a /sgetat k 0x10 -1")
    assert "cap -1 is negative" in d.faults()[-1].message
    d2 = two()
    assert d2.say("@a /sgetat missing 0x10 8") == ["a: sget -1"]  # nothing to write


def test_a_faulting_hook_undoes_its_writes(engine: str) -> None:
    d = two()
    d.say("@a /sset keep 1", "@a /sset gone 2")
    before = d.sim.storage_bytes()
    d.say("@a /then-fault /sset keep 9")
    d.say("@a /then-fault /sdel gone")
    assert d.sim.storage_bytes() == before
    assert d.say("@a /sget keep 9", "@a /sget gone 9") == ["a: sget 1 1", "a: sget 1 2"]


def test_storage_survives_a_restart_and_is_hashed(engine: str) -> None:
    first = two()
    first.say("@a /sset best 77", "@b /sset name bob")
    saved = first.sim.storage_bytes()
    again = two(stored=saved)
    assert again.say("/sget best 9", "/sget name 9") == [
        "a: sget 2 77", "b: sget -1 ", "a: sget -1 ", "b: sget 3 bob"]
    fresh = two()
    assert fresh.sim.state_hash() != two(stored=saved).sim.state_hash()
    assert fresh.sim.state_hash() == two().sim.state_hash()


def test_server_and_client_agree_and_a_joiner_gets_the_storage(engine: str) -> None:
    server, client = two(), two()
    for lines in (("@a /sset x 1",), ("/sset y 22", "@b /sdel y"), ("@a /sbig 3000",)):
        server.say(*lines)
        client.say(*lines)
        assert server.sim.state_hash() == client.sim.state_hash()
    joiner = Simulation([image("a"), image("b")], seed=3, start=False)
    joiner.restore(server.sim.snapshot())
    assert joiner.state_hash() == server.sim.state_hash()
    assert joiner.storage_bytes() == server.sim.storage_bytes()


# --- the state on its own -------------------------------------------------------------------

def blob(b: bytes) -> bytes:
    return struct.pack("<I", len(b)) + b


def storage_bytes(*mods: tuple[bytes, list[tuple[bytes, bytes]]]) -> bytes:
    """Storage bytes written by hand: [count] then per mod name, count, key/value blobs."""
    out = struct.pack("<I", len(mods))
    for name, records in mods:
        out += blob(name) + struct.pack("<I", len(records))
        out += b"".join(blob(k) + blob(v) for k, v in records)
    return out


def test_the_format_is_what_the_docs_say() -> None:
    s = Storage()
    assert s.set("b", b"k2", b"v") and s.set("b", b"k1", b"") and s.set("a", b"z", b"1")
    assert s.to_bytes() == storage_bytes((b"a", [(b"z", b"1")]),
                                         (b"b", [(b"k1", b""), (b"k2", b"v")]))
    assert Storage.from_bytes(s.to_bytes()).to_bytes() == s.to_bytes()


def test_a_mod_has_at_most_256_keys() -> None:
    s = Storage()
    for i in range(256):
        assert s.set("a", b"%04d" % i, b"")
    assert not s.set("a", b"one-more", b"")
    assert s.set("a", b"0001", b"changed") and s.set("b", b"one-more", b"")
    assert s.delete("a", b"0000") and s.set("a", b"one-more", b"")
    assert len(Storage.from_bytes(s.to_bytes()).to_bytes()) == len(s.to_bytes())


HOSTILE = {
    "truncated": storage_bytes((b"a", [(b"k", b"v")]))[:-1],
    "trailing": storage_bytes((b"a", [(b"k", b"v")])) + b"\0",
    "mods out of order": storage_bytes((b"b", [(b"k", b"v")]), (b"a", [(b"k", b"v")])),
    "same mod twice": storage_bytes((b"a", [(b"k", b"v")]), (b"a", [(b"j", b"v")])),
    "keys out of order": storage_bytes((b"a", [(b"k", b"v"), (b"j", b"v")])),
    "empty key": storage_bytes((b"a", [(b"", b"v")])),
    "empty key first": storage_bytes((b"a", [(b"", b"v"), (b"k", b"v")])),
    "key too long": storage_bytes((b"a", [(b"k" * 65, b"v")])),
    "value too long": storage_bytes((b"a", [(b"k", b"v" * 4097)])),
    "over the total": storage_bytes((b"a", [(b"%03d" % i, b"v" * 4096) for i in range(4)])),
    "a mod without records": storage_bytes((b"a", [])),
    "a mod name not UTF-8": storage_bytes((b"\xff", [(b"k", b"v")])),
    "2**32-1 mods": b"\xff\xff\xff\xff",
    "257 keys": storage_bytes((b"a", [(b"%04d" % i, b"") for i in range(257)])),
    "a length of 2**32-1": struct.pack("<I", 1) + b"\xff\xff\xff\xff",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_storage_bytes_are_refused(case: str) -> None:
    with pytest.raises(ValueError, match="malformed"):
        Storage.from_bytes(HOSTILE[case])


def test_a_simulation_refuses_bad_stored_bytes(engine: str) -> None:
    with pytest.raises(SimulationError, match="bad storage: malformed storage"):
        Simulation([image("a")], stored=HOSTILE["over the total"])


def test_a_world_with_every_cap_of_every_mod_full_fits_the_snapshot_room() -> None:
    """64 mods (the protocol's most) each with 64 kinds and 64 keys of 32-character names,
    2048 property values and 16 KiB of storage in 256 keys, beside a full world of entities,
    players and events: a joiner's snapshot can still carry the world."""
    from game.rules import ENTITIES_PER_MOD, MAX_ENTITIES, MAX_EVENTS_PER_TICK
    from game.world import World
    from protocol.limits import DEFAULT_LIMITS, SNAPSHOT_ROOM_WORLD

    mods = DEFAULT_LIMITS.max_mods
    world = World(width=1 << 20, height=1 << 20, seed=1)
    for i in range(MAX_ENTITIES):
        world.spawn(2, i, i, maker=1 + i // ENTITIES_PER_MOD)
    world.players = {pid: pid for pid in range(1, DEFAULT_LIMITS.max_players + 1)}
    world.events = [(1, 2, 3)] * MAX_EVENTS_PER_TICK
    for m in range(mods):
        mod = f"mod{m:02d}" + "x" * 27  # 32 characters, the longest mod name
        for i in range(64):
            world.props.kinds.register(mod, f"{i:02d}" + "k" * 30, False)
            key = world.props.keys.register(mod, f"{i:02d}" + "p" * 30, False)
            if i == 0:
                for eid in range(1, 2048 + 1):
                    world.props.set(mod, eid, key, -1)
        for k in range(256):
            assert world.storage.set(mod, b"%03d" % k, b"v" * (16384 // 256 - 3))
        assert world.storage.used(mod) == 16384
    size = len(world.to_bytes())
    assert size <= SNAPSHOT_ROOM_WORLD, size  # measured: 5,926,488 bytes of 8 MiB
    assert World.from_bytes(world.to_bytes()).to_bytes() == world.to_bytes()
