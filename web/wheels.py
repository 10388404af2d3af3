"""Pure-Python wheels of what the client's code imports in the browser, built by pip.

Pyodide has no msgpack or pyelftools of ours; the page installs these wheels, which
``scripts/install.sh`` builds (``python -m web.wheels``) into ``web/wheels/``. Each is pinned to
the version this interpreter has installed, so the browser decodes and loads exactly as the
server does. msgpack is built without its C extension (``MSGPACK_PUREPYTHON=1``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

__all__ = ["WHEELS", "WHEELS_DIR", "wheel_files", "build_wheels", "main"]

WHEELS_DIR = Path(__file__).resolve().parent / "wheels"

#: Distribution -> the environment pip builds it with (pure Python everywhere).
WHEELS: dict[str, dict[str, str]] = {
    "msgpack": {"MSGPACK_PUREPYTHON": "1"},
    "pyelftools": {},
}


def _stem(dist: str) -> str:
    """The file-name prefix of ``dist``'s wheels at the installed version."""
    return f"{dist.replace('-', '_')}-{version(dist)}-"


def wheel_files(folder: Path = WHEELS_DIR) -> dict[str, Path | None]:
    """Distribution -> its pure wheel (``py3-none-any``) in ``folder`` at the installed
    version, or ``None`` if it is missing."""
    out: dict[str, Path | None] = {}
    for dist in WHEELS:
        found = sorted(folder.glob(f"{_stem(dist)}*-none-any.whl")) if folder.is_dir() else []
        out[dist] = found[0] if found else None
    return out


def build_wheels(folder: Path = WHEELS_DIR) -> list[Path]:
    """Build the missing wheels into ``folder`` with pip; returns every wheel.

    Raises:
        subprocess.CalledProcessError: pip failed (its output went to stderr).
    """
    folder.mkdir(parents=True, exist_ok=True)
    for dist, path in wheel_files(folder).items():
        if path is None:
            subprocess.run(
                [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-binary", dist,
                 "-w", str(folder), f"{dist}=={version(dist)}"],
                check=True, env={**os.environ, **WHEELS[dist]}, stdout=sys.stderr)
    built = wheel_files(folder)
    missing = [d for d, p in built.items() if p is None]
    if missing:
        raise RuntimeError(f"pip made no pure wheel of {', '.join(missing)} in {folder}")
    return [p for p in built.values() if p is not None]


def main() -> int:
    """``python -m web.wheels``: build the wheels, print their paths."""
    for path in build_wheels():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
