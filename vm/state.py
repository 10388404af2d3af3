"""A machine's run-time state: what every engine reads and writes while guest code runs.

``State`` holds the registers (``x``, ``f``), ``pc``, the counters (``instret``; budgets are
limits on it), ``fflags``/``frm`` and their CSRs, the LR/SC reservation, the guest memory arena
(``mem`` and its geometry) and the stack of saved call frames, with the one implementation of
pushing and popping a frame. The reference interpreter (``vm.interpreter``), the translator
(``vm.translator``), the call fast paths (``vm.fastcall``) and the ``Machine`` façade share one
``State`` per machine through these public attributes and methods.

The engines run hot loops over it: its attributes are plain instance attributes (no
properties), and ``x``, ``f`` and ``frames`` are never rebound (they change in place), so
generated code and closures may hold them.
"""

from __future__ import annotations

from collections.abc import Callable

from .elf import Program
from .errors import IllegalInstruction
from .memory import Memory

__all__ = ["State", "Frame", "CSR_FFLAGS", "CSR_FRM", "CSR_FCSR", "CSR_COUNTERS"]

#: A caller's saved frame: its integer registers, float registers and pc.
Frame = tuple[list[int], list[int], int]

CSR_FFLAGS, CSR_FRM, CSR_FCSR = 0x001, 0x002, 0x003
#: cycle, time and instret: all three count retired instructions (virtual, deterministic).
CSR_COUNTERS = (0xC00, 0xC01, 0xC02)


def _no_ecall(pc: int) -> int:
    raise AssertionError("this state has no ecall handler")


class State:
    """Registers, pc, counters, CSRs, memory and call frames of one machine.

    Args:
        program: the program the machine runs (its entry is the first pc; its symbols name
            faults).
        memory: the machine's guest memory.
        ecall: the handler of ``ecall`` (syscalls and host calls): ``ecall(pc) -> next pc``;
            the owner may set it later (``vm.ecall``'s handler needs the state first).

    Attributes:
        x: x0..x31 and a scratch slot (x[32]); x[0] stays 0.
        f: f0..f31 as raw 64-bit patterns.
        pc: the pc of the next instruction to run (kept up to date at sync points and stops).
        instret: instructions retired so far.
        frames: the callers' frames of the calls in progress (see ``push_frame``).
        mem, base, size, rw_off: the memory arena, its first address, its size, and the
            offset in it of the first writable byte.
    """

    def __init__(self, program: Program, memory: Memory,
                 ecall: Callable[[int], int] | None = None) -> None:
        self.program = program
        self.memory = memory
        self.mem = memory.data
        self.base = memory.base
        self.size = memory.size
        self.rw_off = memory.rw_start - memory.base
        self.ecall: Callable[[int], int] = ecall or _no_ecall
        self.x = [0] * 33
        self.f = [0] * 32
        self.pc = program.entry
        self.instret = 0
        self.fflags = 0
        self.frm = 0
        self.reservation: int | None = None
        self.frames: list[Frame] = []

    # --- call frames -------------------------------------------------------------------------

    def push_frame(self) -> None:
        """Save the caller's registers and pc before a call from the host changes them."""
        self.frames.append((self.x[:], self.f[:], self.pc))

    def pop_frame(self) -> None:
        """Restore the registers and pc saved by the matching ``push_frame``; the call is over
        (a reservation does not outlive it)."""
        saved_x, saved_f, saved_pc = self.frames.pop()
        self.x[:] = saved_x
        self.f[:] = saved_f
        self.pc = saved_pc
        self.reservation = None

    # --- CSRs ----------------------------------------------------------------------------------

    def read_csr(self, csr: int) -> int:
        """Value of a user-level CSR (the counters are virtual: retired instructions)."""
        if csr == CSR_FFLAGS:
            return self.fflags
        if csr == CSR_FRM:
            return self.frm
        if csr == CSR_FCSR:
            return (self.frm << 5) | self.fflags
        if csr in CSR_COUNTERS:
            return self.instret - 1  # instructions retired before this one
        raise IllegalInstruction(self.pc, detail=f"csr 0x{csr:x}")

    def write_csr(self, csr: int, value: int) -> None:
        """Write fflags, frm or fcsr (only the defined bits are kept)."""
        if csr == CSR_FFLAGS:
            self.fflags = value & 0x1F
        elif csr == CSR_FRM:
            self.frm = value & 7
        elif csr == CSR_FCSR:
            self.fflags = value & 0x1F
            self.frm = (value >> 5) & 7
