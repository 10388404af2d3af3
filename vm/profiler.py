"""An exact profiler: instructions per guest function, per hook, per call stack, and host calls.

A ``Profiler`` follows one ``Machine`` (``Profiler(elf).attach(machine)``, through
``Machine.set_runner``): the machine's calls run on its reference interpreter, and the
profiler sees every block it runs through the block loop's ``enter`` hook
(``vm.interpreter.Interpreter.run``), the one the translating engine uses too.
Between two calls of ``enter`` the state's ``instret`` grows by exactly what the block in
between retired (a block cut short by a fault retired only its first instructions: the
interpreter settles the count, and the profiler reads it after the run). So:

- ``functions`` (instructions by function symbol) sums to the machine's retired instructions
  over the runs it saw, exactly: each retired instruction is counted once, in the FUNC symbol
  of the ELF's ``.symtab`` (read with pyelftools, sizes included) that holds its pc;
- ``stacks`` (collapsed call stacks, Brendan Gregg's ``a;b;c COUNT``) sums to the same total;
- ``host_calls`` counts the ``ecall``s that retired, by host function (or syscall) name.

Why the interpreter and not the translator: translated regions run many guest blocks in one
Python call, chain into each other and into callees, and settle faults from their locals;
counting per function there means generating different code (a second translation cache) and
getting every early exit right. The interpreter already stops between blocks, and the two
engines behave identically to the bit (registers, memory, counts, budgets and faults,
``tests/vm/test_engines.py``), so a profiled run is the run a translated machine makes. The
profiler costs nothing when it is off: it changes nothing in the VM, it only sets a runner.

Call stacks come from a shadow stack: a ``jal``/``jalr`` with ``rd = ra`` pushes the callee, a
``jalr x0, 0(ra)`` pops to the frame whose function holds the return address (a ``longjmp``
pops the frames it skips), a jump into another function (a tail call) replaces the top frame,
and a stack deeper than ``max_depth`` stops growing (calls beyond it are counted in
``overflows``, their samples go under ``DEEPER``). Whatever the guest does, the stacks only
group samples: the totals stay exact. At most ``MAX_STACKS`` distinct stacks are kept (the
rest are counted under ``OTHER_STACKS``), so a guest cannot make the profiler's memory grow
without bound.
"""

from __future__ import annotations

import bisect
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from .constants import EXIT_ADDR
from .errors import BudgetExceeded
from .hostcalls import HOSTCALL_BASE, HostRegistry
from .interpreter import Interpreter
from .state import State
from .syscalls import SYSCALLS

if TYPE_CHECKING:
    from .machine import Machine

__all__ = ["Profiler", "FunctionTable", "MAX_DEPTH", "DEEPER", "MAIN", "UNKNOWN",
           "MAX_STACKS", "OTHER_STACKS",
           "collapsed_lines", "parse_collapsed"]

#: Shadow stack frames kept by default; deeper calls are counted, not pushed.
MAX_DEPTH = 256
#: The frame standing for the calls beyond ``max_depth`` in a collapsed stack.
DEEPER = "[deeper]"
#: The hook name of ``run_main`` (the program from its entry point).
MAIN = "main"
#: The function name of a pc no FUNC symbol covers or precedes.
UNKNOWN = "[unknown]"
#: Distinct call stacks kept; samples of further ones go under ``OTHER_STACKS``.
MAX_STACKS = 100_000
#: The stack standing for the stacks beyond ``MAX_STACKS``.
OTHER_STACKS = ("[other stacks]",)

_PLAIN, _CALL, _RET = 0, 1, 2
_RA = 1


class FunctionTable:
    """The FUNC symbols of an ELF, for ``name_at(pc)``.

    A pc inside a symbol's ``[value, value + size)`` belongs to it; a pc that no sized symbol
    covers belongs to the nearest symbol at or below it (assembly labels often have no size),
    and one below every symbol to ``UNKNOWN``. Of several symbols at one address, the global
    one wins, then the first by name (so the choice never depends on the file's order).
    """

    def __init__(self, elf: bytes) -> None:
        best: dict[int, tuple[int, str, int]] = {}
        symtab = ELFFile(io.BytesIO(elf)).get_section_by_name(".symtab")
        if isinstance(symtab, SymbolTableSection):
            for sym in symtab.iter_symbols():
                if sym["st_info"]["type"] != "STT_FUNC" or not sym.name or not sym["st_value"]:
                    continue
                rank = 0 if sym["st_info"]["bind"] == "STB_GLOBAL" else 1
                cand = (rank, sym.name, sym["st_size"])
                addr = sym["st_value"] & ~1
                if addr not in best or cand < best[addr]:
                    best[addr] = cand
        self.starts = sorted(best)
        self.names = [best[a][1] for a in self.starts]
        self.ends = [a + best[a][2] for a in self.starts]

    def name_at(self, pc: int) -> str:
        """The function holding ``pc``."""
        i = bisect.bisect_right(self.starts, pc) - 1
        if i < 0:
            return UNKNOWN
        return self.names[i]

    def __len__(self) -> int:
        return len(self.starts)


@dataclass
class _Frame:
    name: str
    ret: int | None  # the return address it was called with (None: a root)


@dataclass
class _Run:
    """One call into the guest as the profiler follows it (resumed after a budget stop)."""

    hook: str
    frame: object  # the machine's saved frame of this call (identity tells a resume)
    prefix: tuple[str, ...]
    stack: list[_Frame] = field(default_factory=list)
    excess: int = 0  # calls beyond max_depth not yet returned
    #: Their return addresses, counted (bounded by the call sites in the code).
    excess_rets: dict[int, int] = field(default_factory=dict)
    key: tuple[str, ...] = ()

    def rekey(self) -> None:
        names = self.prefix + tuple(f.name for f in self.stack)
        self.key = names + (DEEPER,) if self.excess else names


# A block as the profiler needs it: instruction count, pcs, instructions per function in
# order, what its last instruction does (_PLAIN/_CALL/_RET), the return address of a call,
# whether it ends with an ecall.
_BlockInfo = tuple[int, tuple[int, ...], tuple[tuple[str, int], ...], int, int, bool]


class Profiler:
    """Exact instruction, call-stack and host-call counts of one machine (module docstring).

    Args:
        elf: the program's ELF file (its ``.symtab`` names functions).
        max_depth: shadow stack frames kept (deeper calls are counted in ``overflows``).

    Attributes:
        total: instructions retired in the runs seen (equals the growth of ``instret``).
        functions: instructions by function name.
        stacks: instructions by call stack (outermost first).
        hooks: instructions by hook (the function a call from the host started in, ``MAIN``
            for ``run_main``; a guest call made from inside a host call counts to its hook).
        calls: calls from the host by hook (a resume after a budget stop is not a new call).
        host_calls: retired ecalls by (hook, host function or syscall name).
        window: instructions by hook since the last ``take_window()``.
        overflows: calls the shadow stack did not push (deeper than ``max_depth``).
        resyncs: returns and entries the shadow stack could not match (its stack restarted).
    """

    def __init__(self, elf: bytes, *, max_depth: int = MAX_DEPTH) -> None:
        if max_depth < 1:
            raise ValueError("max_depth must be at least 1")
        self.table = FunctionTable(elf)
        self.max_depth = max_depth
        self.total = 0
        self.functions: dict[str, int] = {}
        self.stacks: dict[tuple[str, ...], int] = {}
        self.hooks: dict[str, int] = {}
        self.calls: dict[str, int] = {}
        self.host_calls: dict[tuple[str, str], int] = {}
        self.window: dict[str, int] = {}
        self.overflows = 0
        self.resyncs = 0
        self._blocks: dict[int, _BlockInfo] = {}
        self._active: list[_Run] = []
        self._paused: _Run | None = None
        self._hostcalls: HostRegistry | None = None
        self._hook_names: dict[int, str] | None = None

    # --- attaching ----------------------------------------------------------------------------

    def attach(self, machine: Machine) -> Machine:
        """Follow every run of ``machine`` from now on, and return it.

        The machine's calls then run on its reference interpreter through this profiler
        (``Machine.set_runner``; callers ``prepare``d before do not, nor a debugger's runner
        set later). Raises ValueError if this profiler already follows a machine.
        """
        if self._hostcalls is not None:
            raise ValueError("a profiler follows one machine")
        self._hostcalls = machine.hostcalls
        interp = machine.interpreter

        def run(limit: int) -> None:
            self.run(interp, limit, None)

        machine.set_runner(run)
        return machine

    def take_window(self) -> dict[str, int]:
        """Instructions by hook since the last call (a tick's, when called once a tick)."""
        window, self.window = self.window, {}
        return window

    # --- following a run -----------------------------------------------------------------------

    def run(self, interp: Interpreter, limit: int, pc: int | None) -> None:
        """Run ``interp`` as ``Interpreter.run`` does, counting every block it runs."""
        state = interp.state
        if pc is not None:
            state.pc = pc
        frame = state.frames[-1] if state.frames else None
        paused, self._paused = self._paused, None
        if paused is not None and frame is not None and paused.frame is frame:
            run = paused  # the same call goes on after a budget stop
        else:
            outer = self._active[-1] if self._active else None
            if outer is not None:  # a guest call from inside a host call
                run = _Run(outer.hook, frame, outer.key)
            else:
                hook = MAIN if frame is None else self._hook_name(state)
                run = _Run(hook, frame, ())
                self.calls[hook] = self.calls.get(hook, 0) + 1
            run.rekey()
        self._active.append(run)
        cur = -1  # the pc of the block running (-1: none yet)
        mark = state.instret  # instret when it started
        seen = self.total  # self.total then (nested runs add to it meanwhile)

        def enter(pc: int, limit: int) -> int:
            nonlocal cur, mark, seen
            if cur >= 0:
                self._retire(run, interp, cur, state.instret - mark - (self.total - seen), pc)
            if pc != EXIT_ADDR:
                self._entry(run, pc)
            cur, mark, seen = pc, state.instret, self.total
            return pc

        stopped = False  # by the budget: the call may be resumed
        try:
            Interpreter.run(interp, limit, pc, enter)
        except BudgetExceeded:
            stopped = frame is not None
            raise
        finally:
            self._active.pop()
            if cur >= 0 and cur != EXIT_ADDR:
                self._retire(run, interp, cur, state.instret - mark - (self.total - seen),
                             state.pc)
            if stopped:
                self._paused = run

    def _hook_name(self, state: State) -> str:
        """The name of the function a call from the host starts in: of the symbols at its
        address, a hook's (``on_...``) first, then the first by name."""
        if self._hook_names is None:
            by_addr: dict[int, list[str]] = {}
            for n, a in state.program.functions.items():
                by_addr.setdefault(a, []).append(n)
            self._hook_names = {a: min(ns, key=lambda n: (not n.startswith("on_"), n))
                                for a, ns in by_addr.items()}
        return self._hook_names.get(state.pc) or self.table.name_at(state.pc)

    def _entry(self, run: _Run, pc: int) -> None:
        """The shadow stack as a block at ``pc`` starts: its top frame is pc's function."""
        if run.excess:
            return
        name = self.table.name_at(pc)
        stack = run.stack
        if not stack:  # a call's first block, or after a return the stack could not match
            stack.append(_Frame(name, None))
            run.rekey()
        elif stack[-1].name != name:  # a tail call or a jump into another function
            stack[-1].name = name
            run.rekey()

    def _retire(self, run: _Run, interp: Interpreter, pc: int, k: int, npc: int) -> None:
        """Count the first ``k`` instructions of the block at ``pc``; move the stack to ``npc``
        if the whole block retired."""
        if k <= 0:
            return
        n, pcs, parts, kind, ret, ecall = self._block(interp, pc)
        functions = self.functions
        if k >= n:
            for name, c in parts:
                functions[name] = functions.get(name, 0) + c
        else:
            name_at = self.table.name_at
            for at in pcs[:k]:
                name = name_at(at)
                functions[name] = functions.get(name, 0) + 1
        self.total += k
        stacks = self.stacks
        key = run.key if run.key in stacks or len(stacks) < MAX_STACKS else OTHER_STACKS
        stacks[key] = stacks.get(key, 0) + k
        self.hooks[run.hook] = self.hooks.get(run.hook, 0) + k
        self.window[run.hook] = self.window.get(run.hook, 0) + k
        if k < n:
            return
        if ecall:
            key = (run.hook, self._ecall_name(interp.state.x[17]))
            self.host_calls[key] = self.host_calls.get(key, 0) + 1
        if kind == _CALL:
            if run.excess or len(run.stack) >= self.max_depth:
                run.excess += 1
                run.excess_rets[ret] = run.excess_rets.get(ret, 0) + 1
                self.overflows += 1
            else:
                run.stack.append(_Frame(self.table.name_at(npc), ret))
            run.rekey()
        elif kind == _RET:
            self._return(run, npc)

    def _return(self, run: _Run, npc: int) -> None:
        if run.excess:
            pending = run.excess_rets.get(npc, 0)
            if pending:  # the return of a call beyond the bound
                run.excess -= 1
                if pending == 1:
                    del run.excess_rets[npc]
                else:
                    run.excess_rets[npc] = pending - 1
                run.rekey()
                return
            # Past the calls beyond the bound (a longjmp): unwind the stack kept.
            run.excess = 0
            run.excess_rets.clear()
            run.stack.append(_Frame(DEEPER, None))
        stack = run.stack
        if stack and stack[-1].ret == npc:
            stack.pop()
        elif npc != EXIT_ADDR:
            # Not the return the top frame expects (longjmp, or a made-up ra): unwind to the
            # frame of the function the return lands in, or start over from it.
            target = self.table.name_at(npc)
            if stack:
                stack.pop()
            while stack and stack[-1].name != target:
                stack.pop()
            if not stack:
                self.resyncs += 1
        else:
            stack.clear()
        run.rekey()

    def _block(self, interp: Interpreter, pc: int) -> _BlockInfo:
        info = self._blocks.get(pc)
        if info is not None:
            return info
        instrs = interp.decode_block(pc)
        pcs = tuple(at for at, _ in instrs)
        parts: list[tuple[str, int]] = []
        for at in pcs:
            name = self.table.name_at(at)
            if parts and parts[-1][0] == name:
                parts[-1] = (name, parts[-1][1] + 1)
            else:
                parts.append((name, 1))
        at, last = instrs[-1]
        kind = _PLAIN
        if last.op in ("jal", "jalr") and last.rd == _RA:
            kind = _CALL
        elif last.op == "jalr" and last.rd == 0 and last.rs1 == _RA and last.imm == 0:
            kind = _RET
        info = (len(pcs), pcs, tuple(parts), kind, at + last.size, last.op == "ecall")
        self._blocks[pc] = info
        return info

    def _ecall_name(self, nr: int) -> str:
        if nr >= HOSTCALL_BASE and self._hostcalls is not None:
            fn = self._hostcalls.lookup(nr - HOSTCALL_BASE)
            if fn is not None:
                return fn.name
            return f"host#{nr - HOSTCALL_BASE}"
        handler = SYSCALLS.get(nr)
        name = getattr(handler, "__name__", "")
        return f"syscall {nr}" + (f" ({name})" if name.startswith("sys_") else "")


def collapsed_lines(stacks: dict[tuple[str, ...], int],
                    prefix: tuple[str, ...] = ()) -> list[str]:
    """``a;b;c COUNT`` lines of ``stacks`` (flamegraph.pl's and speedscope's input), sorted.

    A name's ``;`` and whitespace become ``:`` and ``_``, so every line parses back."""
    return sorted(";".join(_SAFE.sub(_safe, name) for name in prefix + key) + f" {count}"
                  for key, count in stacks.items() if count)


_SAFE = re.compile(r"[;\s]")


def _safe(m: re.Match[str]) -> str:
    return ":" if m.group() == ";" else "_"


def parse_collapsed(lines: Iterable[str]) -> dict[tuple[str, ...], int]:
    """Read ``a;b;c COUNT`` lines back; ValueError on a malformed line."""
    out: dict[tuple[str, ...], int] = {}
    for line in lines:
        if not line.strip():
            continue
        stack, sep, count = line.rstrip("\n").rpartition(" ")
        if not sep or not stack or not count.isdigit():
            raise ValueError(f"not a collapsed-stack line: {line!r}")
        key = tuple(stack.split(";"))
        out[key] = out.get(key, 0) + int(count)
    return out
