"""Mods' own kinds and per-entity integer properties (host calls 96..99), part of the world.

Names. A mod registers a kind (``kind_register(name, shared)``) or a property key
(``prop_key(name, shared)``) by name and gets a number back: kinds are numbered
``KIND_MOD_BASE``, ``KIND_MOD_BASE + 1``, ... and keys 1, 2, ..., each in the order names are
first registered (mods start in load order, so every machine numbers them alike; a mod uses
the number it gets and never hard-codes it). A *private* name (``shared == 0``) belongs to
the mod that registers it: two mods registering "coin" privately get two numbers. A *shared*
name is one number for every mod that declares it shared, and never the number of a private
name. Registering a name again returns the same number. Names are 1..``NAMED_MAX`` printable
ASCII characters; a mod registers at most ``KINDS_PER_MOD`` kinds and ``PROP_KEYS_PER_MOD``
keys (a shared name counts for each mod that declares it).

Properties. ``entity_prop_get(id, key)`` / ``entity_prop_set(id, key, value)``: a signed 64-bit
integer per entity and key, 0 until set (setting 0 removes it). A mod may use a private key
only if it registered it, and a shared key only if it declared it shared: any other key
faults. Properties change no entity field, so any mod may set them on any entity; an
entity's properties go with it when it is despawned, and a property of an entity that does
not exist reads 0 and is not set. A value is held by the mod that last set it, and a mod
holds at most ``PROP_VALUES_PER_MOD`` (one more faults).

Every change is journaled through the world's journal, so a faulting hook's changes are
undone with the world's; ``to_bytes`` is canonical (sorted), so equal states hash alike.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mods.host_api import constant

from .packing import Reader, blob
from .rules import KINDS_PER_MOD, NAMED_MAX, PROP_KEYS_PER_MOD, PROP_VALUES_PER_MOD

if TYPE_CHECKING:
    from .world import World

__all__ = ["Names", "Props", "props_impls", "KIND_MOD_BASE", "check_name"]

KIND_MOD_BASE = constant("KIND_MOD_BASE")
#: Owner of a shared name.
SHARED = ""
#: Bytes of a mod's name in serialised state (``mods.manifest`` allows 32).
_MOD_NAME_MAX = 64
#: Mods that may declare one shared name, in serialised state.
_REGISTRANTS_MAX = 4096
_ENTRY = struct.Struct("<q")
_VALUE = struct.Struct("<qqqH")
_MASK64 = (1 << 64) - 1

Journal = Callable[[Callable[[], None]], None]


def _no_journal(step: Callable[[], None]) -> None:
    """The journal of a state nobody rolls back."""


def check_name(name: str, what: str) -> str:
    """``name`` if it is 1..NAMED_MAX printable ASCII characters, else ``ValueError``."""
    if not (0 < len(name) <= NAMED_MAX and name.isascii() and name.isprintable()):
        raise ValueError(f"{what} name {name[:NAMED_MAX]!r} is not 1..{NAMED_MAX} printable "
                         "ASCII characters")
    return name


@dataclass
class _Named:
    """One registered name: its number, owner (``SHARED`` for a shared one), and the mods
    that registered it (sorted)."""

    number: int
    owner: str
    name: str
    registrants: list[str] = field(default_factory=list)


class Names:
    """Names registered by mods, numbered from ``base`` (see the module docstring)."""

    def __init__(self, base: int, per_mod: int, what: str, journal: Journal) -> None:
        self.base = base
        self.per_mod = per_mod
        self.what = what
        self.journal = journal
        self._by_name: dict[tuple[str, str], _Named] = {}
        self._by_number: dict[int, _Named] = {}
        self._count: dict[str, int] = {}  # mod -> names it registered
        self.changed: Callable[[], None] = lambda: None

    def register(self, mod: str, name: str, shared: bool) -> int:
        """The number of ``name`` for ``mod`` (registering it if new); ``ValueError`` if the
        name is malformed or the mod has registered ``per_mod`` names."""
        check_name(name, self.what)
        entry = self._by_name.get((SHARED if shared else mod, name))
        if entry is not None and mod in entry.registrants:
            return entry.number
        if self._count.get(mod, 0) >= self.per_mod:
            raise ValueError(f"a mod registers at most {self.per_mod} {self.what}s")
        if entry is None:
            entry = _Named(self.base + len(self._by_number), SHARED if shared else mod, name)
            self._add(entry)
            self.journal(lambda: self._remove(entry))
        self._join(entry, mod)
        self.journal(lambda: self._leave(entry, mod))
        return entry.number

    def numbers(self, name: str) -> list[int]:
        """The numbers registered under ``name`` (by any mod, or shared), sorted."""
        return sorted(e.number for (_, n), e in self._by_name.items() if n == name)

    def usable(self, mod: str, number: int) -> bool:
        """True if ``mod`` registered ``number`` (privately, or declared it shared)."""
        entry = self._by_number.get(number)
        return entry is not None and mod in entry.registrants

    def __len__(self) -> int:
        return len(self._by_number)

    def registrants(self, number: int) -> list[str]:
        """The mods that registered ``number`` (sorted; empty if nobody did)."""
        entry = self._by_number.get(number)
        return entry.registrants if entry is not None else []

    def _add(self, entry: _Named) -> None:
        self._by_name[entry.owner, entry.name] = entry
        self._by_number[entry.number] = entry
        self.changed()

    def _remove(self, entry: _Named) -> None:
        del self._by_name[entry.owner, entry.name]
        del self._by_number[entry.number]
        self.changed()

    def _join(self, entry: _Named, mod: str) -> None:
        entry.registrants = sorted([*entry.registrants, mod])
        self._count[mod] = self._count.get(mod, 0) + 1
        self.changed()

    def _leave(self, entry: _Named, mod: str) -> None:
        entry.registrants.remove(mod)
        self._count[mod] -= 1
        self.changed()

    def to_bytes(self) -> bytes:
        """Canonical bytes: every name in number order."""
        parts = [struct.pack("<I", len(self._by_number))]
        for number in sorted(self._by_number):
            e = self._by_number[number]
            parts += [_ENTRY.pack(e.number), blob(e.owner.encode()), blob(e.name.encode()),
                      struct.pack("<I", len(e.registrants))]
            parts += [blob(mod.encode()) for mod in e.registrants]
        return b"".join(parts)

    def read(self, r: Reader) -> None:
        """Load the names ``to_bytes`` wrote (into an empty table); ``ValueError`` if the
        bytes break a rule registering could not break."""
        for i in range(r.count(_REGISTRANTS_MAX * self.per_mod)):
            (number,) = r.unpack(_ENTRY)
            owner = r.text(_MOD_NAME_MAX)
            name = r.text(NAMED_MAX)
            mods = [r.text(_MOD_NAME_MAX) for _ in range(r.count(_REGISTRANTS_MAX))]
            legal = name.isascii() and name.isprintable() and 0 < len(name) \
                and number == self.base + i and (owner, name) not in self._by_name \
                and mods and mods == sorted(set(mods)) and (owner == SHARED or mods == [owner])
            if not legal:
                raise ValueError(f"malformed {self.what} table at {self.what} {number}")
            entry = _Named(number, owner, name)
            self._add(entry)
            for mod in mods:
                if self._count.get(mod, 0) >= self.per_mod:
                    raise ValueError(f"malformed {self.what} table: {mod!r} over its cap")
                self._join(entry, mod)


class Props:
    """Mods' kinds, property keys and the entities' property values.

    Each value is held by the mod that last set it (a registrant of its key): a mod holds at
    most ``PROP_VALUES_PER_MOD`` values, so one mod cannot make every machine's state grow.
    """

    def __init__(self, journal: Journal = _no_journal) -> None:
        self.journal = journal
        self.kinds = Names(KIND_MOD_BASE, KINDS_PER_MOD, "kind", journal)
        self.keys = Names(1, PROP_KEYS_PER_MOD, "property key", journal)
        self.values: dict[int, dict[int, int]] = {}  # entity id -> key -> value (never 0)
        self.holders: dict[tuple[int, int], str] = {}  # (entity id, key) -> the mod holding it
        self.held: dict[str, int] = {}  # mod -> values it holds
        self._bytes: bytes | None = None
        self.kinds.changed = self.keys.changed = self._changed

    def _changed(self) -> None:
        self._bytes = None

    def _key(self, mod: str, key: int) -> None:
        if not self.keys.usable(mod, key):
            raise ValueError(f"property key {key} is not one this mod registered (prop_key)")

    def get(self, mod: str, eid: int, key: int) -> int:
        """The value of ``key`` on entity ``eid`` (0 if unset); ``ValueError`` if ``mod``
        may not use ``key``."""
        self._key(mod, key)
        return self.values.get(eid, {}).get(key, 0)

    def set(self, mod: str, eid: int, key: int, value: int) -> None:
        """Set ``key`` on entity ``eid`` (the caller checks that it exists); 0 removes it.
        ``ValueError`` if ``mod`` may not use ``key``, or would hold more than
        ``PROP_VALUES_PER_MOD`` values."""
        self._key(mod, key)
        value &= _MASK64
        value = value - (1 << 64) if value >> 63 else value
        old = self.values.get(eid, {}).get(key, 0)
        holder = self.holders.get((eid, key))
        if old == value and holder in (mod, None):
            return
        if value and holder != mod and self.held.get(mod, 0) >= PROP_VALUES_PER_MOD:
            raise ValueError(f"a mod holds at most {PROP_VALUES_PER_MOD} property values")
        self._put(eid, key, value, mod)
        self.journal(lambda: self._put(eid, key, old, holder))

    def _put(self, eid: int, key: int, value: int, mod: str | None) -> None:
        row = self.values.setdefault(eid, {})
        old = self.holders.pop((eid, key), None)
        if old is not None:
            self.held[old] -= 1
        if value and mod is not None:
            row[key] = value
            self.holders[eid, key] = mod
            self.held[mod] = self.held.get(mod, 0) + 1
        else:
            row.pop(key, None)
            if not row:
                del self.values[eid]
        self._bytes = None

    def forget(self, eid: int) -> None:
        """Drop the properties of entity ``eid`` (it was despawned)."""
        row = self.values.get(eid)
        if row is None:
            return
        saved = [(key, value, self.holders[eid, key]) for key, value in row.items()]
        for key, _, _ in saved:
            self._put(eid, key, 0, None)

        def undo() -> None:
            for key, value, mod in saved:
                self._put(eid, key, value, mod)
        self.journal(undo)

    def to_bytes(self) -> bytes:
        """Canonical bytes: kinds, keys, then values by entity id and key, each with the
        index of its holder among the key's registrants."""
        if self._bytes is None:
            rows = []
            for eid in sorted(self.values):
                row = self.values[eid]
                for key in sorted(row):
                    holder = self.keys.registrants(key).index(self.holders[eid, key])
                    rows.append(_VALUE.pack(eid, key, row[key], holder))
            self._bytes = b"".join([self.kinds.to_bytes(), self.keys.to_bytes(),
                                    struct.pack("<I", len(rows)), *rows])
        return self._bytes

    @classmethod
    def read(cls, r: Reader, entities: Any, journal: Journal = _no_journal) -> Props:
        """The state ``to_bytes`` wrote; ``ValueError`` if malformed: a value of an entity
        not in ``entities``, of a key nobody registered, 0, out of order, or over its
        holder's cap."""
        props = cls(journal)
        props.kinds.read(r)
        props.keys.read(r)
        last = (0, 0)
        for _ in range(r.count(len(entities) * max(1, len(props.keys)))):
            eid, key, value, index = r.unpack(_VALUE)
            mods = props.keys.registrants(key)
            if eid not in entities or not index < len(mods) or value == 0 \
                    or (eid, key) <= last:
                raise ValueError(f"malformed properties: entity {eid} key {key}")
            last = (eid, key)
            if props.held.get(mods[index], 0) >= PROP_VALUES_PER_MOD:
                raise ValueError(f"malformed properties: {mods[index]!r} over its cap")
            props._put(eid, key, value, mods[index])
        props._bytes = None
        return props


def props_impls(mod: str, world: Callable[[], World]) -> dict[str, Callable[..., Any]]:
    """The host functions of this module as mod ``mod`` sees them."""

    def entity_prop_set(m: Any, eid: int, key: int, value: int) -> None:
        w = world()
        if eid in w.entities:
            w.props.set(mod, eid, key, value)
        else:
            w.props.get(mod, eid, key)  # the key is still checked

    return {
        "kind_register": lambda m, name, shared: world().props.kinds.register(
            mod, name, shared != 0),
        "prop_key": lambda m, name, shared: world().props.keys.register(mod, name, shared != 0),
        "entity_prop_get": lambda m, eid, key: world().props.get(mod, eid, key),
        "entity_prop_set": entity_prop_set,
    }
