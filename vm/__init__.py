"""riscade's RISC-V machine: RV64GC user mode, deterministic, sandboxed.

Knows nothing of games or networks. Typical use::

    from vm import Machine
    m = Machine.from_file("mod.elf", hostcalls=registry)
    m.run_main()                # run main() to its exit; memory persists
    m.call("on_tick", 7)        # call exported functions again and again
    blob = m.snapshot()         # carry the state elsewhere; m.state_hash() to compare
"""

from .constants import EXIT_ADDR
from .elf import Program, load_elf
from .errors import (
    Breakpoint,
    BudgetExceeded,
    DebuggerKill,
    ElfError,
    Fault,
    FetchFault,
    GuestExit,
    GuestSignal,
    HostCallError,
    HostCallFault,
    HostCallUnknown,
    IllegalInstruction,
    LoadFault,
    SnapshotError,
    StoreFault,
    TranslationError,
    VMError,
)
from .gdbserver import GdbSession, serve_gdb
from .hostcalls import HOSTCALL_BASE, ArgKind, HostFunction, HostRegistry, Side
from .machine import Machine
from .memory import MachineLimits

#: Identifies the VM's observable semantics; machines with equal VM_ABI run programs alike.
#: Change it whenever a change to vm/ could make a program behave differently.
VM_ABI = "riscade-rv64gc/1"

__all__ = [
    "VM_ABI", "Machine", "MachineLimits", "Program", "load_elf", "EXIT_ADDR",
    "HOSTCALL_BASE", "ArgKind", "HostFunction", "HostRegistry", "Side",
    "VMError", "ElfError", "SnapshotError", "HostCallError", "Fault", "IllegalInstruction",
    "LoadFault", "StoreFault", "FetchFault", "HostCallUnknown", "HostCallFault",
    "BudgetExceeded", "GuestExit", "GuestSignal", "Breakpoint", "TranslationError",
    "DebuggerKill", "serve_gdb", "GdbSession",
]
