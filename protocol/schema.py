"""Field kinds: one description per field that checks, encodes and decodes it.

A record is a frozen, slotted dataclass deriving from :class:`Record` whose fields are declared
with :func:`spec`, naming the field's :class:`Kind` and, for a size a receiver bounds, the
:class:`~protocol.limits.Limits` attribute that bounds it. From that one description:

- the constructor checks and normalises every field (plain ``int``/``str``/``bytes``, tuples
  for lists), then the record's own cross-field rules, so an invalid record cannot exist;
- ``check_limits`` checks the limit-bound sizes against a ``Limits`` (the codec calls it on
  every message it encodes or decodes);
- a :class:`Message` travels as a msgpack map ``{"t": TAG, field: value, ...}`` in field
  order; a record nested in a message travels as an array of its fields in order.

Every check raises ``LocalMisuse`` naming the record and field, e.g.
``Hello.cached_mods[2]: 'ABC' is not a SHA-256 in 64 lowercase hex digits``; the decoder turns
it into ``PeerViolation`` when the values came from the peer.
"""

from __future__ import annotations

import functools
import re
import reprlib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

from .errors import LocalMisuse
from .limits import Limits

__all__ = [
    "short_repr",
    "Kind",
    "Int",
    "Str",
    "Bytes",
    "ListOf",
    "RecordOf",
    "spec",
    "Record",
    "Message",
]

_LIMIT_NAMES = frozenset(f.name for f in fields(Limits))


_SHORT = reprlib.Repr()
_SHORT.maxlevel = 3  # a peer's value may nest a thousand levels: repr never goes deeper
_SHORT.maxstring = _SHORT.maxother = 40


def short_repr(value: Any) -> str:
    """A short text for a bad value in an error message, however large or deep the value."""
    text = _SHORT.repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _wrong_type(where: str, expected: str, value: Any) -> LocalMisuse:
    return LocalMisuse(f"{where}: expected {expected}, got {type(value).__name__}")


class Kind:
    """How one field is checked and carried on the wire."""

    __slots__ = ()

    def check(self, value: Any, where: str) -> Any:
        """Return ``value`` normalised, or raise ``LocalMisuse`` naming ``where``."""
        raise NotImplementedError

    def to_wire(self, value: Any) -> Any:
        """The msgpack-ready form of a checked value."""
        return value

    def from_wire(self, raw: Any) -> Any:
        """Rebuild a constructor argument from its wire form; ``check`` then judges it."""
        return raw


@dataclass(frozen=True, slots=True)
class Int(Kind):
    """An integer in ``[lo, hi]``; ``bool`` is not an integer here."""

    lo: int
    hi: int

    def check(self, value: Any, where: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _wrong_type(where, "an int", value)
        if not self.lo <= value <= self.hi:
            raise LocalMisuse(f"{where}: {value} is outside [{self.lo}, {self.hi}]")
        return int(value)


@dataclass(frozen=True, slots=True)
class Str(Kind):
    """A string the whole of which matches ``pattern``; ``what`` describes it for errors."""

    pattern: re.Pattern[str]
    what: str

    def check(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise _wrong_type(where, "a str", value)
        text = str.__str__(value)  # a plain str, also from a StrEnum member
        if self.pattern.fullmatch(text) is None:
            raise LocalMisuse(f"{where}: {short_repr(text)} is not {self.what}")
        return text


@dataclass(frozen=True, slots=True)
class Bytes(Kind):
    """A byte string of ``min_len`` to ``max_len`` bytes (``None``: bounded by a limit)."""

    min_len: int = 0
    max_len: int | None = None

    def check(self, value: Any, where: str) -> bytes:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise _wrong_type(where, "bytes", value)
        data = bytes(value)
        if len(data) < self.min_len or (self.max_len is not None and len(data) > self.max_len):
            hi = "" if self.max_len is None else f" to {self.max_len}"
            raise LocalMisuse(f"{where}: {len(data)} bytes, expected {self.min_len}{hi}")
        return data


@dataclass(frozen=True, slots=True)
class ListOf(Kind):
    """A list of ``item``, stored as a tuple.

    ``max_len`` is a fixed bound (a limit-bound length is declared on the field instead);
    ``unique`` forbids repeated keys; ``ascending`` requires strictly ascending keys. The key
    of an item is ``key(item)``, or the item itself.
    """

    item: Kind
    max_len: int | None = None
    unique: bool = False
    ascending: bool = False
    key: Callable[[Any], Any] | None = None

    def check(self, value: Any, where: str) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise _wrong_type(where, "a list", value)
        if self.max_len is not None and len(value) > self.max_len:
            raise LocalMisuse(f"{where}: {len(value)} items, at most {self.max_len} allowed")
        items = tuple(self.item.check(v, f"{where}[{i}]") for i, v in enumerate(value))
        keys = [self.key(x) for x in items] if self.key else list(items)
        if self.ascending:
            for i in range(1, len(keys)):
                if not keys[i - 1] < keys[i]:
                    raise LocalMisuse(f"{where}[{i}]: not in strictly ascending order")
        elif self.unique and len(set(keys)) != len(keys):
            raise LocalMisuse(f"{where}: repeated entries")
        return items

    def to_wire(self, value: tuple[Any, ...]) -> list[Any]:
        return [self.item.to_wire(v) for v in value]

    def from_wire(self, raw: Any) -> Any:
        if isinstance(raw, list | tuple):
            return tuple(self.item.from_wire(r) for r in raw)
        return raw


@dataclass(frozen=True, slots=True)
class RecordOf(Kind):
    """A nested record of class ``cls``, carried as an array of its fields."""

    cls: type[Record]

    def check(self, value: Any, where: str) -> Record:
        if not isinstance(value, self.cls):
            raise _wrong_type(where, f"a {self.cls.__name__}", value)
        return value

    def to_wire(self, value: Record) -> list[Any]:
        return value.to_array()

    def from_wire(self, raw: Any) -> Any:
        if isinstance(raw, list | tuple):
            return self.cls.from_array(raw)
        return raw


def spec(kind: Kind, *, limit: str | None = None, default: Any = MISSING,
         optional: bool = False) -> Any:
    """Declare a record field.

    Args:
        kind: how the field is checked and carried.
        limit: the ``Limits`` attribute bounding the field's length (or value, for an int).
        default: the field's default; none makes the field required.
        optional: a message field (with a ``default``) left off the wire when it holds its
            default, and taken as its default when absent: a field added to a message whose
            older shape must still decode (``Hello`` keeps its version-1 shape).

    Returns:
        A ``dataclasses.field`` carrying ``kind`` and ``limit``.
    """
    if limit is not None and limit not in _LIMIT_NAMES:
        raise ValueError(f"no limit named {limit!r} in Limits")
    if optional and default is MISSING:
        raise ValueError("an optional field needs a default")
    return field(default=default, metadata={"kind": kind, "limit": limit, "optional": optional})


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    kind: Kind
    limit: str | None
    optional: Any = MISSING  # the default of an optional field (``spec(optional=True)``)


def _fields_of(cls: type[Record]) -> tuple[_Field, ...]:
    return tuple(_Field(f.name, f.metadata["kind"], f.metadata["limit"],
                        f.default if f.metadata.get("optional") else MISSING)
                 for f in fields(cls))


# Cached per class. The cast only restates the signature: mypy takes a class object whose
# instances use object.__hash__ for unhashable, so it rejects functools.cache's argument.
_layout = cast("Callable[[type[Record]], tuple[_Field, ...]]", functools.cache(_fields_of))


class Record:
    """Base of every record and message: checks itself when built (see the module docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:  # every concrete record is a dataclass: tell the checker so
        __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    def __post_init__(self) -> None:
        name = type(self).__name__
        for f in _layout(type(self)):
            value = f.kind.check(getattr(self, f.name), f"{name}.{f.name}")
            object.__setattr__(self, f.name, value)
        self._validate()

    def _validate(self) -> None:
        """Rules that tie fields together; subclasses override to add theirs."""

    def check_limits(self, limits: Limits) -> None:
        """Check the limit-bound sizes of this record and of the records inside it.

        Raises:
            LocalMisuse: a size is over its limit; the message names field, size and limit.
        """
        for f in _layout(type(self)):
            value = getattr(self, f.name)
            if f.limit is not None:
                bound = getattr(limits, f.limit)
                size = value if isinstance(value, int) else len(value)
                if size > bound:
                    what = "" if isinstance(value, int) else "length "
                    raise LocalMisuse(
                        f"{type(self).__name__}.{f.name}: {what}{size} is over {f.limit}={bound}"
                    )
            for item in value if isinstance(value, tuple) else (value,):
                if isinstance(item, Record):
                    item.check_limits(limits)

    def to_array(self) -> list[Any]:
        """The wire form of a nested record: its fields in order."""
        return [f.kind.to_wire(getattr(self, f.name)) for f in _layout(type(self))]

    @classmethod
    def from_array(cls, raw: list[Any] | tuple[Any, ...]) -> Self:
        """Rebuild a nested record from its wire form.

        Raises:
            LocalMisuse: wrong number of fields, or a field the constructor rejects.
        """
        layout = _layout(cls)
        if len(raw) != len(layout):
            raise LocalMisuse(f"{cls.__name__}: expected {len(layout)} fields, got {len(raw)}")
        return cls(*[f.kind.from_wire(r) for f, r in zip(layout, raw, strict=True)])


class Message(Record):
    """Base of every message; ``TAG`` is its ``"t"`` value on the wire."""

    __slots__ = ()

    TAG: ClassVar[str]

    def to_map(self) -> dict[str, Any]:
        """The wire form of a message: ``{"t": TAG}`` then every field in order."""
        out: dict[str, Any] = {"t": self.TAG}
        for f in _layout(type(self)):
            value = getattr(self, f.name)
            if f.optional is not MISSING and value == f.optional:
                continue  # an optional field at its default stays off the wire
            out[f.name] = f.kind.to_wire(value)
        return out

    @classmethod
    def from_map(cls, raw: Mapping[Any, Any]) -> Self:
        """Rebuild a message from its wire form, whose ``"t"`` has already chosen ``cls``.

        Raises:
            LocalMisuse: a field is missing (an optional one may be), unknown, or rejected
                by the constructor.
        """
        layout = _layout(cls)
        expected = {f.name for f in layout}
        given = raw.keys() - {"t"}
        missing = {f.name for f in layout if f.optional is MISSING} - given
        extra = given - expected
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(sorted(missing))}")
            if extra:
                parts.append(f"unknown {', '.join(sorted(map(repr, extra)))}")
            raise LocalMisuse(f"{cls.__name__}: {'; '.join(parts)}")
        return cls(**{f.name: f.kind.from_wire(raw[f.name]) for f in layout if f.name in raw})
