"""Built mods as the game simulation loads them."""

from __future__ import annotations

from game.simulation import ModImage
from mods.build import BuildResult


def image_of(result: BuildResult) -> ModImage:
    """The ``ModImage`` of a built mod, with the limits and permissions of its mod.toml
    (as ``riscade serve`` loads it)."""
    assert result.ok and result.path is not None, result.error
    limits = result.spec.limits
    return ModImage(result.name, result.path.read_bytes(), memory=limits.memory,
                    stack=limits.stack, instructions=limits.instructions,
                    permissions=frozenset(result.spec.permissions))
