"""The keeper test mod (tests/game/guests/keeper.c) in a simulation, on either engine: chat
commands in, the lines it logs out."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

import game.simulation
from game.simulation import FaultRecord, ModImage, Simulation, TickInputs
from tests.vm.toolchain import DEFAULT_CACHE_DIR, compile_c
from vm import Machine

GUEST = Path(__file__).parent / "guests" / "keeper.c"


def keeper_elf() -> bytes:
    """The keeper mod, built once per toolchain and source (cached)."""
    return compile_c(GUEST, opt="O2", compressed=True, out_dir=DEFAULT_CACHE_DIR).read_bytes()


def image(name: str, *permissions: str) -> ModImage:
    """A keeper mod called ``name`` with these mod.toml permissions."""
    return ModImage(name, keeper_elf(), memory=1 << 20, stack=64 << 10,
                    instructions=500_000, permissions=frozenset(permissions))


def use_engine(monkeypatch: pytest.MonkeyPatch, engine: str) -> None:
    """Make every simulation of this test build its machines on ``engine``."""
    monkeypatch.setattr(game.simulation, "Machine", functools.partial(Machine, engine=engine))


class Driver:
    """A simulation with player 1 joined, fed one chat line per call."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.sim.step(TickInputs(sim.world.tick + 1, joins=((1, "ann"),)))

    def say(self, *lines: str) -> list[str]:
        """Send ``lines`` in one tick; the log lines of that tick, as "mod: text"."""
        before = len(self.sim.logs)
        tick = self.sim.world.tick + 1
        self.sim.step(TickInputs(tick, chats=tuple((1, line) for line in lines)))
        return [f"{mod}: {text}" for mod, text in self.sim.logs[before:]]

    def faults(self) -> list[FaultRecord]:
        return self.sim.faults
