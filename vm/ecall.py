"""``ecall``: the guest's system calls (``vm.syscalls``) and host calls (``vm.hostcalls``).

A7 below ``HOSTCALL_BASE`` is a Linux syscall number, handled by ``SYSCALLS`` (unknown ones
return -ENOSYS and are counted); from ``HOSTCALL_BASE`` up it is a host function of the
machine's registry, called through an adapter generated for its signature on first use
(``vm.fastcall.host_adapter``) and kept in ``host_adapters``, which translated code also
reads to call a known host function without coming here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .constants import M
from .errors import HostCallUnknown
from .fastcall import HostAdapter, host_adapter
from .hostcalls import HOSTCALL_BASE
from .syscalls import ENOSYS, SYSCALLS

if TYPE_CHECKING:
    from .machine import Machine
    from .state import State

__all__ = ["EcallHandler"]


class EcallHandler:
    """Handles a machine's ``ecall``s: ``handle(pc) -> next pc``, result in a0.

    Syscalls and host functions are called with the machine (the façade), as their
    signatures say. The registry is fixed for the machine's life (it may still grow, and a
    number is never registered twice), so an adapter, once made, stays right.

    Args:
        machine: the machine (what syscalls and host functions are called with).
        state: its state.
        host_adapters: where to keep the adapter of each host call made so far, by a7
            (translated code reads them too).
    """

    def __init__(self, machine: Machine, state: State,
                 host_adapters: dict[int, HostAdapter]) -> None:
        self.machine = machine
        self.state = state
        self.host_adapters = host_adapters

    def handle(self, pc: int) -> int:
        """Run the ``ecall`` at ``pc``; return the next pc."""
        state = self.state
        x = state.x
        state.pc = pc
        adapter = self.host_adapters.get(x[17])
        if adapter is not None:  # a host call made before: the hot path
            x[10] = adapter(state, pc)
        else:
            x[10] = self._first(pc, x)
        return pc + 4

    def _first(self, pc: int, x: list[int]) -> int:
        """A syscall, or the first host call of its number (its adapter is made and kept)."""
        nr = x[17]
        machine = self.machine
        if nr >= HOSTCALL_BASE:
            fn = machine.hostcalls.lookup(nr - HOSTCALL_BASE)
            if fn is None:
                raise HostCallUnknown(pc, detail=f"number {nr - HOSTCALL_BASE}")
            adapter = self.host_adapters[nr] = host_adapter(fn, machine)
            return adapter(self.state, pc)
        handler = SYSCALLS.get(nr)
        if handler is None:
            machine.unknown_syscalls += 1
            return -ENOSYS & M
        return handler(machine, x[10], x[11], x[12], x[13], x[14], x[15]) & M
