"""Persistent per-mod storage: key -> bytes (host calls 104..106), part of the world.

Each mod has its own keys (named by the mod's name, so a mod finds its data again after a
restart however the mods are ordered). A key is 1..``STORAGE_KEY_MAX`` bytes (UTF-8 of the
guest's string), a value 0..``STORAGE_VALUE_MAX`` bytes, and a mod's keys and values together
at most ``STORAGE_BYTES_PER_MOD`` bytes in at most ``STORAGE_KEYS_PER_MOD`` keys: a key or
value too long faults, a write that would take the mod over its total or its number of keys
returns 0 and changes nothing.

The storage is world state: hashed every tick, in every snapshot (so joiners get it) and
journaled like the rest of the world. This module does no I/O: ``riscade serve --world``
keeps it in the world file's snapshots with the rest of the world (``server.persist``).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mods.host_api import constant

from .packing import Reader, blob
from .rules import (
    STORAGE_BYTES_PER_MOD,
    STORAGE_KEY_MAX,
    STORAGE_KEYS_PER_MOD,
    STORAGE_MODS_MAX,
    STORAGE_VALUE_MAX,
)

if TYPE_CHECKING:
    from .world import World

__all__ = ["Storage", "storage_impls", "NO_VALUE", "MAX_BYTES"]

#: ``storage_get``'s result for a key that holds nothing.
NO_VALUE = constant("NO_VALUE")
#: Bytes of a mod's name in serialised state (``mods.manifest`` allows 32).
_MOD_NAME_MAX = 64
#: The most bytes ``Storage.to_bytes`` can be: every mod full, each record's two lengths too.
MAX_BYTES = 4 + STORAGE_MODS_MAX * (4 + _MOD_NAME_MAX + 4 + STORAGE_BYTES_PER_MOD
                                    + 8 * STORAGE_KEYS_PER_MOD)

Journal = Callable[[Callable[[], None]], None]


def _no_journal(step: Callable[[], None]) -> None:
    """The journal of a state nobody rolls back."""


def _check(key: bytes, value: bytes | None = None) -> None:
    if not 0 < len(key) <= STORAGE_KEY_MAX:
        raise ValueError(f"a storage key is 1..{STORAGE_KEY_MAX} bytes, not {len(key)}")
    if value is not None and len(value) > STORAGE_VALUE_MAX:
        raise ValueError(f"a storage value is at most {STORAGE_VALUE_MAX} bytes, "
                         f"not {len(value)}")


class Storage:
    """Every mod's key -> bytes records."""

    def __init__(self, journal: Journal = _no_journal) -> None:
        self.journal = journal
        self._mods: dict[str, dict[bytes, bytes]] = {}
        self._used: dict[str, int] = {}  # mod -> bytes of its keys and values
        # Caches: each mod's part of ``to_bytes`` and its SHA-256, the whole bytes and digest.
        self._parts: dict[str, tuple[bytes, bytes]] = {}
        self._bytes: bytes | None = None
        self._digest: bytes | None = None

    def get(self, mod: str, key: bytes) -> bytes | None:
        """The value of ``key`` in ``mod``'s storage, or None."""
        _check(key)
        return self._mods.get(mod, {}).get(key)

    def used(self, mod: str) -> int:
        """Bytes of keys and values ``mod`` stores."""
        return self._used.get(mod, 0)

    def set(self, mod: str, key: bytes, value: bytes) -> bool:
        """Store ``value`` under ``key``; False (nothing changed) if the mod's total would go
        over ``STORAGE_BYTES_PER_MOD`` or its keys over ``STORAGE_KEYS_PER_MOD``.
        ``ValueError`` if the key or value is too long."""
        _check(key, value)
        records = self._mods.get(mod, {})
        old = records.get(key)
        grows = len(value) - (len(old) if old is not None else -len(key))
        if self.used(mod) + grows > STORAGE_BYTES_PER_MOD \
                or (old is None and len(records) >= STORAGE_KEYS_PER_MOD):
            return False
        self._put(mod, key, value)
        self.journal(lambda: self._put(mod, key, old))
        return True

    def delete(self, mod: str, key: bytes) -> bool:
        """Remove ``key``; True if it held a value."""
        _check(key)
        old = self._mods.get(mod, {}).get(key)
        if old is None:
            return False
        self._put(mod, key, None)
        self.journal(lambda: self._put(mod, key, old))
        return True

    def _put(self, mod: str, key: bytes, value: bytes | None) -> None:
        records = self._mods.setdefault(mod, {})
        old = records.pop(key, None)
        used = self._used.get(mod, 0) - (len(key) + len(old) if old is not None else 0)
        if value is not None:
            records[key] = value
            used += len(key) + len(value)
        if records:
            self._used[mod] = used
        else:
            del self._mods[mod], self._used[mod]
        self._parts.pop(mod, None)
        self._bytes = self._digest = None

    def _part(self, mod: str) -> tuple[bytes, bytes]:
        """``mod``'s part of ``to_bytes`` and its SHA-256 (cached until it changes)."""
        part = self._parts.get(mod)
        if part is None:
            records = self._mods[mod]
            chunks = [blob(mod.encode()), struct.pack("<I", len(records))]
            for key in sorted(records):
                chunks += [blob(key), blob(records[key])]
            data = b"".join(chunks)
            part = self._parts[mod] = (data, hashlib.sha256(data).digest())
        return part

    def to_bytes(self) -> bytes:
        """Canonical bytes: mods by name, each one's keys sorted."""
        if self._bytes is None:
            self._bytes = b"".join([struct.pack("<I", len(self._mods)),
                                    *(self._part(mod)[0] for mod in sorted(self._mods))])
        return self._bytes

    def digest(self) -> bytes:
        """SHA-256 of ``to_bytes()`` with each mod's part replaced by its SHA-256: a change
        re-hashes one mod's part (at most ``STORAGE_BYTES_PER_MOD``), not everyone's."""
        if self._digest is None:
            self._digest = hashlib.sha256(b"".join(
                [struct.pack("<I", len(self._mods)),
                 *(self._part(mod)[1] for mod in sorted(self._mods))])).digest()
        return self._digest

    @classmethod
    def read(cls, r: Reader, journal: Journal = _no_journal) -> Storage:
        """The state ``to_bytes`` wrote; ``ValueError`` if it is malformed or breaks a limit
        (key or value size, a mod's total, ``STORAGE_MODS_MAX`` mods)."""
        storage = cls(journal)
        last_mod = None
        for _ in range(r.count(STORAGE_MODS_MAX)):
            mod = r.text(_MOD_NAME_MAX)
            if last_mod is not None and mod <= last_mod:
                raise ValueError("malformed storage: mods out of order")
            last_mod = mod
            records: dict[bytes, bytes] = {}
            used = 0
            for _ in range(r.count(STORAGE_KEYS_PER_MOD)):
                key, value = r.blob(STORAGE_KEY_MAX), r.blob(STORAGE_VALUE_MAX)
                if not key or (records and key <= next(reversed(records))):
                    raise ValueError(f"malformed storage of {mod!r}: keys out of order")
                used += len(key) + len(value)
                if used > STORAGE_BYTES_PER_MOD:
                    raise ValueError(f"malformed storage of {mod!r}: over "
                                     f"{STORAGE_BYTES_PER_MOD} bytes")
                records[key] = value
            if not records:
                raise ValueError(f"malformed storage of {mod!r}: no records")
            storage._mods[mod] = records
            storage._used[mod] = used
        return storage

    @classmethod
    def from_bytes(cls, data: bytes, journal: Journal = _no_journal) -> Storage:
        """``read`` of exactly ``data``; ``ValueError`` if malformed."""
        r = Reader(data, "storage")
        storage = cls.read(r, journal)
        r.end()
        return storage


def storage_impls(mod: str, world: Callable[[], World]) -> dict[str, Callable[..., Any]]:
    """The host functions of this module as mod ``mod`` sees them."""

    def storage_get(m: Any, key: str, buf: int, cap: int) -> int:
        value = world().storage.get(mod, key.encode())
        if value is None:
            return NO_VALUE
        if cap < 0:
            raise ValueError(f"cap {cap} is negative")
        if cap and value:
            m.write(buf, value[:cap])  # a bad buffer is the guest's fault (HostCallFault)
        return len(value)

    return {
        "storage_get": storage_get,
        "storage_set": lambda m, key, value: int(world().storage.set(mod, key.encode(),
                                                                      bytes(value))),
        "storage_delete": lambda m, key: int(world().storage.delete(mod, key.encode())),
    }
