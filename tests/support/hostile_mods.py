"""A mods directory holding the bundled mods and some of the hostile ones (for tests and
benches that serve a hostile mod beside the honest ones)."""

from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["BUNDLED", "HOSTILE_DIR", "stage_mods"]

ROOT = Path(__file__).resolve().parents[2]
#: The bundled mods, in load order.
BUNDLED = ("movement", "pickups", "greeter")
#: One folder per hostile mod (tests/hostile/mods/<name>/mod.toml).
HOSTILE_DIR = ROOT / "tests" / "hostile" / "mods"


def stage_mods(dest: Path, *hostile: str) -> Path:
    """Copy the bundled mods and the named hostile mods into ``dest`` (made if missing, left
    as it is if it exists); returns ``dest``."""
    if not dest.exists():
        for name in BUNDLED:
            shutil.copytree(ROOT / "mods" / name, dest / name)
        for name in hostile:
            shutil.copytree(HOSTILE_DIR / name, dest / name)
    return dest
