"""A served game for the handshake and join tests: real built mods (tests/game/guests, compiled
by the real toolchain), their manifest entries and zstd blobs, a room and its handshake."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from game.simulation import ModImage, Simulation
from lockstep import entry_for
from lockstep.handshake import Handshake
from lockstep.room import Room
from mods.host_api import HOST_API
from protocol import DEFAULT_LIMITS, Limits, ModBlob, ModEntry, compress_mod

HOST_ABI = HOST_API.abi_hash()


@dataclass(frozen=True)
class Served:
    """One mod as a server serves it."""

    image: ModImage
    entry: ModEntry
    blob: bytes

    def message(self) -> ModBlob:
        """The ``ModBlob`` that carries it."""
        return ModBlob(sha256=self.entry.sha256, size=self.entry.size, data=self.blob)


def serve(image: ModImage) -> Served:
    entry = entry_for(image, version="1.0.0", language="c", dependencies=(), host_abi=HOST_ABI)
    return Served(image, entry, compress_mod(image.elf, level=3))


@pytest.fixture(scope="session")
def mods(walker: ModImage, chatter: ModImage) -> list[Served]:
    """Two built mods, served in this order."""
    return [serve(walker), serve(chatter)]


def server(mods: list[Served], *, max_players: int = DEFAULT_LIMITS.max_players,
           limits: Limits = DEFAULT_LIMITS) -> Handshake:
    """The handshake of a fresh server running ``mods`` (seed 1, 20 ticks a second)."""
    room = Room(Simulation([m.image for m in mods], seed=1), max_players=max_players)
    return Handshake(room, [m.entry for m in mods], host_abi=HOST_ABI, tick_rate=20,
                     limits=limits)
