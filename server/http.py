"""Plain HTTP on the websocket's port: a table of routes, files served by name, nothing else.

A request that is not a websocket upgrade reaches ``Routes.serve`` (``Routes.respond`` is the
same without gzip), which answers GET and HEAD only (405 otherwise), looks the path (query
string dropped) up in a table of exact paths, then of folder prefixes, and says 404 to anything
else. A route's handler takes the websockets ``Request`` and returns a ``Response`` made by
``reply`` (Content-Type, Content-Length, Cache-Control, ETag); a HEAD gets the same headers
and no body, and a matching ``If-None-Match`` gets 304.

No path reaches the file system as the client wrote it: a path under a folder route is split
at ``/`` and every part must match ``NAME`` (letters, digits, ``._-``, not starting with a
dot), so ``..``, ``%2e%2e``, an absolute path, a backslash, a NUL or an empty part never
match; the names a folder route may serve can be listed; the file found must be a regular
file inside the folder once every link is resolved; and a path longer than ``MAX_PATH`` is
refused before it is looked at.

``serve`` (what the server calls) also gzips a text, JSON or wasm body of 1 KiB or more for a
client whose Accept-Encoding takes it: compressed in a thread, once per ETag, kept in a bounded
cache, with its own ETag; Pyodide's 9.6 MB of wasm travel as about a third of that.

Adding a route is one line: ``server.http.add("/status", handler)``.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import re
import stat
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

__all__ = [
    "Handler",
    "Routes",
    "reply",
    "etag_of",
    "is_upgrade",
    "content_type",
    "MAX_PATH",
    "MAX_FILE",
    "GZIP_MIN",
    "GZIP_CACHE",
    "NO_CACHE",
    "IMMUTABLE",
]

#: A route: the request in, the response out.
Handler = Callable[[Request], Response]

#: The longest request path looked at (query string included); longer ones get 414.
MAX_PATH = 1024
#: The largest file a folder route serves (Pyodide's wasm is 9.6 MB).
MAX_FILE = 64 << 20
#: One part of a path under a folder route.
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
#: Bodies smaller than this are sent as they are.
GZIP_MIN = 1024
#: The most bytes of gzipped bodies kept (least recently used dropped first).
GZIP_CACHE = 32 << 20
#: Content types worth gzipping (zip files, wheels and PNGs are compressed already).
_COMPRESSIBLE = ("text/", "application/json", "application/wasm", "image/svg+xml")
#: Revalidate every time (the ETag makes a revalidation cost no body).
NO_CACHE = "no-cache"
#: Files whose content never changes under their URL (pinned versions).
IMMUTABLE = "public, max-age=86400"

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".py": "text/plain; charset=utf-8",
}


def content_type(name: str) -> str:
    """The Content-Type of a file by its suffix (``application/octet-stream`` if unknown)."""
    return _TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def is_upgrade(request: Request) -> bool:
    """True if ``request`` asks for a websocket (an ``Upgrade: websocket`` header)."""
    return any("websocket" in v.lower() for v in request.headers.get_all("Upgrade"))


def etag_of(body: bytes) -> str:
    """The ETag of ``body``: a quoted prefix of its SHA-256."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def reply(body: bytes, ctype: str, *, cache: str = NO_CACHE,
          status: HTTPStatus = HTTPStatus.OK, etag: str | None = None) -> Response:
    """A response carrying ``body`` with its type, length, cache policy and ETag (computed
    from ``body`` unless given)."""
    headers = Headers([
        ("Content-Type", ctype),
        ("Content-Length", str(len(body))),
        ("Cache-Control", cache),
        ("ETag", etag if etag is not None else etag_of(body)),
        ("X-Content-Type-Options", "nosniff"),
        ("Connection", "close"),
    ])
    return Response(status.value, status.phrase, headers, body)


def _error(status: HTTPStatus) -> Response:
    body = f"{status.value} {status.phrase}\n".encode()
    headers = Headers([
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
        ("Connection", "close"),
    ])
    if status is HTTPStatus.METHOD_NOT_ALLOWED:
        headers["Allow"] = "GET, HEAD"
    return Response(status.value, status.phrase, headers, body)


@dataclass
class _Folder:
    root: Path
    names: frozenset[str] | None  # the only relative paths served, or None: any
    cache: str
    # rel -> (mtime_ns, size, body, etag): a big file is read and hashed once, not per GET
    seen: dict[str, tuple[int, int, bytes, str]] = field(default_factory=dict)


class Routes:
    """The HTTP routes of one server: exact paths, then folders by prefix."""

    def __init__(self, *, gzip_cache: int = GZIP_CACHE) -> None:
        self._exact: dict[str, Handler] = {}
        self._folders: dict[str, _Folder] = {}
        self._gzip_cache = gzip_cache
        self._gzipped: OrderedDict[str, bytes] = OrderedDict()  # ETag -> gzip of the body

    def add(self, path: str, handler: Handler) -> None:
        """Serve ``path`` (exact, e.g. ``/status``) with ``handler``; replaces an older one."""
        if not path.startswith("/"):
            raise ValueError(f"route {path!r} must start with '/'")
        self._exact[path] = handler

    def add_folder(self, prefix: str, root: Path, *, names: Iterable[str] | None = None,
                   cache: str = NO_CACHE) -> None:
        """Serve the files under ``root`` at ``prefix`` + relative path (``prefix`` ends in
        ``/``); only those listed in ``names`` if given."""
        if not (prefix.startswith("/") and prefix.endswith("/")):
            raise ValueError(f"folder route {prefix!r} must start and end with '/'")
        self._folders[prefix] = _Folder(root, None if names is None else frozenset(names),
                                        cache)

    def paths(self) -> list[str]:
        """The exact paths and folder prefixes served, sorted (for logs and tests)."""
        return sorted([*self._exact, *self._folders])

    def respond(self, request: Request) -> Response:
        """The response to a plain (not websocket) HTTP request, never compressed."""
        return _finish(request, self._answer(request))

    async def serve(self, request: Request) -> Response:
        """The response to a plain HTTP request, gzipped if the client takes it and it pays
        (a big body is compressed in a thread, once per ETag, so the tick loop never waits)."""
        response = self._answer(request)
        etag = response.headers.get("ETag")
        if (response.status_code != 200 or etag is None or len(response.body) < GZIP_MIN
                or not response.headers.get("Content-Type", "").startswith(_COMPRESSIBLE)
                or not _accepts_gzip(request)):
            return _finish(request, response)
        packed = self._gzipped.get(etag)
        if packed is None:
            packed = await asyncio.to_thread(gzip.compress, response.body, 6, mtime=0)
            self._gzipped[etag] = packed
            while sum(map(len, self._gzipped.values())) > self._gzip_cache:
                self._gzipped.popitem(last=False)
        else:
            self._gzipped.move_to_end(etag)
        headers = Headers([(k, v) for k, v in response.headers.raw_items()
                           if k not in ("Content-Length", "ETag")])
        headers["Content-Length"] = str(len(packed))
        headers["Content-Encoding"] = "gzip"
        headers["Vary"] = "Accept-Encoding"
        headers["ETag"] = etag[:-1] + '-gzip"'
        return _finish(request, Response(200, "OK", headers, packed))

    def _answer(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return _error(HTTPStatus.METHOD_NOT_ALLOWED)
        if len(request.path) > MAX_PATH:
            return _error(HTTPStatus.REQUEST_URI_TOO_LONG)
        return self._route(request.path.split("?", 1)[0], request)

    def _route(self, path: str, request: Request) -> Response:
        handler = self._exact.get(path)
        if handler is not None:
            return handler(request)
        for prefix, folder in self._folders.items():
            if path.startswith(prefix):
                return _file(folder, path[len(prefix):])
        return _error(HTTPStatus.NOT_FOUND)


def _accepts_gzip(request: Request) -> bool:
    """True if the request's Accept-Encoding lists gzip (without q=0)."""
    for item in ",".join(request.headers.get_all("Accept-Encoding")).split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _finish(request: Request, response: Response) -> Response:
    """304 for a matching If-None-Match; no body for HEAD."""
    etag = response.headers.get("ETag")
    if (etag is not None and response.status_code == 200
            and etag in (v.strip() for v in
                         ",".join(request.headers.get_all("If-None-Match")).split(","))):
        headers = Headers([(k, v) for k, v in response.headers.raw_items()
                           if k != "Content-Length"])
        headers["Content-Length"] = "0"
        return Response(304, "Not Modified", headers, b"")
    if request.method == "HEAD":
        return Response(response.status_code, response.reason_phrase, response.headers, b"")
    return response


def _file(folder: _Folder, rel: str) -> Response:
    parts = rel.split("/")
    if not all(NAME.fullmatch(p) for p in parts):
        return _error(HTTPStatus.NOT_FOUND)
    if folder.names is not None and rel not in folder.names:
        return _error(HTTPStatus.NOT_FOUND)
    try:
        root = folder.root.resolve(strict=True)
        target = root.joinpath(*parts).resolve(strict=True)
        st = target.stat()
        if (not target.is_relative_to(root) or not stat.S_ISREG(st.st_mode)
                or st.st_size > MAX_FILE):
            return _error(HTTPStatus.NOT_FOUND)
        known = folder.seen.get(rel)
        if known is None or known[:2] != (st.st_mtime_ns, st.st_size):
            body = target.read_bytes()
            known = (st.st_mtime_ns, st.st_size, body, etag_of(body))
            folder.seen[rel] = known
    except OSError:
        return _error(HTTPStatus.NOT_FOUND)
    return reply(known[2], content_type(target.name), cache=folder.cache, etag=known[3])
