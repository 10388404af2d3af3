"""The simulation on real compiled mods: lockstep equality, containment, snapshots."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from game.rules import MOD_CHAT_LINES
from game.simulation import (
    ALL_PLAYERS,
    MAX_FAULTS,
    ModChat,
    ModImage,
    Simulation,
    SimulationError,
    TickInputs,
)
from game.world import KIND_PLAYER

RIGHT, DOWN = 8, 2
FIXED = 256


def script(n: int) -> list[TickInputs]:
    """Two players; player 1 holds RIGHT, player 2 alternates DOWN and nothing."""
    out = []
    for tick in range(1, n + 1):
        joins = ((1, "ann"), (2, "bob")) if tick == 1 else ()
        inputs = ((1, RIGHT), (2, DOWN if tick % 2 else 0))
        chats = ((2, "/score"),) if tick == 4 else ()
        out.append(TickInputs(tick, joins=joins, inputs=inputs, chats=chats))
    return out


def pair(*mods: ModImage) -> tuple[Simulation, Simulation]:
    """Two simulations of the same mods and seed, as a server and a client hold them."""
    return Simulation(list(mods), seed=7), Simulation(list(mods), seed=7)


def hashes(sim: Simulation, steps: list[TickInputs]) -> list[str]:
    """The state hash after each step."""
    out = []
    for inputs in steps:
        sim.step(inputs)
        out.append(sim.state_hash())
    return out


REPLAY = """
import sys
from pathlib import Path
from game.simulation import ModImage, Simulation, TickInputs
from tests.game.test_simulation import hashes, script
elf = Path(sys.argv[1]).read_bytes()
sim = Simulation([ModImage("walker", elf, memory=1 << 20, stack=256 << 10,
                           instructions=200_000, permissions=frozenset({"players"}))], seed=7)
print(" ".join(hashes(sim, script(40))))
"""


def test_another_process_with_another_hash_seed_computes_the_same_hashes(
    walker: ModImage, tmp_path: Path
) -> None:
    """Lockstep across machines: a fresh interpreter (another PYTHONHASHSEED, so another
    str/set order) agrees on every tick's state hash; and the hash sees one changed input."""
    here = hashes(Simulation([walker], seed=7), script(40))
    elf = tmp_path / "walker.elf"
    elf.write_bytes(walker.elf)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(root)}
    there = subprocess.run([sys.executable, "-c", REPLAY, str(elf)], env=env, cwd=root,
                           capture_output=True, text=True, timeout=120, check=True)
    assert there.stdout.split() == here
    changed = script(40)
    changed[19] = dataclasses.replace(changed[19], inputs=((1, RIGHT), (2, RIGHT)))
    other = hashes(Simulation([walker], seed=7), changed)
    assert other[:19] == here[:19]
    assert all(a != b for a, b in zip(other[19:], here[19:], strict=True))


def test_walker_moves_players_as_the_rules_say(walker: ModImage) -> None:
    sim = Simulation([walker], seed=3)
    sim.step(TickInputs(1, joins=((1, "ann"),)))
    eid = sim.world.players[1]
    x0 = sim.world.get(eid, "x")
    assert sim.world.get(eid, "kind") == KIND_PLAYER
    for tick in range(2, 12):
        sim.step(TickInputs(tick, inputs=((1, RIGHT),)))
    expected = min(x0 + 10 * 2 * FIXED, sim.world.width - 1)
    assert sim.world.get(eid, "x") == expected
    sim.step(TickInputs(12, chats=((1, "/score"), (1, "hello all"))))
    assert sim.world.get(eid, "score") == 1
    assert sim.chat == [(1, "hello all")]  # the command was consumed by the mod


def test_faulting_mod_is_contained_identically_and_disabled(
    walker: ModImage, faulty: ModImage
) -> None:
    server, client = pair(walker, faulty)
    for inputs in script(8):
        before = len(server.world.entities)
        server.step(inputs)
        client.step(inputs)
        # The entity the faulty hook spawned before faulting was rolled back.
        assert len(server.world.entities) == before + (2 if inputs.tick == 1 else 0)
        assert server.state_hash() == client.state_hash()
    assert server.faults == client.faults
    assert [f.tick for f in server.faults] == [3, 4, 5][:MAX_FAULTS]
    first = server.faults[0]
    assert first.mod == "faulty" and first.hook == "on_tick" and first.kind == "store fault"
    assert first.symbol and first.symbol.startswith("on_tick")
    assert server.mod_status()[1] == ("faulty", MAX_FAULTS, True)
    # The walker kept working: player 1 moved right on every tick.
    assert server.world.get(server.world.players[1], "vx") == 2 * FIXED


def test_endless_loop_is_stopped_at_the_same_instruction(
    walker: ModImage, looper: ModImage
) -> None:
    server, client = pair(walker, looper)
    positions = None
    for inputs in script(6):
        if inputs.tick == 5:
            positions = [(e.x, e.y) for e in server.world.entities.values()]
        server.step(inputs)
        client.step(inputs)
        assert server.state_hash() == client.state_hash()
    assert len(server.faults) == 1 and server.faults == client.faults
    assert server.faults[0].kind == "instruction budget exceeded"
    # Tick 5's set_pos(1, 1) was undone; the walker's own moves of tick 5 happened before.
    assert all((e.x, e.y) != (1, 1) for e in server.world.entities.values())
    assert positions is not None


def test_snapshot_carries_a_running_game(walker: ModImage, faulty: ModImage) -> None:
    a = Simulation([walker, faulty], seed=9)
    steps = script(30)
    for inputs in steps[:15]:
        a.step(inputs)
    b = Simulation([walker, faulty], seed=9)
    b.restore(a.snapshot())
    assert b.state_hash() == a.state_hash()
    for inputs in steps[15:]:
        a.step(inputs)
        b.step(inputs)
        assert a.state_hash() == b.state_hash()


# -- mods' chat lines --------------------------------------------------------------------------

CHAT_SCRIPT = [
    TickInputs(1, joins=((1, "ann"), (2, "bob"))),
    TickInputs(2, chats=((1, "/echo hi there"), (2, "plain"), (1, "/ctl"))),
    TickInputs(3, chats=((2, "/spam"),)),
    *(TickInputs(t) for t in range(4, 9)),
]


def test_mod_chat_is_the_same_on_server_and_client(chatter: ModImage) -> None:
    server, client = pair(chatter)
    lines = []
    for inputs in CHAT_SCRIPT:
        server.step(inputs)
        client.step(inputs)
        assert server.mod_chat == client.mod_chat
        assert server.chat == client.chat
        assert server.state_hash() == client.state_hash()
        lines.append(list(client.mod_chat))
    assert lines[0] == [ModChat("chatter", 1, "hello player 1"),
                        ModChat("chatter", ALL_PLAYERS, "1 joined"),
                        ModChat("chatter", 2, "hello player 2"),
                        ModChat("chatter", ALL_PLAYERS, "2 joined")]
    # Control characters become spaces; an unconsumed player line stays a player line.
    assert lines[1] == [ModChat("chatter", 1, "hi there"),
                        ModChat("chatter", ALL_PLAYERS, "red [31m bell ")]
    # A tick keeps MOD_CHAT_LINES lines (one mod: all of them); each tick starts afresh.
    assert lines[2] == [ModChat("chatter", ALL_PLAYERS, "spam")] * MOD_CHAT_LINES
    assert lines[3] == []
    # Tick 7's hook sent a line, then faulted: the line went with the hook's other effects.
    assert [f.tick for f in client.faults] == [7]
    assert lines[6] == []


def test_mod_chat_of_start_up_and_before_a_snapshot_is_not_replayed(chatter: ModImage) -> None:
    server = Simulation([chatter], seed=2)
    server.step(CHAT_SCRIPT[0])
    client = Simulation([chatter], seed=2)
    client.restore(server.snapshot())
    assert client.mod_chat == [] and client.chat == []
    server.step(CHAT_SCRIPT[1])
    client.step(CHAT_SCRIPT[1])
    assert client.mod_chat == server.mod_chat != []


# -- memory and stack ---------------------------------------------------------------------------

def test_each_mod_gets_the_stack_its_image_names(walker: ModImage, chatter: ModImage) -> None:
    small = dataclasses.replace(walker, stack=64 << 10)
    big = dataclasses.replace(chatter, memory=2 << 20, stack=1 << 20)
    server, client = pair(small, big)
    for sim in (server, client):
        memory = sim.machine("walker").memory
        assert sim.machine("walker").limits.stack == memory.end - memory.stack_low == 64 << 10
        assert sim.machine("chatter").limits.stack == 1 << 20
        assert sim.machine("chatter").limits.memory == 2 << 20
    for inputs in script(12):
        server.step(inputs)
        client.step(inputs)
        assert server.state_hash() == client.state_hash()


@pytest.mark.parametrize("memory, stack, match", [
    (1 << 20, 1 << 20, "stack = 1048576 is outside 16384..524288"),
    (1 << 20, (512 << 10) + 4096, "stack = 528384 is outside 16384..524288"),
    (1 << 20, 1000, "stack = 1000 is outside"),
    (1 << 20, (16 << 10) + 1000, "stack = 17384 is not a multiple of 4096"),
    (1 << 20, 0, "stack = 0 is outside"),
    ((1 << 20) + 1, 64 << 10, "memory = 1048577 is not a multiple of 4096"),
    (-4096, 4096, "memory = -4096 is outside 65536..16777216"),
    (32 << 20, 64 << 10, "memory = 33554432 is outside 65536..16777216"),
])
def test_an_impossible_stack_or_memory_is_refused(
    walker: ModImage, memory: int, stack: int, match: str
) -> None:
    with pytest.raises(SimulationError, match=match):
        dataclasses.replace(walker, memory=memory, stack=stack)


def test_a_mod_that_does_not_fit_its_memory_is_a_simulation_error(chatter: ModImage) -> None:
    # The least memory and stack the game allows: 32 KiB left for chatter's 36 KiB image.
    tiny = dataclasses.replace(chatter, memory=64 << 10, stack=32 << 10)
    with pytest.raises(SimulationError, match="chatter: cannot load"):
        Simulation([tiny])


def test_a_bad_snapshot_changes_nothing(walker: ModImage, chatter: ModImage) -> None:
    # The second mod's machine is corrupt: the first one, already restored by then, goes
    # back to how it was, and the world and fault counts stay as they were.
    import msgpack

    server = Simulation([walker, chatter], seed=4)
    for tick in range(1, 4):
        server.step(script(3)[tick - 1])
    client = Simulation([walker, chatter], seed=4)
    before = client.state_hash()
    doc = msgpack.unpackb(server.snapshot(), raw=False)
    doc["mods"][1]["machine"] = doc["mods"][1]["machine"][:-1] + b"\x00"
    with pytest.raises(SimulationError, match="bad snapshot of mod chatter"):
        client.restore(msgpack.packb(doc))
    assert client.state_hash() == before
    client.restore(server.snapshot())
    assert client.state_hash() == server.state_hash()


def test_each_mod_gets_a_fair_share_of_the_ticks_chat_lines(chatter: ModImage) -> None:
    """Two mods flooding in the same tick get MOD_CHAT_LINES / 2 lines each (the first to
    send cannot take the second's), and each one's log says how many it lost."""
    second = dataclasses.replace(chatter, name="chatter2")
    sim = Simulation([chatter, second], seed=2)
    sim.step(TickInputs(1, joins=((1, "ann"),)))
    sim.logs.clear()
    sim.step(TickInputs(2, chats=((1, "/spam"),)))
    share = MOD_CHAT_LINES // 2
    assert [m.mod for m in sim.mod_chat] == ["chatter"] * share + ["chatter2"] * share
    assert sim.logs == [(name, f"over its per-tick caps: dropped {100 - share} chat lines")
                        for name in ("chatter", "chatter2")]
