"""vm.fpu against unicorn (QEMU's softfloat) and against the RISC-V spec by hand.

Each oracle test encodes one F/D instruction, runs it alone on a unicorn RV64 hart with the
operands in f1, f2, f3 (or x10), and compares the destination (f4 or x11) and fflags with vm.fpu,
over cross products of hand-picked edge values and over seeded random operands, in every
rounding mode. A further test checks the RNE fast paths against the exact paths on many more
operands, and the spec tests at the end need no oracle.

unicorn 2.1.4 is QEMU 5.0 and predates parts of the current F/D spec. Where it disagrees the
oracle tests skip those inputs and the spec tests below check them by hand:

- it neither checks the NaN-boxing of single operands (it reads the low 32 bits) nor NaN-boxes
  single results (arithmetic leaves the upper bits zero, FMV.W.X copies all 64 bits of the x
  register), so oracle operands are always boxed and only the low 32 bits of a single result are
  compared (vm.fpu's boxing is checked separately);
- FMIN/FMAX follow IEEE 754-2008 minNum/maxNum: a signalling NaN operand gives the canonical
  NaN, where RISC-V F 2.2 (minimumNumber) returns the other operand;
- FMA with multiplicands inf and 0 and a quiet-NaN addend does not raise NV, which the spec
  requires.
"""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pytest

from vm import fpu

try:
    import unicorn
    from unicorn import riscv_const as rc
except ImportError:  # the oracle tests skip; the others still run
    unicorn = None

S, D = 0, 1
RMS = (fpu.RNE, fpu.RTZ, fpu.RDN, fpu.RUP, fpu.RMM)
BOX = 0xFFFFFFFF00000000
M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF

# ----------------------------------------------------------------------------------------------
# Encoding (OP-FP and the four R4 fused opcodes)

# OP-FP funct5 values (funct7 = funct5 << 2 | fmt).
F_ADD = 0x00
F_SUB = 0x01
F_MUL = 0x02
F_DIV = 0x03
F_SGNJ = 0x04  # funct3: 0 J, 1 JN, 2 JX
F_MINMAX = 0x05  # funct3: 0 MIN, 1 MAX
F_CVT_FF = 0x08  # FCVT.S.D (rs2 = 1) / FCVT.D.S (rs2 = 0)
F_SQRT = 0x0B
F_CMP = 0x14  # funct3: 0 LE, 1 LT, 2 EQ
F_CVT_IF = 0x18  # FCVT.{W,WU,L,LU}.fmt: rs2 selects the integer type
F_CVT_FI = 0x1A  # FCVT.fmt.{W,WU,L,LU}
F_MV_XF = 0x1C  # funct3: 0 FMV.X.W, 1 FCLASS
F_MV_FX = 0x1E  # FMV.W.X
OP_FMADD, OP_FMSUB, OP_FNMSUB, OP_FNMADD = 0x43, 0x47, 0x4B, 0x4F
RA, RB, RC, RD = 1, 2, 3, 4  # f registers: operands, destination
XS, XD = 10, 11  # x registers: integer source, integer destination


def op_fp(funct5: int, fmt: int, rs2: int, rs1: int, funct3: int, rd: int) -> int:
    """An OP-FP (0x53) R-type instruction word."""
    funct7 = (funct5 << 2) | fmt
    return (funct7 << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | 0x53


def r4(opcode: int, fmt: int, rs3: int, rs2: int, rs1: int, rm: int, rd: int) -> int:
    """An R4-type fused multiply-add instruction word."""
    return (rs3 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | opcode


def test_encoder_matches_known_words() -> None:
    # Words as the LLVM assembler (python -m ziglang cc) encodes them.
    assert op_fp(F_ADD, D, 2, 1, 0, 4) == 0x02208253  # fadd.d f4, f1, f2, rne
    assert op_fp(F_CVT_IF, S, 1, 1, 1, 11) == 0xC01095D3  # fcvt.wu.s a1, f1, rtz
    assert r4(OP_FMADD, D, 3, 2, 1, 7, 4) == 0x1A20F243  # fmadd.d f4, f1, f2, f3, dyn
    assert r4(OP_FNMADD, S, 3, 2, 1, 4, 4) == 0x1820C24F  # fnmadd.s f4, f1, f2, f3, rmm
    assert op_fp(F_MV_XF, D, 0, 1, 1, 11) == 0xE20095D3  # fclass.d a1, f1
    assert op_fp(F_CVT_FF, S, 1, 1, 3, 4) == 0x4010B253  # fcvt.s.d f4, f1, rup
    assert op_fp(F_CVT_FI, D, 3, 10, 2, 4) == 0xD2352253  # fcvt.d.lu f4, a0, rdn
    assert op_fp(F_MV_FX, S, 0, 10, 0, 4) == 0xF0050253  # fmv.w.x f4, a0
    assert op_fp(F_CMP, S, 2, 1, 0, 11) == 0xA02085D3  # fle.s a1, f1, f2


# ----------------------------------------------------------------------------------------------
# The oracle


class Hart:
    """One unicorn RV64 hart that runs a single instruction at a time."""

    BASE = 0x10000
    SIZE = 0x100000

    def __init__(self) -> None:
        self.uc = unicorn.Uc(unicorn.UC_ARCH_RISCV, unicorn.UC_MODE_RISCV64)
        self.uc.mem_map(self.BASE, self.SIZE)
        self.uc.reg_write(rc.UC_RISCV_REG_MSTATUS, 0x6000)  # FS = dirty: FP enabled
        self.slots: dict[int, int] = {}
        self.fregs = [getattr(rc, f"UC_RISCV_REG_F{i}") for i in range(32)]
        self.xregs = [getattr(rc, f"UC_RISCV_REG_X{i}") for i in range(32)]

    def _slot(self, word: int) -> int:
        # One address per distinct word, so translated blocks never go stale.
        addr = self.slots.get(word)
        if addr is None:
            addr = self.BASE + 4 * len(self.slots)
            assert addr + 4 <= self.BASE + self.SIZE
            self.uc.mem_write(addr, struct.pack("<I", word))
            self.slots[word] = addr
        return addr

    def run(self, word: int, fsrc: Sequence[int] = (), xsrc: int = 0) -> tuple[int, int, int]:
        """Run ``word`` with f1.. = fsrc and x10 = xsrc; return (f4, x11, fflags)."""
        uc = self.uc
        for i, v in enumerate(fsrc):
            uc.reg_write(self.fregs[RA + i], v)
        uc.reg_write(self.xregs[XS], xsrc)
        uc.reg_write(self.fregs[RD], 0)
        uc.reg_write(self.xregs[XD], 0)
        uc.reg_write(rc.UC_RISCV_REG_FFLAGS, 0)
        addr = self._slot(word)
        uc.emu_start(addr, addr + 4)
        return (
            uc.reg_read(self.fregs[RD]),
            uc.reg_read(self.xregs[XD]),
            uc.reg_read(rc.UC_RISCV_REG_FFLAGS),
        )


@pytest.fixture(scope="module")
def hart() -> Hart:
    if unicorn is None:
        pytest.skip("unicorn is not installed (pip install .[test])")
    return Hart()


# ----------------------------------------------------------------------------------------------
# Operation table: how to encode each operation and how to call vm.fpu for it


@dataclass(frozen=True)
class Op:
    """One instruction family: its operands, encoder and vm.fpu call."""

    name: str
    nf: int  # number of f-register operands
    encode: Callable[[int, int], int]  # (fmt, rm) -> word
    call: Callable[[int, int, Sequence[int], int], tuple[int, int]]  # (fmt, rm, f, x)
    rounds: bool = True  # takes a rounding mode
    int_dst: bool = False  # result goes to x11
    formats: tuple[int, int] | None = None  # (source, result) formats when not fmt


ARITH = [
    Op("fadd", 2, lambda fm, rm: op_fp(F_ADD, fm, RB, RA, rm, RD),
       lambda fm, rm, f, x: fpu.fadd(fm, f[0], f[1], rm)),
    Op("fsub", 2, lambda fm, rm: op_fp(F_SUB, fm, RB, RA, rm, RD),
       lambda fm, rm, f, x: fpu.fsub(fm, f[0], f[1], rm)),
    Op("fmul", 2, lambda fm, rm: op_fp(F_MUL, fm, RB, RA, rm, RD),
       lambda fm, rm, f, x: fpu.fmul(fm, f[0], f[1], rm)),
    Op("fdiv", 2, lambda fm, rm: op_fp(F_DIV, fm, RB, RA, rm, RD),
       lambda fm, rm, f, x: fpu.fdiv(fm, f[0], f[1], rm)),
    Op("fsqrt", 1, lambda fm, rm: op_fp(F_SQRT, fm, 0, RA, rm, RD),
       lambda fm, rm, f, x: fpu.fsqrt(fm, f[0], rm)),
]  # fmt: skip
FUSED = [
    Op("fmadd", 3, lambda fm, rm: r4(OP_FMADD, fm, RC, RB, RA, rm, RD),
       lambda fm, rm, f, x: fpu.fmadd(fm, f[0], f[1], f[2], rm)),
    Op("fmsub", 3, lambda fm, rm: r4(OP_FMSUB, fm, RC, RB, RA, rm, RD),
       lambda fm, rm, f, x: fpu.fmsub(fm, f[0], f[1], f[2], rm)),
    Op("fnmsub", 3, lambda fm, rm: r4(OP_FNMSUB, fm, RC, RB, RA, rm, RD),
       lambda fm, rm, f, x: fpu.fnmsub(fm, f[0], f[1], f[2], rm)),
    Op("fnmadd", 3, lambda fm, rm: r4(OP_FNMADD, fm, RC, RB, RA, rm, RD),
       lambda fm, rm, f, x: fpu.fnmadd(fm, f[0], f[1], f[2], rm)),
]  # fmt: skip
NONROUNDING = [
    Op("fmin", 2, lambda fm, rm: op_fp(F_MINMAX, fm, RB, RA, 0, RD),
       lambda fm, rm, f, x: fpu.fmin(fm, f[0], f[1]), rounds=False),
    Op("fmax", 2, lambda fm, rm: op_fp(F_MINMAX, fm, RB, RA, 1, RD),
       lambda fm, rm, f, x: fpu.fmax(fm, f[0], f[1]), rounds=False),
    Op("fsgnj", 2, lambda fm, rm: op_fp(F_SGNJ, fm, RB, RA, 0, RD),
       lambda fm, rm, f, x: (fpu.fsgnj(fm, f[0], f[1]), 0), rounds=False),
    Op("fsgnjn", 2, lambda fm, rm: op_fp(F_SGNJ, fm, RB, RA, 1, RD),
       lambda fm, rm, f, x: (fpu.fsgnjn(fm, f[0], f[1]), 0), rounds=False),
    Op("fsgnjx", 2, lambda fm, rm: op_fp(F_SGNJ, fm, RB, RA, 2, RD),
       lambda fm, rm, f, x: (fpu.fsgnjx(fm, f[0], f[1]), 0), rounds=False),
    Op("feq", 2, lambda fm, rm: op_fp(F_CMP, fm, RB, RA, 2, XD),
       lambda fm, rm, f, x: fpu.feq(fm, f[0], f[1]), rounds=False, int_dst=True),
    Op("flt", 2, lambda fm, rm: op_fp(F_CMP, fm, RB, RA, 1, XD),
       lambda fm, rm, f, x: fpu.flt(fm, f[0], f[1]), rounds=False, int_dst=True),
    Op("fle", 2, lambda fm, rm: op_fp(F_CMP, fm, RB, RA, 0, XD),
       lambda fm, rm, f, x: fpu.fle(fm, f[0], f[1]), rounds=False, int_dst=True),
    Op("fclass", 1, lambda fm, rm: op_fp(F_MV_XF, fm, 0, RA, 1, XD),
       lambda fm, rm, f, x: (fpu.fclass(fm, f[0]), 0), rounds=False, int_dst=True),
]  # fmt: skip
INT_NAMES = {(True, 32): "w", (False, 32): "wu", (True, 64): "l", (False, 64): "lu"}
INT_KINDS = {(True, 32): 0, (False, 32): 1, (True, 64): 2, (False, 64): 3}


def cvt_to_int_op(signed: bool, width: int) -> Op:
    kind = INT_KINDS[signed, width]
    return Op(
        f"fcvt.{INT_NAMES[signed, width]}",
        1,
        lambda fm, rm: op_fp(F_CVT_IF, fm, kind, RA, rm, XD),
        lambda fm, rm, f, x: fpu.fcvt_to_int(fm, f[0], rm, signed, width),
        int_dst=True,
    )


def cvt_from_int_op(signed: bool, width: int) -> Op:
    kind = INT_KINDS[signed, width]
    return Op(
        f"fcvt.from.{INT_NAMES[signed, width]}",
        0,
        lambda fm, rm: op_fp(F_CVT_FI, fm, kind, XS, rm, RD),
        lambda fm, rm, f, x: fpu.fcvt_from_int(fm, x, rm, signed, width),
    )


INT_FORMS = [(True, 32), (False, 32), (True, 64), (False, 64)]
CVT_TO_INT = [cvt_to_int_op(s, w) for s, w in INT_FORMS]
CVT_FROM_INT = [cvt_from_int_op(s, w) for s, w in INT_FORMS]
FCVT_S_D = Op("fcvt.s.d", 1, lambda fm, rm: op_fp(F_CVT_FF, S, 1, RA, rm, RD),
              lambda fm, rm, f, x: fpu.fcvt_s_d(f[0], rm), formats=(D, S))  # fmt: skip
FCVT_D_S = Op("fcvt.d.s", 1, lambda fm, rm: op_fp(F_CVT_FF, D, 0, RA, rm, RD),
              lambda fm, rm, f, x: fpu.fcvt_d_s(f[0]), formats=(S, D))  # fmt: skip


# ----------------------------------------------------------------------------------------------
# Operand values

W = (32, 64)
FB = (23, 52)
EB = (8, 11)
BIAS = (127, 1023)


def make(fmt: int, sign: int, exp: int, frac: int) -> int:
    """Raw format bits from fields."""
    return (sign << (W[fmt] - 1)) | (exp << FB[fmt]) | frac


def box(fmt: int, bits: int) -> int:
    return bits if fmt else BOX | bits


def fbits(fmt: int, x: float) -> int:
    """Raw bits of a Python float in the format (must be exact for S)."""
    if fmt:
        return struct.unpack("<Q", struct.pack("<d", x))[0]
    return struct.unpack("<I", struct.pack("<f", x))[0]


def interesting(fmt: int) -> list[int]:
    """Raw bits of edge values in the format, both signs."""
    fb, emax_b, bias = FB[fmt], (1 << EB[fmt]) - 1, BIAS[fmt]
    top = 1 << (fb - 1)
    full = (1 << fb) - 1
    mags = [
        0,
        1,  # min subnormal
        2,
        3,
        top,  # subnormal, half the normal range
        full,  # max subnormal
        make(fmt, 0, 1, 0),  # min normal
        make(fmt, 0, 1, 1),
        make(fmt, 0, 1, full),
        make(fmt, 0, 2, 0),
        make(fmt, 0, emax_b - 1, full),  # max finite
        make(fmt, 0, emax_b - 1, full - 1),
        make(fmt, 0, emax_b - 1, 0),
        make(fmt, 0, emax_b - 2, full),
        make(fmt, 0, emax_b, 0),  # inf
        make(fmt, 0, emax_b, top),  # canonical qNaN
        make(fmt, 0, emax_b, top | 1),  # qNaN with payload
        make(fmt, 0, emax_b, 1),  # sNaN
        make(fmt, 0, emax_b, top - 1),  # sNaN, all payload ones
        make(fmt, 0, bias, 0),  # 1
        make(fmt, 0, bias, 1),  # 1 + ulp
        make(fmt, 0, bias - 1, full),  # 1 - ulp/2
        make(fmt, 0, bias, top),  # 1.5
        make(fmt, 0, bias + 1, 0),  # 2
        make(fmt, 0, bias - 1, 0),  # 0.5
        make(fmt, 0, bias + 1, top >> 1),  # 2.5
        make(fmt, 0, bias + 1, top),  # 3
        make(fmt, 0, bias - fb - 1, 0),  # ulp(1)/2
        make(fmt, 0, bias + fb, 0),  # 2**(P-1)
        make(fmt, 0, bias + fb + 1, 0),  # 2**P
        make(fmt, 0, bias + 31, 0),  # 2**31
        make(fmt, 0, bias + 30, full),  # just below 2**31
        make(fmt, 0, bias + 32, 0),  # 2**32
        make(fmt, 0, bias + 63, 0),  # 2**63
        make(fmt, 0, bias + 62, full),
        make(fmt, 0, bias + 64, 0),  # 2**64
        fbits(fmt, 1 / 3) if fmt else 0x3EAAAAAB,  # 1/3
        fbits(fmt, 0.1) if fmt else 0x3DCCCCCD,  # 0.1
        make(fmt, 0, bias // 2, 0),  # its square underflows
        make(fmt, 0, bias + bias // 2, full),  # its square overflows
    ]
    sign = 1 << (W[fmt] - 1)
    return mags + [m | sign for m in mags]


INTERESTING = (interesting(S), interesting(D))


def subset(fmt: int, mags: Sequence[int], negs: Sequence[int]) -> list[int]:
    """Edge values by index into the magnitudes of interesting(): some positive, some negated."""
    vals = INTERESTING[fmt]
    sign = 1 << (W[fmt] - 1)
    return [vals[i] for i in mags] + [vals[i] | sign for i in negs]


# For the quadratic and cubic cross products, a smaller choice of edge values.
PAIR_MAGS = [0, 1, 4, 5, 6, 7, 10, 11, 14, 15, 17, 19, 20, 21, 22, 23, 25, 27, 29, 39]
TRIPLE_MAGS = [0, 1, 6, 10, 14, 15, 17, 19, 20, 27]
TRIPLE_NEGS = [0, 14, 19]


def rand_frac(rng: random.Random, fmt: int) -> int:
    fb = FB[fmt]
    r = rng.random()
    if r < 0.35:
        k = rng.randint(0, 6)  # few significant bits: exact results, ties
        return rng.getrandbits(k) << (fb - k) if k else 0
    if r < 0.45:
        k = rng.randint(1, fb)  # runs of ones at the bottom
        return ((1 << k) - 1) if rng.random() < 0.5 else ((1 << fb) - (1 << k))
    return rng.getrandbits(fb)


def rand_bits(rng: random.Random, fmt: int) -> int:
    """Raw bits of a random operand, mixing edge values and random fields."""
    r = rng.random()
    if r < 0.12:
        return rng.choice(INTERESTING[fmt])
    if r < 0.30:
        return rng.getrandbits(W[fmt])
    emax_b = (1 << EB[fmt]) - 1
    sign = rng.getrandbits(1)
    if r < 0.60:
        exp = rng.randint(BIAS[fmt] - 40, BIAS[fmt] + 40)
    elif r < 0.80:  # near the subnormal and overflow boundaries
        exp = rng.choice((rng.randint(0, FB[fmt] + 3), rng.randint(emax_b - FB[fmt] - 3, emax_b)))
    else:
        exp = rng.randint(0, emax_b)
    return make(fmt, sign, exp, rand_frac(rng, fmt))


def nudge(rng: random.Random, fmt: int, bits: int) -> int:
    """bits moved by a few ulps and maybe negated: near-cancellation partners."""
    mask = (1 << W[fmt]) - 1
    v = (bits + rng.randint(-3, 3)) & mask
    if rng.random() < 0.5:
        v ^= 1 << (W[fmt] - 1)
    return v


def related(rng: random.Random, fmt: int, a: int) -> int:
    """A second operand related to a: same magnitude range or a shifted copy."""
    r = rng.random()
    if r < 0.4:
        return nudge(rng, fmt, a)
    fb = FB[fmt]
    exp = (a >> fb) & ((1 << EB[fmt]) - 1)
    exp = min(max(exp + rng.randint(-(fb + 4), fb + 4), 0), (1 << EB[fmt]) - 1)
    return make(fmt, rng.getrandbits(1), exp, rand_frac(rng, fmt))


def is_nan(fmt: int, bits: int) -> bool:
    return (bits & ((1 << (W[fmt] - 1)) - 1)) > make(fmt, 0, (1 << EB[fmt]) - 1, 0)


def is_snan(fmt: int, bits: int) -> bool:
    return is_nan(fmt, bits) and not (bits >> (FB[fmt] - 1)) & 1


def is_inf(fmt: int, bits: int) -> bool:
    return (bits & ((1 << (W[fmt] - 1)) - 1)) == make(fmt, 0, (1 << EB[fmt]) - 1, 0)


def is_zero(fmt: int, bits: int) -> bool:
    return (bits & ((1 << (W[fmt] - 1)) - 1)) == 0


# ----------------------------------------------------------------------------------------------
# Checking


def unicorn_deviates(op: Op, fmt: int, ops: Sequence[int]) -> bool:
    """True for inputs where unicorn 2.1.4 is known to disagree with the spec."""
    if op.name in ("fmin", "fmax"):
        return any(is_snan(fmt, v) for v in ops)
    if op.nf == 3:
        a, b, c = ops
        inf_zero = (is_inf(fmt, a) and is_zero(fmt, b)) or (is_zero(fmt, a) and is_inf(fmt, b))
        return inf_zero and is_nan(fmt, c)
    return False


def check(
    hart: Hart,
    op: Op,
    fmt: int,
    cases: Iterable[tuple[Sequence[int], int]],
    rms: Sequence[int] = RMS,
) -> int:
    """Compare vm.fpu with unicorn on every (raw f operands, x operand) case in every rm.

    Single operands are given raw and boxed here. Returns the number of comparisons.
    """
    src_fmt, dst_fmt = op.formats or (fmt, fmt)
    bad: list[str] = []
    n = 0
    for fops, xval in cases:
        if unicorn_deviates(op, src_fmt, fops):
            continue
        regs = [box(src_fmt, v) for v in fops]
        for rm in rms if op.rounds else (0,):
            n += 1
            fd, xd, uflags = hart.run(op.encode(fmt, rm), regs, xval)
            mine, flags = op.call(fmt, rm, regs, xval)
            if op.int_dst:
                want = xd
                ok = mine == want
            elif dst_fmt == S:
                want = fd & M32
                ok = mine >> 32 == M32 and mine & M32 == want
            else:
                want = fd
                ok = mine == want
            if not ok or flags != uflags:
                bad.append(
                    f"{op.name}.{'sd'[fmt]} rm={rm} f={[hex(v) for v in regs]} x={xval:#x}: "
                    f"got {mine:#x} flags {flags:#x}, unicorn {want:#x} flags {uflags:#x}"
                )
    assert not bad, f"{len(bad)} mismatches of {n}:\n" + "\n".join(bad[:12])
    return n


def pairs(values: Sequence[int]) -> list[tuple[Sequence[int], int]]:
    return [((a, b), 0) for a in values for b in values]


# ----------------------------------------------------------------------------------------------
# Oracle tests: edge-value cross products

FMTS = pytest.mark.parametrize("fmt", [S, D], ids=["s", "d"])


@FMTS
@pytest.mark.parametrize("op", ARITH + NONROUNDING, ids=lambda o: o.name)
def test_edge_values(hart: Hart, op: Op, fmt: int) -> None:
    if op.nf == 2:
        cases = pairs(subset(fmt, PAIR_MAGS, PAIR_MAGS))
    else:
        cases = [((a,), 0) for a in INTERESTING[fmt]]
    check(hart, op, fmt, cases)


@FMTS
@pytest.mark.parametrize("op", FUSED, ids=lambda o: o.name)
def test_fused_edge_values(hart: Hart, op: Op, fmt: int) -> None:
    vals = subset(fmt, TRIPLE_MAGS, TRIPLE_NEGS)
    check(hart, op, fmt, [((a, b, c), 0) for a in vals for b in vals for c in vals])


@FMTS
@pytest.mark.parametrize("op", CVT_TO_INT, ids=lambda o: o.name)
def test_cvt_to_int_edge_values(hart: Hart, op: Op, fmt: int) -> None:
    check(hart, op, fmt, [((a,), 0) for a in INTERESTING[fmt]])


def int_edges() -> list[int]:
    vals = [0, 1, 2, 3, 7, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 24, (1 << 24) + 1,
            (1 << 24) + 3, (1 << 53) + 1, (1 << 53) + 3, (1 << 60) + (1 << 36) + 1,
            (1 << 60) + (1 << 36), (1 << 63) - 1, 1 << 63, (1 << 64) - 1, 0x0123456789ABCDEF,
            0xFFFFFFFF7FFFFFFF, 0x00000001FFFFFFFF]  # fmt: skip
    return vals + [(-v) & M64 for v in vals]


@FMTS
@pytest.mark.parametrize("op", CVT_FROM_INT, ids=lambda o: o.name)
def test_cvt_from_int_edge_values(hart: Hart, op: Op, fmt: int) -> None:
    check(hart, op, fmt, [((), x) for x in int_edges()])


def test_cvt_between_formats_edge_values(hart: Hart) -> None:
    check(hart, FCVT_S_D, D, [((a,), 0) for a in INTERESTING[D]])
    check(hart, FCVT_D_S, S, [((a,), 0) for a in INTERESTING[S]])


# ----------------------------------------------------------------------------------------------
# Oracle tests: seeded random operands

N_RANDOM = 1500


@FMTS
@pytest.mark.parametrize("op", ARITH + FUSED + NONROUNDING, ids=lambda o: o.name)
def test_random(hart: Hart, op: Op, fmt: int) -> None:
    rng = random.Random(f"{op.name}-{fmt}")
    cases: list[tuple[Sequence[int], int]] = []
    for _ in range(N_RANDOM):
        a = rand_bits(rng, fmt)
        if op.nf == 1:
            if op.name == "fsqrt" and rng.random() < 0.3:
                # Squares of short values: exact roots, and neighbours of exact roots.
                a, _f = fpu.fmul(fmt, box(fmt, a), box(fmt, a), fpu.RNE)
                a = nudge(rng, fmt, a & ((1 << W[fmt]) - 1)) & ~(1 << (W[fmt] - 1))
            cases.append(((a,), 0))
            continue
        b = related(rng, fmt, a) if rng.random() < 0.4 else rand_bits(rng, fmt)
        if op.nf == 2:
            if op.name == "fdiv" and rng.random() < 0.2:
                # a = b * short value: exact quotients and their neighbours.
                q = make(fmt, rng.getrandbits(1), BIAS[fmt] + rng.randint(-3, 3),
                         rand_frac(rng, fmt))  # fmt: skip
                a, _f = fpu.fmul(fmt, box(fmt, b), box(fmt, q), fpu.RNE)
                a &= (1 << W[fmt]) - 1
                if rng.random() < 0.5:
                    a = nudge(rng, fmt, a)
            cases.append(((a, b), 0))
            continue
        if rng.random() < 0.4:
            # c cancels most of a*b: the low product bits decide the result.
            p, _f = fpu.fmul(fmt, box(fmt, a), box(fmt, b), rng.choice(RMS))
            c = nudge(rng, fmt, p & ((1 << W[fmt]) - 1))
        else:
            c = rand_bits(rng, fmt)
        cases.append(((a, b, c), 0))
    check(hart, op, fmt, cases)


@FMTS
@pytest.mark.parametrize("op", CVT_TO_INT, ids=lambda o: o.name)
def test_random_cvt_to_int(hart: Hart, op: Op, fmt: int) -> None:
    rng = random.Random(f"{op.name}-{fmt}")
    cases: list[tuple[Sequence[int], int]] = []
    for _ in range(N_RANDOM // 2):
        if rng.random() < 0.5:
            # Magnitudes up to 2**66: halves, near-halves and the saturation boundaries.
            exp = BIAS[fmt] + rng.randint(-3, 66)
            a = make(fmt, rng.getrandbits(1), exp, rand_frac(rng, fmt))
        else:
            a = rand_bits(rng, fmt)
        cases.append(((a,), 0))
    check(hart, op, fmt, cases)


@FMTS
@pytest.mark.parametrize("op", CVT_FROM_INT, ids=lambda o: o.name)
def test_random_cvt_from_int(hart: Hart, op: Op, fmt: int) -> None:
    rng = random.Random(f"{op.name}-{fmt}")
    cases: list[tuple[Sequence[int], int]] = []
    for _ in range(N_RANDOM // 2):
        n = rng.randint(1, 64)
        x = rng.getrandbits(n) | (1 << (n - 1))
        if rng.random() < 0.3:  # a few bits far apart: ties and sticky bits
            x = (1 << (n - 1)) | (1 << rng.randint(0, n - 1)) | rng.getrandbits(2)
        if rng.random() < 0.5:
            x = -x
        cases.append(((), (x & M64) | (rng.getrandbits(32) << 32 if rng.random() < 0.1 else 0)))
    check(hart, op, fmt, cases)


def test_random_cvt_between_formats(hart: Hart) -> None:
    rng = random.Random("fcvt.s.d")
    cases: list[tuple[Sequence[int], int]] = []
    for _ in range(N_RANDOM):
        if rng.random() < 0.5:
            # Doubles around the single range: overflow, subnormal and underflow boundaries.
            exp = rng.choice(
                (
                    rng.randint(1023 - 160, 1023 - 120),
                    rng.randint(1023 + 120, 1023 + 130),
                    rng.randint(1023 - 40, 1023 + 40),
                )
            )
            a = make(D, rng.getrandbits(1), exp, rand_frac(rng, D))
        else:
            a = rand_bits(rng, D)
        cases.append(((a,), 0))
    check(hart, FCVT_S_D, D, cases)
    check(hart, FCVT_D_S, S, [((rand_bits(rng, S),), 0) for _ in range(N_RANDOM // 3)])


def test_dynamic_rounding_mode_agrees_with_static(hart: Hart) -> None:
    # rm=7 (DYN) reads frm: make sure the oracle's static rm field is what we think it is.
    a, b = fbits(D, 1.0), fbits(D, 2.0**-60)
    for rm in RMS:
        hart.uc.reg_write(rc.UC_RISCV_REG_FRM, rm)
        dyn = hart.run(op_fp(F_ADD, D, RB, RA, 7, RD), (a, b))
        hart.uc.reg_write(rc.UC_RISCV_REG_FRM, 0)
        assert dyn == hart.run(op_fp(F_ADD, D, RB, RA, rm, RD), (a, b))
        assert (dyn[0], dyn[2]) == fpu.fadd(D, a, b, rm)


# ----------------------------------------------------------------------------------------------
# The RNE fast paths against the exact paths (no oracle needed, so many more operands)


@FMTS
def test_fast_paths_agree_with_exact_paths(fmt: int) -> None:
    rng = random.Random(f"fast-{fmt}")
    for _ in range(6000):
        a = rand_bits(rng, fmt)
        b = related(rng, fmt, a) if rng.random() < 0.5 else rand_bits(rng, fmt)
        if rng.random() < 0.5:
            p, _f = fpu.fmul(fmt, box(fmt, a), box(fmt, b), rng.choice(RMS))
            c = nudge(rng, fmt, p & ((1 << W[fmt]) - 1))
        else:
            c = rand_bits(rng, fmt)
        a, b, c = box(fmt, a), box(fmt, b), box(fmt, c)
        ctx = f"a={a:#x} b={b:#x} c={c:#x}"
        assert fpu.fadd(fmt, a, b, 0) == fpu._add_slow(fmt, a, b, 0, 0), ctx
        assert fpu.fsub(fmt, a, b, 0) == fpu._add_slow(fmt, a, b, 0, 1), ctx
        assert fpu.fmul(fmt, a, b, 0) == fpu._mul_slow(fmt, a, b, 0), ctx
        assert fpu.fdiv(fmt, a, b, 0) == fpu._div_slow(fmt, a, b, 0), ctx
        assert fpu.fsqrt(fmt, a, 0) == fpu._sqrt_slow(fmt, a, 0), ctx
        assert fpu.fmadd(fmt, a, b, c, 0) == fpu._fma_slow(fmt, a, b, c, 0, 0, 0), ctx
        assert fpu.fmsub(fmt, a, b, c, 0) == fpu._fma_slow(fmt, a, b, c, 0, 0, 1), ctx
        assert fpu.fnmsub(fmt, a, b, c, 0) == fpu._fma_slow(fmt, a, b, c, 0, 1, 0), ctx
        assert fpu.fnmadd(fmt, a, b, c, 0) == fpu._fma_slow(fmt, a, b, c, 0, 1, 1), ctx
        for signed, width in INT_FORMS:
            got = fpu.fcvt_to_int(fmt, a, fpu.RTZ, signed, width)
            assert got == fpu._cvt_to_int_slow(fmt, a, fpu.RTZ, signed, width), ctx
        x = rng.getrandbits(rng.randint(1, 64))
        if rng.random() < 0.5:
            x = (-x) & M64
        for signed, width in INT_FORMS:
            got = fpu.fcvt_from_int(fmt, x, 0, signed, width)
            assert got == fpu._cvt_from_int_slow(fmt, x, 0, signed, width), f"x={x:#x}"
        if fmt:
            assert fpu.fcvt_s_d(a, 0) == fpu._cvt_s_d_slow(a, 0), ctx
        elif not is_nan(S, a & M32):
            # Widening is exact, so narrowing back in any mode returns the single unchanged.
            wide, flags = fpu.fcvt_d_s(a)
            assert flags == 0 and fpu._cvt_s_d_slow(wide, rng.choice(RMS)) == (a, 0), ctx


# ----------------------------------------------------------------------------------------------
# Spec tests, by hand (where unicorn 2.1.4 is not the spec, and for boxing)

ONE_S = BOX | 0x3F800000
TWO_S = BOX | 0x40000000
ONE_D = fbits(D, 1.0)
TWO_D = fbits(D, 2.0)
QNAN_S = BOX | 0x7FC00001
SNAN_S = BOX | 0x7F800001
QNAN_D = 0x7FF8000000000001
SNAN_D = 0x7FF0000000000001
INF_D = 0x7FF0000000000000
INF_S = BOX | 0x7F800000


@pytest.mark.parametrize(
    "fn, one, two, snan, qnan",
    [
        (fpu.fmin, ONE_S, TWO_S, SNAN_S, QNAN_S),
        (fpu.fmin, ONE_D, TWO_D, SNAN_D, QNAN_D),
        (fpu.fmax, ONE_S, TWO_S, SNAN_S, QNAN_S),
        (fpu.fmax, ONE_D, TWO_D, SNAN_D, QNAN_D),
    ],
)
def test_minmax_nan_operands_per_spec(fn, one, two, snan, qnan) -> None:
    fmt = int(one >> 32 != M32)
    canon = fpu.CANONICAL_NAN_D if fmt else fpu.CANONICAL_NAN_S_BOXED
    assert fn(fmt, snan, one) == (one, fpu.NV)  # unicorn: canonical NaN
    assert fn(fmt, two, snan) == (two, fpu.NV)
    assert fn(fmt, qnan, one) == (one, 0)
    assert fn(fmt, one, qnan) == (one, 0)
    assert fn(fmt, qnan, qnan) == (canon, 0)
    assert fn(fmt, snan, qnan) == (canon, fpu.NV)


def test_minmax_signed_zeros() -> None:
    pz, nz = 0, 1 << 63
    assert fpu.fmin(D, pz, nz) == (nz, 0)
    assert fpu.fmin(D, nz, pz) == (nz, 0)
    assert fpu.fmax(D, pz, nz) == (pz, 0)
    assert fpu.fmax(D, nz, pz) == (pz, 0)
    assert fpu.fmin(S, BOX, BOX | 0x80000000) == (BOX | 0x80000000, 0)
    assert fpu.fmax(S, BOX | 0x80000000, BOX) == (BOX, 0)


@pytest.mark.parametrize("fmt, inf, zero, qnan", [(S, INF_S, BOX, QNAN_S), (D, INF_D, 0, QNAN_D)])
@pytest.mark.parametrize("fn", [fpu.fmadd, fpu.fmsub, fpu.fnmsub, fpu.fnmadd])
def test_fma_inf_times_zero_plus_qnan_raises_nv(fn, fmt, inf, zero, qnan) -> None:
    canon = fpu.CANONICAL_NAN_D if fmt else fpu.CANONICAL_NAN_S_BOXED
    assert fn(fmt, inf, zero, qnan, fpu.RNE) == (canon, fpu.NV)  # unicorn: no NV
    assert fn(fmt, zero, inf, qnan, fpu.RTZ) == (canon, fpu.NV)
    one = ONE_D if fmt else ONE_S
    assert fn(fmt, inf, one, qnan, fpu.RNE) == (canon, 0)  # inf * 1 is fine


# Unboxed single operands read as the canonical NaN (unicorn reads their low word).
UNBOXED = [0x3F800000, 0x00000000FFFFFFFF, 0x7FFFFFFF3F800000, 0x8000000000000000]


@pytest.mark.parametrize("bad", UNBOXED, ids=hex)
def test_unboxed_single_operands_read_as_canonical_nan(bad: int) -> None:
    canon = fpu.CANONICAL_NAN_S_BOXED
    for rm in RMS:
        for fn in (fpu.fadd, fpu.fsub, fpu.fmul, fpu.fdiv):
            assert fn(S, bad, ONE_S, rm) == (canon, 0)
            assert fn(S, ONE_S, bad, rm) == (canon, 0)
        assert fpu.fsqrt(S, bad, rm) == (canon, 0)
        for fn in (fpu.fmadd, fpu.fmsub, fpu.fnmsub, fpu.fnmadd):
            assert fn(S, bad, ONE_S, ONE_S, rm) == (canon, 0)
            assert fn(S, ONE_S, ONE_S, bad, rm) == (canon, 0)
        assert fpu.fcvt_to_int(S, bad, rm, True, 32) == (0x7FFFFFFF, fpu.NV)
        assert fpu.fcvt_to_int(S, bad, rm, False, 64) == (M64, fpu.NV)
    assert fpu.fcvt_d_s(bad) == (fpu.CANONICAL_NAN_D, 0)
    assert fpu.fmin(S, bad, TWO_S) == (TWO_S, 0)
    assert fpu.fmax(S, ONE_S, bad) == (ONE_S, 0)
    assert fpu.fmin(S, bad, bad) == (canon, 0)
    assert fpu.feq(S, bad, bad) == (0, 0)
    assert fpu.flt(S, bad, ONE_S) == (0, fpu.NV)
    assert fpu.fle(S, ONE_S, bad) == (0, fpu.NV)
    assert fpu.fclass(S, bad) == 1 << 9
    # Sign injection reads the canonical NaN too: its magnitude and its (positive) sign.
    neg_one = BOX | 0xBF800000
    assert fpu.fsgnj(S, bad, neg_one) == BOX | 0xFFC00000
    assert fpu.fsgnjn(S, bad, neg_one) == canon
    assert fpu.fsgnjx(S, bad, neg_one) == BOX | 0xFFC00000
    assert fpu.fsgnj(S, neg_one, bad) == ONE_S
    assert fpu.fsgnjn(S, neg_one, bad) == neg_one
    assert fpu.fsgnjx(S, neg_one, bad) == neg_one


def test_single_results_are_boxed() -> None:
    rng = random.Random("boxing")
    for _ in range(300):
        a, b, c = (BOX | rand_bits(rng, S) for _ in range(3))
        rm = rng.choice(RMS)
        results = [
            fpu.fadd(S, a, b, rm)[0], fpu.fsub(S, a, b, rm)[0], fpu.fmul(S, a, b, rm)[0],
            fpu.fdiv(S, a, b, rm)[0], fpu.fsqrt(S, a, rm)[0], fpu.fmadd(S, a, b, c, rm)[0],
            fpu.fnmadd(S, a, b, c, rm)[0], fpu.fmin(S, a, b)[0], fpu.fmax(S, a, b)[0],
            fpu.fsgnj(S, a, b), fpu.fsgnjn(S, a, b), fpu.fsgnjx(S, a, b),
            fpu.fcvt_s_d(rng.getrandbits(64), rm)[0],
            fpu.fcvt_from_int(S, rng.getrandbits(64), rm, True, 64)[0],
        ]  # fmt: skip
        assert all(r >> 32 == M32 for r in results), [hex(r) for r in results]


def test_moves() -> None:
    assert fpu.fmv_x_w(0x1234567880000000) == 0xFFFFFFFF80000000
    assert fpu.fmv_x_w(0xFFFFFFFF7FC00000) == 0x7FC00000  # no boxing check, no canonicalising
    assert fpu.fmv_w_x(0xDEADBEEF12345678) == BOX | 0x12345678
    assert fpu.fmv_w_x(0x7F800001) == BOX | 0x7F800001  # signalling NaN moved as bits


def test_moves_against_unicorn(hart: Hart) -> None:
    rng = random.Random("moves")
    for _ in range(200):
        v = rng.getrandbits(64)
        _, xd, fl = hart.run(op_fp(F_MV_XF, S, 0, RA, 0, XD), (v,))
        assert (xd, fl) == (fpu.fmv_x_w(v), 0)
        fd, _, fl = hart.run(op_fp(F_MV_FX, S, 0, XS, 0, RD), (), v)
        assert (fd & M32, fl) == (fpu.fmv_w_x(v) & M32, 0)  # unicorn does not box


def test_constants() -> None:
    assert (fpu.NX, fpu.UF, fpu.OF, fpu.DZ, fpu.NV) == (1, 2, 4, 8, 16)
    assert fpu.CANONICAL_NAN_S_BOXED == 0xFFFFFFFF7FC00000
    assert fpu.CANONICAL_NAN_D == 0x7FF8000000000000


def test_worked_examples() -> None:
    """A few results derived by hand from the spec, independent of any oracle."""
    d = lambda x: fbits(D, x)  # noqa: E731
    # 1 + 2**-53 is a tie: RNE keeps 1, RUP goes up, RMM goes away from zero.
    assert fpu.fadd(D, d(1.0), d(2.0**-53), fpu.RNE) == (d(1.0), fpu.NX)
    assert fpu.fadd(D, d(1.0), d(2.0**-53), fpu.RUP) == (d(1.0 + 2.0**-52), fpu.NX)
    assert fpu.fadd(D, d(1.0), d(2.0**-53), fpu.RMM) == (d(1.0 + 2.0**-52), fpu.NX)
    assert fpu.fadd(D, d(1.0), d(2.0**-53), fpu.RDN) == (d(1.0), fpu.NX)
    # x - x is +0, except -0 when rounding down.
    assert fpu.fsub(D, d(3.0), d(3.0), fpu.RNE) == (0, 0)
    assert fpu.fsub(D, d(3.0), d(3.0), fpu.RDN) == (1 << 63, 0)
    # Division by zero and invalid operations.
    assert fpu.fdiv(D, d(1.0), 0, fpu.RNE) == (INF_D, fpu.DZ)
    assert fpu.fdiv(D, 0, 0, fpu.RNE) == (fpu.CANONICAL_NAN_D, fpu.NV)
    assert fpu.fsqrt(D, d(-1.0), fpu.RNE) == (fpu.CANONICAL_NAN_D, fpu.NV)
    assert fpu.fsqrt(D, 1 << 63, fpu.RNE) == (1 << 63, 0)  # sqrt(-0) = -0
    # Overflow: max finite * 2 is inf in RNE, max finite in RTZ; -inf or -max when negative.
    mx = 0x7FEFFFFFFFFFFFFF
    assert fpu.fmul(D, mx, d(2.0), fpu.RNE) == (INF_D, fpu.OF | fpu.NX)
    assert fpu.fmul(D, mx, d(2.0), fpu.RTZ) == (mx, fpu.OF | fpu.NX)
    assert fpu.fmul(D, mx, d(-2.0), fpu.RUP) == (mx | 1 << 63, fpu.OF | fpu.NX)
    assert fpu.fmul(D, mx, d(-2.0), fpu.RDN) == (INF_D | 1 << 63, fpu.OF | fpu.NX)
    # Tininess after rounding: (1 - 2**-53) * 2**-1022 rounds to 2**-1022 in RNE but is tiny
    # (with an unbounded exponent it is representable below 2**-1022): UF and NX.
    almost_one = 0x3FEFFFFFFFFFFFFF
    min_normal = 0x0010000000000000
    assert fpu.fmul(D, almost_one, min_normal, fpu.RNE) == (min_normal, fpu.UF | fpu.NX)
    # An exact subnormal result raises nothing.
    assert fpu.fmul(D, d(0.5), min_normal, fpu.RNE) == (min_normal >> 1, 0)
    # FMA rounds once: 0.1 * 10 - 1 is the exact error of the product, not 0.
    assert fpu.fmsub(D, d(0.1), d(10.0), d(1.0), fpu.RNE) == (d(2.0**-54), 0)
    # Double rounding trap for single conversion: 2**60 + 2**36 + 1 rounds up in single.
    x = (1 << 60) + (1 << 36) + 1
    assert fpu.fcvt_from_int(S, x, fpu.RNE, False, 64) == (BOX | 0x5D800001, fpu.NX)
    # Conversions saturate with NV only; fcvt.wu of a value rounding to 0 is just inexact.
    assert fpu.fcvt_to_int(D, d(-0.4), fpu.RNE, False, 32) == (0, fpu.NX)
    assert fpu.fcvt_to_int(D, d(-0.4), fpu.RDN, False, 32) == (0, fpu.NV)
    assert fpu.fcvt_to_int(D, d(3e9), fpu.RNE, False, 32) == (0xFFFFFFFFB2D05E00, 0)
    assert fpu.fcvt_to_int(D, d(2.0**31), fpu.RNE, True, 32) == (0x7FFFFFFF, fpu.NV)
    assert fpu.fcvt_to_int(D, d(-2.5), fpu.RMM, True, 64) == ((-3) & M64, fpu.NX)
    assert fpu.fcvt_to_int(D, d(-2.5), fpu.RNE, True, 64) == ((-2) & M64, fpu.NX)
    assert math.isnan(struct.unpack("<d", struct.pack("<Q", fpu.CANONICAL_NAN_D))[0])
