"""A stand-in for ``vm.Machine`` on unicorn, so mod tests run before (and beside) the VM.

Only what the mod tests use: ``from_file(path, hostcalls=registry)``, ``run_main()``,
``call(name, *args)`` (ints and str/bytes, returns a0 as unsigned), ``stdout``. Host calls
follow ``vm.hostcalls`` (a7 = HOSTCALL_BASE + number, impl(machine, *decoded args)); a bad
guest pointer raises ``vm.errors.HostCallFault``. Linux syscalls cover what musl's and Zig's
start-up and stdio need. This is test scaffolding, not a second VM: no budgets, snapshots or
determinism guarantees.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from elftools.elf.elffile import ELFFile
from unicorn import UC_ARCH_RISCV, UC_HOOK_CODE, UC_HOOK_INTR, UC_MODE_RISCV64, Uc
from unicorn import riscv_const as rv

from vm.errors import GuestExit, HostCallFault, HostCallUnknown
from vm.hostcalls import HOSTCALL_BASE, ArgKind, HostRegistry, decode_int, encode_result

PAGE = 0x1000
STACK_TOP = 0x7FF0_0000
STACK_SIZE = 1 << 20
HEAP_SIZE = 8 << 20
EXIT_ADDR = 0xDEAD_0000  # mapped, holds no code: call() runs until pc reaches it
MAX_STR = 4096
MASK64 = (1 << 64) - 1
ENOSYS, ENOTTY = 38, 25

A_REGS = [rv.UC_RISCV_REG_A0 + i for i in range(8)]


def _up(n: int) -> int:
    return (n + PAGE - 1) & ~(PAGE - 1)


class UnicornMachine:
    """Loads a static RV64 ELF into unicorn; runs main and calls exported functions."""

    def __init__(self, elf: bytes, hostcalls: HostRegistry | None = None, *,
                 count_instructions: bool = False) -> None:
        self.hostcalls = hostcalls or HostRegistry()
        self.instructions = 0  # retired instructions, if count_instructions
        self.stdout = b""
        self.stderr = b""
        self.exit_status: int | None = None
        self.uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV64)
        self.symbols: dict[str, int] = {}
        self._load(elf)
        self.uc.hook_add(UC_HOOK_INTR, self._on_ecall)
        self.uc.reg_write(rv.UC_RISCV_REG_MSTATUS, 0x6000)  # FS = dirty: FPU on
        if count_instructions:
            self.uc.hook_add(UC_HOOK_CODE, self._count)

    def _count(self, uc: Uc, address: int, size: int, _: Any) -> None:
        self.instructions += 1

    @classmethod
    def from_file(cls, path: str | Path, hostcalls: HostRegistry | None = None,
                  **options: Any) -> UnicornMachine:
        return cls(Path(path).read_bytes(), hostcalls, **options)

    # -- loading -------------------------------------------------------------------------
    def _load(self, data: bytes) -> None:
        import io

        elf = ELFFile(io.BytesIO(data))
        self.entry = elf.header.e_entry
        self.phdr_addr, self.phnum = 0, elf.header.e_phnum
        end = 0
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        lo = min(s["p_vaddr"] for s in loads) & ~(PAGE - 1)
        hi = _up(max(s["p_vaddr"] + s["p_memsz"] for s in loads))
        self.uc.mem_map(lo, hi - lo)
        for seg in loads:
            self.uc.mem_write(seg["p_vaddr"], seg.data())
            if seg["p_offset"] == 0:
                self.phdr_addr = seg["p_vaddr"] + elf.header.e_phoff
            end = max(end, seg["p_vaddr"] + seg["p_memsz"])
        self.brk_start = self.brk = _up(end)
        self.uc.mem_map(self.brk_start, HEAP_SIZE)
        self.mmap_next = self.brk_start + HEAP_SIZE // 2
        self.mem_ranges = [(lo, hi), (self.brk_start, self.brk_start + HEAP_SIZE),
                           (STACK_TOP - STACK_SIZE, STACK_TOP)]
        self.uc.mem_map(STACK_TOP - STACK_SIZE, STACK_SIZE)
        self.uc.mem_map(EXIT_ADDR, PAGE)
        symtab = elf.get_section_by_name(".symtab")
        for sym in symtab.iter_symbols() if symtab else ():
            if sym["st_info"]["type"] == "STT_FUNC" and sym["st_info"]["bind"] != "STB_LOCAL":
                self.symbols[sym.name] = sym["st_value"]

    def _initial_stack(self) -> int:
        """argc=1, argv, envp, auxv as the Linux kernel lays them out."""
        name_addr = STACK_TOP - 64
        self.uc.mem_write(name_addr, b"mod\0")
        random_addr = STACK_TOP - 32
        self.uc.mem_write(random_addr, bytes(range(16)))
        auxv = [(3, self.phdr_addr), (4, 56), (5, self.phnum), (6, PAGE), (9, self.entry),
                (25, random_addr), (0, 0)]
        words = [1, name_addr, 0, 0] + [x for pair in auxv for x in pair]
        sp = (STACK_TOP - 256 - 8 * len(words)) & ~15
        self.uc.mem_write(sp, struct.pack(f"<{len(words)}Q", *words))
        return sp

    # -- running -------------------------------------------------------------------------
    def run_main(self) -> int:
        """Run from the entry point until the program exits; return the exit status."""
        self.uc.reg_write(rv.UC_RISCV_REG_SP, self._initial_stack())
        try:
            self.uc.emu_start(self.entry, EXIT_ADDR, count=50_000_000)
        except GuestExit as exc:
            self.exit_status = exc.status
        self.call_sp = STACK_TOP - STACK_SIZE // 2
        return self.exit_status if self.exit_status is not None else -1

    def call(self, name: str, *args: Any) -> int:
        """Call the exported function ``name``; return a0 as an unsigned 64-bit int."""
        sp = self.call_sp
        regs: list[int] = []
        for arg in args:
            if isinstance(arg, (str, bytes)):
                raw = arg.encode() if isinstance(arg, str) else arg
                sp = (sp - len(raw) - 1) & ~15
                self.uc.mem_write(sp, raw + b"\0")
                regs += [sp, len(raw)]
            else:
                regs.append(int(arg) & MASK64)
        for reg, value in zip(A_REGS, regs, strict=False):
            self.uc.reg_write(reg, value)
        self.uc.reg_write(rv.UC_RISCV_REG_SP, sp & ~15)
        self.uc.reg_write(rv.UC_RISCV_REG_RA, EXIT_ADDR)
        self.uc.emu_start(self.symbols[name], EXIT_ADDR, count=50_000_000)
        return self.uc.reg_read(rv.UC_RISCV_REG_A0) & MASK64

    # -- ecall ---------------------------------------------------------------------------
    def read_guest(self, addr: int, n: int) -> bytes:
        pc = self.uc.reg_read(rv.UC_RISCV_REG_PC)
        if n > MAX_STR or not any(lo <= addr and addr + n <= hi for lo, hi in self.mem_ranges):
            raise HostCallFault(pc, addr, f"bad guest buffer ({n} bytes)")
        return bytes(self.uc.mem_read(addr, n))

    def _on_ecall(self, uc: Uc, intno: int, _: Any) -> None:
        a = [uc.reg_read(r) for r in A_REGS]
        nr = a[7]
        if nr >= HOSTCALL_BASE:
            result = self._hostcall(nr - HOSTCALL_BASE, a)
        else:
            result = self._syscall(nr, a)
        uc.reg_write(rv.UC_RISCV_REG_A0, result & MASK64)

    def _hostcall(self, number: int, a: list[int]) -> int:
        fn = self.hostcalls.lookup(number)
        if fn is None:
            raise HostCallUnknown(self.uc.reg_read(rv.UC_RISCV_REG_PC), detail=str(number))
        args: list[Any] = []
        i = 0
        for _, kind in fn.params:
            if kind in (ArgKind.STR, ArgKind.BYTES):
                raw = self.read_guest(a[i], a[i + 1])
                args.append(raw.decode("utf-8", "replace") if kind is ArgKind.STR else raw)
                i += 2
            else:
                args.append(decode_int(kind, a[i]))
                i += 1
        return encode_result(fn.returns, fn.impl(self, *args))

    def _syscall(self, nr: int, a: list[int]) -> int:
        if nr in (93, 94):  # exit, exit_group
            raise GuestExit(self.uc.reg_read(rv.UC_RISCV_REG_PC), a[0] & 0xFF)
        if nr == 64:  # write
            return self._write(a[0], bytes(self.uc.mem_read(a[1], a[2])))
        if nr == 66:  # writev
            total = 0
            for k in range(a[2]):
                base, length = struct.unpack("<QQ", self.uc.mem_read(a[1] + 16 * k, 16))
                total += self._write(a[0], bytes(self.uc.mem_read(base, length)))
            return total
        if nr == 96:  # set_tid_address
            return 1
        if nr == 123:  # sched_getaffinity: one CPU (zig's malloc keeps one arena per CPU)
            self.uc.mem_write(a[2], (1).to_bytes(8, "little"))
            return 8
        if nr == 214:  # brk
            if self.brk_start <= a[0] <= self.brk_start + HEAP_SIZE // 2:
                self.brk = a[0]
            return self.brk
        if nr == 222:  # mmap (anonymous only), bump allocation
            addr, self.mmap_next = self.mmap_next, self.mmap_next + _up(a[1])
            return addr if self.mmap_next <= self.brk_start + HEAP_SIZE else -12
        if nr in (215, 134, 135):  # munmap, rt_sigaction, rt_sigprocmask
            return 0
        if nr == 29:  # ioctl
            return -ENOTTY
        return -ENOSYS

    def _write(self, fd: int, data: bytes) -> int:
        if fd == 1:
            self.stdout += data
        elif fd == 2:
            self.stderr += data
        return len(data)
