"""Decoder legality: every compressed parcel, and random 32-bit words, decode to a real
instruction exactly when unicorn (QEMU's RISC-V) executes them, apart from encodings the spec
reserves and QEMU 5.0 still accepts (the VM must reject those)."""

from __future__ import annotations

import random
import struct

import pytest

from tests.vm.unicorn_oracle import HAVE_UNICORN
from vm.decoder import decode

CODE = 0x10000
DATA = 0x20000

class _Legality:
    """Runs one instruction under unicorn and says whether it trapped as illegal (cause 2)."""

    def __init__(self) -> None:
        import unicorn
        from unicorn import riscv_const as rc

        self.unicorn, self.rc = unicorn, rc
        uc = unicorn.Uc(unicorn.UC_ARCH_RISCV, unicorn.UC_MODE_RISCV64)
        uc.mem_map(0, 0x1000)  # mtvec: a trap lands here and the hook stops
        uc.mem_map(CODE, 0x1000)
        uc.mem_map(DATA, 0x10000)
        uc.reg_write(rc.UC_RISCV_REG_MSTATUS, 0x6000)
        uc.hook_add(unicorn.UC_HOOK_INTR, self._trap)
        self.uc, self.traps = uc, []

    def _trap(self, uc, cause: int, _data: object) -> None:
        self.traps.append(cause)
        uc.emu_stop()

    def legal(self, code: bytes) -> bool:
        uc, rc = self.uc, self.rc
        self.traps.clear()
        for r in range(1, 32):
            uc.reg_write(rc.UC_RISCV_REG_X0 + r, DATA + 0x800)
        uc.reg_write(rc.UC_RISCV_REG_FRM, 0)
        uc.mem_write(CODE, code)
        try:
            uc.emu_start(CODE, CODE + len(code))
        except self.unicorn.UcError as exc:
            if exc.errno == self.unicorn.UC_ERR_INSN_INVALID:
                return False
        return not (self.traps and self.traps[0] == 2)


def _vm_legal(lo: int, hi: int = 0) -> bool:
    return decode(lo, hi).op != "illegal"


@pytest.mark.skipif(not HAVE_UNICORN, reason="unicorn is not installed")
def test_every_compressed_parcel_is_legal_exactly_when_unicorn_says_so() -> None:
    """All 49152 16-bit parcels (control transfers left out: they run on into other code).

    unicorn (QEMU 5.0) accepts two groups the spec reserves; the VM must reject those."""
    oracle = _Legality()
    disagree = []
    for h in range(1 << 16):
        quadrant, f3 = h & 3, h >> 13
        if quadrant == 3 or (quadrant == 1 and f3 >= 5):
            continue  # not compressed; c.j, c.beqz, c.bnez
        if quadrant == 2 and f3 == 4 and (h >> 2) & 31 == 0:
            continue  # c.jr, c.jalr, c.ebreak
        # Quadrant 0 funct3 100, and CA-format funct6 100111 with funct2 1x (RV64C).
        reserved_by_spec = (quadrant == 0 and f3 == 4) or (h & 0xFC43) == 0x9C41
        vm = _vm_legal(h)
        if reserved_by_spec:
            assert not vm, hex(h)
        elif vm != oracle.legal(struct.pack("<H", h)):
            disagree.append(hex(h))
    assert not disagree, disagree[:20]


@pytest.mark.skipif(not HAVE_UNICORN, reason="unicorn is not installed")
def test_random_32bit_words_are_legal_exactly_when_unicorn_says_so() -> None:
    """Random words of every major opcode except control transfers and SYSTEM (unicorn runs
    in machine mode, where more CSRs and system instructions exist)."""
    oracle = _Legality()
    r = random.Random(5)
    opcodes = [0x03, 0x07, 0x0B, 0x0F, 0x13, 0x17, 0x1B, 0x1F, 0x23, 0x27, 0x2B, 0x2F, 0x33,
               0x37, 0x3B, 0x3F, 0x43, 0x47, 0x4B, 0x4F, 0x53, 0x57, 0x5B, 0x77, 0x7B]
    disagree = []
    for _ in range(20000):
        w = (r.getrandbits(25) << 7) | r.choice(opcodes)
        if r.random() < 0.7:
            w &= ~(r.getrandbits(7) << 25)  # clear funct7 bits: more valid-looking words
        if _vm_legal(w & 0xFFFF, w >> 16) != oracle.legal(struct.pack("<I", w)):
            disagree.append(hex(w))
    assert not disagree, disagree[:20]
