"""What the game page loads, and the routes that serve it (nothing comes from a CDN).

    /                    the page (web/static/index.html)
    /static/NAME         the page's files (web/static/)
    /pyodide/NAME        Pyodide from the pinned npm package (web/node_modules/pyodide/)
    /py/manifest.json    the versions and SHA-256 of what follows, fetched first
    /py/riscade.zip      the client's Python, zipped at start-up from the running modules
    /wheels/NAME         pure wheels of msgpack and pyelftools (web/wheels/)

``scripts/install.sh`` installs Pyodide (``npm ci`` in web/) and builds the wheels
(``python -m web.wheels``); ``WebClient.missing`` names what is not there.
"""

from __future__ import annotations

import functools
import hashlib
import json
from http import HTTPStatus
from pathlib import Path

from websockets.http11 import Request, Response

from server.http import IMMUTABLE, NO_CACHE, Routes, content_type, reply

from .bundle import Bundle, build_bundle
from .wheels import WHEELS_DIR, wheel_files

__all__ = ["WEB_DIR", "STATIC_DIR", "PYODIDE_DIR", "PYODIDE_VERSION", "PYODIDE_FILES",
           "WebClient"]

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
PYODIDE_DIR = WEB_DIR / "node_modules" / "pyodide"
#: The version web/package.json pins (``npm ci`` installs exactly it).
PYODIDE_VERSION = "314.0.8"
#: The files of the npm package a page loads: the loader (classic and module), the
#: interpreter (wasm and its JavaScript glue), the standard library and the package index.
PYODIDE_FILES = ("pyodide.js", "pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm",
                 "python_stdlib.zip", "pyodide-lock.json")


class WebClient:
    """The browser client's assets on disk, and its Python bundle (built on first use;
    ``riscade serve`` builds it at start-up)."""

    def __init__(self, *, static: Path = STATIC_DIR, pyodide: Path = PYODIDE_DIR,
                 wheels: Path = WHEELS_DIR) -> None:
        self.static = static
        self.pyodide = pyodide
        self.wheels = wheels

    @functools.cached_property
    def bundle(self) -> Bundle:
        """The zip of the client's Python (``web.bundle``), built once."""
        return build_bundle()

    @functools.cached_property
    def manifest(self) -> bytes:
        """``/py/manifest.json``: Pyodide's version, the bundle's and each wheel's file,
        size and SHA-256 (what the page checks before it uses them)."""
        wheels = []
        for path in wheel_files(self.wheels).values():
            if path is not None:
                data = path.read_bytes()
                wheels.append({"file": path.name, "size": len(data),
                               "sha256": hashlib.sha256(data).hexdigest()})
        doc = {"pyodide": PYODIDE_VERSION,
               "bundle": {"file": "riscade.zip", "size": len(self.bundle.data),
                          "sha256": self.bundle.sha256},
               "wheels": wheels}
        return json.dumps(doc, sort_keys=True, indent=1).encode() + b"\n"

    def missing(self) -> list[str]:
        """What is not installed, one line each (empty: the page can load)."""
        out = [f"Pyodide {name} (npm ci in web/)" for name in PYODIDE_FILES
               if not (self.pyodide / name).is_file()]
        out += [f"the {dist} wheel (python -m web.wheels)"
                for dist, path in wheel_files(self.wheels).items() if path is None]
        if not (self.static / "index.html").is_file():
            out.append(f"the page ({self.static / 'index.html'})")
        return out

    def summary(self, url: str) -> str:
        """One line for a start-up log: where the page is and what it loads (builds the
        bundle now, from the modules this server runs), or what is missing."""
        missing = self.missing()
        if missing:
            return (f"the game page at {url} cannot load: missing {'; '.join(missing)} "
                    "(run scripts/install.sh)")
        return (f"the game page is at {url} (Pyodide {PYODIDE_VERSION}, client Python "
                f"{len(self.bundle.data)} bytes, sha256 {self.bundle.sha256[:12]})")

    def install(self, routes: Routes) -> None:
        """Add the page's routes to ``routes``."""
        routes.add("/", self._index)
        routes.add("/py/manifest.json",
                   lambda _: reply(self.manifest, "application/json", cache=NO_CACHE))
        routes.add("/py/riscade.zip",
                   lambda _: reply(self.bundle.data, "application/zip", cache=NO_CACHE,
                                   etag=f'"{self.bundle.sha256[:32]}"'))
        routes.add_folder("/static/", self.static)
        routes.add_folder("/pyodide/", self.pyodide, names=PYODIDE_FILES, cache=IMMUTABLE)
        routes.add_folder("/wheels/", self.wheels, cache=IMMUTABLE)

    def _index(self, _: Request) -> Response:
        try:
            body = (self.static / "index.html").read_bytes()
        except OSError:
            return reply(b"the riscade page is not installed\n", "text/plain; charset=utf-8",
                         status=HTTPStatus.NOT_FOUND)
        return reply(body, content_type("index.html"))
