"""game.profiling: profiled games are the same games, and their counts are the mods' own."""

from __future__ import annotations

import random

import pytest

from game.profiling import (
    CHAT_EVERY,
    INPUT_EVERY,
    format_profile,
    percentile,
    profile_game,
    scripted_inputs,
)
from game.simulation import ModImage, Simulation
from vm.profiler import parse_collapsed


def _plain_hashes(images: list[ModImage], ticks: int, players: int, seed: int) -> list[str]:
    sim = Simulation(list(images), seed=seed)
    rng = random.Random(seed)
    hashes = []
    for tick in range(1, ticks + 1):
        sim.step(scripted_inputs(tick, players, rng))
        hashes.append(sim.state_hash())
    return hashes


def test_profiling_does_not_change_the_game(walker: ModImage, chatter: ModImage,
                                            painter: ModImage, faulty: ModImage,
                                            looper: ModImage) -> None:
    images = [walker, chatter, painter, faulty, looper]
    profile = profile_game(images, ticks=60, players=3, seed=5)
    assert profile.faults > 0  # faulty and looper were contained, as unprofiled
    assert profile.tick_hashes == _plain_hashes(images, 60, 3, 5)
    for mod in profile.mods:
        assert mod.instructions == mod.retired, mod.name
        assert sum(mod.functions.values()) == mod.retired
        assert sum(mod.stacks.values()) == mod.retired
        assert sum(sum(h.per_tick) for h in mod.hooks.values()) == mod.retired
        assert sum(mod.per_tick().per_tick) == mod.retired
        assert len(mod.per_tick().per_tick) == 60
    lines = profile.collapsed()
    stacks = parse_collapsed(lines)
    assert sum(stacks.values()) == sum(m.retired for m in profile.mods)
    assert {k[0] for k in stacks} <= {m.name for m in profile.mods}


def test_host_calls_are_the_calls_the_mod_makes(walker: ModImage) -> None:
    ticks, players = 41, 3
    profile = profile_game([walker], ticks=ticks, players=players)
    (mod,) = profile.mods
    # walker.c: on_input calls player_entity and entity_set_vel once; on_tick calls
    # world_width and world_height once, entity_count once per entity and once more, and per
    # entity (all players here) entity_at, entity_get_kind, then the 4 getters and set_pos.
    inputs = sum(1 for t in range(1, ticks + 1) if t % INPUT_EVERY == 1) * players
    assert mod.hooks["on_input"].calls == inputs
    assert mod.hooks["on_input"].host_calls == {"entity_set_vel": inputs,
                                                 "player_entity": inputs}
    each = ticks * players
    assert mod.hooks["on_tick"].calls == ticks
    assert mod.hooks["on_tick"].host_calls == {
        "world_width": ticks, "world_height": ticks, "entity_count": ticks * (players + 1),
        "entity_at": each, "entity_get_kind": each, "entity_get_x": each,
        "entity_get_vx": each, "entity_get_y": each, "entity_get_vy": each,
        "entity_set_pos": each,
    }
    assert mod.hooks["on_chat"].calls == ticks // CHAT_EVERY
    assert mod.hooks["on_chat"].host_calls == {}
    assert len(mod.hooks["on_tick"].per_tick) == ticks
    assert "on_tick" in dict(mod.hottest())
    text = format_profile(profile)
    assert "== walker:" in text and "equal" in text and "DIFFERENT" not in text
    assert f"entity_count {ticks * (players + 1)}" in text


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 99) == 0
    assert percentile(list(range(1, 101)), 99) == 99
    assert percentile(list(range(1, 201)), 99) == 198
    assert percentile([5], 99) == 5
    assert percentile([0] * 99 + [7], 99) == 0
    assert percentile([0] * 98 + [7, 7], 99) == 7


@pytest.mark.parametrize(("ticks", "players"), [(0, 1), (1, -1)])
def test_bad_arguments(walker: ModImage, ticks: int, players: int) -> None:
    with pytest.raises(ValueError):
        profile_game([walker], ticks=ticks, players=players)
