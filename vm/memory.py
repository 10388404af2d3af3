"""The guest's memory: one flat arena, its layout, and the brk/mmap page allocator.

Layout, from low to high addresses (``base`` is the first loaded page)::

    base ........ program segments (text, rodata | data, bss)     rw_start marks the '|'
    heap_start .. brk heap, grows up   ~~~ free pages ~~~   mmap, grows down
    stack_low ... stack, grows down from the top
    end

Loads are legal in ``[base, end)``, stores in ``[rw_start, end)``. Heap and mmap pages come
from one page map over ``[heap_start, stack_low)`` (one byte per page, 0 = free), so brk and
mmap share the space as on Linux and every allocation decision is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

from .elf import PAGE, Program
from .errors import ElfError

__all__ = ["MachineLimits", "Memory"]


@dataclass(frozen=True, kw_only=True)
class MachineLimits:
    """Every limit of a machine in one record, with safe defaults.

    Args:
        memory: bytes of guest address space, from the first loaded page to the top of stack.
        stack: bytes reserved for the stack at the top of memory.
        max_guest_str: the longest buffer a syscall or host call will read from the guest.
        max_output: bytes of stdout/stderr kept per stream when captured; the rest is dropped.
    """

    memory: int = 16 << 20
    stack: int = 1 << 20
    max_guest_str: int = 1 << 16
    max_output: int = 1 << 20

    def __post_init__(self) -> None:
        if self.memory % PAGE or self.stack % PAGE or self.stack <= 0 or self.memory <= 0:
            raise ValueError("memory and stack sizes must be positive multiples of 4096")


def _align_up(n: int) -> int:
    return (n + PAGE - 1) & ~(PAGE - 1)


class Memory:
    """Arena and allocator state of one machine."""

    def __init__(self, program: Program, limits: MachineLimits) -> None:
        self.base = program.low
        self.size = limits.memory
        self.end = self.base + self.size
        self.rw_start = program.rw_start
        self.heap_start = _align_up(program.high)
        self.stack_low = self.end - limits.stack
        if self.heap_start >= self.stack_low:
            raise ElfError(
                f"program needs {program.high - self.base} bytes: no room for heap and a "
                f"{limits.stack}-byte stack in {self.size} bytes of memory"
            )
        self.data = bytearray(self.size)
        for seg in program.segments:
            o = seg.vaddr - self.base
            self.data[o:o + len(seg.data)] = seg.data
        self.image = bytes(self.data)  # the loaded program, for snapshot diffs
        self.brk = self.heap_start
        self.pages = bytearray((self.stack_low - self.heap_start) // PAGE)

    # --- brk ---------------------------------------------------------------------------

    def set_brk(self, addr: int) -> int:
        """Move the program break to ``addr`` if possible; return the break now in force."""
        if addr == 0 or addr < self.heap_start:
            return self.brk
        old_pages = (_align_up(self.brk) - self.heap_start) // PAGE
        new_pages = (_align_up(addr) - self.heap_start) // PAGE
        if new_pages > len(self.pages):
            return self.brk
        if new_pages > old_pages:
            if any(self.pages[old_pages:new_pages]):
                return self.brk  # would run into an mmap region
            self.pages[old_pages:new_pages] = b"\x01" * (new_pages - old_pages)
        elif new_pages < old_pages:
            self.pages[new_pages:old_pages] = bytes(old_pages - new_pages)
            self._zero(self.heap_start + new_pages * PAGE, (old_pages - new_pages) * PAGE)
        if addr < self.brk:
            # Bytes given back below the last page must read as zero when re-grown.
            self._zero(addr, _align_up(addr) - addr)
        self.brk = addr
        return addr

    # --- mmap ----------------------------------------------------------------------------

    def mmap(self, length: int) -> int | None:
        """Map ``length`` zeroed bytes at the highest free run of pages; None if none fits."""
        if length <= 0 or length > len(self.pages) * PAGE:
            return None  # also keeps a huge guest length from allocating a huge bytes()
        n = _align_up(length) // PAGE
        i = self.pages.rfind(bytes(n))
        brk_pages = (_align_up(self.brk) - self.heap_start) // PAGE
        if i < 0 or i < brk_pages:
            return None
        self.pages[i:i + n] = b"\x01" * n
        return self.heap_start + i * PAGE

    def munmap(self, addr: int, length: int) -> bool:
        """Unmap the pages of ``[addr, addr+length)`` inside the mmap area; False if invalid."""
        if addr % PAGE or length <= 0:
            return False
        start = (addr - self.heap_start) // PAGE
        n = _align_up(length) // PAGE
        brk_pages = (_align_up(self.brk) - self.heap_start) // PAGE
        if start < brk_pages or start + n > len(self.pages):
            return False
        self.pages[start:start + n] = bytes(n)
        self._zero(addr, n * PAGE)
        return True

    def mremap(self, addr: int, old_length: int, new_length: int, may_move: bool) -> int | None:
        """Resize the mapping at ``addr``: in place if the pages after it are free, else by
        moving it (if ``may_move``); returns its address, or None when it cannot."""
        start = (addr - self.heap_start) // PAGE
        old_n = _align_up(old_length) // PAGE
        new_n = _align_up(new_length) // PAGE
        brk_pages = (_align_up(self.brk) - self.heap_start) // PAGE
        if (addr % PAGE or old_n <= 0 or new_n <= 0 or start < brk_pages
                or start + old_n > len(self.pages)
                or self.pages[start:start + old_n].count(0)):
            return None
        if new_n <= old_n:
            if new_n < old_n:
                self.munmap(addr + new_n * PAGE, (old_n - new_n) * PAGE)
            return addr
        grow = new_n - old_n
        tail = start + old_n
        if tail + grow <= len(self.pages) and not any(self.pages[tail:tail + grow]):
            self.pages[tail:tail + grow] = b"\x01" * grow
            return addr
        if not may_move:
            return None
        moved = self.mmap(new_n * PAGE)
        if moved is None:
            return None
        self.write(moved, self.read(addr, old_n * PAGE))
        self.munmap(addr, old_n * PAGE)
        return moved

    def _zero(self, addr: int, n: int) -> None:
        o = addr - self.base
        self.data[o:o + n] = bytes(n)

    # --- checked access for syscalls and host calls ----------------------------------------

    def readable(self, addr: int, n: int) -> bool:
        """True if ``n`` bytes at ``addr`` may be read by the guest."""
        return self.base <= addr and addr + n <= self.end and n >= 0

    def writable(self, addr: int, n: int) -> bool:
        """True if ``n`` bytes at ``addr`` may be written by the guest."""
        return self.rw_start <= addr and addr + n <= self.end and n >= 0

    def read(self, addr: int, n: int) -> bytes:
        """Bytes at ``addr`` (caller has checked ``readable``)."""
        o = addr - self.base
        return bytes(self.data[o:o + n])

    def write(self, addr: int, blob: bytes) -> None:
        """Store ``blob`` at ``addr`` (caller has checked ``writable``)."""
        o = addr - self.base
        self.data[o:o + len(blob)] = blob
