"""Fixtures for the mods tests: a cold build of the shipped mods, and machines to run them.

Builds use a fresh build cache under pytest's tmp dir but the normal zig global cache, so
musl is not recompiled. The SDK tests run on two engines (``make_machine``): ``vm`` (the
real ``vm.Machine``) and ``unicorn`` (tests/mods/unicorn_machine.py), so a wrapper that only
works on our VM fails; the gameplay tests run in the game's own simulation.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mods.build import BuildResult, build_mods

MODS_DIR = Path(__file__).resolve().parents[2] / "mods"
SHIPPED = ("movement", "pickups", "greeter", "waypoints")

MachineFactory = Callable[[Path, Any], Any]


@pytest.fixture(scope="session")
def cold_build(tmp_path_factory: pytest.TempPathFactory) -> list[BuildResult]:
    """The shipped mods built once from an empty build cache (in load order)."""
    return build_mods(MODS_DIR, tmp_path_factory.mktemp("cold-cache"), jobs=2)


@pytest.fixture(scope="session")
def shipped(cold_build: list[BuildResult]) -> dict[str, BuildResult]:
    """The cold build by mod name; fails the test if any shipped mod did not build."""
    bad = [str(r.error) for r in cold_build if not r.ok]
    assert not bad, "\n".join(bad)
    return {r.name: r for r in cold_build}


@pytest.fixture
def mods_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped mods (sources only) that a test may edit."""
    dest = tmp_path / "mods"
    dest.mkdir()
    for name in SHIPPED:
        shutil.copytree(MODS_DIR / name, dest / name)
    return dest


def _vm_factory() -> MachineFactory:
    try:
        from vm import Machine  # type: ignore[attr-defined]
    except ImportError as exc:
        pytest.skip(f"vm.Machine is not available yet ({exc})")
    return lambda path, registry: Machine.from_file(path, hostcalls=registry)


def _unicorn_factory() -> MachineFactory:
    pytest.importorskip("unicorn")
    from .unicorn_machine import UnicornMachine

    return lambda path, registry: UnicornMachine.from_file(path, registry)


@pytest.fixture(params=["vm", "unicorn"])
def make_machine(request: pytest.FixtureRequest) -> MachineFactory:
    """``make_machine(elf_path, registry)`` on each engine."""
    return _vm_factory() if request.param == "vm" else _unicorn_factory()
