"""The client's mod cache: files named by their SHA-256, written atomically, checked on read.

A rejoining player offers the hashes it holds and downloads only what is missing; a file
that no longer matches its name (disk corruption, tampering) is deleted and fetched again.

``TokenStore`` keeps the player token each server gave us (``Welcome.token``), one file per
server URL and player name under the cache's ``tokens`` folder, readable by the user alone.
(By name too: bots that share a cache folder are different players, each with its token.)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

__all__ = ["ModCache", "TokenStore", "default_cache_dir"]

_SHA = re.compile(r"^[0-9a-f]{64}$")
_TOKEN = re.compile(r"[!-~]{1,64}")


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/riscade/mods``, or ``~/.cache/riscade/mods``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "riscade" / "mods"


class ModCache:
    """A directory of ``<sha256>.elf`` files."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def hashes(self) -> list[str]:
        """The hashes held, sorted; a file whose content does not match its name is removed,
        so a client never offers a mod it cannot produce."""
        names = sorted(p.stem for p in self.root.glob("*.elf") if _SHA.match(p.stem))
        return [sha for sha in names if self.get(sha) is not None]

    def get(self, sha256: str) -> bytes | None:
        """The ELF with this hash, or None; a file whose content does not match is removed."""
        if not _SHA.match(sha256):
            return None
        path = self.root / f"{sha256}.elf"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        if hashlib.sha256(data).hexdigest() != sha256:
            path.unlink(missing_ok=True)
            return None
        return data

    def put(self, data: bytes) -> str:
        """Store ``data`` under its hash (atomically: a reader never sees half a file)."""
        sha = hashlib.sha256(data).hexdigest()
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.root / f"{sha}.elf")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, readable by the user alone."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        os.chmod(tmp, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class TokenStore:
    """The player token of each server and player name:
    ``<root>/<sha256 of the URL and the name>.json``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, url: str, name: str) -> Path:
        key = f"{url.strip().rstrip('/').lower()}\n{name}"
        return self.root / f"{hashlib.sha256(key.encode('utf-8', 'replace')).hexdigest()}.json"

    def get(self, url: str, name: str) -> str:
        """The token kept for ``name`` on ``url``, or ``""`` (none, or a file that is not one
        of ours)."""
        try:
            doc = json.loads(self._path(url, name).read_bytes()[:4096])
        except (OSError, ValueError):
            return ""
        token = doc.get("token") if isinstance(doc, dict) else None
        return token if isinstance(token, str) and _TOKEN.fullmatch(token) else ""

    def put(self, url: str, name: str, token: str) -> None:
        """Keep ``token`` for ``name`` on ``url`` (replacing the one kept)."""
        self.root.mkdir(parents=True, exist_ok=True)
        _write_private(self._path(url, name),
                       json.dumps({"url": url, "name": name, "token": token}).encode())

    def forget(self, url: str, name: str) -> None:
        """Drop the token kept for ``name`` on ``url``."""
        self._path(url, name).unlink(missing_ok=True)
