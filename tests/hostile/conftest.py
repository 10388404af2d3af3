"""Hostile mods (tests/hostile/mods), built by the real toolchain beside the bundled ones."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from server.startup import Prepared, prepare_mods
from tests.integration.conftest import bundled, make_server  # noqa: F401 - fixtures
from tests.support.hostile_mods import stage_mods


@pytest.fixture(scope="session")
def build_with(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Prepared]:
    """``build_with("storm", ...)``: the bundled mods plus those hostile ones, prepared as
    ``riscade serve`` prepares them (one build cache for the whole session)."""
    cache = tmp_path_factory.mktemp("hostile-cache")
    made: dict[tuple[str, ...], Prepared] = {}

    def build(*names: str) -> Prepared:
        if names not in made:
            mods = stage_mods(tmp_path_factory.mktemp("mods") / "mods", *names)
            made[names] = prepare_mods(mods, cache)
        return made[names]

    return build
