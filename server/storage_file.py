"""The mods' persistent storage as a file, so it survives a server restart.

The game only exposes the storage as bytes (``Simulation.storage_bytes``, ``stored=``); this
module does the file I/O: ``load`` at start-up, and ``StorageFile.save`` every ``every`` ticks
and at shutdown, each write atomic (a temporary file in the same folder, flushed to disk,
then renamed over the old one), so a crash leaves the old file or the new one, never half of
one. The file is ``MAGIC`` then the storage bytes. (The persistence issue replaces this file
with the game's SQLite store.)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from game.storage import MAX_BYTES

__all__ = ["MAGIC", "FILE_NAME", "StorageFileError", "load", "write_atomic", "StorageFile"]

#: The first bytes of a storage file (the format's version is in it).
MAGIC = b"riscade-storage 1\n"
#: The file's name in the storage folder (``riscade serve --storage DIR``).
FILE_NAME = "storage.bin"


class StorageFileError(Exception):
    """A storage file that cannot be read or written; the message says which and why."""


def load(path: Path) -> bytes:
    """The storage bytes of the file at ``path``; empty if there is no file yet.

    Raises:
        StorageFileError: it cannot be read, or it is not a storage file.
    """
    try:
        with path.open("rb") as f:
            data = f.read(len(MAGIC) + MAX_BYTES + 1)  # a bigger one is no storage file
    except FileNotFoundError:
        return b""
    except OSError as exc:
        raise StorageFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > len(MAGIC) + MAX_BYTES:
        raise StorageFileError(f"{path} is larger than any storage ({MAX_BYTES} bytes)")
    if not data.startswith(MAGIC):
        raise StorageFileError(f"{path} is not a riscade storage file")
    return data[len(MAGIC):]


def write_atomic(path: Path, data: bytes) -> None:
    """Replace the file at ``path`` by ``MAGIC + data`` atomically (temp file, fsync, rename).

    Raises:
        StorageFileError: the folder or file cannot be written (the old file is kept).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    except OSError as exc:
        raise StorageFileError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise StorageFileError(f"cannot write {path}: {exc.strerror or exc}") from None


@dataclass
class StorageFile:
    """The storage file of a running server: written every ``every`` ticks when the storage
    changed since the last write, and at shutdown.

    Args:
        path: the file.
        every: ticks between writes (at least 1).
        written: the storage bytes the file holds now (what ``load`` returned).
    """

    path: Path
    every: int
    written: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError(f"a storage file is written every 1 or more ticks, not {self.every}")

    def tick(self, tick: int, data: bytes) -> bool:
        """After tick ``tick``: write ``data`` if it is time and it changed; True if written.

        Raises:
            StorageFileError: the write failed (the server goes on; the next one retries).
        """
        return tick % self.every == 0 and self.save(data)

    def save(self, data: bytes) -> bool:
        """Write ``data`` now if it differs from what the file holds; True if written."""
        if data == self.written:
            return False
        write_atomic(self.path, data)
        self.written = data
        return True
