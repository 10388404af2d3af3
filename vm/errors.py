"""The one exception tree of the VM.

    VMError
    ├── ElfError                 the program file is not one we can load
    ├── SnapshotError            a snapshot is corrupt or belongs to another program
    ├── HostCallError            a host function was misused by the host (bad registration)
    ├── TranslationError         the translating engine generated code that does not compile
    ├── DebuggerKill             a debugger (gdb's kill) ended the program (``vm.debugger``)
    └── Fault                    the guest did something it may not do; carries pc and count
        ├── IllegalInstruction
        ├── LoadFault / StoreFault / FetchFault   (FetchFault: jump outside code or misaligned)
        ├── HostCallUnknown      ecall with a host-call number nobody registered
        ├── HostCallFault        a host function rejected the guest's arguments
        ├── Breakpoint           ebreak
        ├── GuestSignal          the guest killed itself (abort() raises SIGABRT)
        ├── BudgetExceeded       the instruction budget ran out (resumable)
        └── GuestExit            not an error: the guest called exit (carries the status)

A Fault's message names its kind, the pc, the nearest symbol and the instruction count, e.g.
``load fault at 0x10 (pc 0x11a4 <main+0x24>, after 1032 instructions)``.
"""

from __future__ import annotations

__all__ = [
    "VMError",
    "ElfError",
    "SnapshotError",
    "HostCallError",
    "TranslationError",
    "DebuggerKill",
    "Fault",
    "IllegalInstruction",
    "LoadFault",
    "StoreFault",
    "FetchFault",
    "HostCallUnknown",
    "HostCallFault",
    "BudgetExceeded",
    "GuestExit",
    "GuestSignal",
    "Breakpoint",
]


class VMError(Exception):
    """Root of every error the VM raises."""


class ElfError(VMError):
    """The program is not a static RV64 little-endian executable we can load."""


class SnapshotError(VMError):
    """A snapshot could not be restored: corrupt, truncated or from another program."""


class HostCallError(VMError):
    """The host registered or described a host function wrongly."""


class TranslationError(VMError):
    """Generated code failed to compile (a translator bug); ``source`` holds that code."""

    def __init__(self, message: str, source: str) -> None:
        super().__init__(message)
        self.source = source


class DebuggerKill(VMError):
    """The debugger's client killed the program: the run ends there, with no result."""

    def __str__(self) -> str:
        return "killed by the debugger"


class Fault(VMError):
    """The guest faulted. ``pc`` is the faulting instruction, ``addr`` the bad address if any.

    ``symbol`` and ``count`` are filled in by the machine before the fault reaches the caller:
    the nearest symbol with offset (``main+0x24``) and the retired-instruction count.
    """

    kind = "fault"
    #: The POSIX signal a native process would die of (``vm.cli``'s exit status, the signal
    #: ``vm.gdbstub`` reports): SIGSEGV unless a kind says otherwise.
    signal = 11

    def __init__(self, pc: int, addr: int | None = None, detail: str = "") -> None:
        self.pc = pc
        self.addr = addr
        self.detail = detail
        self.symbol: str | None = None
        self.count: int | None = None
        super().__init__()

    def __str__(self) -> str:
        where = f"pc 0x{self.pc:x}"
        if self.symbol:
            where += f" <{self.symbol}>"
        if self.count is not None:
            where += f", after {self.count} instructions"
        what = self.kind
        if self.addr is not None:
            what += f" at 0x{self.addr:x}"
        if self.detail:
            what += f": {self.detail}"
        return f"{what} ({where})"


class IllegalInstruction(Fault):
    kind = "illegal instruction"
    signal = 4  # SIGILL


class LoadFault(Fault):
    kind = "load fault"


class StoreFault(Fault):
    kind = "store fault"


class FetchFault(Fault):
    kind = "fetch fault"


class HostCallUnknown(Fault):
    kind = "unknown host call"
    signal = 31  # SIGSYS


class HostCallFault(Fault):
    kind = "host call fault"


class BudgetExceeded(Fault):
    """The budget ran out at a check point; ``machine.resume()`` goes on from ``pc``."""

    kind = "instruction budget exceeded"
    signal = 24  # SIGXCPU


class GuestExit(Fault):
    """Raised inside the run loop when the guest exits; ``status`` is its exit code."""

    kind = "exit"
    signal = 0

    def __init__(self, pc: int, status: int) -> None:
        super().__init__(pc, detail=f"status {status}")
        self.status = status


class Breakpoint(Fault):
    kind = "breakpoint"
    signal = 5  # SIGTRAP


class GuestSignal(Fault):
    """The guest sent itself a signal (``abort()`` does): it ends like a fatal fault."""

    kind = "killed by signal"

    def __init__(self, pc: int, signal: int) -> None:
        super().__init__(pc, detail=str(signal))
        self.signal = signal
