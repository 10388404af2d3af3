"""The reference interpreter: pre-decoded basic blocks of ``vm.semantics`` closures.

``Interpreter.run`` is the one block loop of the VM. The reference engine runs it as it is;
the translating engine (``vm.translator``) runs it with an ``enter`` hook that runs translated
code first and hands back the pc of the next block to interpret, so both engines interpret
blocks, count instructions and apply the budget rule (``vm.machine``'s docstring) through the
same lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .constants import EXIT_ADDR
from .decoder import TERMINATORS, Instr, decode_run
from .errors import BudgetExceeded, Fault, FetchFault, GuestExit
from .semantics import SYNC_OPS, build
from .state import State

__all__ = ["Interpreter", "Block", "MAX_BLOCK", "BLOCK_ENDS", "code_fetcher"]

MAX_BLOCK = 256
#: Ops after which a block ends.
BLOCK_ENDS = TERMINATORS | SYNC_OPS

#: A block: (ops, terminator, instruction count, last pc, sync?, pcs of its instructions).
Block = tuple[tuple[Callable[[], Any], ...], Callable[[], int], int, int, bool, tuple[int, ...]]
#: ``enter(pc, limit)``: run what there is to run from ``pc`` some other way (translated code)
#: and return the pc of the next block to interpret, or EXIT_ADDR when the call is over.
Enter = Callable[[int, int], int]


class _CallReturn(Exception):
    """The guest returned to ``EXIT_ADDR`` (raised by the exit block, caught by ``run``)."""


def _return_to_host() -> int:
    raise _CallReturn


def _no_next() -> int:
    raise AssertionError("the empty block never runs")


_EXIT_BLOCK: Block = ((), _return_to_host, 0, EXIT_ADDR, False, ())
#: What a fault is settled against when no block was running (nothing of one retired).
NO_BLOCK: Block = ((), _no_next, 0, 0, False, ())


def code_fetcher(state: State) -> Callable[[int], int | None]:
    """``fetch16(pc)``: the halfword of executable code at ``pc``, None outside code.

    Code is read from the program's executable segments, never from memory (Harvard style:
    guest stores cannot change it).
    """
    code = [(s.vaddr, s.end, s.data) for s in state.program.segments if s.executable]

    def fetch16(pc: int) -> int | None:
        for start, end, data in code:
            if start <= pc and pc + 2 <= end:
                o = pc - start
                return data[o] | (data[o + 1] << 8)
        return None

    return fetch16


class Interpreter:
    """Runs a machine's ``State`` block by block (the reference engine).

    Blocks are decoded once per program (``Program.decode_cache``) and built into closures
    once per machine (``blocks``).
    """

    name = "interp"

    def __init__(self, state: State) -> None:
        self.state = state
        self.blocks: dict[int, Block] = {EXIT_ADDR: _EXIT_BLOCK}
        self.fetch16 = code_fetcher(state)

    def decode_block(self, pc: int) -> list[tuple[int, Instr]]:
        """The instructions of the block at ``pc`` (FetchFault outside code)."""
        cache = self.state.program.decode_cache
        found = cache.get(pc)
        if found is not None:
            return found
        if pc & 1 or self.fetch16(pc) is None:
            raise FetchFault(pc, pc, "not in executable code")
        out = decode_run(self.fetch16, pc, MAX_BLOCK, BLOCK_ENDS)
        cache[pc] = out
        return out

    def build_block(self, pc: int) -> Block:
        """Build (and keep) the block at ``pc``."""
        instrs = self.decode_block(pc)
        # semantics.build is annotated with Machine; it needs only what State has.
        closures = [build(self.state, ins, at) for at, ins in instrs]
        last_pc, last = instrs[-1]
        pcs = tuple(at for at, _ in instrs)
        if last.op in TERMINATORS or last.op in SYNC_OPS:
            ops, term = tuple(closures[:-1]), closures[-1]
        else:
            nxt = last_pc + last.size

            def term() -> int:
                return nxt
            ops = tuple(closures)
        block: Block = (ops, term, len(instrs), last_pc, last.op in SYNC_OPS, pcs)  # type: ignore[assignment]
        self.blocks[pc] = block
        return block

    def run(self, limit: int, pc: int | None = None, enter: Enter | None = None) -> None:
        """Run from ``state.pc`` (or ``pc``) until the guest returns to EXIT_ADDR (or raises).

        With ``enter``, each block is preceded by ``enter(pc, limit)`` (see ``Enter``), with
        ``state.instret`` up to date around it.
        """
        state = self.state
        get = self.blocks.get
        build_block = self.build_block
        if pc is None:
            pc = state.pc
        icount = state.instret
        blk = NO_BLOCK
        try:
            while True:
                if enter is not None:
                    state.instret = icount
                    blk = NO_BLOCK
                    pc = enter(pc, limit)
                    if pc == EXIT_ADDR:
                        state.pc = pc
                        return
                    icount = state.instret
                blk = get(pc) or build_block(pc)
                ops, term, n, last, sync, _ = blk
                icount += n
                for op in ops:
                    op()
                if sync:
                    state.instret = icount
                    npc = term()
                    icount = state.instret
                else:
                    npc = term()
                if npc <= last and icount >= limit:
                    pc = npc
                    raise BudgetExceeded(npc, detail=f"limit {limit}")
                pc = npc
        except _CallReturn:
            state.pc = EXIT_ADDR
            state.instret = icount
        except Fault as fault:
            if blk is NO_BLOCK:  # no block was running: the count is the state's
                icount = state.instret
            self.settle_fault(fault, blk, icount, pc)
            raise

    def settle_fault(self, fault: Fault, blk: Block, icount: int, pc: int) -> None:
        """Bring pc and the instruction count to the faulting instruction; name its symbol."""
        if fault.count is not None:
            return  # already settled (by translated code, or a nested run in a host call)
        state = self.state
        pcs = blk[5]
        if isinstance(fault, GuestExit | BudgetExceeded) or fault.pc not in pcs or pc != pcs[0]:
            # Exit, a budget check point, or a fetch fault on entry to a block: all of the
            # last block retired.
            state.instret = icount
        else:
            # Faulted inside the block: only the instructions before it retired.
            state.instret = icount - blk[2] + pcs.index(fault.pc)
        state.pc = fault.pc
        fault.count = state.instret
        fault.symbol = state.program.symbolize(fault.pc)
