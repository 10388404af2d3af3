"""Queries, player info, timers, mod-to-mod messages, on_mod_disabled and re-enabling a mod,
on a real C mod (tests/game/guests/services.c) built by the real toolchain, on both engines.

The mod is driven by chat commands and logs what each host call gave back; expected values
come from the world's entities and the rules in game/services.py's modules, re-derived here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest

import game.simulation as simulation
from game.rules import (
    MAX_FAULTS,
    MESSAGES_PER_TICK,
    PERMISSION_PLAYERS,
    QUERY_MAX,
    TIMER_TICKS_MAX,
    TIMERS_PER_MOD,
)
from game.simulation import (
    ModImage,
    Simulation,
    SimulationError,
    TickInputs,
    snapshot_part_hashes,
)
from tests.vm.toolchain import DEFAULT_CACHE_DIR, compile_c
from vm import Machine

GUEST = Path(__file__).parent / "guests" / "services.c"
ONE = 256


@pytest.fixture(scope="module")
def elf() -> bytes:
    return compile_c(GUEST, opt="O2", compressed=True, out_dir=DEFAULT_CACHE_DIR).read_bytes()


@pytest.fixture(params=["interp", "translate"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every simulation the test makes runs its mods on this engine."""
    monkeypatch.setattr(simulation, "Machine", functools.partial(Machine, engine=request.param))
    yield request.param


def images(elf: bytes, *names: str) -> list[ModImage]:
    return [ModImage(n, elf, memory=1 << 20, stack=64 << 10, instructions=1_000_000,
                     permissions=frozenset({PERMISSION_PLAYERS})) for n in names]


class Driver:
    """A simulation with player 1 ("ann") and player 2 ("bøb"), who join in tick 1, and
    past tick 2 (the mod's on_load timers have fired)."""

    def __init__(self, elf: bytes, *names: str, seed: int = 5) -> None:
        self.sim = Simulation(images(elf, *names), seed=seed)
        self.step(joins=((1, "ann"), (2, "bøb")))
        self.step()

    def step(self, *commands: str, joins: tuple = (), enables: tuple = ()) -> list[tuple]:
        """One tick with player 1 saying ``commands``; the (mod, line) logs of that tick."""
        sim = self.sim
        before = len(sim.logs)
        sim.step(TickInputs(sim.world.tick + 1, joins=joins, enables=enables,
                            chats=tuple((1, c) for c in commands)))
        return sim.logs[before:]

    def lines(self, *commands: str, mod: str = "svc_a") -> list[str]:
        return [text for name, text in self.step(*commands) if name == mod]


def records(lines: list[str]) -> tuple[int, list[tuple[int, ...]]]:
    """(count, records) of a logged query."""
    assert lines[0].startswith("n="), lines
    return int(lines[0][2:]), [tuple(int(v) for v in ln.split(",")) for ln in lines[1:]]


def world_records(sim: Simulation, keep) -> list[tuple[int, ...]]:  # noqa: ANN001
    return [(e.id, e.kind, e.x, e.y, e.vx, e.vy) for e in sim.world.entities.values()
            if keep(e)]


PLACES = [(100, 10, 10, 1, 2), (101, 12, 10, 0, 0), (100, 30, 30, -3, 0), (100, 14, 13, 0, 0),
          (101, 11, 9, 5, 5), (102, 50, 40, 0, 0)]


def populated(elf: bytes) -> Driver:
    d = Driver(elf, "svc_a")
    for kind, x, y, vx, vy in PLACES:
        d.lines(f"spawn {kind} {x * ONE} {y * ONE} {vx} {vy}")
    return d


def test_query_radius_returns_exactly_the_entities_in_the_circle(elf: bytes, engine: str) -> None:
    d = populated(elf)
    cx, cy, r = 11 * ONE, 10 * ONE, 3 * ONE
    for kind in (0, 100, 101, 7):
        count, got = records(d.lines(f"radius {cx} {cy} {r} {kind} 64"))
        want = world_records(d.sim, lambda e, k=kind: (k == 0 or e.kind == k)
                             and (e.x - cx) ** 2 + (e.y - cy) ** 2 <= r * r)
        assert got == want and count == len(want)
    # (14, 13) is at distance 3*sqrt(2) from (11, 10): outside r = 3, inside r = 5
    _, got = records(d.lines(f"radius {cx} {cy} {5 * ONE} 100 64"))
    assert [rec[2:4] for rec in got] == [(10 * ONE, 10 * ONE), (14 * ONE, 13 * ONE)]
    assert records(d.lines(f"radius {cx} {cy} -1 0 64")) == (0, [])


def test_query_rect_and_kind_with_paging_and_a_bounded_count(elf: bytes, engine: str) -> None:
    d = populated(elf)
    count, got = records(d.lines(f"rect {9 * ONE} {9 * ONE} {12 * ONE} {10 * ONE} 0 64"))
    assert got == world_records(d.sim, lambda e: 9 * ONE <= e.x <= 12 * ONE
                                and 9 * ONE <= e.y <= 10 * ONE)
    assert count == 3
    everything = world_records(d.sim, lambda e: True)  # two players + six spawned
    assert len(everything) == 8
    count, got = records(d.lines("kind 0 0 3"))  # more match than fit: the count says so
    assert count == 8 and got == everything[:3]
    count, got = records(d.lines(f"kind 0 {got[-1][0] + 1} 3"))  # the next page
    assert count == 5 and got == everything[3:6]
    count, got = records(d.lines("kind 100 0 64"))
    assert got == [r for r in everything if r[1] == 100] and count == 3
    assert records(d.lines("kind 1 0 0")) == (2, [])  # count only: two players


@pytest.mark.parametrize("command, reason", [
    ("badbuf", "cannot write"), ("bigmax", f"outside 0..{QUERY_MAX}"),
    ("spin", "host calls"),
])
def test_hostile_queries_fault_the_mod_only(elf: bytes, engine: str, command: str,
                                            reason: str) -> None:
    d = populated(elf)
    before = d.sim.state_hash()
    d.lines(command)
    fault = d.sim.faults[-1]
    assert (fault.mod, fault.hook) == ("svc_a", "on_chat") and reason in fault.message
    assert d.lines("kind 1 0 0")[0] == "n=2"  # still running
    assert before != d.sim.state_hash()


def test_player_name_and_ticks_connected(elf: bytes, engine: str) -> None:
    d = Driver(elf, "svc_a")
    assert d.lines("name 1 80") == ["len=3 [ann] guard=#"]
    assert d.lines("name 2 80") == ["len=4 [bøb] guard=#"]  # UTF-8: ø is two bytes
    assert d.lines("name 2 2") == ["len=4 [b\ufffd] guard=#"]  # half a character written
    assert d.lines("name 1 2") == ["len=3 [an] guard=#"]  # nothing written past max
    assert d.lines("name 9 80") == ["len=-1 [] guard=#"]
    d.lines("name 1 -1")
    assert "negative" in d.sim.faults[-1].message
    tick = d.sim.world.tick
    assert d.lines("conn 1") == [f"conn={tick + 1 - 1}"]  # joined in tick 1
    d.step(joins=((3, "cy"),))
    assert d.lines("conn 3", "conn 9") == ["conn=1", "conn=-1"]
    d.sim.step(TickInputs(d.sim.world.tick + 1, leaves=(3,)))
    assert d.lines("conn 3") == ["conn=-1"]


def test_timers_fire_in_order_and_are_bounded(elf: bytes, engine: str) -> None:
    sim = Simulation(images(elf, "svc_a"), seed=1)
    sim.step(TickInputs(1, joins=((1, "ann"),)))
    assert [t for _, t in sim.logs] == ["timer 1001 at 1"]  # set in on_load
    d = Driver.__new__(Driver)
    d.sim = sim
    assert d.lines() == ["timer 1002 at 2"]
    assert d.lines("after 2 7", "after 2 8", "after 1 9") == ["after=1"] * 3
    assert d.lines() == ["timer 9 at 4"]
    assert d.lines() == ["timer 7 at 5", "timer 8 at 5"]  # the order they were set
    assert d.lines("after 3 1", "after 3 1", "after 3 2", "cancel 1") == \
        ["after=1", "after=1", "after=1", "cancel=2"]
    assert d.lines() == d.lines() == [] and d.lines() == ["timer 2 at 9"]
    assert d.lines(f"timers {TIMERS_PER_MOD + 6}") == [f"timers={TIMERS_PER_MOD}"]
    for bad in (0, TIMER_TICKS_MAX + 1):  # two faults: a third would disable the mod
        d.lines(f"after {bad} 3")
        assert f"outside 1..{TIMER_TICKS_MAX}" in sim.faults[-1].message
    assert d.lines(f"after {TIMER_TICKS_MAX} 3") == ["after=0"]  # full, not a fault


def test_messages_arrive_next_tick_in_order_and_are_bounded(elf: bytes, engine: str) -> None:
    d = Driver(elf, "svc_a", "svc_b")
    logs = d.step("@svc_a send svc_b one", "@svc_a send svc_a two", "@svc_a send nobody three")
    assert [t for m, t in logs if m == "svc_a"] == ["send=1", "send=1", "send=0"]
    assert not any(t.startswith("message") for _, t in logs)  # not in the same tick
    logs = d.step()
    tick = d.sim.world.tick
    assert [(m, t) for m, t in logs if t.startswith("message")] == [
        ("svc_b", f"message from svc_a: one at {tick}"),
        ("svc_a", f"message from svc_a: two at {tick}")]
    assert d.lines(f"@svc_a flood svc_b {MESSAGES_PER_TICK + 8}") == [f"flood={MESSAGES_PER_TICK}"]
    # all 32 arrive; the log keeps LOG_LINES_PER_TICK of the lines and counts the rest
    assert d.lines(mod="svc_b") == [f"message from svc_a: x at {d.sim.world.tick}"] * 16 + [
        f"over its per-tick caps: dropped {MESSAGES_PER_TICK - 16} log lines"]
    # two senders of 20 each: the receiver is sent MESSAGES_PER_TICK for the next tick, not 40
    logs = d.step("@svc_a flood svc_b 20", "@svc_b flood svc_b 20")
    assert [t for _, t in logs if t.startswith("flood")] == [
        "flood=20", f"flood={MESSAGES_PER_TICK - 20}"]
    d.lines("@svc_a bigmsg svc_b")
    assert "more than 1024" in d.sim.faults[-1].message


def test_a_faulting_hook_sets_no_timer_and_sends_no_message(elf: bytes, engine: str) -> None:
    d = Driver(elf, "svc_a", "svc_b")
    d.step("@svc_a crash")
    assert [(f.mod, f.kind) for f in d.sim.faults] == [("svc_a", "store fault")]
    later = d.step() + d.step()
    assert not any("999" in t or "lost" in t for _, t in later)
    assert d.sim.services.timers.pending == [] and d.sim.services.mailbox.outbox == []


def test_disabled_mod_is_announced_and_re_enabled_at_a_tick(elf: bytes, engine: str) -> None:
    d = Driver(elf, "svc_a", "svc_b")
    for _ in range(MAX_FAULTS - 1):
        d.step("@svc_a crash")
    logs = d.step("@svc_a crash")
    tick = d.sim.world.tick
    assert ("svc_a", f"disabled svc_a at {tick}") not in logs  # the disabled mod is not told
    assert ("svc_b", f"disabled svc_a at {tick}") in logs
    assert d.sim.mod_status()[0] == ("svc_a", MAX_FAULTS, True)
    assert d.lines("@svc_b send svc_a hi", mod="svc_b") == ["send=0"]  # svc_a is disabled
    assert d.sim.enable_mod("nope") == "no mod is called 'nope'"
    assert d.sim.enable_mod("svc_b") == "mod svc_b is not disabled"
    logs = d.step("@svc_a conn 1", enables=("svc_a",))
    assert ("svc_a", f"conn={d.sim.world.tick - 1}") in logs
    assert d.sim.mod_status()[0] == ("svc_a", 0, False)


def test_snapshot_carries_timers_messages_and_roster(elf: bytes, engine: str) -> None:
    d = Driver(elf, "svc_a", "svc_b")
    d.step("@svc_a after 2 42", "@svc_a send svc_b carried")
    joiner = Simulation(images(elf, "svc_a", "svc_b"), seed=5, start=False)
    joiner.restore(d.sim.snapshot())
    assert joiner.state_hash() == d.sim.state_hash()
    for sim in (d.sim, joiner):
        before = len(sim.logs)
        sim.step(TickInputs(sim.world.tick + 1, chats=((1, "@svc_a name 2 80"),)))
        sim.step(TickInputs(sim.world.tick + 1))
        assert [t for _, t in sim.logs[before:]] == [
            "len=4 [bøb] guard=#",
            f"message from svc_a: carried at {sim.world.tick - 1}",
            f"timer 42 at {sim.world.tick}"]
    assert joiner.state_hash() == d.sim.state_hash()


def test_state_hash_sees_a_pending_timer(elf: bytes, engine: str) -> None:
    a, b = Driver(elf, "svc_a"), Driver(elf, "svc_a")
    a.step("after 5 1", "cancel 1")
    b.step("after 5 1", "cancel 2")
    assert a.sim.world.digest() == b.sim.world.digest()
    assert a.sim.state_hash(machines=False) != b.sim.state_hash(machines=False)
    # and a desync report names the part that differs (the mods' memories differ too: they
    # logged other results)
    pa, pb = a.sim.part_hashes(), b.sim.part_hashes()
    assert [k for k in pa if pa[k] != pb[k]] == ["services", "mod:svc_a"]


def _with_services(snapshot: bytes, services: object) -> bytes:
    doc = msgpack.unpackb(snapshot, raw=False)
    if services is None:
        del doc["services"]
    else:
        doc["services"] = services
    return msgpack.packb(doc)


@pytest.mark.parametrize("services", [
    None, 7, b"\xc1", msgpack.packb([[], [0, []]]),
    msgpack.packb([[[1, 2, 3]], [0, []], []]),  # name not a str
    msgpack.packb([[], [0, [[5, 3, 0, 1]]], []]),  # a timer of mod 3 of 1
    msgpack.packb([[], [0, [[5, 1, i, 1] for i in range(TIMERS_PER_MOD + 1)]], []]),
    msgpack.packb([[], [0, []], [[1, 1, b"x" * 1025]]]),
    msgpack.packb([[], [0, []], [[1, 1, b"x"]] * (MESSAGES_PER_TICK + 1)]),
])
def test_hostile_services_in_a_snapshot_are_refused(elf: bytes, services: object) -> None:
    d = Driver(elf, "svc_a")
    joiner = Simulation(images(elf, "svc_a"), seed=5, start=False)
    before = joiner.state_hash()
    bad = _with_services(d.sim.snapshot(), services)
    with pytest.raises(SimulationError, match="bad snapshot"):
        joiner.restore(bad)
    assert joiner.state_hash() == before
    with pytest.raises(SimulationError, match="bad snapshot"):
        snapshot_part_hashes(bad)
