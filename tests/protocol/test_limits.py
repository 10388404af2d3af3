"""The limits record."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from protocol import DEFAULT_LIMITS, Limits, LocalMisuse
from protocol.limits import SNAPSHOT_ROOM_PER_MOD, SNAPSHOT_ROOM_WORLD, snapshot_room

MiB = 1 << 20


def test_documented_defaults() -> None:
    assert DEFAULT_LIMITS == Limits()
    assert DEFAULT_LIMITS.max_message_size == 8 * MiB
    assert DEFAULT_LIMITS.max_mod_size == 16 * MiB
    assert DEFAULT_LIMITS.max_mod_memory == 16 * MiB
    assert DEFAULT_LIMITS.max_total_mod_memory == 64 * MiB
    assert DEFAULT_LIMITS.max_mod_instructions == 10**6
    # Derived: 64 MiB of guest memory and 64 mods' frames, all pages changed, and the world.
    assert DEFAULT_LIMITS.max_snapshot_size == 64 * MiB + MiB // 4 + 64 * MiB + 8 * MiB
    assert DEFAULT_LIMITS.max_mods == 64
    assert DEFAULT_LIMITS.max_cached_mods == 1024
    assert DEFAULT_LIMITS.max_players == 64
    assert DEFAULT_LIMITS.max_name_length == 32
    assert DEFAULT_LIMITS.max_chat_length == 500


def test_limits_are_keyword_only_frozen_and_hashable() -> None:
    with pytest.raises(TypeError):
        Limits(100)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_LIMITS.max_mods = 1  # type: ignore[misc]
    assert hash(Limits(max_mods=3)) == hash(Limits(max_mods=3))


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, None, "8"])
def test_limits_must_be_positive_ints(bad: object) -> None:
    with pytest.raises(LocalMisuse, match="Limits.max_mods must be a positive int"):
        Limits(max_mods=bad)  # type: ignore[arg-type]


def test_a_client_accepts_every_mod_the_game_allows() -> None:
    # The protocol's bounds (what a client accepts) cover the game's (what mod.toml allows).
    from game.rules import MOD_INSTRUCTIONS_MAX, MOD_MEMORY_MAX
    assert DEFAULT_LIMITS.max_mod_instructions >= MOD_INSTRUCTIONS_MAX
    assert DEFAULT_LIMITS.max_mod_memory >= MOD_MEMORY_MAX


# -- what a manifest may allow, a snapshot can carry ----------------------------------------------


def test_the_snapshot_limit_follows_the_guest_memory_limits_by_default() -> None:
    limits = Limits(max_mod_memory=64 * MiB, max_total_mod_memory=256 * MiB, max_mods=16)
    assert limits.max_snapshot_size == snapshot_room(256 * MiB, 16)
    assert limits.max_snapshot_size == 256 * MiB + MiB + 16 * SNAPSHOT_ROOM_PER_MOD + 8 * MiB
    assert limits.max_snapshot_size == limits.snapshot_room()


def test_a_snapshot_limit_that_cannot_carry_the_guest_memory_is_refused() -> None:
    with pytest.raises(LocalMisuse, match="max_snapshot_size=67108864 cannot carry"):
        Limits(max_snapshot_size=64 * MiB)  # the old default, beside 64 MiB of guest memory
    room = snapshot_room(32 * MiB, 4)
    with pytest.raises(LocalMisuse, match=f"needs {room}"):
        Limits(max_total_mod_memory=32 * MiB, max_mods=4, max_snapshot_size=room - 1)
    assert Limits(max_total_mod_memory=32 * MiB, max_mods=4, max_snapshot_size=room + 1)


def test_a_memory_full_of_changed_pages_fits_the_room() -> None:
    # A real machine: every page changed (the vm's snapshot format), plus the world's room.
    from tests.vm.toolchain import DEFAULT_CACHE_DIR, compile_c
    from vm import Machine, MachineLimits
    from vm.elf import PAGE
    from vm.snapshot import dump

    elf = compile_c(Path(__file__).parents[1] / "game" / "guests" / "walker.c", opt="O2",
                    compressed=True, out_dir=DEFAULT_CACHE_DIR)
    memory = 2 * MiB
    m = Machine(elf.read_bytes(), limits=MachineLimits(memory=memory, stack=256 << 10))
    mem = m.memory
    for page in range(mem.size // PAGE):
        mem.data[page * PAGE] ^= 0xFF  # differs from the image: dumped
    assert len(dump(m)) <= snapshot_room(memory, 1) - SNAPSHOT_ROOM_WORLD


def test_a_full_world_fits_the_room() -> None:
    from game.world import MAX_ENTITIES, MAX_EVENTS_PER_TICK, World

    world = World(width=1 << 20, height=1 << 20, seed=1)
    for i in range(MAX_ENTITIES):
        world.spawn(2, i, i)
    world.players = {pid: pid for pid in range(1, DEFAULT_LIMITS.max_players + 1)}
    world.events = [(1, 2, 3)] * MAX_EVENTS_PER_TICK
    assert len(world.to_bytes()) <= SNAPSHOT_ROOM_WORLD // 8  # with room to spare
