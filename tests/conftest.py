"""Test mods (tests/game/guests), compiled with the real toolchain against the C SDK; and the
``slow`` marker, set here on every test that builds mods, runs servers or is measured slow.

``python -m pytest -q`` runs everything; ``python -m pytest -m "not slow"`` is the fast inner
loop. Which tests are slow is decided in one place, ``_slow_reason``, and the collection line
"slow: N of M tests" says how many were marked. ``--collect-only -q -m slow`` lists them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from game.rules import PERMISSION_ENTITIES, PERMISSION_PLAYERS
from game.simulation import ModImage
from tests.vm.toolchain import DEFAULT_CACHE_DIR, compile_c

GUESTS = Path(__file__).parent / "game" / "guests"


def _image(name: str, instructions: int = 200_000) -> ModImage:
    path = compile_c(GUESTS / f"{name}.c", opt="O2", compressed=True, out_dir=DEFAULT_CACHE_DIR)
    return ModImage(name=name, elf=path.read_bytes(), memory=1 << 20, stack=256 << 10,
                    instructions=instructions,
                    permissions=frozenset({PERMISSION_PLAYERS, PERMISSION_ENTITIES}))


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


@pytest.fixture(scope="session")
def painter() -> ModImage:
    return _image("painter")


# --- the slow marker ------------------------------------------------------------------------

#: Fixtures that build mods with the real toolchain into a fresh cache every session (a cold
#: Zig, Nim and C build), or compile one per test.
SLOW_FIXTURES = frozenset({
    "bundled", "cold_build", "shipped", "build_with", "mods_copy", "bad_pointer_mod",
})
#: Directories under tests/ whose tests run servers and clients, builds or many examples.
SLOW_DIRS = frozenset({"integration", "hostile", "fuzz", "bench", "browser"})
#: Test modules that took over ~2 s in all (``--durations``, 2-core machine under load).
SLOW_MODULES = frozenset({
    "client/test_driver.py",  # a real simulation per test (5 s)
    "web/test_determinism.py",  # builds the mods, runs them on CPython and in Pyodide (~25 s)
    "web/test_pyodide_zstd.py",  # starts Pyodide under Node (~15 s)
    "server/test_demo.py",  # riscade demo: builds the mods, two bots play
    "server/test_http.py",  # real servers answering 58 requests (~5 s)
    "mods/test_build.py",  # builds copies of the shipped mods in most tests
    "mods/test_sdk.py",  # compiles a probe mod per test (7.9 s)
    "mods/test_hooks_checked.py",  # builds a C, Zig or Nim mod per test (17 s)
    "mods/test_debuginfo.py",  # compiles a program, parses bit-flipped DWARF (12 s)
    "vm/test_corpus.py",  # every program at every -O level, on qemu and the VM (49 s)
    "vm/test_profiler.py",  # builds profiled.c twice, runs it under qemu single-stepping
    "server/test_serve_ops.py",  # builds two mods, runs servers and bots in processes (26 s)
    "server/test_status_metrics.py",  # real servers and clients (11 s)
    "server/test_shutdown.py",  # real servers and clients (5 s)
    "test_deploy.py",  # docker compose config (3 s) and a server for the health check
})
#: Tests (all their parameters together) that took over ~2 s, by the same measure.
SLOW_TESTS = frozenset({
    "vm/test_elf_malformed.py::test_bit_flips_in_executed_code_run_safely",  # 11.5 s
    "vm/test_elf_malformed.py::test_bit_flipped_elfs_fail_to_load_or_run_safely",  # 9.2 s
    "vm/test_engines.py::test_programs_run_identically",  # 7.9 s
    "vm/test_engines.py::test_budget_every_check_point_in_a_loop",  # 3.2 s
    "vm/test_engines.py::test_budgets_stop_at_the_same_pc_and_count",  # 2.7 s
    "vm/test_engines.py::test_prepared_entries_agree_with_the_interpreter",  # 2.3 s
    "vm/test_differential.py::test_random_sequence_matches_unicorn",  # 4.3 s
    # 2.3 s
    "vm/test_decoder_legality.py::test_every_compressed_parcel_is_legal_exactly_when_unicorn_says_so",
    "vm/test_fpu.py::test_random",  # 3.2 s
    "mods/test_docs.py::test_walkthrough_mod_builds_and_runs_in_the_game",  # 3.9 s
    "mods/test_new.py::test_a_new_mod_builds_and_passes_its_scenario",  # a cold build each
    "mods/test_shared_cache.py::test_a_build_warms_a_serve",  # a cold C and Zig build
    "mods/test_testrunner_gdb.py::test_gdb_breaks_in_a_hook_of_the_scenario",  # build + gdb
    # runs riscade serve in a process per case (4 s each under load)
    "server/test_world_store.py::test_serve_refuses_a_world_it_cannot_use_before_building",
})


def _slow_reason(item: pytest.Item) -> str | None:
    """Why ``item`` is slow, or None if it belongs in the fast loop."""
    parts = Path(str(item.path)).relative_to(Path(__file__).parent).parts
    if parts[0] in SLOW_DIRS:
        return f"under tests/{parts[0]}"
    module = "/".join(parts)
    if module in SLOW_MODULES:
        return f"{module} is slow"
    name = getattr(item, "originalname", item.name)
    if f"{module}::{name}" in SLOW_TESTS:
        return "measured slow"
    fixtures = SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ()))
    if fixtures:
        return f"builds mods ({', '.join(sorted(fixtures))})"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark slow tests ``slow`` (the reason goes to the test's user_properties).

    A ``SLOW_TESTS`` entry whose module was collected but which names no test (renamed or
    deleted) is a usage error, so the list cannot silently stop marking anything.
    """
    seen: set[str] = set()
    for item in items:
        module = Path(str(item.path)).relative_to(Path(__file__).parent).as_posix()
        seen.update((module, f"{module}::{getattr(item, 'originalname', item.name)}"))
        reason = _slow_reason(item)
        if reason is not None:
            item.add_marker(pytest.mark.slow)
            item.user_properties.append(("slow", reason))
    stale = sorted(t for t in SLOW_TESTS if t.split("::")[0] in seen and t not in seen)
    if stale:
        raise pytest.UsageError(f"tests/conftest.py SLOW_TESTS names no test: {stale}")


def pytest_report_collectionfinish(config: pytest.Config, start_path: Path,
                                   items: list[pytest.Item]) -> str:
    """The collection line that says how many tests are marked slow."""
    slow = sum(1 for item in items if item.get_closest_marker("slow"))
    return f"slow: {slow} of {len(items)} tests marked (deselect with -m \"not slow\")"
