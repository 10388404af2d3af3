"""Host calls: numbered Python functions a guest reaches with ``ecall``.

Calling convention (the same for C, Zig and Nim; the SDK generator relies on it):
``a7`` holds ``HOSTCALL_BASE + number``; arguments go in integer registers ``a0..a6`` in order
(a ``bytes``/``str`` parameter takes two: pointer then length; a float travels as its IEEE bit
pattern, f32 in the low 32 bits); the result comes back in ``a0`` (a float as its bits). Keeping
every argument in integer registers keeps the three languages' wrappers trivial and identical.

A guest-supplied buffer is read with a bounds check and a maximum length; a bad pointer makes
the call raise ``HostCallFault`` (a guest fault), never a host exception.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .errors import HostCallError

__all__ = ["HOSTCALL_BASE", "ArgKind", "Side", "HostFunction", "HostRegistry"]

#: ecall numbers at or above this are host calls; below it they are Linux syscalls.
HOSTCALL_BASE = 0x10000

MASK64 = (1 << 64) - 1


class ArgKind(Enum):
    """The types a host function can take or return."""

    I32 = "i32"
    I64 = "i64"
    U32 = "u32"
    U64 = "u64"
    F32 = "f32"
    F64 = "f64"
    BYTES = "bytes"  # pointer + length, read-only copy handed to the host
    STR = "str"  # pointer + length, UTF-8 (invalid bytes replaced)

    @property
    def registers(self) -> int:
        """How many argument registers a parameter of this kind takes."""
        return 2 if self in (ArgKind.BYTES, ArgKind.STR) else 1


class Side(Enum):
    """Which side of the game may run a host function."""

    BOTH = "both"
    SERVER = "server"
    CLIENT = "client"


@dataclass(frozen=True)
class HostFunction:
    """One host function: its number, name, typed signature and implementation.

    ``impl(machine, *args)`` gets the machine first, then the decoded arguments, and returns
    an ``int``, a ``float`` or ``None`` matching ``returns``.
    """

    number: int
    name: str
    params: tuple[tuple[str, ArgKind], ...]
    returns: ArgKind | None
    impl: Callable[..., Any] = field(compare=False, repr=False)
    side: Side = Side.BOTH
    doc: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.number < 0x10000:
            raise HostCallError(f"host function {self.name!r}: number {self.number} out of range")
        if sum(kind.registers for _, kind in self.params) > 7:
            raise HostCallError(f"host function {self.name!r}: more than 7 argument registers")
        if self.returns in (ArgKind.BYTES, ArgKind.STR):
            raise HostCallError(f"host function {self.name!r}: cannot return {self.returns}")

    def signature(self) -> str:
        """A canonical one-line text of the signature, the input of the ABI hash."""
        params = ",".join(f"{n}:{k.value}" for n, k in self.params)
        ret = self.returns.value if self.returns else "void"
        return f"{self.number}:{self.name}({params})->{ret}@{self.side.value}"


class HostRegistry:
    """A table of host functions by number; its ``abi_hash`` identifies the host ABI."""

    def __init__(self, functions: list[HostFunction] | tuple[HostFunction, ...] = ()) -> None:
        self._by_number: dict[int, HostFunction] = {}
        self._by_name: dict[str, HostFunction] = {}
        for fn in functions:
            self.add(fn)

    def add(self, fn: HostFunction) -> None:
        """Register ``fn``; a number or name already taken is a ``HostCallError``."""
        if fn.number in self._by_number:
            raise HostCallError(f"host call number {fn.number} registered twice")
        if fn.name in self._by_name:
            raise HostCallError(f"host call name {fn.name!r} registered twice")
        self._by_number[fn.number] = fn
        self._by_name[fn.name] = fn

    def lookup(self, number: int) -> HostFunction | None:
        """The function registered under ``number``, or None."""
        return self._by_number.get(number)

    def by_name(self, name: str) -> HostFunction:
        return self._by_name[name]

    def functions(self) -> list[HostFunction]:
        """All functions, ordered by number."""
        return [self._by_number[n] for n in sorted(self._by_number)]

    def with_impls(self, impls: dict[str, Callable[..., Any]]) -> HostRegistry:
        """A copy of this table whose implementations are replaced by ``impls`` (by name)."""
        out = HostRegistry()
        for fn in self.functions():
            out.add(
                HostFunction(fn.number, fn.name, fn.params, fn.returns,
                             impls.get(fn.name, fn.impl), fn.side, fn.doc)
            )
        return out

    def abi_hash(self) -> str:
        """SHA-256 (hex) of the canonical signatures: equal tables give equal hashes."""
        text = "\n".join(fn.signature() for fn in self.functions())
        return hashlib.sha256(text.encode()).hexdigest()


def decode_int(kind: ArgKind, value: int) -> int | float:
    """Turn a 64-bit register value into the Python value of a scalar parameter."""
    if kind is ArgKind.I64:
        return value - (1 << 64) if value >> 63 else value
    if kind is ArgKind.U64:
        return value
    if kind is ArgKind.I32:
        value &= 0xFFFFFFFF
        return value - (1 << 32) if value >> 31 else value
    if kind is ArgKind.U32:
        return value & 0xFFFFFFFF
    if kind is ArgKind.F64:
        return struct.unpack("<d", struct.pack("<Q", value))[0]
    if kind is ArgKind.F32:
        return struct.unpack("<f", struct.pack("<I", value & 0xFFFFFFFF))[0]
    raise HostCallError(f"not a scalar kind: {kind}")


def encode_result(kind: ArgKind | None, value: Any) -> int:
    """Turn a host function's result into the 64-bit value placed in ``a0``."""
    if kind is None or value is None:
        return 0
    if kind is ArgKind.F64:
        return struct.unpack("<Q", struct.pack("<d", float(value)))[0]
    if kind is ArgKind.F32:
        return struct.unpack("<I", struct.pack("<f", float(value)))[0]
    if kind is ArgKind.I32 or kind is ArgKind.U32:
        # The RV64 ABI keeps 32-bit values sign-extended in registers, unsigned ones too.
        v = int(value) & 0xFFFFFFFF
        return v | (0xFFFFFFFF00000000 if v >> 31 else 0)
    return int(value) & MASK64
