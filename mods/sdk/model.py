"""What every SDK renderer reads: the ``Sdk`` record and the calling-convention text.

A leaf of ``mods.sdk``: the renderers (``c``, ``zig``, ``nim``) import it, and the package
imports the renderers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vm.hostcalls import HostFunction, HostRegistry

from ..host_api import CONSTANTS, HOOKS, HOST_API, Constant, Hook

__all__ = ["Sdk", "CONVENTION"]


@dataclass(frozen=True)
class Sdk:
    """What the renderers need: the functions, hooks and constants, and the ABI hash."""

    functions: tuple[HostFunction, ...]
    hooks: tuple[Hook, ...]
    constants: tuple[Constant, ...]
    abi_hash: str

    @classmethod
    def of(cls, api: HostRegistry = HOST_API, hooks: Sequence[Hook] = HOOKS,
           constants: Sequence[Constant] = CONSTANTS) -> Sdk:
        return cls(tuple(api.functions()), tuple(hooks), tuple(constants), api.abi_hash())


CONVENTION = (
    "Calling convention: a7 = HOSTCALL_BASE + number; arguments in a0..a6 in order (a str\n"
    "or bytes argument takes two registers, pointer then length; floats travel as their\n"
    "bit patterns); the result comes back in a0 and no other register changes. A bad\n"
    "pointer faults the mod (HostCallFault), it never reaches the game."
)
