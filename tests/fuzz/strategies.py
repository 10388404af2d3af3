"""Hypothesis strategies for the protocol, derived from the schema itself.

Each field's ``Kind`` (``protocol.schema``) says what a valid value is, so valid messages
are generated from the same one description the codec uses; a few cross-field rules
(``ModEntry``'s page multiples, ``Welcome``'s manifest order) get their own builders so that
most examples survive construction. ``wire_values`` is arbitrary msgpack-able data, and
``mutations`` turns valid bytes into near-valid ones.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import msgpack
from hypothesis import strategies as st

from protocol import LocalMisuse, Message, ModEntry, Welcome
from protocol.messages import MESSAGE_TYPES, MOD_PAGE, SHA256
from protocol.schema import Bytes, Int, Kind, ListOf, Record, RecordOf, Str
from tests.protocol.samples import SAMPLES

__all__ = ["messages", "kind_values", "wire_values", "mutated", "encoded_samples"]

#: Lists stay short: length limits are tested by the codec's own tests.
_MAX_ITEMS = 4


def _str_values(kind: Str) -> st.SearchStrategy[str]:
    if kind is SHA256:  # from_regex takes ~10 ms for each of these
        return st.binary(min_size=32, max_size=32).map(bytes.hex)
    try:
        strategy = st.from_regex(kind.pattern, fullmatch=True)
        strategy.validate()
        return strategy
    except Exception:  # hypothesis cannot generate from this pattern (surrogates, lookbehind)
        # Every such pattern here is "no control characters or lone surrogates", and more.
        chars = st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"])
        return st.text(chars, min_size=1, max_size=40).filter(
            lambda s: kind.pattern.fullmatch(s) is not None
        )


def kind_values(kind: Kind) -> st.SearchStrategy[Any]:
    """Values ``kind.check`` accepts (most of them; constructors may still refuse a few)."""
    if isinstance(kind, Int):
        return st.integers(kind.lo, kind.hi)
    if isinstance(kind, Str):
        return _str_values(kind)
    if isinstance(kind, Bytes):
        hi = 64 if kind.max_len is None else kind.max_len
        return st.binary(min_size=kind.min_len, max_size=hi)
    if isinstance(kind, ListOf):
        hi = _MAX_ITEMS if kind.max_len is None else min(kind.max_len, _MAX_ITEMS)
        key = kind.key or (lambda x: x)
        items = st.lists(kind_values(kind.item), max_size=hi, unique_by=key)
        return items.map(lambda xs: sorted(xs, key=key)) if kind.ascending else items
    if isinstance(kind, RecordOf):
        return records(kind.cls)
    raise TypeError(f"no strategy for {kind!r}")


def _construct(cls: type[Record], kwargs: dict[str, Any]) -> Record | None:
    try:
        return cls(**kwargs)
    except LocalMisuse:
        return None


def records(cls: type[Record]) -> st.SearchStrategy[Any]:
    """Valid instances of a record or message class."""
    if cls is ModEntry:
        return _mod_entries()
    if cls is Welcome:
        return _welcomes()
    kwargs = {f.name: kind_values(f.metadata["kind"]) for f in fields(cls)}
    return st.fixed_dictionaries(kwargs).map(lambda kw: _construct(cls, kw)).filter(
        lambda r: r is not None
    )


@st.composite
def _mod_entries(draw: st.DrawFn, names: tuple[str, ...] = ()) -> ModEntry:
    kw = {f.name: draw(kind_values(f.metadata["kind"])) for f in fields(ModEntry)}
    pages = draw(st.integers(2, 1 << 16))
    kw["memory_limit"] = pages * MOD_PAGE
    kw["stack_limit"] = draw(st.integers(1, pages // 2)) * MOD_PAGE
    kw["dependencies"] = tuple(draw(st.lists(st.sampled_from(names), unique=True))) if names else ()
    return ModEntry(**kw)


@st.composite
def _welcomes(draw: st.DrawFn) -> Welcome:
    manifest: list[ModEntry] = []
    for _ in range(draw(st.integers(0, 3))):
        entry = draw(_mod_entries(tuple(e.name for e in manifest)))
        if all(entry.name != e.name and entry.sha256 != e.sha256 for e in manifest):
            manifest.append(entry)
    hashes = [e.sha256 for e in manifest]
    sending = draw(st.lists(st.sampled_from(hashes), unique=True)) if hashes else []
    return Welcome(
        protocol_version=draw(kind_values(Int(1, 0xFFFF))),
        player_id=draw(st.integers(1, 0xFFFF_FFFF)),
        tick_rate=draw(st.integers(1, 1000)),
        manifest=tuple(manifest),
        sending=tuple(sending),
        token=draw(st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1,
                           max_size=64)),
    )


def messages() -> st.SearchStrategy[Message]:
    """A valid message of any type, or one of the hand-written samples."""
    return st.one_of(st.sampled_from(SAMPLES), *(records(cls) for cls in MESSAGE_TYPES))


#: msgpack scalars, including the ones the decoder must refuse (floats, nil, ext types).
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(1 << 63), (1 << 64) - 1),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.sampled_from(["t", "hello", "tick", "bye", "code", "reason", "protocol_versions"]),
    st.builds(msgpack.ExtType, st.integers(0, 127), st.binary(max_size=8)),
)


def wire_values(max_leaves: int = 30) -> st.SearchStrategy[Any]:
    """Arbitrary msgpack-able data: maps with str or bytes keys, arrays, scalars."""
    keys = st.one_of(st.text(max_size=12), st.binary(max_size=4), st.sampled_from(["t"]))
    return st.recursive(
        _SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=6), st.dictionaries(keys, inner, max_size=6)
        ),
        max_leaves=max_leaves,
    )


def encoded_samples() -> list[bytes]:
    """The msgpack bytes of every sample message."""
    return [msgpack.packb(m.to_map()) for m in SAMPLES]


@st.composite
def mutated(draw: st.DrawFn, seeds: st.SearchStrategy[bytes]) -> bytes:
    """``seeds`` with a few bytes overwritten, inserted, deleted, or the tail cut off."""
    data = bytearray(draw(seeds))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["set", "insert", "delete", "truncate", "interesting"]))
        at = draw(st.integers(0, len(data)))
        if op == "set" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 8))]
        elif op == "truncate":
            del data[at:]
        elif op == "interesting" and at < len(data):
            # msgpack type bytes that change what follows: containers, ext, big lengths
            data[at] = draw(st.sampled_from([0xC1, 0xC4, 0xC7, 0xD4, 0xDC, 0xDD, 0xDE, 0xDF,
                                             0xDB, 0xCF, 0xD3, 0xCA, 0xCB, 0x9F, 0x8F, 0xC0]))
    return bytes(data)


