"""Hostile mods (tests/hostile/mods), built by the real toolchain beside the bundled ones."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from server.startup import Prepared, prepare_mods
from tests.integration.conftest import bundled, make_server  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = Path(__file__).parent / "mods"
BUNDLED = ("movement", "pickups", "greeter")


@pytest.fixture(scope="session")
def build_with(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Prepared]:
    """``build_with("storm", ...)``: the bundled mods plus those hostile ones, prepared as
    ``riscade serve`` prepares them (one build cache for the whole session)."""
    cache = tmp_path_factory.mktemp("hostile-cache")
    made: dict[tuple[str, ...], Prepared] = {}

    def build(*names: str) -> Prepared:
        if names not in made:
            mods = tmp_path_factory.mktemp("mods")
            for name in BUNDLED:
                shutil.copytree(ROOT / "mods" / name, mods / name)
            for name in names:
                shutil.copytree(HOSTILE / name, mods / name)
            made[names] = prepare_mods(mods, cache)
        return made[names]

    return build
