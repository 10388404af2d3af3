"""Unicorn (QEMU's RISC-V) as an independent oracle: run raw code, read the registers back.

Known ways in which unicorn 2.1 (QEMU 5.0) differs from the ratified F/D spec, so callers
must not compare these:
- single-precision results are not NaN-boxed (the upper 32 bits of the f register are 0);
- single-precision inputs are not checked for NaN-boxing (an unboxed value is used as is);
- fmin/fmax with one signalling-NaN operand return the canonical NaN (IEEE 754-2008
  minNum) where the spec (since v2.2, minimumNumber) returns the other operand.
"""

from __future__ import annotations

from dataclasses import dataclass

try:
    import unicorn
    from unicorn import riscv_const as rc
except ImportError:  # pragma: no cover - unicorn is a test dependency
    unicorn = None

__all__ = ["HAVE_UNICORN", "UcResult", "run_unicorn"]

HAVE_UNICORN = unicorn is not None

MSTATUS_FS_DIRTY = 0x6000
PAGE = 0x1000


@dataclass
class UcResult:
    x: list[int]
    f: list[int]
    fflags: int
    frm: int
    pc: int
    memory: dict[int, bytes]


def _page_range(addr: int, size: int) -> tuple[int, int]:
    start = addr & ~(PAGE - 1)
    end = (addr + max(size, 1) + PAGE - 1) & ~(PAGE - 1)
    return start, end - start


def run_unicorn(
    code: bytes,
    *,
    code_addr: int = 0x10000,
    until: int | None = None,
    x: dict[int, int] | list[int] | None = None,
    f: dict[int, int] | list[int] | None = None,
    frm: int = 0,
    fflags: int = 0,
    regions: dict[int, bytes] | None = None,
    count: int = 0,
) -> UcResult:
    """Run ``code`` at ``code_addr`` until ``until`` (default: its end) and return the state.

    ``regions`` maps addresses to initial bytes of extra writable memory; their final bytes
    are returned in ``memory``.
    """
    if unicorn is None:
        raise RuntimeError("unicorn is not installed")
    uc = unicorn.Uc(unicorn.UC_ARCH_RISCV, unicorn.UC_MODE_RISCV64)
    mapped: list[tuple[int, int]] = []

    def map_range(addr: int, size: int) -> None:
        start, length = _page_range(addr, size)
        for page in range(start, start + length, PAGE):
            if not any(a <= page < a + n for a, n in mapped):
                uc.mem_map(page, PAGE)
                mapped.append((page, PAGE))

    map_range(code_addr, len(code))
    uc.mem_write(code_addr, code)
    for addr, blob in (regions or {}).items():
        map_range(addr, len(blob))
        uc.mem_write(addr, blob)
    uc.reg_write(rc.UC_RISCV_REG_MSTATUS, MSTATUS_FS_DIRTY)
    xs = dict(enumerate(x)) if isinstance(x, list) else (x or {})
    fs = dict(enumerate(f)) if isinstance(f, list) else (f or {})
    for r, v in xs.items():
        if 1 <= r < 32:
            uc.reg_write(rc.UC_RISCV_REG_X0 + r, v & ((1 << 64) - 1))
    for r, v in fs.items():
        uc.reg_write(rc.UC_RISCV_REG_F0 + r, v)
    uc.reg_write(rc.UC_RISCV_REG_FRM, frm)
    uc.reg_write(rc.UC_RISCV_REG_FFLAGS, fflags)
    uc.emu_start(code_addr, code_addr + len(code) if until is None else until, count=count)
    return UcResult(
        x=[uc.reg_read(rc.UC_RISCV_REG_X0 + r) for r in range(32)],
        f=[uc.reg_read(rc.UC_RISCV_REG_F0 + r) for r in range(32)],
        fflags=uc.reg_read(rc.UC_RISCV_REG_FFLAGS),
        frm=uc.reg_read(rc.UC_RISCV_REG_FRM),
        pc=uc.reg_read(rc.UC_RISCV_REG_PC),
        memory={addr: bytes(uc.mem_read(addr, len(blob)))
                for addr, blob in (regions or {}).items()},
    )
