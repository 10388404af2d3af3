"""Host helpers: libc's memcpy, memmove, memset, strlen and memcmp run as Python code.

With ``Machine(..., engine="translate", host_helpers=True)``, a call to one of these functions
(found by symbol name in the ELF) runs on the host instead of instruction by instruction.

What stays identical to running the guest code: the result in a0, every byte the function is
specified to write, and faults. A helper checks every byte it would touch first (reads in
[base, end), writes in [rw_start, end)); if anything is out of bounds, or a memcpy's buffers
overlap (where the result depends on the copy order of the guest's implementation), it
declines and the guest's own code runs, so the fault is the guest's own, at the same pc and
count. What differs, which is why the option is off by default: the caller-saved registers
other than a0 and the stack below sp keep what they held before the call, rather than the
values the guest's code would leave there; and the instruction count follows this rule:

    cost = 16 + n // 8, where n is the number of bytes copied, set, scanned (strlen: the
    length plus the terminating NUL) or compared (memcmp: up to the first difference).

The helper then returns to ra like the function's ``ret`` would; the budget rule applies to
that transfer, as if the function were one instruction at its entry address.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..constants import M
from .runtime import raise_budget

if TYPE_CHECKING:
    from ..state import State
    from .engine import TranslatingEngine

__all__ = ["HELPERS", "install", "cost"]

BASE_COST = 16


def cost(n: int) -> int:
    """Instructions charged for a helper that processed ``n`` bytes."""
    return BASE_COST + n // 8


def _memcpy(mem: bytearray, x: list[int], base: int, size: int, rw: int) -> int | None:
    d, s, n = x[10], x[11], x[12]
    if n == 0:
        return 0
    do, so = d - base, s - base
    if not (0 <= so and so + n <= size and rw <= do and do + n <= size):
        return None
    if do < so + n and so < do + n:
        return None  # overlap: the result depends on the guest implementation's order
    mem[do:do + n] = mem[so:so + n]
    return n


def _memmove(mem: bytearray, x: list[int], base: int, size: int, rw: int) -> int | None:
    d, s, n = x[10], x[11], x[12]
    if n == 0:
        return 0
    do, so = d - base, s - base
    if not (0 <= so and so + n <= size and rw <= do and do + n <= size):
        return None
    mem[do:do + n] = mem[so:so + n]  # the slice is a copy: overlap is fine
    return n


def _memset(mem: bytearray, x: list[int], base: int, size: int, rw: int) -> int | None:
    d, c, n = x[10], x[11], x[12]
    if n == 0:
        return 0
    do = d - base
    if not (rw <= do and do + n <= size):
        return None
    mem[do:do + n] = bytes((c & 0xFF,)) * n
    return n


def _strlen(mem: bytearray, x: list[int], base: int, size: int, rw: int) -> int | None:
    so = x[10] - base
    if not 0 <= so < size:
        return None
    end = mem.find(0, so)
    if end < 0:
        return None  # runs off the end of memory: the guest faults there
    x[10] = end - so
    return end - so + 1


def _memcmp(mem: bytearray, x: list[int], base: int, size: int, rw: int) -> int | None:
    lo, ro, n = x[10] - base, x[11] - base, x[12]
    if n == 0:
        x[10] = 0
        return 0
    if not (0 <= lo and lo + n <= size and 0 <= ro and ro + n <= size):
        return None
    a, b = mem[lo:lo + n], mem[ro:ro + n]
    if a == b:
        x[10] = 0
        return n
    i = next(i for i in range(n) if a[i] != b[i])
    x[10] = (a[i] - b[i]) & M
    return i + 1


#: name -> helper(mem, x, base, size, rw_off) -> bytes processed, or None to decline.
#: memcpy, memmove and memset leave a0 (the destination) as it is: that is their result.
HELPERS: dict[str, Callable[[bytearray, list[int], int, int, int], int | None]] = {
    "memcpy": _memcpy,
    "memmove": _memmove,
    "memset": _memset,
    "strlen": _strlen,
    "memcmp": _memcmp,
}


def _region(entry: int, helper: Callable[..., int | None],
            real: Callable[..., int]) -> Callable[..., int]:
    """A region function (see ``vm.translator.emitter``) running ``helper`` or the guest code."""

    def run(m: State, x: list[int], f: list[int], limit: int, d: int = 0) -> int:
        n = helper(m.mem, x, m.base, m.size, m.rw_off)
        if n is None:
            return real(m, x, f, limit, d)
        m.instret = cnt = m.instret + BASE_COST + n // 8
        t = x[1] & (M - 1)
        if t <= entry and cnt >= limit:
            raise_budget(m, t, limit)
        return t

    return run


def install(engine: TranslatingEngine) -> None:
    """Put a helper at the entry of each of these functions the program has (in the engine's
    translations, where every machine sharing them finds it)."""
    cache = engine.cache
    functions = engine.state.program.functions
    for name, helper in HELPERS.items():
        entry = functions.get(name)
        if entry is None or entry in cache.regions:
            continue
        real = engine.translate(entry, force=True)  # the guest's code, for declining
        if real is None:
            continue
        cache.regions[entry] = _region(entry, helper, real)
        cache.helpers.add(entry)
