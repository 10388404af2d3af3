"""Hostile mods against the real simulation: each is contained, the others play on.

Every test runs a server-side simulation and a client that joins from its snapshot after
the first tick, and checks that both agree on every tick's state hash.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from game.rules import (
    ENTITIES_PER_MOD,
    EVENTS_PER_MOD,
    HOST_CALLS_PER_TICK,
    LOG_LINES_PER_TICK,
    MAX_FAULTS,
    MOD_CHAT_LINES,
    SCORE_MAX,
    SPEED_MAX,
    TICK_INSTRUCTIONS,
)
from game.simulation import Simulation, TickInputs
from server.startup import Prepared

RIGHT = 8
#: Instructions a budget stop may overshoot by (straight-line code between check points).
OVERSHOOT = 2_000


class Lockstep:
    """A server simulation and a client one that joined after tick 1, stepped together."""

    def __init__(self, prepared: Prepared, seed: int = 7) -> None:
        images = [m.image for m in prepared.served]
        self.lines: list[tuple[str, str]] = []
        self.server = Simulation(images, seed=seed,
                                 on_log=lambda mod, text: self.lines.append((mod, text)))
        self.server.step(TickInputs(1, joins=((1, "ann"), (2, "bob"))))
        self.client = Simulation(images, seed=seed)
        self.client.restore(self.server.snapshot())
        self.spent: list[dict[str, int]] = []

    def step(self, tick: int, **kwargs) -> None:
        before = {s.image.name: s.machine.instret for s in self.server._states}
        inputs = TickInputs(tick, inputs=((1, RIGHT), (2, RIGHT)), **kwargs)
        self.server.step(inputs)
        self.client.step(inputs)
        assert self.client.state_hash() == self.server.state_hash(), f"desync at tick {tick}"
        self.spent.append({s.image.name: s.machine.instret - before[s.image.name]
                           for s in self.server._states})

    def faults(self, mod: str) -> list:
        return [f for f in self.server.faults if f.mod == mod]

    def disabled(self, mod: str) -> bool:
        return dict((n, d) for n, _, d in self.server.mod_status())[mod]


def honest_mods_unharmed(game: Lockstep) -> None:
    for mod in ("movement", "pickups", "greeter"):
        assert game.faults(mod) == [], game.faults(mod)
        assert not game.disabled(mod)


def test_an_event_storm_costs_at_most_the_mods_budget(build_with: Callable) -> None:
    game = Lockstep(build_with("storm"))
    budget = next(m.image.instructions for m in build_with("storm").served
                  if m.image.name == "storm")
    for tick in range(2, 8):
        game.step(tick)
    # Each tick, the storm mod spends its own budget and no more; the tick as a whole stays
    # within TICK_INSTRUCTIONS. Without budgets one tick ran 102 million instructions.
    for spent in game.spent:
        assert spent["storm"] <= budget + OVERSHOOT
        assert sum(spent.values()) <= TICK_INSTRUCTIONS + OVERSHOOT
    assert [f.hook for f in game.faults("storm")] == ["on_event"] * MAX_FAULTS
    assert "per tick" in game.faults("storm")[0].message
    assert str(budget) in game.faults("storm")[0].message
    assert game.disabled("storm")
    assert game.spent[-1]["storm"] == 0  # disabled: never called again
    honest_mods_unharmed(game)


def test_a_spinning_mod_is_disabled_and_the_others_play_on(build_with: Callable) -> None:
    game = Lockstep(build_with("spinner"))
    for tick in range(2, 8):
        game.step(tick)
    assert len(game.faults("spinner")) == MAX_FAULTS and game.disabled("spinner")
    assert {f.kind for f in game.faults("spinner")} == {"instruction budget exceeded"}
    honest_mods_unharmed(game)
    # Players still move: the movement mod ran every tick.
    eid = game.server.world.players[1]
    assert game.server.world.entities[eid].vx > 0


def test_a_flooding_mod_cannot_forge_or_flood_the_console(build_with: Callable) -> None:
    prepared = build_with("flooder")
    game = Lockstep(prepared)
    game.lines.clear()
    game.step(2, joins=((3, "cy"),))
    flooder = [text for mod, text in game.lines if mod == "flooder"]
    share = MOD_CHAT_LINES // len(prepared.served)
    # 16 lines kept, then one line saying how many were dropped (of its 101 log lines and
    # 100 chat lines); nothing unescaped.
    assert len(flooder) == LOG_LINES_PER_TICK + 1
    assert flooder[-1] == (f"over its per-tick caps: dropped {101 - LOG_LINES_PER_TICK} "
                           f"log lines, {100 - share} chat lines")
    assert flooder[0].startswith("\\x1b[2K\\x0d[greeter] chat to everyone: free coins\\x0aplayer")
    for _, text in game.lines:
        assert "\n" not in text and "\x1b" not in text and "\r" not in text
        assert len(text) <= 300
    # Its chat spam gets its share of the tick's lines; the greeter's welcome still arrives.
    assert sum(1 for c in game.server.mod_chat if c.mod == "flooder") == share
    assert any(c.mod == "greeter" and "Welcome" in c.text for c in game.server.mod_chat)
    for tick in range(3, 10):
        game.step(tick)
    faults = game.faults("flooder")
    assert faults and f"over {HOST_CALLS_PER_TICK} host calls in one tick" in faults[0].message
    assert game.disabled("flooder")
    honest_mods_unharmed(game)


def test_a_vandal_cannot_break_the_world_for_the_others(build_with: Callable) -> None:
    game = Lockstep(build_with("vandal"))
    game.step(2)
    world = game.server.world
    slot = next(s.slot for s in game.server._states if s.image.name == "vandal")
    mine = [e for e in world.entities.values() if e.maker == slot]
    assert len(mine) == ENTITIES_PER_MOD
    first = mine[0]
    assert (first.x, first.y) == (0, world.height)  # asked -2**63, 2**63-1: inside the arena
    assert (first.vx, first.vy) == (SPEED_MAX, -SPEED_MAX)
    assert first.score == SCORE_MAX  # saturated, not wrapped
    assert any(f"dropped {5001 - EVENTS_PER_MOD} events" in text for mod, text in game.lines
               if mod == "vandal")
    players_before = dict(world.players)
    for tick in range(3, 7):
        game.step(tick)
    # No permission: each attempt on a player's entity faulted and changed nothing.
    faults = game.faults("vandal")
    assert [f.tick for f in faults] == [3, 4, 5]
    assert all('permissions = ["players"]' in f.message for f in faults)
    assert game.disabled("vandal")
    assert game.server.world.players == players_before
    for eid in players_before.values():
        entity = game.server.world.entities[eid]
        assert abs(entity.vx) < SPEED_MAX and entity.score >= 0
    honest_mods_unharmed(game)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_numbers_in_main_and_on_load_are_seeded(build_with: Callable, seed: int) -> None:
    game = Lockstep(build_with("randmain"), seed=seed)
    drawn = [text for mod, text in game.lines if mod == "randmain"]
    assert len(drawn) == 1 and drawn[0].startswith("drew ")
    a, b = (int(v) for v in drawn[0].split()[1:])
    assert a != 0 and b != 0 and a != b
    other = Lockstep(build_with("randmain"), seed=seed + 10)
    assert [t for m, t in other.lines if m == "randmain"] != drawn


def test_mods_whose_budgets_do_not_fit_a_tick_are_refused_at_start(
        build_with: Callable) -> None:
    prepared = build_with("flooder", "spinner", "storm", "vandal")
    served = [m.image.name for m in prepared.served]
    total = sum(m.image.instructions for m in prepared.served)
    assert total <= TICK_INSTRUCTIONS
    refused = {name: why for name, why in prepared.failed.items()}
    assert refused, "four hostile mods at 300k each beside the bundled ones must not all fit"
    for name, why in refused.items():
        assert name not in served
        assert "does not fit" in why and f"{TICK_INSTRUCTIONS}" in why
    assert {"movement", "pickups", "greeter"} <= set(served)


def test_a_hoarder_gets_its_caps_and_no_other_mods_data(build_with: Callable) -> None:
    game = Lockstep(build_with("hoarder"))
    world = game.server.world
    coins_worth = {eid: dict(row) for eid, row in world.props.values.items()}
    assert coins_worth and all(list(row.values()) == [1] for row in coins_worth.values())
    game.step(2)
    # 16 KiB in all: k0..k2 (2 + 4096 bytes each); k3 would take it 8 bytes over.
    assert ("hoarder", "stored 3") in game.lines
    assert world.storage.used("hoarder") == 3 * 4098
    assert not game.faults("hoarder")
    for tick in (3, 4, 5):
        game.step(tick)
    messages = [f.message for f in game.faults("hoarder")]
    assert [f.tick for f in game.faults("hoarder")] == [3, 4, 5]
    assert "at most 2048 property values" in messages[0]
    assert "at most 64 kinds" in messages[1]
    assert "is not one this mod registered" in messages[2]
    assert game.disabled("hoarder")
    # Its spawns and values of tick 3 were undone; the coins' worth is pickups' still.
    assert world.props.held.get("hoarder", 0) == 0
    assert not [e for e in world.entities.values() if e.kind == 107]
    [value_key] = {key for row in coins_worth.values() for key in row}
    coins = [e.id for e in world.entities.values() if e.kind == 2]  # KIND_COIN
    assert coins and all(world.props.values[c] == {value_key: 1} for c in coins)
    assert set(world.props.holders.values()) == {"pickups"}
    honest_mods_unharmed(game)
