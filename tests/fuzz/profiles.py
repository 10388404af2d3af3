"""Hypothesis settings for the fuzz targets: a short reproducible run in CI, a long one on demand.

``RISCADE_FUZZ`` chooses the profile:

- unset or ``ci``: every target runs its own small number of examples (``examples(n)``),
  derandomized (the same inputs on every run), with no example database and hypothesis'
  caches in the temporary directory, so CI is reproducible and writes nothing into the
  repository. All of tests/fuzz stays under a minute.
- ``long``: each target runs ``RISCADE_FUZZ_SCALE`` (default 100) times as many random
  examples, and keeps what fails in ``tests/fuzz/.hypothesis-db`` (gitignored), so a rerun
  starts from the failures first.

Count the examples each target ran with hypothesis' own statistics, e.g.::

    RISCADE_FUZZ=long python -m pytest -q -p no:cacheprovider tests/fuzz \\
        --hypothesis-show-statistics

A crash that fuzzing finds becomes an ``@example`` on its target and, where it is an input
file, a file in ``tests/fuzz/corpus/<target>/`` that the seed tests replay every run.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase

__all__ = ["PROFILE", "SCALE", "CORPUS", "examples", "corpus_files"]

HERE = Path(__file__).parent
CORPUS = HERE / "corpus"

PROFILE = os.environ.get("RISCADE_FUZZ", "ci") or "ci"
if PROFILE not in ("ci", "long"):
    raise ValueError(f"RISCADE_FUZZ must be 'ci' or 'long', not {PROFILE!r}")
SCALE = int(os.environ.get("RISCADE_FUZZ_SCALE", "100")) if PROFILE == "long" else 1

_COMMON: dict[str, Any] = {
    "deadline": None,  # no wall clock: slow machines must not fail a target
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
settings.register_profile("ci", derandomize=True, database=None, **_COMMON)
settings.register_profile(
    "long",
    derandomize=False,
    database=DirectoryBasedExampleDatabase(str(HERE / ".hypothesis-db")),
    **_COMMON,
)
settings.load_profile(PROFILE)
if PROFILE == "ci":  # hypothesis' own caches (constants, unicode tables) go to /tmp, not here
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "riscade-hypothesis")

F = TypeVar("F", bound=Callable[..., Any])


def examples(n: int) -> Callable[[F], F]:
    """Settings for a target that runs ``n`` examples in CI (``n * SCALE`` in the long run)."""
    return settings(max_examples=n * SCALE)


def corpus_files(target: str) -> list[Path]:
    """The seed inputs of ``target``: ``tests/fuzz/corpus/<target>/*.bin``, sorted by name."""
    return sorted((CORPUS / target).glob("*.bin"))
