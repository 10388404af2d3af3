"""Running a machine under a debugger: breakpoints, single steps, stops on faults.

A ``Debugger`` is an engine runner (``run(limit)``, what ``Machine.set_runner`` takes): it runs
the machine's reference interpreter (``vm.interpreter``) with an ``enter`` hook that lets whole
blocks run at interpreter speed and executes one instruction at a time only where it must (a
block holding a breakpoint, a single step). Breakpoints are a set of pcs checked before an
instruction runs; guest memory is never patched, so the state hash, instruction counts, budget
stops and faults are exactly those of an undebugged run (the budget rule of ``vm.machine`` is
applied per instruction, which is the same rule: only a control transfer moves backwards).

When it stops (a breakpoint, a finished step, an interrupt, a fault about to leave the run),
the debugger calls its controller, ``on_stop(stop)``, with the machine halted at ``state.pc``;
the controller inspects or changes registers and memory and returns the next ``Resume``
(``vm.gdbstub`` is such a controller, speaking GDB's remote protocol). Nothing of this runs
unless a debugger is attached: the engines have no debugger checks of their own.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .constants import EXIT_ADDR
from .errors import BudgetExceeded, DebuggerKill, Fault, GuestExit

if TYPE_CHECKING:
    from .machine import Machine

__all__ = ["Debugger", "Stop", "StopKind", "Resume", "DebuggerKill", "MAX_BREAKPOINTS"]

#: The most breakpoints a debugger holds (a hostile client cannot grow the set without bound).
MAX_BREAKPOINTS = 4096
#: Blocks run between two calls of ``poll`` (the controller's look for an interrupt).
POLL_EVERY = 1 << 14


class StopKind(enum.Enum):
    """Why the machine stopped."""

    ATTACH = "attach"  # before anything ran under the debugger
    BREAKPOINT = "breakpoint"
    STEP = "step"
    INTERRUPT = "interrupt"
    FAULT = "fault"  # ``Stop.fault`` is about to leave the run (a budget stop included)


class Resume(enum.Enum):
    """What the controller wants next."""

    STEP = "step"
    CONTINUE = "continue"
    DETACH = "detach"  # forget breakpoints and run freely from now on


@dataclass(frozen=True)
class Stop:
    """A stop: its kind, the pc it happened at, and the fault for ``StopKind.FAULT``."""

    kind: StopKind
    pc: int
    fault: Fault | None = None


#: A controller: called at every stop, returns how to go on (or raises ``DebuggerKill``).
Controller = Callable[[Stop], Resume]


def _detached(stop: Stop) -> Resume:
    return Resume.CONTINUE


class Debugger:
    """Breakpoints and stepping for one machine; attach with ``attach()``.

    Args:
        machine: the machine to debug (either engine; under the debugger its code runs on the
            reference interpreter, with identical results).
        on_stop: the controller called at each stop (see the module docstring).
        poll: called every ``POLL_EVERY`` blocks while running; returns True to interrupt
            (a Ctrl-C from the client).

    Attributes:
        breakpoints: the pcs to stop at (add and remove freely while stopped).
        stepping: stop before the next instruction (set by ``Resume.STEP``).
    """

    def __init__(self, machine: Machine, on_stop: Controller,
                 poll: Callable[[], bool] | None = None) -> None:
        self.machine = machine
        self.state = machine.state
        self.on_stop = on_stop
        self.poll = poll
        self.breakpoints: set[int] = set()
        self.stepping = False
        self._interpreter = machine.interpreter
        # (pc, count) of the instruction stopped at last: resuming passes its breakpoint.
        self._skip: tuple[int, int] | None = None
        self._countdown = POLL_EVERY
        self._reported: Fault | None = None

    # --- attaching -----------------------------------------------------------------------------

    def attach(self) -> None:
        """Run the machine's guest code through this debugger from now on."""
        self.machine.set_runner(self.run)

    def detach(self) -> None:
        """Give the machine back its engine; breakpoints and stepping are forgotten."""
        self.breakpoints.clear()
        self.stepping = False
        self.on_stop = _detached
        self.poll = None
        self.machine.set_runner(None)

    def add_breakpoint(self, pc: int) -> bool:
        """Stop before the instruction at ``pc``; False if ``MAX_BREAKPOINTS`` are set."""
        if pc not in self.breakpoints and len(self.breakpoints) >= MAX_BREAKPOINTS:
            return False
        self.breakpoints.add(pc)
        return True

    def stop_now(self, kind: StopKind = StopKind.ATTACH) -> None:
        """Stop where the machine is (``state.pc``) and let the controller decide."""
        self._halt(Stop(kind, self.state.pc))

    # --- running ---------------------------------------------------------------------------------

    def run(self, limit: int) -> None:
        """Run from ``state.pc`` until the guest returns to EXIT_ADDR (an engine's ``run``).

        Raises:
            Fault: as the engines raise it; a fault other than the guest's exit first stops
            (``StopKind.FAULT``) with the machine at the faulting instruction.
            DebuggerKill: the controller killed the program.
        """
        try:
            self._interpreter.run(limit, None, self._enter)
        except Fault as fault:
            if not isinstance(fault, GuestExit) and fault is not self._reported:
                self._reported = fault
                self._halt(Stop(StopKind.FAULT, self.state.pc, fault))
            raise

    def _halt(self, stop: Stop) -> None:
        self.stepping = False
        resume = self.on_stop(stop)
        if resume is Resume.DETACH:
            self.detach()
            return
        self.stepping = resume is Resume.STEP
        self._skip = (self.state.pc, self.state.instret)

    def _enter(self, pc: int, limit: int) -> int:
        """The interpreter's ``enter`` hook: return ``pc`` to let it run the block there, after
        running single instructions here for as long as a stop may come inside it."""
        interpreter = self._interpreter
        blocks = interpreter.blocks
        while True:
            if pc == EXIT_ADDR:
                return pc
            self._countdown -= 1
            if self._countdown <= 0:
                self._countdown = POLL_EVERY
                if self.poll is not None and self.poll():
                    self.state.pc = pc
                    self._halt(Stop(StopKind.INTERRUPT, pc))
                    pc = self.state.pc
                    continue
            if pc in self.breakpoints and (pc, self.state.instret) != self._skip:
                self.state.pc = pc
                self._halt(Stop(StopKind.BREAKPOINT, pc))
                pc = self.state.pc
                continue
            if not self.stepping:
                blk = blocks.get(pc) or interpreter.build_block(pc)
                bps = self.breakpoints
                if not bps or bps.isdisjoint(blk[5][1:]):
                    return pc
            stepped = self.stepping
            pc = self._step(pc, limit)
            if stepped and pc != EXIT_ADDR:
                self.state.pc = pc
                self._halt(Stop(StopKind.STEP, pc))
                pc = self.state.pc

    def _step(self, pc: int, limit: int) -> int:
        """Run the one instruction at ``pc``; the pc of the next one.

        Counts, budget check and fault settling are the interpreter's, for a block of one.
        """
        interpreter = self._interpreter
        state = self.state
        blk = interpreter.blocks.get(pc) or interpreter.build_block(pc)
        ops, term, n, _, _, pcs = blk
        before = state.instret
        try:
            if ops:
                ops[0]()
                state.instret = before + 1
                npc = pcs[1] if n > 1 else term()
            else:
                state.instret = before + 1
                npc = term()
        except Fault as fault:
            if fault.count is None:
                if not isinstance(fault, GuestExit):
                    state.instret = before
                state.pc = fault.pc
                fault.count = state.instret
                fault.symbol = state.program.symbolize(fault.pc)
            raise
        if npc <= pc and state.instret >= limit:
            state.pc = npc
            spent = BudgetExceeded(npc, detail=f"limit {limit}")
            spent.count = state.instret
            spent.symbol = state.program.symbolize(npc)
            raise spent
        return npc
