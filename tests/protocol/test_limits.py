"""The limits record."""

from __future__ import annotations

import dataclasses

import pytest

from protocol import DEFAULT_LIMITS, Limits, LocalMisuse

MiB = 1 << 20


def test_documented_defaults() -> None:
    assert DEFAULT_LIMITS == Limits()
    assert DEFAULT_LIMITS.max_message_size == 8 * MiB
    assert DEFAULT_LIMITS.max_mod_size == 16 * MiB
    assert DEFAULT_LIMITS.max_mod_memory == 64 * MiB
    assert DEFAULT_LIMITS.max_total_mod_memory == 256 * MiB
    assert DEFAULT_LIMITS.max_mod_instructions == 10**6
    assert DEFAULT_LIMITS.max_snapshot_size == 64 * MiB
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
