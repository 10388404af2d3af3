"""The simulation on real compiled mods: lockstep equality, containment, snapshots."""

from __future__ import annotations

from game.simulation import MAX_FAULTS, ModImage, Simulation, TickInputs
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
    return (Simulation(list(mods), seed=7, side="server"),
            Simulation(list(mods), seed=7, side="client"))


def test_server_and_client_agree_every_tick(walker: ModImage) -> None:
    server, client = pair(walker)
    for inputs in script(40):
        server.step(inputs)
        client.step(inputs)
        assert server.state_hash() == client.state_hash()
        assert server.world.to_bytes() == client.world.to_bytes()


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
    b = Simulation([walker, faulty], seed=9, side="client")
    b.restore(a.snapshot())
    assert b.state_hash() == a.state_hash()
    for inputs in steps[15:]:
        a.step(inputs)
        b.step(inputs)
        assert a.state_hash() == b.state_hash()
