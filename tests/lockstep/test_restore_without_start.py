"""A machine or a simulation that never ran its start-up can take over from a snapshot of one
that did: heap bounds, mmap pages, registers, a call suspended mid-way, fault states. This is
what lets a joining client skip every mod's main and on_load."""

from __future__ import annotations

from pathlib import Path

import pytest

from game.simulation import ModImage, Simulation, TickInputs
from lockstep.follower import Follower
from protocol import SnapshotAssembler, Tick, TickChat, split_snapshot
from tests.vm.toolchain import DEFAULT_CACHE_DIR, compile_c
from vm import BudgetExceeded, Machine, MachineLimits

HERE = Path(__file__).parent
LIMITS = MachineLimits(memory=4 << 20, stack=256 << 10)


@pytest.fixture(scope="module")
def heap_elf() -> bytes:
    return compile_c(HERE / "guests" / "restore_heap.c", opt="O2", compressed=True,
                     out_dir=DEFAULT_CACHE_DIR).read_bytes()


def test_a_fresh_machine_restores_one_suspended_in_a_call(heap_elf: bytes) -> None:
    ran = Machine(heap_elf, limits=LIMITS)
    ran.run_main()
    first = ran.call("on_tick", 1)
    with pytest.raises(BudgetExceeded):
        ran.call("on_tick", 2, budget=20_000)  # suspended inside the loop: a saved frame
    fresh = Machine(heap_elf, limits=LIMITS)  # never ran main: no heap, no mmap, no frame
    assert fresh.state_hash() != ran.state_hash()
    fresh.restore(ran.snapshot())
    assert fresh.state_hash() == ran.state_hash()
    assert fresh.memory.brk == ran.memory.brk and fresh.memory.pages == ran.memory.pages
    assert fresh.instret == ran.instret
    # Both finish the suspended call the same way, then go on identically.
    assert fresh.resume() == ran.resume()
    assert fresh.call("on_tick", 3) == ran.call("on_tick", 3) != first
    assert fresh.state_hash() == ran.state_hash()


def test_a_follower_restores_without_start_up_and_follows(heap_elf: bytes,
                                                          chatter: ModImage) -> None:
    images = [ModImage("heap", heap_elf, memory=4 << 20, stack=256 << 10,
                       instructions=1_000_000), chatter]
    server = Simulation(images)
    for tick in range(1, 4):
        server.step(TickInputs(tick, joins=((1, "Ada"),) if tick == 1 else ()))
    msgs = split_snapshot(tick=3, state=server.snapshot(), state_hash=server.state_hash())
    assembler = SnapshotAssembler()
    whole = [w for w in map(assembler.add, msgs) if w is not None][0]

    follower = Follower(images, player_id=1)
    assert follower.sim.world.tick == 0 and follower.sim.logs == []
    assert follower.sim.machine("heap").instret == 0  # main has not run
    follower.load_snapshot(whole)
    assert follower.sim.state_hash() == server.state_hash()
    for tick in range(4, 10):
        server.step(TickInputs(tick, chats=((1, "hi"),)))
        msg = Tick(tick=tick, state_hash=server.state_hash(), chats=(TickChat(1, "hi"),))
        assert follower.apply(msg), f"tick {tick}"
    assert follower.desyncs == 0 and follower.ticks == 6
    assert follower.sim.faults == server.faults  # chatter's tick-7 fault, on both sides
    assert [f.tick for f in follower.sim.faults] == [7]
