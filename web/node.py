"""Run Python in Pyodide under Node, with the client's bundle and wheels: the browser's
interpreter (CPython 3.14 in wasm) without a browser, for tests and benchmarks.

``run_in_pyodide(script, data, args)`` installs ``riscade.zip`` (as ``web.bundle`` builds it
from this interpreter's modules) and the wheels, mounts ``data`` at ``/data``, runs ``script``
as ``__main__`` and returns what it printed. Needs ``node`` and ``npm ci`` in web/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from .assets import PYODIDE_DIR
from .bundle import build_bundle
from .wheels import WHEELS_DIR, wheel_files

__all__ = ["RUNNER", "PyodideFailed", "missing", "run_in_pyodide"]

RUNNER = Path(__file__).resolve().parent / "node" / "run.mjs"


class PyodideFailed(Exception):
    """The script (or Pyodide) failed: exit status and the end of its stderr."""

    def __init__(self, status: int, stderr: str) -> None:
        super().__init__(f"Pyodide under Node exited {status}: {stderr[-3000:]}")
        self.status = status
        self.stderr = stderr


def missing(pyodide: Path = PYODIDE_DIR, wheels: Path = WHEELS_DIR) -> str | None:
    """Why Pyodide under Node cannot run here (``None``: it can)."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (pyodide / "pyodide.mjs").is_file():
        return f"Pyodide is not installed in {pyodide} (npm ci in web/)"
    if None in wheel_files(wheels).values():
        return "the wheels are not built (python -m web.wheels)"
    return None


def run_in_pyodide(script: Path, data: Path, args: list[str] | None = None, *,
                   timeout: float = 600, pyodide: Path = PYODIDE_DIR,
                   wheels: Path = WHEELS_DIR) -> str:
    """Run ``script`` in Pyodide with ``data`` at ``/data``; its standard output.

    Raises:
        PyodideFailed: the script failed (its stderr is in the message).
        subprocess.TimeoutExpired: it ran longer than ``timeout`` seconds.
    """
    with tempfile.TemporaryDirectory(prefix="riscade-pyodide-") as tmp:
        bundle = Path(tmp) / "riscade.zip"
        bundle.write_bytes(build_bundle().data)
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps({
            "pyodide": str(pyodide.resolve()), "bundle": str(bundle),
            "wheels": [str(p) for p in wheel_files(wheels).values() if p is not None],
            "data": str(data.resolve()), "script": str(script.resolve()),
            "args": list(args or []),
        }))
        done = subprocess.run(["node", str(RUNNER), str(config)], capture_output=True,
                              text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise PyodideFailed(done.returncode, done.stderr)
    return done.stdout
