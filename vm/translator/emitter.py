"""The translator's code generator: a region of guest code to the source of one Python function.

A *region* is the code reachable from an entry pc through branches, direct jumps and the
return addresses of calls, as far as the engine lets it explore, up to a size limit. It
becomes one Python function::

    def region(m, x, f, limit, d=0):  # -> the next guest pc
        r2 = x[2]; r10 = x[10]         # the integer registers it uses live in locals
        cnt = m.instret
        try:
            ...                        # the blocks, as Python control flow
        except Fault as e:             # a fault inside: registers and count put in order
            ...

Control flow: a block with a single predecessor is emitted inline where that predecessor
goes to it (a tree of ``if``s); a block with several predecessors (a *root*) gets a guard
``if pc == 0x...:``, in a ``while True`` when some edge goes back to an earlier root; a root
whose own tree loops back to it is a ``while True`` of its own, with ``continue``.

Registers live in locals and go back to ``x`` at every way out (only those changed on that
path). Constants are tracked and folded; a register holding a known constant gets its local
only when it must. A guest call runs the callee's region as a nested Python call (at most
``MAX_DEPTH`` deep), and if it returns to the call's return address the region goes on
there, reloading registers from ``x`` as it reads them.

What an op is (its kind, the registers it reads and writes, its access width and sign, its
branch condition) comes from its record in ``vm.ops``, as for the interpreter.
Semantics are those of ``vm.semantics``: the common integer ops, loads, stores and branches
are emitted inline (each emitter mirrors the reference closure of its op, with 64-bit
wrap-around done by compare-and-subtract, which keeps small values off the big-int paths);
div/rem/mulh call the reference functions of ``semantics.ALU``; floating point runs the
fast paths of ``vm.fpinline`` inline where it has them; everything else (the rest of floating
point, atomics) calls the reference closure of that instruction (``m.refs[pc]()``, built
by ``vm.semantics.build``), with the registers it reads flushed to ``x`` first and the one it
writes reloaded after. Sync ops (ecall, CSRs) run the same way, with every changed register
written back and ``m.instret`` counting them first (see ``_Emitter.sync``); ebreak and illegal
instructions end a region: the dispatcher runs them in the reference interpreter.

Memory: a run of accesses through one base register gets one bounds and alignment check and
then uses memoryviews of guest memory (``m.mQ`` ...); if the check fails the region
returns ``-pc`` of the run and the dispatcher interprets from there, so the reference
interpreter raises the fault. A lone access is checked and raises its own fault.

The budget rule of ``vm.machine`` holds at every backward transfer: in-region loop edges
check ``cnt >= limit`` each iteration, exits check it before returning. Instruction counts
are added per path (``cnt += n`` where paths leave or loop), and ``FIX`` tells the fault
handler, per instruction that may fault, how many retired instructions ``cnt`` lacks there.

Generated functions take the machine and its register lists as arguments and close over
nothing, so one translation serves every machine that runs the program with the same memory
geometry.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..constants import EXIT_ADDR, HI32, M, S
from ..decoder import Instr
from ..errors import FetchFault
from ..fpinline import inline_fp
from ..ops import (
    BRANCH_TESTS,
    OPS,
    PURE,
    STOP_OPS,
    TRANSFERS,
    Kind,
    branch_cond,
    op_of,
)
from ..semantics import ALU, offsets

__all__ = ["Geometry", "RegionPlan", "Source", "plan_region", "generate", "ALU_GLOBALS"]

#: The most instructions one region holds.
MAX_REGION_INSTRS = 300
#: Python refuses more than 100 indentation levels; inline blocks nest at most this deep.
MAX_NEST = 40
#: Guest calls nest as Python calls of region functions at most this deep.
MAX_DEPTH = 48

# BRANCHES, TRANSFERS (the ops that end a block inside a region) and STOP_OPS (ops no region
# contains) come from ``vm.ops``.

#: Reference functions the generated code calls by name (one definition per op).
ALU_GLOBALS = {f"A_{name}": fn for name, fn in ALU.items()}


@dataclass(frozen=True)
class Geometry:
    """Where guest memory lies: generated code bakes these in."""

    base: int
    size: int
    rw_off: int


class Source:
    """Python source under construction, indented with a context manager."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def __call__(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    @contextmanager
    def indent(self, header: str) -> Iterator[None]:
        self(header)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


# --- region formation ---------------------------------------------------------------------


@dataclass
class Block:
    """A straight run of instructions inside a region; the last one decides where to go."""

    start: int
    instrs: list[tuple[int, Instr]]
    #: Included successor blocks (start pcs), in the order the terminator names them.
    succs: list[int] = field(default_factory=list)
    preds: int = 0


@dataclass
class RegionPlan:
    """What to translate: the blocks of a region and what lies outside it."""

    entry: int
    blocks: dict[int, Block]
    order: list[int]  # reverse postorder of the blocks from the entry

    @property
    def size(self) -> int:
        """Instructions in the region."""
        return sum(len(b.instrs) for b in self.blocks.values())

    @property
    def code_bytes(self) -> int:
        """Bytes of guest code in the region."""
        return sum(ins.size for b in self.blocks.values() for _, ins in b.instrs)


def _static_targets(pc: int, ins: Instr) -> list[int]:
    """In-region successor candidates of a terminator.

    A call (``jal``/``jalr`` that links) goes on at its return address once the callee
    returns there; a plain indirect jump has none.
    """
    kind = op_of(ins.op).kind
    if kind is Kind.BRANCH:
        return [(pc + ins.imm) & M, pc + ins.size]
    if kind is Kind.JAL and ins.rd == 0:
        return [(pc + ins.imm) & M]
    if kind in (Kind.JAL, Kind.JALR) and ins.rd != 0:
        return [pc + ins.size]
    return []


def plan_region(entry: int, decode_block: Callable[[int], list[tuple[int, Instr]]],
                max_instrs: int = MAX_REGION_INSTRS,
                explore: Callable[[int, bool], bool] | None = None) -> RegionPlan | None:
    """Explore the code reachable from ``entry`` and cut it into blocks.

    ``decode_block(pc)`` decodes the instructions from ``pc`` to the next terminator or sync
    op; it raises ``FetchFault`` where no code is. Branch targets and return addresses are
    followed only if ``explore(pc, is_return_address)`` says so.
    Returns None if nothing at ``entry`` can be translated (its first instruction is one the
    dispatcher must run itself).
    """
    instrs: dict[int, Instr] = {}
    queue = deque([entry])
    while queue:
        p = queue.popleft()
        if p in instrs:
            continue
        try:
            seq = decode_block(p)
        except FetchFault:
            continue
        for at, ins in seq:
            if at in instrs or ins.op in STOP_OPS or len(instrs) >= max_instrs:
                break
            instrs[at] = ins
            if ins.op in TRANSFERS:
                link = op_of(ins.op).kind in (Kind.JAL, Kind.JALR) and ins.rd != 0
                queue.extend(t for t in _static_targets(at, ins)
                             if explore is None or explore(t, link))
                break
        else:
            at, ins = seq[-1]
            queue.append(at + ins.size)
    if entry not in instrs:
        return None

    # Edges between included instructions; a leader starts a block.
    preds: dict[int, int] = dict.fromkeys(instrs, 0)
    leaders = {entry}
    for at, ins in instrs.items():
        if ins.op in TRANSFERS:
            for t in _static_targets(at, ins):
                if t in instrs:
                    preds[t] += 1
                    leaders.add(t)
        else:
            nxt = at + ins.size
            if nxt in instrs:
                preds[nxt] += 1
    leaders.update(p for p, n in preds.items() if n != 1)
    blocks: dict[int, Block] = {}
    for lead in leaders:
        run = [(lead, instrs[lead])]
        at, ins = run[-1]
        while ins.op not in TRANSFERS:
            nxt = at + ins.size
            if nxt not in instrs or nxt in leaders:
                break
            at, ins = nxt, instrs[nxt]
            run.append((at, ins))
        blocks[lead] = Block(lead, run)
    for b in blocks.values():
        at, ins = b.instrs[-1]
        if ins.op in TRANSFERS:
            cands = _static_targets(at, ins)
        else:
            cands = [at + ins.size]
        b.succs = [t for t in cands if t in blocks]
        for t in b.succs:
            blocks[t].preds += 1

    # Reverse postorder from the entry (unreachable blocks cannot exist: all were reached).
    order: list[int] = []
    seen = {entry}
    stack = [(entry, iter(blocks[entry].succs))]
    while stack:
        node, it = stack[-1]
        for s in it:
            if s not in seen:
                seen.add(s)
                stack.append((s, iter(blocks[s].succs)))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return RegionPlan(entry, blocks, order)


# --- register use -------------------------------------------------------------------------


def int_regs(ins: Instr) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(integer registers read, integer registers written) by ``ins``; x0 left out.

    From the op's record in ``vm.ops`` (an op without one is a ``KeyError``).
    """
    rec = op_of(ins.op)
    reads = [getattr(ins, name) for name in rec.reads_int]
    reads += rec.implicit_reads
    writes = [getattr(ins, name) for name in rec.writes_int]
    writes += rec.implicit_writes
    return tuple(r for r in reads if r), tuple(r for r in writes if r)


# --- emission -----------------------------------------------------------------------------

# By access width: the struct reader and writer of ``vm.translator.runtime``'s globals and the
# aligned memoryview of guest memory (bytes index ``mem`` itself).
_READER = {1: None, 2: "U16", 4: "U32", 8: "U64"}
_WRITER = {1: None, 2: "P16", 4: "P32", 8: "P64"}
_VIEW = {1: None, 2: "mH", 4: "mI", 8: "mQ"}
# op: (bytes, struct reader, aligned view, signed)
_LOADS = {r.name: (r.width, _READER[r.width], _VIEW[r.width], r.signed)
          for r in OPS.values() if r.kind is Kind.LOAD}
# op: (bytes, struct writer, aligned view)
_STORES = {r.name: (r.width, _WRITER[r.width], _VIEW[r.width])
           for r in OPS.values() if r.kind is Kind.STORE}
_FLOADS = {r.name: (r.width, _READER[r.width], _VIEW[r.width])
           for r in OPS.values() if r.kind is Kind.FLOAD}
_FSTORES = {r.name: (r.width, _WRITER[r.width], _VIEW[r.width])
            for r in OPS.values() if r.kind is Kind.FSTORE}
#: What ``_mem_access`` calls each kind of memory access.
_ACCESS = {Kind.LOAD: "load", Kind.STORE: "store", Kind.FLOAD: "fload", Kind.FSTORE: "fstore"}
_SHIFT = {2: 1, 4: 2, 8: 3}
_SIGN = {1: (0x80, M ^ 0xFF), 2: (0x8000, M ^ 0xFFFF), 4: (0x80000000, HI32)}
_HEX_M = "0xffffffffffffffff"
_HEX_T = "0x10000000000000000"
_HEX_S = "0x8000000000000000"


def _mem_access(ins: Instr) -> tuple[str, int] | None:
    """(kind, bytes) of a memory access whose address is rs1 + imm, else None."""
    rec = op_of(ins.op)
    kind = _ACCESS.get(rec.kind)
    return None if kind is None else (kind, rec.width)


def _slt(a: str, b: str, aconst: int | None, bconst: int | None) -> str:
    """A Python condition for signed(a) < signed(b) on unsigned values, allocation-free."""
    if bconst == 0:
        return f"{a} >= {_HEX_S}"
    if aconst == 0:
        return f"0 < {b} < {_HEX_S}"
    if bconst is not None:
        if bconst < S:
            return f"({a} < {hex(bconst)} or {a} >= {_HEX_S})"
        return f"({_HEX_S} <= {a} < {hex(bconst)})"
    if aconst is not None:
        if aconst < S:
            return f"({hex(aconst)} < {b} < {_HEX_S})"
        return f"({b} < {_HEX_S} or {hex(aconst)} < {b})"
    # signed < is unsigned < flipped when the signs differ
    return f"(({a} < {b}) is not (({a} < {_HEX_S}) is not ({b} < {_HEX_S})))"


class _State:
    """What the emitter knows at one point of one path through a region.

    known: registers with a constant value; lazy: those of them whose local is not assigned
    yet; dirty: registers changed since the region began (written back at exits); stale:
    registers whose local is out of date after a nested call (``x`` holds them; they are
    reloaded when read); pend: instructions retired on this path that ``cnt`` does not
    include yet; pushed: see ``__init__``.
    """

    __slots__ = ("known", "lazy", "dirty", "stale", "pend", "pushed")

    def __init__(self, dirty: set[int], stale: set[int] | None = None,
                 pushed: bool | None = True) -> None:
        self.known: dict[int, int] = {}
        self.lazy: set[int] = set()
        self.dirty = set(dirty)
        self.stale = set(stale or ())
        self.pend = 0
        #: In an entry (see ``generate``): the caller's frame is saved, ``x`` and ``f`` may
        #: change (True), or not (False), or only the local ``fr`` knows (None: where paths
        #: join). Regions have nothing to save: always True.
        self.pushed = pushed

    def copy(self) -> _State:
        st = _State(self.dirty, self.stale, self.pushed)
        st.known = dict(self.known)
        st.lazy = set(self.lazy)
        st.pend = self.pend
        return st

    def fix(self) -> tuple[int, tuple[tuple[int, int], ...], frozenset[int]]:
        """What a fault here needs to put right: see ``vm.translator.runtime._settle``."""
        lazy = tuple(sorted((r, self.known[r]) for r in self.lazy))
        return self.pend, lazy, frozenset(self.stale)


class _Emitter:
    """Emits one region (see the module docstring for the shape of the result)."""

    def __init__(self, plan: RegionPlan, geo: Geometry, entry_args: int | None = None) -> None:
        self.plan = plan
        self.geo = geo
        self.entry_args = entry_args
        #: An entry's arguments, return address and stack pointer start in locals.
        self.entry_regs = (1, 2, *range(10, 10 + entry_args)) if entry_args is not None else ()
        self.src = Source()
        self.refs: dict[int, Instr] = {}
        self.fix_at: dict[int, tuple] = {}
        self.views: set[str] = set()
        self.uses_mem = False
        self.uses_ecall = False
        reads: set[int] = set()
        writes: set[int] = set()
        for b in plan.blocks.values():
            for _, ins in b.instrs:
                r, w = int_regs(ins)
                reads.update(r)
                writes.update(w)
        self.written = writes
        self.all_regs = sorted(reads | writes)
        # Registers are loaded from ``x`` where first read (they start stale), except for a
        # region whose entry is a loop head: every pass through it needs them all in locals.
        entry_loops = plan.blocks[plan.entry].preds > 0
        self.loaded = [r for r in self.all_regs if r not in self.entry_regs] if entry_loops \
            else []
        # Blocks with a single predecessor are emitted inline at it; the others (and the
        # entry) are guarded roots, in reverse postorder.
        self.rank = {b: i for i, b in enumerate(plan.order)}
        self.roots = [b for b in plan.order if b == plan.entry or plan.blocks[b].preds != 1]
        self.is_root = set(self.roots)
        self.guard_all = len(self.roots) > 1
        root_of: dict[int, int] = {}
        for r in self.roots:
            stack = [r]
            while stack:
                b = stack.pop()
                root_of[b] = r
                stack.extend(s for s in plan.blocks[b].succs if s not in self.is_root)
        self.self_loop: set[int] = set()
        self.outer_loop = False
        for b, blk in plan.blocks.items():
            for s in blk.succs:
                if s in self.is_root:
                    if s == root_of[b]:
                        self.self_loop.add(s)
                    elif self.rank[s] < self.rank[root_of[b]]:
                        self.outer_loop = True
        self.current_root = plan.entry

    # --- operands and state ---

    def val(self, r: int, st: _State) -> str:
        """The operand text for reading register ``r`` (reloading it first if stale)."""
        if r == 0:
            return "0"
        if r in st.known:
            return hex(st.known[r])
        if r in st.stale:
            self.src(f"r{r} = x[{r}]")
            st.stale.discard(r)
        return f"r{r}"

    def const(self, r: int, st: _State) -> int | None:
        if r == 0:
            return 0
        return st.known.get(r)

    def set_const(self, rd: int, value: int, st: _State) -> None:
        if rd:
            st.known[rd] = value & M
            st.lazy.add(rd)
            st.stale.discard(rd)
            st.dirty.add(rd)

    def wrote(self, rd: int, st: _State) -> None:
        """``r{rd}`` was just assigned a computed value."""
        st.known.pop(rd, None)
        st.lazy.discard(rd)
        st.stale.discard(rd)
        st.dirty.add(rd)

    def assign(self, rd: int, expr: str, st: _State) -> None:
        if rd:
            if expr != f"r{rd}":
                self.src(f"r{rd} = {expr}")
                self.wrote(rd, st)

    def materialize(self, st: _State) -> None:
        """Bring every local up to date: lazy constants assigned, stale registers reloaded.

        Done where paths join (a guarded root starts with nothing known).
        """
        for r in sorted(st.lazy):
            self.src(f"r{r} = {hex(st.known[r])}")
        st.lazy.clear()
        for r in sorted(st.stale):
            self.src(f"r{r} = x[{r}]")
        st.stale.clear()

    # --- exits and transfers ---

    def push(self, st: _State) -> None:
        """In an entry, save the caller's frame before ``x`` or ``f`` first change."""
        if st.pushed is False:
            self.src("fr = PUSH(m)")
        elif st.pushed is None:
            with self.src.indent("if fr is None:"):
                self.src("fr = PUSH(m)")
        st.pushed = True

    def leave(self, target: str) -> None:
        """``return`` the next pc (a region) or go on in the dispatcher from it (an entry)."""
        if self.entry_args is None:
            self.src(f"return {target}")
        else:
            self.src(f"return CONT(m, {target}, limit)")

    def writeback(self, st: _State) -> None:
        self.push(st)
        for r in sorted(st.dirty):
            self.src(f"x[{r}] = {self.val(r, st)}")

    def flush_count(self, st: _State) -> None:
        if st.pend:
            self.src(f"cnt += {st.pend}")
            st.pend = 0

    def budget_check(self, target: str, st: _State) -> None:
        """The budget rule at a backward transfer that stays in the region."""
        self.flush_count(st)
        with self.src.indent("if cnt >= limit:"):
            self.writeback(st.copy())  # a way out: this path goes on unchanged
            self.src("m.instret = cnt")
            self.src(f"budget(m, {target}, limit)")

    def entry_return(self, st: _State) -> None:
        """In an entry, at a jump to ``t``: the fast way back to the caller, if ``t`` is it.

        The call's result is a0; its frame (if saved) is restored, as ``Machine.call`` does.
        """
        with self.src.indent(f"if t == {hex(EXIT_ADDR)}:"):
            k = f" + {st.pend}" if st.pend else ""
            self.src(f"m.instret = cnt{k}")
            result = self.val(10, st)
            if st.pushed is False:
                self.src("m.reservation = None")
                self.src(f"return {result}")
                return
            if st.pushed is None:  # saved on some paths here: fr knows
                with self.src.indent("if fr is None:"):
                    self.src("m.reservation = None")
                    self.src(f"return {result}")
            self.src(f"fr = {result}")
            self.src("m.pop_frame()")
            self.src("return fr")

    def exit_static(self, target: int, from_pc: int, st: _State) -> None:
        self.writeback(st)
        k = f" + {st.pend}" if st.pend else ""
        if target <= from_pc:
            self.src(f"m.instret = cnt = cnt{k}")
            with self.src.indent("if cnt >= limit:"):
                self.src(f"budget(m, {hex(target)}, limit)")
        else:
            self.src(f"m.instret = cnt{k}")
        self.leave(hex(target))

    def edge(self, target: int, from_pc: int, st: _State, depth: int) -> None:
        """Transfer control to ``target`` from the instruction at ``from_pc``."""
        blocks = self.plan.blocks
        inline = target not in self.is_root
        if target not in blocks or (inline and depth >= MAX_NEST):
            self.exit_static(target, from_pc, st)
            return
        backward = target <= from_pc
        if inline:
            if backward:
                self.budget_check(hex(target), st)
            self.block(target, st, depth + 1)
            return
        self.materialize(st)
        self.flush_count(st)
        if backward:
            self.budget_check(hex(target), st)
        root = self.current_root
        if target == root:
            self.src("continue")
            return
        self.src(f"pc = {hex(target)}")
        if root in self.self_loop:
            self.src("break")
        elif self.rank[target] < self.rank[root]:
            self.src("continue")

    # --- blocks ---

    def block(self, start: int, st: _State, depth: int) -> None:
        instrs = self.plan.blocks[start].instrs
        pc, last = instrs[-1]
        body = instrs[:-1] if last.op in TRANSFERS else instrs
        i = 0
        while i < len(body):
            end = self.mem_run(body, i, st)
            if end:
                self.group(body[i:end], st)
                i = end
            else:
                self.one(*body[i], st)
                i += 1
        if last.op in TRANSFERS:
            st.pend += 1
            self.terminator(pc, last, st, depth)
        else:
            self.edge(pc + last.size, pc, st, depth)

    def terminator(self, pc: int, ins: Instr, st: _State, depth: int) -> None:
        op = ins.op
        kind = op_of(op).kind
        src = self.src
        if kind is Kind.BRANCH:
            taken = (pc + ins.imm) & M
            fall = pc + ins.size
            ca, cb = self.const(ins.rs1, st), self.const(ins.rs2, st)
            if ca is not None and cb is not None:
                go = BRANCH_TESTS[op](ca, cb)
                self.edge(taken if go else fall, pc, st, depth)
                return
            a, b = self.val(ins.rs1, st), self.val(ins.rs2, st)
            # The record's condition, but for the signed ones: ``_slt`` is the same test
            # without the big ints that flipping sign bits makes.
            if op == "blt":
                cond = _slt(a, b, ca, cb)
            elif op == "bge":
                cond = f"not {_slt(a, b, ca, cb)}"
            else:
                cond = branch_cond(op, a, b)
            other = st.copy()
            with src.indent(f"if {cond}:"):
                self.edge(taken, pc, st, depth)
            with src.indent("else:"):
                self.edge(fall, pc, other, depth)
            return
        if kind is Kind.JAL:
            target = (pc + ins.imm) & M
            if ins.rd:
                self.call(pc, ins, hex(target), target <= pc, st, depth)
            else:
                self.edge(target, pc, st, depth)
            return
        if kind is Kind.JALR:
            c = self.const(ins.rs1, st)
            if c is not None:
                target = (c + ins.imm) & (M - 1)
                if ins.rd:
                    self.call(pc, ins, hex(target), target <= pc, st, depth)
                else:
                    self.exit_static(target, pc, st)
                return
            r = self.val(ins.rs1, st)
            if ins.imm:
                src(f"t = ({r} + {ins.imm}) & 0xfffffffffffffffe")
            else:
                src(f"t = {r} - ({r} & 1)")
            if ins.rd:
                self.call(pc, ins, "t", None, st, depth)
                return
            if self.entry_args is not None:
                self.entry_return(st.copy())  # a way out: this path goes on unchanged
            self.writeback(st)
            src(f"m.instret = cnt = cnt + {st.pend}")
            with src.indent(f"if t <= {hex(pc)} and cnt >= limit:"):
                src("budget(m, t, limit)")
            self.leave("t")
            return
        raise AssertionError(f"not a terminator: {op}")  # pragma: no cover

    def call(self, pc: int, ins: Instr, target: str, backward: bool | None, st: _State,
             depth: int) -> None:
        """A linking jump to ``target``: run the callee's region as a nested Python call.

        The callee returns the next pc; if that is our return address, the region goes on
        there with every register reloaded (the callee may have changed any), else it
        returns that pc too. Without a translated callee, or too deep, the region exits.
        ``backward`` is None for a target only known at run time.
        """
        src = self.src
        link = pc + ins.size
        self.set_const(ins.rd, link, st)
        self.writeback(st)
        src(f"m.instret = cnt = cnt + {st.pend}")
        if backward is None:
            with src.indent(f"if t <= {hex(pc)} and cnt >= limit:"):
                src("budget(m, t, limit)")
        elif backward:
            with src.indent("if cnt >= limit:"):
                src(f"budget(m, {target}, limit)")
        with src.indent(f"if d < {MAX_DEPTH} and (g := G({target})) is not None:"):
            src("t = g(m, x, f, limit, d + 1)")
            with src.indent(f"if t != {hex(link)}:"):
                self.leave("t")
        with src.indent("else:"):
            self.leave(target)
        # Every register may have changed: reload each where it is next read.
        src("cnt = m.instret")
        self.edge(link, pc, _State(set(), set(self.all_regs)), depth)

    # --- straight-line instructions ---

    def one(self, pc: int, ins: Instr, st: _State) -> None:
        rec = op_of(ins.op)
        kind = rec.kind
        if kind is Kind.ALU_IMM:
            self.alu(rec.alu, ins.rd, ins.rs1, ins.imm & M, st)  # type: ignore[arg-type]
        elif kind is Kind.ALU:
            self.alu(ins.op, ins.rd, ins.rs1, None, st, ins.rs2)
        elif kind is Kind.LUI:
            self.set_const(ins.rd, ins.imm, st)
        elif kind is Kind.AUIPC:
            self.set_const(ins.rd, pc + ins.imm, st)
        elif kind is Kind.FENCE:
            pass
        elif rec.sync:
            self.fix_at[pc] = st.fix()
            self.sync(pc, ins, st)
            return
        elif kind in _ACCESS:
            self.fix_at[pc] = st.fix()
            self.access(pc, ins, st)
        else:
            self.fix_at[pc] = st.fix()
            self.reference(pc, ins, st)
        st.pend += 1

    def sync(self, pc: int, ins: Instr, st: _State) -> None:
        """An ecall or CSR access, run in place by its reference closure.

        It sees what the reference interpreter shows a sync op: every register in ``x`` and
        ``m.instret`` counting it. A host call may run guest code (a nested vmcall), so the
        count is read back afterwards.
        """
        self.writeback(st)
        self.src(f"m.instret = cnt + {st.pend + 1}")
        if op_of(ins.op).kind is Kind.ECALL:
            # Machine.ecall's hot path inline: a host call made before has its adapter.
            self.uses_ecall = True
            with self.src.indent(f"if (ad := HA({self.val(17, st)})) is not None:"):
                self.src(f"m.pc = {hex(pc)}")
                self.src(f"r10 = ad(m, {hex(pc)})")
            with self.src.indent("else:"):
                self.src(f"m.ecall({hex(pc)})")
                self.src("r10 = x[10]")
            self.wrote(10, st)
        else:
            self.refs[pc] = ins
            self.src(f"R[{hex(pc)}]()")
            for r in int_regs(ins)[1]:
                self.src(f"r{r} = x[{r}]")
                self.wrote(r, st)
        self.src("cnt = m.instret")
        st.pend = 0

    def reference(self, pc: int, ins: Instr, st: _State) -> None:
        """Run the reference closure of ``ins`` (from ``vm.semantics``)."""
        reads, writes = int_regs(ins)
        self.push(st)  # it may change x, f or the reservation
        for r in reads:
            if r not in st.stale:  # else x holds it already
                self.src(f"x[{r}] = {self.val(r, st)}")
        self.refs[pc] = ins  # also the slow path of inline floating-point code
        lines = inline_fp(ins, pc) if op_of(ins.op).kind is Kind.FP else None
        for line in lines or [f"R[{hex(pc)}]()"]:
            self.src(line)
        for r in writes:
            self.src(f"r{r} = x[{r}]")
            self.wrote(r, st)

    def alu(self, op: str, rd: int, rs1: int, bconst: int | None, st: _State,
            rs2: int = 0) -> None:
        """An integer op; ``bconst`` is the immediate (or None: the second operand is rs2)."""
        if rd == 0:
            return
        if bconst is None:
            bconst = self.const(rs2, st)
        aconst = self.const(rs1, st)
        if aconst is not None and bconst is not None:
            self.set_const(rd, ALU[op](aconst, bconst), st)
            return
        a = self.val(rs1, st)
        b = self.val(rs2, st) if bconst is None else hex(bconst)
        d = f"r{rd}"
        src = self.src
        if op == "add":
            if bconst == 0:
                self.assign(rd, a, st)
            elif aconst == 0:
                self.assign(rd, b, st)
            elif bconst is not None and bconst > S:
                src(f"{d} = {a} - {hex((-bconst) & M)}")
                src(f"if {d} < 0: {d} += {_HEX_T}")
                self.wrote(rd, st)
            else:
                src(f"{d} = {a} + {b}")
                src(f"if {d} > {_HEX_M}: {d} -= {_HEX_T}")
                self.wrote(rd, st)
        elif op == "sub":
            if bconst == 0:
                self.assign(rd, a, st)
            else:
                src(f"{d} = {a} - {b}")
                src(f"if {d} < 0: {d} += {_HEX_T}")
                self.wrote(rd, st)
        elif op in ("and", "or", "xor"):
            sym = {"and": "&", "or": "|", "xor": "^"}[op]
            if bconst == 0 and op != "and":
                self.assign(rd, a, st)
            elif aconst == 0 and op != "and":
                self.assign(rd, b, st)
            else:
                self.assign(rd, f"{a} {sym} {b}", st)
        elif op == "sll":
            if bconst is not None:
                if bconst & 63 == 0:
                    self.assign(rd, a, st)
                    return
                src(f"{d} = {a} << {bconst & 63}")
            else:
                src(f"{d} = {a} << ({b} & 63)")
            src(f"if {d} > {_HEX_M}: {d} &= {_HEX_M}")
            self.wrote(rd, st)
        elif op == "srl":
            sh = str(bconst & 63) if bconst is not None else f"({b} & 63)"
            self.assign(rd, f"{a} >> {sh}", st)
        elif op == "sra" and bconst is not None:
            k = bconst & 63
            hm = hex(M ^ (M >> k))
            self.assign(rd, f"{a} >> {k} if {a} < {_HEX_S} else ({a} >> {k}) | {hm}", st)
        elif op == "slt":
            self.assign(rd, f"1 if {_slt(a, b, aconst, bconst)} else 0", st)
        elif op == "sltu":
            self.assign(rd, f"1 if {a} < {b} else 0", st)
        elif op == "mul":
            src(f"{d} = {a} * {b}")
            src(f"if {d} > {_HEX_M}: {d} &= {_HEX_M}")
            self.wrote(rd, st)
        elif op in ("addw", "subw", "mulw"):
            sym = {"addw": "+", "subw": "-", "mulw": "*"}[op]
            if bconst == 0 and op != "mulw":
                src(f"{d} = {a}")
            else:
                src(f"{d} = {a} {sym} {b}")
            # Fast when the result is a small non-negative number; else wrap and extend.
            test = f"not 0 <= {d} < 0x80000000" if op == "subw" else f"{d} >= 0x80000000"
            with src.indent(f"if {test}:"):
                src(f"{d} &= 0xffffffff")
                src(f"if {d} >= 0x80000000: {d} |= 0xffffffff00000000")
            self.wrote(rd, st)
        elif op == "sllw":
            sh = str(bconst & 31) if bconst is not None else f"({b} & 31)"
            src(f"{d} = ({a} << {sh}) & 0xffffffff")
            src(f"if {d} >= 0x80000000: {d} |= 0xffffffff00000000")
            self.wrote(rd, st)
        elif op == "srlw":
            sh = str(bconst & 31) if bconst is not None else f"({b} & 31)"
            src(f"{d} = ({a} & 0xffffffff) >> {sh}")
            if bconst is None or bconst & 31 == 0:
                src(f"if {d} >= 0x80000000: {d} |= 0xffffffff00000000")
            self.wrote(rd, st)
        elif op == "sraw" and bconst is not None:
            k = bconst & 31
            src(f"{d} = {a} & 0xffffffff")
            src(f"{d} = {d} >> {k} if {d} < 0x80000000 else ({d} >> {k}) | "
                f"{hex(M ^ (0xFFFFFFFF >> k))}")
            self.wrote(rd, st)
        else:
            self.assign(rd, f"A_{op}({a}, {b})", st)

    # --- memory ---

    def bounds(self, kind: str, n: int) -> tuple[int, int]:
        """The legal range of ``o = addr - base`` for an access of ``n`` bytes."""
        return offsets(kind in ("store", "fstore"), n, self.geo.size, self.geo.rw_off)

    def access(self, pc: int, ins: Instr, st: _State) -> None:
        """One memory access with its own bounds check."""
        kind, n = _mem_access(ins)  # type: ignore[misc]
        low, high = self.bounds(kind, n)
        geo = self.geo
        fault = "LoadFault" if kind in ("load", "fload") else "StoreFault"
        c = self.const(ins.rs1, st)
        if c is not None:  # the address is known: check it now (no wrap, as the reference)
            o = c + ins.imm - geo.base
            if low <= o <= high:
                self.src(f"o = {o}")
                self.mem_op(ins, "o", st, aligned=n > 1 and o % n == 0,
                            index=str(o // n))
            else:
                self.src(f"raise {fault}({hex(pc)}, {hex((o + geo.base) & M)})")
            return
        self.src(f"o = {self.val(ins.rs1, st)} + {ins.imm - geo.base}")
        with self.src.indent(f"if {low} <= o <= {high}:"):
            self.mem_op(ins, "o", st, aligned=False, lone=True)
        with self.src.indent("else:"):
            self.src(f"raise {fault}({hex(pc)}, (o + {geo.base}) & {_HEX_M})")

    def mem_op(self, ins: Instr, where: str, st: _State, aligned: bool,
               index: str | None = None, lone: bool = False) -> None:
        """The access itself, at offset ``where`` (already checked).

        With ``aligned`` the offset is a multiple of the access size and ``index`` is the
        element index in the matching memoryview. A ``lone`` load of unknown alignment
        tests it: a memoryview index costs half of a ``struct`` read.
        """
        op = ins.op
        src = self.src
        if op in _LOADS:
            n, reader, view, signed = _LOADS[op]
            if n == 1:
                value = f"mem[{where}]"
                self.uses_mem = True
            elif aligned:
                value = f"{view}[{index}]"
                self.views.add(view)  # type: ignore[arg-type]
            elif lone:
                value = (f"{view}[{where} >> {_SHIFT[n]}] if not {where} & {n - 1} "
                         f"else {reader}(mem, {where})[0]")
                self.views.add(view)  # type: ignore[arg-type]
                self.uses_mem = True
            else:
                value = f"{reader}(mem, {where})[0]"
                self.uses_mem = True
            rd = ins.rd
            if not rd:
                if not aligned:
                    src(value)  # keep the access: it is what the check guards
                return
            src(f"r{rd} = {value}")
            if signed:
                top, ext = _SIGN[n]
                src(f"if r{rd} >= {hex(top)}: r{rd} |= {hex(ext)}")
            self.wrote(rd, st)
        elif op in _STORES:
            n, writer, view = _STORES[op]
            c = self.const(ins.rs2, st)
            if n < 8:
                mask = (1 << (8 * n)) - 1
                v = hex(c & mask) if c is not None else f"{self.val(ins.rs2, st)} & {hex(mask)}"
            else:
                v = self.val(ins.rs2, st)
            if n == 1:
                src(f"mem[{where}] = {v}")
                self.uses_mem = True
            elif aligned:
                src(f"{view}[{index}] = {v}")
                self.views.add(view)  # type: ignore[arg-type]
            else:
                src(f"{writer}(mem, {where}, {v})")
                self.uses_mem = True
        elif op in _FLOADS:
            self.push(st)
            n, reader, view = _FLOADS[op]
            if aligned:
                value = f"{view}[{index}]"
            elif lone:
                value = (f"({view}[{where} >> {_SHIFT[n]}] if not {where} & {n - 1} "
                         f"else {reader}(mem, {where})[0])")
                self.views.add(view)
            else:
                value = f"{reader}(mem, {where})[0]"
            box = " | 0xffffffff00000000" if n == 4 else ""
            src(f"f[{ins.rd}] = {value}{box}")
            self.note(aligned, view)
        else:
            n, writer, view = _FSTORES[op]
            v = f"f[{ins.rs2}] & 0xffffffff" if n == 4 else f"f[{ins.rs2}]"
            if aligned:
                src(f"{view}[{index}] = {v}")
            else:
                src(f"{writer}(mem, {where}, {v})")
            self.note(aligned, view)

    def note(self, aligned: bool, view: str) -> None:
        if aligned:
            self.views.add(view)
        else:
            self.uses_mem = True

    def mem_run(self, body: list[tuple[int, Instr]], i: int, st: _State) -> int:
        """End (exclusive) of a run of accesses through one base register starting at ``i``.

        The run may hold pure integer ops between the accesses; its base register is not
        written inside it except by its last access. 0 if fewer than two accesses.
        """
        acc = _mem_access(body[i][1])
        base = body[i][1].rs1
        if acc is None or base == 0 or base in st.known:
            return 0
        count = 0
        end = 0
        for k in range(i, len(body)):
            ins = body[k][1]
            writes = int_regs(ins)[1]
            if _mem_access(ins) is not None:
                if ins.rs1 != base:
                    break
                count += 1
                end = k + 1
                if base in writes:
                    break
            elif ins.op in PURE:
                if base in writes:
                    break
            else:
                break
        if count < 2:
            return 0
        low, high, align = self.run_bounds(body[i:end])
        return end if low <= high else 0

    def run_bounds(self, run: list[tuple[int, Instr]]) -> tuple[int, int, int]:
        low, high, align = -(1 << 70), 1 << 70, 1
        for _, ins in run:
            acc = _mem_access(ins)
            if acc is None:
                continue
            lo, hi = self.bounds(*acc)
            low = max(low, lo - ins.imm)
            high = min(high, hi - ins.imm)
            n = acc[1]
            if n > 1 and ins.imm % n == 0:
                align = max(align, n)
        return low, high, align

    def group(self, run: list[tuple[int, Instr]], st: _State) -> None:
        """Accesses through one base register under one bounds check.

        If the check fails (a fault is coming), the region leaves before the run and asks the
        dispatcher to interpret from there (``return -pc``): the reference interpreter then
        faults exactly where it should. A base aligned for the accesses uses memoryviews; a
        misaligned one the same accesses through ``struct``.
        """
        low, high, align = self.run_bounds(run)
        base = run[0][1].rs1
        src = self.src
        src(f"o = {self.val(base, st)} - {self.geo.base}")
        with src.indent(f"if not {low} <= o <= {high}:"):
            self.writeback(st.copy())  # a way out: this path goes on unchanged
            src(f"m.instret = cnt + {st.pend}" if st.pend else "m.instret = cnt")
            self.leave(str(-run[0][0]))
        if align == 1:
            self.members(run, st, views=True)
            return
        other = st.copy()
        with src.indent(f"if o & {align - 1}:"):
            self.members(run, other, views=False)
        with src.indent("else:"):
            self.members(run, st, views=True)
        mine = (st.known, st.lazy, st.dirty, st.stale, st.pend, st.pushed)
        assert mine == (other.known, other.lazy, other.dirty, other.stale, other.pend,
                        other.pushed)

    def members(self, run: list[tuple[int, Instr]], st: _State, views: bool) -> None:
        """The instructions of a checked group (see ``group``)."""
        made: set[int] = set()
        for pc, ins in run:
            acc = _mem_access(ins)
            if acc is None:
                self.one(pc, ins, st)
                continue
            n = acc[1]
            if views and n > 1 and ins.imm % n == 0:
                if n not in made:
                    self.src(f"q{n} = o >> {_SHIFT[n]}")
                    made.add(n)
                k = ins.imm // n
                index = f"q{n} + {k}" if k > 0 else f"q{n} - {-k}" if k else f"q{n}"
                self.mem_op(ins, "", st, aligned=True, index=index)
            else:
                where = f"o + {ins.imm}" if ins.imm else "o"
                self.mem_op(ins, where, st, aligned=False)
            st.pend += 1

    # --- the whole function ---

    def root(self, r: int) -> None:
        self.current_root = r
        if r == self.plan.entry and not self.loops_to_entry():
            # Nothing changed yet (but an entry's own registers), nothing loaded, nothing
            # saved.
            st = _State(set(self.entry_regs), set(self.all_regs) - set(self.entry_regs),
                        self.entry_args is None)
        else:  # paths join here: an entry asks ``fr`` whether the frame is saved
            st = _State(self.written | set(self.entry_regs),
                        pushed=True if self.entry_args is None else None)
        if r in self.self_loop:
            with self.src.indent("while True:"):
                self.block(r, st, 0)
        else:
            self.block(r, st, 0)

    def loops_to_entry(self) -> bool:
        return self.plan.entry in self.self_loop or self.plan.blocks[self.plan.entry].preds > 0

    def function(self) -> str:
        body = Source()
        outer, self.src = self.src, body
        body.depth = 2
        if self.guard_all:
            if self.outer_loop:
                with body.indent("while True:"):
                    for r in self.roots:
                        with body.indent(f"if pc == {hex(r)}:"):
                            self.root(r)
            else:
                for r in self.roots:
                    with body.indent(f"if pc == {hex(r)}:"):
                        self.root(r)
                body("raise AssertionError('unreachable')")
        else:
            self.root(self.plan.entry)
        self.src = src = outer
        if self.entry_args is None:
            header = "def region(m, x, f, limit, d=0):"
        else:
            args = "".join(f", r{r}" for r in range(10, 10 + self.entry_args))
            header = f"def entry(m, x, f, limit{args}, d=0):"
        with src.indent(header):
            if self.entry_args is not None:
                src(f"r1 = {hex(EXIT_ADDR)}")
                src(f"r2 = x[2] & {hex(M ^ 15)}")
                src("fr = None")
            for r in self.loaded:
                src(f"r{r} = x[{r}]")
            if self.uses_mem:
                src("mem = m.mem")
            for view in sorted(self.views):
                src(f"{view} = m.{view}")
            if self.refs:
                src("R = m.refs")
            if self.uses_ecall:
                src("HA = m.host_adapters.get")
            src("cnt = m.instret")
            if self.guard_all:
                src(f"pc = {hex(self.plan.entry)}")
            with src.indent("try:"):
                src.lines.extend(body.lines)
            with src.indent("except Fault as e:"):
                if self.entry_args is None:
                    with src.indent("if e.count is None:"):
                        src("settle(m, x, locals(), e, cnt, FIX.get(e.pc))")
                else:
                    # The call fails: registers go back to the caller's (saved or never
                    # changed), so only the count needs settling; a budget stop keeps the
                    # frame for machine.resume().
                    with src.indent("if e.count is None:"):
                        src("settle(m, None, None, e, cnt, FIX.get(e.pc))")
                    with src.indent("if fr is not None and type(e) is not BudgetExceeded:"):
                        src("m.pop_frame()")
                src("raise")
        return src.text()


def generate(plan: RegionPlan, geo: Geometry, entry_args: int | None = None,
             ) -> tuple[str, dict[int, tuple], dict[int, Instr]]:
    """Python source of ``plan``'s region function, or with ``entry_args`` of its entry.

    An *entry* ``entry(m, x, f, limit, r10, ..., d=0) -> a0`` is the whole of a host call of
    the function at ``plan.entry`` with that many integer arguments (``vm.fastcall``): what
    ``Machine.call`` does, with the arguments, the return address and the aligned stack
    pointer in locals. Where the function returns to the host it hands back a0 without
    touching ``x``; the caller's frame is saved (``PUSH``) only on paths that change ``x`` or
    ``f``, and every other way out goes on in the dispatcher (``CONT``) and returns a0 from
    there.

    Returns (source, FIX, refs): ``FIX[pc]`` of an instruction that may fault is (instructions
    retired but not yet in ``cnt``, constants retired but not yet in locals, registers whose
    locals are stale); refs are the instructions run through their reference closure.
    """
    em = _Emitter(plan, geo, entry_args)
    text = em.function()
    return text, em.fix_at, em.refs
