"""What translated code runs against: the per-machine state it reads and the helpers it calls.

Generated functions (``vm.translator.emitter``) take ``(m, x, f, limit)`` where ``m`` is the
machine's ``TranslatedState``, and close over nothing machine-specific, so one compiled function
serves every machine running the same code (``vm.translator.engine``). What differs per machine
is on ``m``: the memory views, the reference closures, the host-call adapters, and the
dispatcher to go on in. The names generated code reads (``BASE_GLOBALS``) are the helpers below.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from ..decoder import Instr
from ..elf import Program
from ..errors import BudgetExceeded, Fault, GuestExit, LoadFault, StoreFault, TranslationError
from ..fastcall import HostAdapter
from ..fpinline import FP_GLOBALS
from ..memory import Memory
from ..semantics import build
from ..state import State
from . import emitter

__all__ = ["TranslatedState", "Refs", "BASE_GLOBALS", "compile_region", "raise_budget",
           "RegionFn", "EntryFn"]

#: A region function: (state, x, f, limit) -> next pc.
RegionFn = Callable[[Any, list[int], list[int], int], int]
#: An entry: (state, x, f, limit, a0, a1, ...) -> a0 when the call returns.
EntryFn = Callable[..., int]

_U16, _U32, _U64 = struct.Struct("<H"), struct.Struct("<I"), struct.Struct("<Q")


class Refs(dict[int, Callable[[], Any]]):
    """Per machine: the reference closure of each instruction generated code falls back on,
    built on first use from the shared ``instrs``."""

    def __init__(self, state: State, instrs: dict[int, Instr]) -> None:
        super().__init__()
        self.state = state
        self.instrs = instrs

    def __missing__(self, pc: int) -> Callable[[], Any]:
        # semantics.build is annotated with Machine; it needs only what State has.
        fn = build(self.state, self.instrs[pc], pc)
        self[pc] = fn
        return fn


def _not_attached(limit: int, pc: int | None = None) -> None:
    raise AssertionError("no translating engine runs this state")


class TranslatedState(State):
    """A ``State`` as translated code needs it (see the module docstring).

    Args:
        program, memory: as for ``State`` (its ``ecall`` is set by the owner).
        host_adapters: the machine's host-call adapters by a7 (generated code calls a host
            function it has called before without going through ``ecall``).

    Attributes:
        mQ, mI, mH: memory as 64-, 32- and 16-bit words (aligned accesses).
        refs: the reference closures (``Refs``), set by ``attach``.
        dispatch: ``dispatch(limit, pc)`` goes on in the engine's dispatcher from ``pc``.
    """

    def __init__(self, program: Program, memory: Memory,
                 host_adapters: dict[int, HostAdapter]) -> None:
        super().__init__(program, memory)
        view = memoryview(self.mem)
        self.mQ = view.cast("Q")
        self.mI = view.cast("I")
        self.mH = view.cast("H")
        self.host_adapters = host_adapters
        self.refs = Refs(self, {})
        self.dispatch: Callable[[int, int], None] = _not_attached

    def attach(self, instrs: dict[int, Instr], dispatch: Callable[[int, int], None]) -> None:
        """Bind the engine: the shared instructions behind ``refs``, and its dispatcher."""
        self.refs = Refs(self, instrs)
        self.dispatch = dispatch


def raise_budget(m: State, npc: int, limit: int) -> None:
    """Raise the budget stop at ``npc``, settled as the reference run loop settles it."""
    e = BudgetExceeded(npc, detail=f"limit {limit}")
    m.pc = npc
    e.count = m.instret
    e.symbol = m.program.symbolize(npc)
    raise e


def _push(m: State) -> bool:
    """Save the caller's frame (an entry, before it changes x or f)."""
    m.push_frame()
    return True


def _cont(m: TranslatedState, pc: int, limit: int) -> int:
    """Go on with an entry's call in the dispatcher from ``pc``; a0 once it returns."""
    m.dispatch(limit, pc)
    result = m.x[10]
    m.pop_frame()
    return result


_REG_NAMES = tuple((f"r{i}", i) for i in range(1, 32))


def _settle(m: State, x: list[int] | None, local: dict[str, Any] | None, e: Fault,
            cnt: int, fix: tuple[int, tuple[tuple[int, int], ...], tuple[int, ...]] | None,
            ) -> None:
    """A fault inside a region: put registers and count as they were before the faulting op.

    ``local`` is the region's ``locals()``. Registers the region has not assigned are unbound
    (absent), and those stale after a nested call are skipped: ``x`` holds both already.
    ``fix`` (from ``emitter.generate``) adds the constants not yet in locals and the
    instructions not yet in ``cnt``. In an entry (``x`` None) the failed call leaves the
    caller's registers and pc in place, so only the count is settled.
    """
    pend, lazy, stale = fix if fix is not None else (0, (), ())
    count = cnt + pend
    if isinstance(e, GuestExit):
        count += 1  # an exit retires its ecall
    m.instret = count
    e.count = count
    e.symbol = m.program.symbolize(e.pc)
    if x is None or local is None:
        m.reservation = None
        return
    for name, i in _REG_NAMES:
        v = local.get(name)
        if v is not None and i not in stale:
            x[i] = v
    for i, v in lazy:
        x[i] = v
    m.pc = e.pc


BASE_GLOBALS: dict[str, Any] = {
    "Fault": Fault,
    "LoadFault": LoadFault,
    "StoreFault": StoreFault,
    "budget": raise_budget,
    "settle": _settle,
    "PUSH": _push,
    "CONT": _cont,
    "BudgetExceeded": BudgetExceeded,
    "U16": _U16.unpack_from,
    "U32": _U32.unpack_from,
    "U64": _U64.unpack_from,
    "P16": _U16.pack_into,
    "P32": _U32.pack_into,
    "P64": _U64.pack_into,
    **emitter.ALU_GLOBALS,
    **FP_GLOBALS,
}


def compile_region(source: str, fix: dict[int, tuple[Any, ...]], regions: dict[int, RegionFn],
                   filename: str, name: str = "region") -> Any:
    """Compile one region's (or entry's) source; a failure raises ``TranslationError``.

    ``regions`` is where its calls find their callees' region functions.
    """
    try:
        code = compile(source, filename, "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise TranslationError(f"generated code for {filename} does not compile: {exc}",
                               source=source) from exc
    namespace = dict(BASE_GLOBALS)
    namespace["FIX"] = fix
    namespace["G"] = regions.get
    exec(code, namespace)
    return namespace[name]
