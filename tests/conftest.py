"""Test mods (tests/game/guests), compiled with the real toolchain against the C SDK."""

from __future__ import annotations

from pathlib import Path

import pytest

from game.rules import PERMISSION_PLAYERS
from game.simulation import ModImage
from tests.vm.toolchain import DEFAULT_CACHE_DIR, compile_c

GUESTS = Path(__file__).parent / "game" / "guests"


def _image(name: str, instructions: int = 200_000) -> ModImage:
    path = compile_c(GUESTS / f"{name}.c", opt="O2", compressed=True, out_dir=DEFAULT_CACHE_DIR)
    return ModImage(name=name, elf=path.read_bytes(), memory=1 << 20, stack=256 << 10,
                    instructions=instructions, permissions=frozenset({PERMISSION_PLAYERS}))


@pytest.fixture(scope="session")
def walker() -> ModImage:
    return _image("walker")


@pytest.fixture(scope="session")
def faulty() -> ModImage:
    return _image("faulty")


@pytest.fixture(scope="session")
def looper() -> ModImage:
    return _image("looper", instructions=50_000)


@pytest.fixture(scope="session")
def chatter() -> ModImage:
    return _image("chatter")
