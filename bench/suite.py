"""The kernels: one C source each (bench/kernels/*.c), mirrored in Lua and Python.

Each kernel takes a size and returns a checksum that every runtime must reproduce exactly
(the float kernel's too: no fused multiply-adds anywhere). Sizes are chosen so that the
riscade interpreter retires about 1-3 million instructions per full-size call.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KERNELS", "Kernel", "by_name"]


@dataclass(frozen=True, slots=True)
class Kernel:
    """One benchmark kernel.

    Attributes:
        name: short name; also the file stem in kernels/ and kernels/lua/.
        symbol: the exported C function, ``int64_t f(int64_t size)`` (or ``double``).
        returns: ``int`` or ``float``: the checksum's type.
        size: the size of a full run; ``quick_size`` that of ``--quick``.
        what: one line for the table's legend.
    """

    name: str
    symbol: str
    returns: type
    size: int
    quick_size: int
    what: str


KERNELS: tuple[Kernel, ...] = (
    Kernel("fib", "bench_fib", int, 25, 12, "recursive fib(n): calls and returns"),
    Kernel("loop", "bench_loop", int, 300_000, 2_000,
           "integer loop: LCG, shifts, masks, a branch per iteration"),
    Kernel("mixed", "bench_mixed", int, 600, 4,
           "CoreMark-like: linked list, 8x8 matrix, state machine, CRC-16"),
    Kernel("nbody", "bench_nbody", float, 2_000, 20, "n-body, 5 bodies, doubles and sqrt"),
    Kernel("strings", "bench_strings", int, 200, 3,
           "memmove, memset, byte hash, memchr, memcmp over 4 KiB"),
)


def by_name(name: str) -> Kernel:
    """The kernel called ``name``; KeyError if there is none."""
    for kernel in KERNELS:
        if kernel.name == name:
            return kernel
    raise KeyError(name)
