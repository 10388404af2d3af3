"""The browser client's Python code: a zip of the very modules the server runs.

The page's worker unpacks ``riscade.zip`` into Pyodide's file system and imports from it, so
the browser runs the same ``vm``, ``protocol``, ``game`` and ``lockstep`` as the server (and the
sans-I/O parts of ``mods`` and ``client``). The files are read from where the running server
imported its packages, at start-up, never from a copy.

The zip is deterministic: members sorted, one fixed date, one mode, so the same sources give
the same bytes and the same SHA-256, which ``manifest.json`` carries for the page to check.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PACKAGES", "LEFT_OUT", "Bundle", "build_bundle", "bundle_files"]

#: Package -> the files of it the browser needs (``None``: every ``.py`` file, recursively,
#: but those in ``LEFT_OUT``). ``mods`` ships only its ABI (the build side needs the toolchain).
PACKAGES: dict[str, tuple[str, ...] | None] = {
    "vm": None,
    "protocol": None,
    "game": None,
    "lockstep": None,
    "mods": ("__init__.py", "errors.py", "host_api.py"),
    "client": None,
}
#: The websockets and terminal shell of the Python client: the page is the browser's shell.
LEFT_OUT = frozenset({"client/session.py", "client/cli.py", "client/__main__.py"})

#: The date every member carries (zip's epoch): the bytes depend on the sources only.
_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Bundle:
    """The zip, its SHA-256 (hex), and the member names."""

    data: bytes
    sha256: str
    names: tuple[str, ...]


def bundle_files(packages: dict[str, tuple[str, ...] | None] | None = None
                 ) -> dict[str, Path]:
    """Zip member name (``vm/machine.py``) -> the file the running interpreter imported."""
    out: dict[str, Path] = {}
    for name, files in (PACKAGES if packages is None else packages).items():
        module = importlib.import_module(name)
        if module.__file__ is None:
            raise RuntimeError(f"package {name} has no __init__.py to locate it by")
        root = Path(module.__file__).resolve().parent
        paths = (sorted(root.rglob("*.py")) if files is None
                 else [root / f for f in files])
        for path in paths:
            rel = path.relative_to(root)
            member = f"{name}/{rel.as_posix()}"
            if "__pycache__" not in rel.parts and member not in LEFT_OUT:
                out[member] = path
    return out


def build_bundle(packages: dict[str, tuple[str, ...] | None] | None = None) -> Bundle:
    """Zip the client's packages as this interpreter imported them (see ``PACKAGES``)."""
    files = bundle_files(packages)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name].read_bytes(), compresslevel=9)
    data = buf.getvalue()
    return Bundle(data, hashlib.sha256(data).hexdigest(), tuple(sorted(files)))
