"""The world file: a recorded game in SQLite (the standard library's ``sqlite3``).

One file holds a game (DESIGN.md §9): the builds of every mod it ran (ELF and manifest
fields, by SHA-256), a snapshot of the whole simulation every N ticks (zstd, with the room's
players and the state hash), and every tick's inputs (``lockstep.record``) with the state
hash after it. The file is in WAL journal mode with ``synchronous=NORMAL``: a commit appends
to the WAL without waiting for the disk, so a killed process (``kill -9``) loses nothing
committed; a power cut may lose the commits since the last checkpoint.

A file is checked before anything writes to it, opened read-only for that: an SQLite file
whose ``application_id`` is not ``APPLICATION_ID``, a schema version (``user_version``) other
than ``SCHEMA``, another host ABI, or a file that fails ``PRAGMA quick_check`` (or is not
SQLite at all) is a ``WorldFileError`` with one line, and the file is left as it was.
A server holds an exclusive ``flock`` on the file while it writes: a second server is refused.

Tables: ``meta(key, value)`` (``game``, ``host_abi``, ``seed``, ``identities``: the
players' token digests, grace deadlines and bans as of the last committed tick, JSON,
``server.identity.Identities.to_state``, never a raw token); ``builds(sha256, name, elf,
memory, stack, instructions, permissions, dependencies, version, language)``;
``snapshots(tick, mods, room, state, hash)`` (``mods``: the builds' SHA-256s in load order,
msgpack; the first and the latest few are kept, ``prune_snapshots``); ``ticks(tick, inputs,
hash)`` (every tick, never pruned).

Schema version 1 still: the ``identities`` row and pruning came later without a new
version, because each side reads the other's files correctly: a file without the row (an
older riscade's) resumes with every player leaving at the first tick, as that riscade did,
and an older riscade ignores the row; a pruned file is a file whose snapshots are fewer.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import msgpack
import zstandard

from game.simulation import ModImage, SimulationError
from lockstep import entry_for
from protocol import ModEntry

__all__ = ["SCHEMA", "APPLICATION_ID", "GAME", "WorldFileError", "SnapshotRow", "WorldFile"]

#: The schema version this code reads and writes (SQLite's ``user_version``).
SCHEMA = 1
#: SQLite's ``application_id`` of a riscade world ("RSCW").
APPLICATION_ID = 0x52534357
#: ``meta.game``: what kind of file it is.
GAME = "riscade world"
#: The zstd level of snapshots (the level the server's joins use too).
_LEVEL = 3
#: A stored snapshot decompresses to at most this many bytes.
_MAX_STATE = 64 << 20

_TABLES = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE builds (sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, elf BLOB NOT NULL, "
    "memory INTEGER NOT NULL, stack INTEGER NOT NULL, instructions INTEGER NOT NULL, "
    "permissions TEXT NOT NULL, dependencies TEXT NOT NULL, version TEXT NOT NULL, "
    "language TEXT NOT NULL)",
    "CREATE TABLE snapshots (tick INTEGER PRIMARY KEY, mods BLOB NOT NULL, room BLOB NOT NULL, "
    "state BLOB NOT NULL, hash TEXT NOT NULL)",
    "CREATE TABLE ticks (tick INTEGER PRIMARY KEY, inputs BLOB NOT NULL, hash TEXT NOT NULL)",
)


class WorldFileError(Exception):
    """A world file that cannot be used; the message is one line naming the file and why."""


@dataclass(frozen=True)
class SnapshotRow:
    """A stored snapshot: its tick, its mods' build SHA-256s (load order), the room's
    record, the simulation's state (decompressed) and its state hash."""

    tick: int
    mods: tuple[str, ...]
    room: bytes
    state: bytes
    state_hash: str


def _check(conn: sqlite3.Connection, path: Path, host_abi: str | None) -> None:
    """Whether the open file is a world this code can use (``WorldFileError`` if not)."""
    app = conn.execute("PRAGMA application_id").fetchone()[0]
    if app != APPLICATION_ID:
        raise WorldFileError(f"{path} is an SQLite database, not a riscade world")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA:
        raise WorldFileError(f"{path} is a riscade world of schema version {version}; this "
                             f"riscade reads version {SCHEMA}")
    problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
    if problems != ["ok"]:
        raise WorldFileError(f"{path} is damaged: {' '.join(str(problems[0]).split())[:200]}")
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("game") != GAME:
        raise WorldFileError(f"{path} is not a riscade world (no game in its meta table)")
    if host_abi is not None and meta.get("host_abi") != host_abi:
        raise WorldFileError(f"{path} was recorded with host ABI {str(meta.get('host_abi'))[:16]}"
                             f"; this riscade has {host_abi[:16]}: its mods cannot run here")


def _lock(path: Path) -> int:
    """A descriptor of ``path`` (created empty if missing) holding an exclusive ``flock``:
    one server writes a world at a time (``riscade replay`` only reads, and may run beside
    it). The kernel lets go of it when the process ends, however it ends. (``flock`` locks
    are apart from the POSIX locks SQLite takes, and the descriptor stays open until SQLite
    closed the file, so closing it never drops SQLite's locks.)

    Raises:
        WorldFileError: another process holds it, or the file cannot be opened.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WorldFileError(f"cannot create {path}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise WorldFileError(f"{path} is in use by another server") from None
    return fd


class WorldFile:
    """An open world file. Writes go into the open transaction until ``commit``.

    Every method raises ``WorldFileError`` (one line) for what SQLite refuses.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, lock: int | None = None) -> None:
        self._conn = conn
        self.path = path
        self._lock = lock  # a descriptor holding flock(LOCK_EX) on the file while we write

    @classmethod
    def open(cls, path: Path, *, host_abi: str | None, create: bool = True,
             readonly: bool = False) -> WorldFile:
        """Open the world at ``path``, checked first without writing (see the module).

        Args:
            path: the file.
            host_abi: the host ABI the file must have been recorded with (None: any).
            create: make a new world when there is no file.
            readonly: never write (``riscade replay``).

        Raises:
            WorldFileError: there is no such file (and ``create`` is False), or it is not a
                world this code can use; the file is unchanged.
        """
        if path.exists():
            try:
                probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            except sqlite3.Error as exc:
                raise WorldFileError(f"cannot open {path}: {exc}") from None
            try:
                _check(probe, path, host_abi)
            except sqlite3.DatabaseError as exc:
                raise WorldFileError(f"{path} is not a riscade world ({exc})") from None
            finally:
                probe.close()
            if readonly:
                return cls(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True),
                           path)
        elif not create or readonly:
            raise WorldFileError(f"{path}: no such world file")
        lock = _lock(path)
        try:
            conn = sqlite3.connect(path)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if not conn.execute("SELECT name FROM sqlite_master").fetchall():
                conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version={SCHEMA}")
                for table in _TABLES:
                    conn.execute(table)
                conn.execute("INSERT INTO meta VALUES ('game', ?)", (GAME,))
                conn.execute("INSERT INTO meta VALUES ('host_abi', ?)", (host_abi or "",))
                conn.commit()
        except sqlite3.Error as exc:
            os.close(lock)
            raise WorldFileError(f"cannot create {path}: {exc}") from None
        return cls(conn, path, lock)

    def _fail(self, doing: str, exc: sqlite3.Error) -> WorldFileError:
        return WorldFileError(f"{self.path}: cannot {doing}: {' '.join(str(exc).split())}")

    # --- meta and builds ---------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        """The meta value ``key`` (None if unset)."""
        try:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            raise self._fail("read its meta table", exc) from None
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set meta ``key`` (in the open transaction)."""
        try:
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        except sqlite3.Error as exc:
            raise self._fail("write its meta table", exc) from None

    def put_build(self, entry: ModEntry, image: ModImage) -> None:
        """Keep a mod's build (once per SHA-256)."""
        try:
            self._conn.execute(
                "INSERT OR IGNORE INTO builds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.sha256, image.name, image.elf, image.memory, image.stack,
                 image.instructions, json.dumps(sorted(image.permissions)),
                 json.dumps(list(entry.dependencies)), entry.version, entry.language))
        except sqlite3.Error as exc:
            raise self._fail("store a build", exc) from None

    def build(self, sha256: str) -> tuple[ModEntry, ModImage]:
        """The manifest entry and image of a stored build.

        Raises:
            KeyError: no such build. WorldFileError: it cannot be read or is malformed.
        """
        try:
            row = self._conn.execute("SELECT * FROM builds WHERE sha256 = ?",
                                     (sha256,)).fetchone()
        except sqlite3.Error as exc:
            raise self._fail("read a build", exc) from None
        if row is None:
            raise KeyError(sha256)
        try:
            _, name, elf, memory, stack, instructions, perms, deps, version, language = row
            image = ModImage(name, bytes(elf), memory=memory, stack=stack,
                             instructions=instructions, permissions=frozenset(json.loads(perms)))
            entry = entry_for(image, version=version, language=language,
                              dependencies=tuple(json.loads(deps)), host_abi=self.meta("host_abi")
                              or "")
        except (ValueError, TypeError, SimulationError) as exc:
            raise WorldFileError(f"{self.path}: build {sha256[:12]} is malformed: "
                                 f"{' '.join(str(exc).split())[:200]}") from None
        if entry.sha256 != sha256:
            raise WorldFileError(f"{self.path}: build {sha256[:12]} is not the ELF stored as it")
        return entry, image

    # --- snapshots and ticks -----------------------------------------------------------------

    def put_snapshot(self, tick: int, mods: list[str], room: bytes, state: bytes,
                     state_hash: str) -> int:
        """Keep the snapshot of ``tick`` (replacing one of the same tick); its stored size."""
        data = zstandard.ZstdCompressor(level=_LEVEL).compress(state)
        try:
            self._conn.execute("INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?, ?)",
                               (tick, msgpack.packb(mods), room, data, state_hash))
        except sqlite3.Error as exc:
            raise self._fail("store a snapshot", exc) from None
        return len(data)

    def snapshot(self, at_or_before: int | None = None) -> SnapshotRow | None:
        """The latest snapshot at or before tick ``at_or_before`` (None: the latest)."""
        limit = (1 << 63) - 1 if at_or_before is None else at_or_before
        try:
            row = self._conn.execute(
                "SELECT tick, mods, room, state, hash FROM snapshots WHERE tick <= ? "
                "ORDER BY tick DESC LIMIT 1", (limit,)).fetchone()
        except sqlite3.Error as exc:
            raise self._fail("read a snapshot", exc) from None
        if row is None:
            return None
        tick, mods, room, data, state_hash = row
        try:
            shas = msgpack.unpackb(mods, raw=False)
            if not isinstance(shas, list) or not all(isinstance(s, str) for s in shas):
                raise ValueError("its mods are not a list of SHA-256s")
            state = zstandard.ZstdDecompressor().decompress(data, max_output_size=_MAX_STATE)
        except (ValueError, TypeError, zstandard.ZstdError,
                msgpack.exceptions.ExtraData) as exc:
            raise WorldFileError(f"{self.path}: the snapshot of tick {tick} is malformed: "
                                 f"{' '.join(str(exc).split())[:200]}") from None
        return SnapshotRow(int(tick), tuple(shas), bytes(room), state, str(state_hash))

    def prune_snapshots(self, keep: int) -> int:
        """Drop every snapshot but the first (a replay from the start stays possible) and
        the latest ``keep`` (at least 1), in the open transaction; how many were dropped.
        SQLite reuses their pages for the next ones, so the file stops growing by them."""
        if keep < 1:
            raise ValueError(f"at least 1 snapshot is kept, not {keep}")
        try:
            return self._conn.execute(
                "DELETE FROM snapshots WHERE tick > (SELECT MIN(tick) FROM snapshots) AND tick "
                "NOT IN (SELECT tick FROM snapshots ORDER BY tick DESC LIMIT ?)",
                (keep,)).rowcount
        except sqlite3.Error as exc:
            raise self._fail("drop old snapshots", exc) from None

    def put_tick(self, tick: int, inputs: bytes, state_hash: str) -> None:
        """Keep tick ``tick``'s record and the state hash after it."""
        try:
            self._conn.execute("INSERT OR REPLACE INTO ticks VALUES (?, ?, ?)",
                               (tick, inputs, state_hash))
        except sqlite3.Error as exc:
            raise self._fail("store a tick", exc) from None

    def ticks(self, after: int, upto: int | None = None) -> Iterator[tuple[int, bytes, str]]:
        """(tick, record, state hash) of the ticks after ``after`` (up to ``upto``), in
        order."""
        limit = (1 << 63) - 1 if upto is None else upto
        try:
            for tick, data, state_hash in self._conn.execute(
                    "SELECT tick, inputs, hash FROM ticks WHERE tick > ? AND tick <= ? "
                    "ORDER BY tick", (after, limit)):
                yield int(tick), bytes(data), str(state_hash)
        except sqlite3.Error as exc:
            raise self._fail("read the ticks", exc) from None

    def last_tick(self) -> int:
        """The last tick recorded (that of the latest snapshot if later; 0 for none)."""
        try:
            ticks = self._conn.execute("SELECT MAX(tick) FROM ticks").fetchone()[0]
            snaps = self._conn.execute("SELECT MAX(tick) FROM snapshots").fetchone()[0]
        except sqlite3.Error as exc:
            raise self._fail("read the ticks", exc) from None
        return max(int(ticks or 0), int(snaps or 0))

    def tick_hash(self, tick: int) -> str | None:
        """The state hash recorded after ``tick`` (None if that tick is not recorded)."""
        try:
            row = self._conn.execute("SELECT hash FROM ticks WHERE tick = ?",
                                     (tick,)).fetchone()
        except sqlite3.Error as exc:
            raise self._fail("read the ticks", exc) from None
        return None if row is None else str(row[0])

    def commit(self) -> None:
        """Commit what was written since the last commit."""
        try:
            self._conn.commit()
        except sqlite3.Error as exc:
            raise self._fail("commit", exc) from None

    def close(self) -> None:
        """Close the file (what was not committed is dropped). Never raises."""
        try:
            self._conn.close()
        except sqlite3.Error:
            pass
        if self._lock is not None:  # after SQLite let go of the file
            os.close(self._lock)
            self._lock = None

    def size(self) -> int:
        """Bytes of the database (pages in use)."""
        pages = cast(int, self._conn.execute("PRAGMA page_count").fetchone()[0])
        return pages * cast(int, self._conn.execute("PRAGMA page_size").fetchone()[0])
