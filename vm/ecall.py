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

__all__ = ["EcallHandler"]


class EcallHandler:
    """Handles a machine's ``ecall``s: ``handler(pc) -> next pc``, result in a0.

    Syscalls and host functions are called with the machine (the façade), as their
    signatures say. The registry is fixed for the machine's life (it may still grow, and a
    number is never registered twice), so an adapter, once made, stays right.

    Attributes:
        host_adapters: the adapter of each host call made so far, by a7.
    """

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self.host_adapters: dict[int, HostAdapter] = {}

    def __call__(self, pc: int) -> int:
        machine = self.machine
        state = machine.state
        x = state.x
        state.pc = pc
        nr = x[17]
        adapter = self.host_adapters.get(nr)
        if adapter is not None:  # a host call made before: the hot path
            x[10] = adapter(state, pc)
        elif nr >= HOSTCALL_BASE:
            fn = machine.hostcalls.lookup(nr - HOSTCALL_BASE)
            if fn is None:
                raise HostCallUnknown(pc, detail=f"number {nr - HOSTCALL_BASE}")
            adapter = self.host_adapters[nr] = host_adapter(fn, machine)
            x[10] = adapter(state, pc)
        else:
            handler = SYSCALLS.get(nr)
            if handler is None:
                machine.unknown_syscalls += 1
                x[10] = -ENOSYS & M
            else:
                x[10] = handler(machine, x[10], x[11], x[12], x[13], x[14], x[15]) & M
        return pc + 4
