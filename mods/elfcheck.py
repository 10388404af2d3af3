"""Check that a built ELF is a mod the VM can load, and list the hooks it exports.

``exported_hooks`` checks what every mod must be (static RV64, no W+X segment, symbols,
hook names); ``check_limits`` checks that it fits the machine its mod.toml asks for, with
the VM's own loader (``vm.elf.load_elf``) and the VM's layout rule (``vm.memory.Memory``:
the loaded image, rounded up to a page, leaves room for the heap below the stack).
"""

from __future__ import annotations

import io
from typing import cast

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from vm.elf import PAGE, load_elf
from vm.errors import ElfError

from .errors import ElfCheckError
from .host_api import HOOKS

__all__ = ["ElfCheckError", "check_limits", "exported_hooks", "global_functions"]

_HOOK_NAMES = {hook.name for hook in HOOKS}
_PF_X, _PF_W = 1, 2
#: Zig's start-up code for the default std_options: 256 KiB of TLS and a sigaltstack call
#: whose failure Zig treats as unreachable.
_ZIG_SIGNAL_STACK = "Thread.maybeAttachSignalStack"


def global_functions(data: bytes) -> set[str]:
    """Names of the global (or weak) functions ``data`` defines.

    Raises:
        ElfCheckError: not a static, non-PIE RV64 little-endian executable without
            writable+executable segments; no symbol table; or Zig's signal stack (the
            build's root file supplies ``std_options = riscade.std_options``).
    """
    try:
        elf = ELFFile(io.BytesIO(data))
        header = elf.header
        if elf.elfclass != 64 or not elf.little_endian or header.e_machine != "EM_RISCV":
            raise ElfCheckError("not a little-endian 64-bit RISC-V ELF")
        if header.e_type != "ET_EXEC":
            raise ElfCheckError(f"ELF type {header.e_type}, expected a static ET_EXEC")
        for segment in elf.iter_segments():
            if segment["p_type"] in ("PT_INTERP", "PT_DYNAMIC"):
                raise ElfCheckError("dynamically linked (build with -static)")
            if segment["p_type"] == "PT_LOAD" and segment["p_flags"] & _PF_X and \
                    segment["p_flags"] & _PF_W:
                raise ElfCheckError("has a writable and executable segment")
        symtab = elf.get_section_by_name(".symtab")
        if symtab is None:
            raise ElfCheckError("no symbol table (was it stripped?)")
        symbols = list(cast(SymbolTableSection, symtab).iter_symbols())
    except ELFError as exc:
        raise ElfCheckError(f"unreadable ELF: {exc}") from None
    if any(s.name == _ZIG_SIGNAL_STACK for s in symbols):
        raise ElfCheckError("sets up a signal stack the VM cannot provide: the root file "
                            "must declare `pub const std_options = riscade.std_options;`")
    return {s.name for s in symbols
            if s["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK")
            and s["st_info"]["type"] == "STT_FUNC" and s["st_shndx"] != "SHN_UNDEF"}


def exported_hooks(data: bytes) -> tuple[str, ...]:
    """Hook names ``data`` exports as global functions, in ``HOOKS`` order.

    Raises:
        ElfCheckError: what ``global_functions`` refuses, or a global function named
            ``on_*`` that is not a hook (``on_`` is reserved for hooks, so a misspelt hook
            cannot go unnoticed; the build names its file:line, see ``mods.hookcheck``).
    """
    exported = global_functions(data)
    unknown = sorted(n for n in exported if n.startswith("on_") and n not in _HOOK_NAMES)
    if unknown:
        raise ElfCheckError(
            f"exports {', '.join(unknown)}, which {'is' if len(unknown) == 1 else 'are'} not "
            f"a hook (names starting with on_ are reserved for hooks: "
            f"{', '.join(h.name for h in HOOKS)})")
    return tuple(h.name for h in HOOKS if h.name in exported)


def check_limits(data: bytes, *, memory: int, stack: int) -> None:
    """Check that ``data`` loads into a machine of ``memory`` bytes with a ``stack``-byte
    stack (mod.toml ``[limits]``), as ``vm.Machine`` would.

    Raises:
        ElfCheckError: one line saying what does not fit (or what the loader refused).
    """
    try:
        program = load_elf(data, memory_limit=memory - stack)
    except ElfError as exc:
        raise ElfCheckError(f"cannot load with [limits] memory = {memory}, "
                            f"stack = {stack}: {exc}") from None
    image = (program.high + PAGE - 1) // PAGE * PAGE - program.low
    if image + stack >= memory:
        raise ElfCheckError(
            f"code and static data take {image} bytes: with the {stack}-byte stack that "
            f"is more than [limits] memory = {memory} (no room for a heap)")
