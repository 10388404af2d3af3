"""vm.fpinline: every op it inlines, run against its reference closure, state for state.

For each instruction the generated lines run on one machine and ``vm.semantics.build(m, ins,
pc)`` on another, from the same f and x registers, fflags and frm; afterwards f, x1..x31,
fflags, frm and any fault (an invalid dynamic rounding mode) must be equal. Operands mix edge
values (zeros, subnormals, the normal limits, infinities, quiet and signalling NaNs, unboxed
singles), random bit patterns, and operands made to land where a fast path must decide or
refuse: exact and inexact results, cancellation, products and quotients at the smallest normal
and at overflow, perfect squares, integers at the conversion limits. Every rounding mode runs
static and dynamic, with every frm value (5..7 must fault). Other tests check that the fast
paths do run on ordinary operands (the closure is not what answers) and that the lines use
only the names the code generator allows.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable, Iterator, Sequence

import pytest

from tests.vm import asm as A
from tests.vm.elfwriter import make_elf
from vm import IllegalInstruction, Machine, MachineLimits, semantics
from vm.decoder import Instr, decode
from vm.fpinline import FP_GLOBALS, inline_fp

CODE = 0x10000
PC = CODE + 0x40  # the address the instructions are generated for
LIMITS = MachineLimits(memory=1 << 20, stack=1 << 16)
M64 = (1 << 64) - 1
BOX = 0xFFFFFFFF00000000
RMS = (0, 1, 2, 3, 4, 7)  # static modes and dynamic
S, D = 0, 1
W = (32, 64)
FB = (23, 52)
EMAX = (0xFF, 0x7FF)
BIAS = (127, 1023)

#: Register choices (rd, rs1, rs2, rs3): distinct, rd == rs1, rs1 == rs2, all one register.
REGS = ((3, 1, 2, 4), (1, 1, 2, 4), (3, 1, 1, 4), (2, 2, 2, 2))
#: For ops writing an x register: also x0 as destination.
XREGS = ((5, 1, 2, 0), (0, 1, 2, 0), (5, 1, 1, 0))

#: Comparisons made, by test (reported in failures of the count checks).
COUNTS: dict[str, int] = {}


# --- operands -----------------------------------------------------------------------------


def make(fmt: int, sign: int, exp: int, frac: int) -> int:
    """Raw format bits from fields."""
    return (sign << (W[fmt] - 1)) | (exp << FB[fmt]) | frac


def bits_of(fmt: int, v: float) -> int:
    """Raw format bits of a Python float (rounded to single for fmt S)."""
    if fmt:
        return struct.unpack("<Q", struct.pack("<d", v))[0]
    try:
        return struct.unpack("<I", struct.pack("<f", v))[0]
    except OverflowError:
        return make(S, int(v < 0), EMAX[S], 0)


def value_of(fmt: int, bits: int) -> float:
    if fmt:
        return struct.unpack("<d", struct.pack("<Q", bits))[0]
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def edges(fmt: int) -> list[int]:
    """Edge values (raw bits), both signs."""
    fb, emax, bias = FB[fmt], EMAX[fmt], BIAS[fmt]
    top, full = 1 << (fb - 1), (1 << fb) - 1
    mags = [
        0, 1, 2, 3, top, full,  # zero, subnormals
        make(fmt, 0, 1, 0), make(fmt, 0, 1, 1), make(fmt, 0, 1, full), make(fmt, 0, 2, 0),
        make(fmt, 0, emax - 1, full), make(fmt, 0, emax - 1, full - 1), make(fmt, 0, emax - 1, 0),
        make(fmt, 0, emax, 0),  # infinity
        make(fmt, 0, emax, top), make(fmt, 0, emax, top | 1),  # quiet NaNs
        make(fmt, 0, emax, 1), make(fmt, 0, emax, top - 1),  # signalling NaNs
        make(fmt, 0, bias, 0), make(fmt, 0, bias, 1), make(fmt, 0, bias - 1, full),
        make(fmt, 0, bias, top), make(fmt, 0, bias + 1, 0), make(fmt, 0, bias - 1, 0),
        make(fmt, 0, bias + 1, top), make(fmt, 0, bias + fb, 0), make(fmt, 0, bias + fb + 1, 0),
        make(fmt, 0, bias + 30, full), make(fmt, 0, bias + 31, 0), make(fmt, 0, bias + 32, 0),
        make(fmt, 0, bias + 62, full), make(fmt, 0, bias + 63, 0), make(fmt, 0, bias + 64, 0),
        bits_of(fmt, 0.1), bits_of(fmt, 1 / 3), bits_of(fmt, 0.01),
        make(fmt, 0, bias // 2, 0), make(fmt, 0, bias + bias // 2, full),  # squares under/overflow
        make(fmt, 0, bias // 2 + 1, full),
    ]
    sign = 1 << (W[fmt] - 1)
    return mags + [v | sign for v in mags]


EDGES = (edges(S), edges(D))


def rand_frac(rng: random.Random, fmt: int) -> int:
    fb = FB[fmt]
    r = rng.random()
    if r < 0.25:
        k = rng.randint(0, 8)  # few significant bits: exact results, ties
        return rng.getrandbits(k) << (fb - k) if k else 0
    if r < 0.35:
        k = rng.randint(1, fb)  # runs of ones at either end
        return ((1 << k) - 1) if rng.random() < 0.5 else ((1 << fb) - (1 << k))
    if r < 0.45:  # 20 or more trailing zeros: the lowest-set-bit test decides exactness
        return ((rng.getrandbits(fb) | 1) << rng.randint(20, fb)) & ((1 << fb) - 1)
    return rng.getrandbits(fb)


def rand_bits(rng: random.Random, fmt: int) -> int:
    """Raw bits of an operand: edge values, random patterns, ordinary and boundary values."""
    r = rng.random()
    if r < 0.1:
        return rng.choice(EDGES[fmt])
    if r < 0.25:
        return rng.getrandbits(W[fmt])
    sign = rng.getrandbits(1)
    emax, bias, fb = EMAX[fmt], BIAS[fmt], FB[fmt]
    if r < 0.75:
        exp = rng.randint(bias - 40, bias + 40)
    elif r < 0.9:
        exp = rng.choice((rng.randint(0, fb + 3), rng.randint(emax - fb - 3, emax)))
    else:
        exp = rng.randint(0, emax)
    return make(fmt, sign, exp, rand_frac(rng, fmt))


def partner(rng: random.Random, fmt: int, a: int, op: str) -> int:
    """A second operand made for ``a``: a near-cancelling one, or one that puts a product or
    quotient with ``a`` near the smallest normal or the overflow threshold, or an exact one."""
    r = rng.random()
    fb, emax, bias = FB[fmt], EMAX[fmt], BIAS[fmt]
    mask = (1 << W[fmt]) - 1
    if r < 0.25:
        v = (a + rng.randint(-3, 3)) & mask
        return v ^ (1 << (W[fmt] - 1)) if rng.random() < 0.5 else v
    ea = (a >> fb) & emax
    if r < 0.6 and 0 < ea < emax:
        target = rng.choice((-1, 0, 0, 1, 1, 2, emax - 1, emax - 1, emax, emax + 1))
        eb = target - ea + bias if op != "fdiv" else ea - target + bias
        if 0 <= eb < emax:
            return make(fmt, rng.getrandbits(1), eb, rand_frac(rng, fmt))
    if r < 0.8:
        # An exact relation: b = a * small or a / power of two.
        k = rng.choice((1, 3, 5, 0.5, 0.25, 2.0, 7, 1 / 3))
        return bits_of(fmt, value_of(fmt, a & mask) * k)
    return rand_bits(rng, fmt)


def boundary_pair(rng: random.Random, fmt: int, op: str) -> tuple[int, int]:
    """Two normal operands whose product (or quotient, for fdiv) lands within a few ulps of
    the smallest normal: a rounded result of exactly 2**EMIN, with or without underflow,
    among them."""
    bias = BIAS[fmt]
    a = make(fmt, rng.getrandbits(1), bias + rng.randint(-3, 3), rand_frac(rng, fmt))
    tiny, av = 2.0 ** (1 - bias), value_of(fmt, a)
    b = bits_of(fmt, av / tiny if op == "fdiv" else tiny / av)
    return a, (b + rng.randint(-2, 2)) & ((1 << W[fmt]) - 1)


def exact_pair(rng: random.Random, fmt: int, op: str) -> tuple[int, int]:
    """Operands with odd significands of p and q bits, p + q around the precision: their
    product (or for fdiv, the quotient of the product by one of them) is exact or just not,
    with the trailing zeros of the significands right at the limit the fast paths test."""
    prec = FB[fmt] + 1
    p = rng.randint(2, prec - 1)
    q = min(max(prec + rng.choice((-1, 0, 1, 2)) - p, 1), prec)
    u = rng.getrandbits(p - 1) | 1 << (p - 1) | 1
    v = rng.getrandbits(q - 1) | 1 << (q - 1) | 1
    e = rng.randint(-30, 30)
    if op == "fdiv" and (u * v).bit_length() <= prec:
        a, b = float(u * v) * 2.0 ** e, float(v) * 2.0 ** rng.randint(-30, 30)
    else:
        a, b = float(u) * 2.0 ** e, float(v) * 2.0 ** rng.randint(-30, 30)
    sign = rng.choice((1.0, -1.0))
    return bits_of(fmt, a * sign), bits_of(fmt, b)


def square_bits(rng: random.Random, fmt: int) -> int:
    """A perfect square (exact root), sometimes nudged by an ulp."""
    k = rng.getrandbits(rng.randint(1, FB[fmt] // 2 + 1)) | 1
    e = rng.randint(-40, 40)
    v = bits_of(fmt, float(k * k) * 2.0 ** (2 * e))
    return v + rng.choice((0, 0, 0, 1, -1)) if v else v


INT_EDGES = [
    0, 1, 2, 3, 0x7F, 0x80, 0xFFFFFF, 0x1000001, 0x7FFFFFFF, 0x80000000, 0x80000001,
    0xFFFFFFFF, 0x100000000, (1 << 53) - 1, 1 << 53, (1 << 53) + 1, (1 << 54) + 3,
    0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0x8000000000000001, 0xFFFFFFFFFFFFFC00,
    0xFFFFFFFFFFFFFFFF, 0xFFFFFFFF80000000, 0xFFFFFFFF7FFFFFFF, 0xFFFFFFFFFFFFFFFE,
]


def rand_int(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.2:
        return rng.choice(INT_EDGES)
    if r < 0.5:
        return rng.getrandbits(64)
    v = rng.getrandbits(rng.randint(1, 64))
    return (-v) & M64 if rng.random() < 0.5 else v


def freg(rng: random.Random, fmt: int, bits: int) -> int:
    """The register image of an operand: singles NaN-boxed, sometimes not (reads as NaN)."""
    if fmt:
        return bits
    if rng.random() < 0.04:
        return rng.getrandbits(64) & ~BOX if rng.random() < 0.5 else rng.getrandbits(64)
    return BOX | bits


def to_int_operand(rng: random.Random, fmt: int) -> int:
    """Raw bits of a value around an integer-conversion limit, or an ordinary operand."""
    if rng.random() < 0.5:
        return rand_bits(rng, fmt)
    limit = rng.choice((0, 1, 31, 32, 63, 64, 24, 53))
    base = float(1 << limit) if limit else rng.choice((0.0, 0.5, 1.0))
    v = bits_of(fmt, (-base if rng.random() < 0.5 else base)
                + rng.choice((0.0, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5)))
    return (v + rng.randint(-2, 2)) & ((1 << W[fmt]) - 1)


# --- encoding -------------------------------------------------------------------------------


def encode(op: str, rd: int, rs1: int, rs2: int = 0, rs3: int = 0, rm: int = 7) -> Instr:
    """The decoded instruction ``op`` with these fields (assembled by tests.vm.asm)."""
    parts = op.split(".")
    name = parts[0]
    if name in ("fadd", "fsub", "fmul", "fdiv"):
        raw = A.farith(name, parts[1], rd, rs1, rs2, rm)
    elif name == "fsqrt":
        raw = A.fsqrt(parts[1], rd, rs1, rm)
    elif name in ("fmadd", "fmsub", "fnmsub", "fnmadd"):
        raw = A.fma(name, parts[1], rd, rs1, rs2, rs3, rm)
    elif name in ("fsgnj", "fsgnjn", "fsgnjx", "fmin", "fmax", "feq", "flt", "fle"):
        raw = A.fop(name, parts[1], rd, rs1, rs2)
    elif name == "fclass":
        raw = A.fclass(parts[1], rd, rs1)
    elif op == "fcvt.s.d":
        raw = A.fcvt_s_d(rd, rs1, rm)
    elif op == "fcvt.d.s":
        raw = A.fcvt_d_s(rd, rs1, rm)
    elif name == "fcvt" and parts[1] in ("s", "d"):
        raw = A.fcvt_fp_from_int(parts[1], parts[2], rd, rs1, rm)
    elif name == "fcvt":
        raw = A.fcvt_int_from_fp(parts[1], parts[2], rd, rs1, rm)
    else:
        raw = {"fmv.x.d": A.fmv_x_d, "fmv.d.x": A.fmv_d_x, "fmv.x.w": A.fmv_x_w,
               "fmv.w.x": A.fmv_w_x}[op](rd, rs1)
    word = struct.unpack("<I", raw)[0]
    ins = decode(word & 0xFFFF, word >> 16)
    assert ins.op == op, (op, ins)
    return ins


def compile_lines(ins: Instr, lines: list[str]) -> Callable[..., None]:
    src = "def run(m, x, f, R):\n" + "".join(f"    {line}\n" for line in lines)
    ns = dict(FP_GLOBALS)
    exec(compile(src, f"<fpinline {ins.op} rm={ins.rm}>", "exec"), ns)
    return ns["run"]


# --- the comparison -------------------------------------------------------------------------


class Rig:
    """Two machines from the same ELF: one runs the inline lines, the other the closure."""

    def __init__(self) -> None:
        elf = make_elf(A.ebreak(), code_addr=CODE, symbols={"start": CODE})
        self.mi = Machine(elf, limits=LIMITS)
        self.mr = Machine(elf, limits=LIMITS)
        rng = random.Random(99)
        self.bg_f = [rng.choice((rng.getrandbits(64), BOX | rng.getrandbits(32)))
                     for _ in range(32)]
        self.bg_x = [0] + [rng.getrandbits(64) for _ in range(32)]
        #: How often the last ``check`` ran the closure from the inline lines (``R[pc]()``).
        self.slow_calls = 0

    def check(self, ins: Instr, states: Iterator[tuple[dict, dict, int, int]]) -> int:
        """Run ``ins`` both ways from every state (f values, x values, frm, fflags).

        Returns:
            How many states were compared.
        """
        lines = inline_fp(ins, PC)
        assert lines is not None, ins.op
        run = compile_lines(ins, lines)
        mi, mr = self.mi, self.mr
        closure_i = semantics.build(mi, ins, PC)
        closure_r = semantics.build(mr, ins, PC)
        calls = [0]

        def slow() -> None:
            calls[0] += 1
            closure_i()

        refs = {PC: slow}
        n = 0
        for fset, xset, frm, fflags in states:
            for m in (mi, mr):
                m.f[:] = self.bg_f
                m.x[:] = self.bg_x
                for r, v in fset.items():
                    m.f[r] = v
                for r, v in xset.items():
                    if r:
                        m.x[r] = v
                m.frm, m.fflags = frm, fflags
            got = want = None
            try:
                run(mi, mi.x, mi.f, refs)
            except IllegalInstruction as e:
                got = e.pc
            try:
                closure_r()
            except IllegalInstruction as e:
                want = e.pc
            if (got, mi.f, mi.x[:32], mi.fflags, mi.frm) != (
                want, mr.f, mr.x[:32], mr.fflags, mr.frm
            ):
                fdiff = {r: (hex(a), hex(b))
                         for r, (a, b) in enumerate(zip(mi.f, mr.f, strict=True)) if a != b}
                xdiff = {r: (hex(a), hex(b))
                         for r, (a, b) in enumerate(zip(mi.x[:32], mr.x[:32], strict=True))
                         if a != b}
                pytest.fail(
                    f"{ins.op} rm={ins.rm} regs={ins.rd},{ins.rs1},{ins.rs2},{ins.rs3} "
                    f"f-in={ {r: hex(v) for r, v in fset.items()} } "
                    f"x-in={ {r: hex(v) for r, v in xset.items()} } frm={frm} "
                    f"fflags-in={fflags:#x}: fault {got} vs {want}, f (inline, ref) {fdiff}, "
                    f"x {xdiff}, fflags {mi.fflags:#x} vs {mr.fflags:#x}\n" + "\n".join(lines)
                )
            n += 1
        self.slow_calls = calls[0]
        return n


@pytest.fixture(scope="module")
def rig() -> Rig:
    return Rig()


def frm_for(rng: random.Random, rm: int) -> int:
    """frm for a case: any value, mostly RNE, so dynamic instructions take the fast paths."""
    if rm == 7 and rng.random() < 0.6:
        return 0
    return rng.randint(0, 7)


def fp_states(rng: random.Random, ins: Instr, fmt: int, n: int, nsrc: int,
              gen: Callable[[random.Random, int, str], Sequence[int]]) -> Iterator[tuple]:
    """States whose FP sources (rs1, rs2, rs3 as the op uses) hold ``gen``'s operands."""
    regs = (ins.rs1, ins.rs2, ins.rs3)[:nsrc]
    op = ins.op.split(".")[0]
    for _ in range(n):
        vals = gen(rng, fmt, op)
        fset = {r: freg(rng, fmt, v) for r, v in zip(regs, vals, strict=True)}
        yield fset, {}, frm_for(rng, ins.rm), rng.getrandbits(5)


def subnormal_pair(rng: random.Random, fmt: int, op: str) -> tuple[int, int]:
    """A subnormal with a short odd significand and a normal operand such that the product
    (or for fdiv, the quotient of the normal by the subnormal) is normal and exact: what a
    trailing-zeros test would misjudge if it took the subnormal for a normal number."""
    prec, bias = FB[fmt] + 1, BIAS[fmt]
    k = rng.getrandbits(rng.randint(1, 25 if fmt else 12)) | 1
    v = rng.getrandbits(rng.randint(1, prec - k.bit_length())) | 1
    sub = float(k) * 2.0 ** (2 - bias - prec)  # k quanta of the subnormal range
    if op == "fdiv":
        a, b = float(k * v) * 2.0 ** rng.randint(-bias // 2, -2 * prec), sub
    else:
        a, b = float(v) * 2.0 ** rng.randint(prec + 2, prec + bias // 2), sub
        if rng.random() < 0.5:
            a, b = b, a
    return bits_of(fmt, a), bits_of(fmt, b)


def gen_binary(rng: random.Random, fmt: int, op: str) -> Sequence[int]:
    r = rng.random()
    if r < 0.1:
        return boundary_pair(rng, fmt, op)
    if r < 0.2:
        return exact_pair(rng, fmt, op)
    if r < 0.25:
        return subnormal_pair(rng, fmt, op)
    a = rand_bits(rng, fmt)
    return (a, partner(rng, fmt, a, op)) if r < 0.6 else (a, rand_bits(rng, fmt))


def gen_ternary(rng: random.Random, fmt: int, op: str) -> Sequence[int]:
    a, b = gen_binary(rng, fmt, "fmul")
    c = partner(rng, fmt, a, "fadd") if rng.random() < 0.3 else rand_bits(rng, fmt)
    return a, b, c


def gen_unary(rng: random.Random, fmt: int, op: str) -> Sequence[int]:
    return (square_bits(rng, fmt) if rng.random() < 0.3 else rand_bits(rng, fmt),)


def record(name: str, n: int) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + n


# --- the tests ------------------------------------------------------------------------------

ARITH = [f"{n}.{p}" for p in "ds" for n in ("fadd", "fsub", "fmul", "fdiv")]


@pytest.mark.parametrize("op", ARITH)
def test_arith(rig: Rig, op: str) -> None:
    fmt = D if op.endswith(".d") else S
    rng = random.Random(f"arith {op}")
    n = 0
    for rm in RMS:
        hot = rm in (0, 7) and fmt == D
        for regs in REGS:
            ins = encode(op, *regs, rm=rm)
            n += rig.check(ins, fp_states(rng, ins, fmt, 700 if hot else 150, 2, gen_binary))
    record("arith", n)


@pytest.mark.parametrize("op", ["fsqrt.d", "fsqrt.s"])
def test_sqrt(rig: Rig, op: str) -> None:
    fmt = D if op.endswith(".d") else S
    rng = random.Random(f"sqrt {op}")
    n = 0
    for rm in RMS:
        for regs in REGS[:2]:
            ins = encode(op, *regs, rm=rm)
            count = 1500 if rm in (0, 7) and fmt == D else 300
            n += rig.check(ins, fp_states(rng, ins, fmt, count, 1, gen_unary))
    record("sqrt", n)


FMA = [f"{n}.{p}" for p in "ds" for n in ("fmadd", "fmsub", "fnmsub", "fnmadd")]


@pytest.mark.parametrize("op", FMA)
def test_fma(rig: Rig, op: str) -> None:
    fmt = D if op.endswith(".d") else S
    rng = random.Random(f"fma {op}")
    n = 0
    for rm in RMS:
        for regs in REGS[:3]:
            ins = encode(op, *regs, rm=rm)
            n += rig.check(ins, fp_states(rng, ins, fmt, 60, 3, gen_ternary))
    record("fma", n)


SIGN_MINMAX = [f"{n}.{p}" for p in "ds" for n in ("fsgnj", "fsgnjn", "fsgnjx", "fmin", "fmax")]


@pytest.mark.parametrize("op", SIGN_MINMAX)
def test_sign_injection_and_minmax(rig: Rig, op: str) -> None:
    fmt = D if op.endswith(".d") else S
    rng = random.Random(f"sgnj {op}")
    n = 0
    for regs in REGS:
        ins = encode(op, *regs)
        n += rig.check(ins, fp_states(rng, ins, fmt, 400, 2, gen_binary))
    record("sgnj/minmax", n)


COMPARE = [f"{n}.{p}" for p in "ds" for n in ("feq", "flt", "fle")] + ["fclass.d", "fclass.s"]


@pytest.mark.parametrize("op", COMPARE)
def test_compare_and_class(rig: Rig, op: str) -> None:
    fmt = D if op.endswith(".d") else S
    rng = random.Random(f"compare {op}")

    def gen(rng: random.Random, fmt: int, _: str) -> Sequence[int]:
        a = rand_bits(rng, fmt)
        r = rng.random()
        return (a, a) if r < 0.2 else (a, a ^ (1 << (W[fmt] - 1))) if r < 0.3 else (
            a, rand_bits(rng, fmt))

    n = 0
    for regs in XREGS:
        ins = encode(op, *regs)
        n += rig.check(ins, fp_states(rng, ins, fmt, 600, 2, gen))
    record("compare", n)


FROM_INT = [f"fcvt.{p}.{i}" for p in "ds" for i in ("w", "wu", "l", "lu")]


@pytest.mark.parametrize("op", FROM_INT)
def test_cvt_from_int(rig: Rig, op: str) -> None:
    rng = random.Random(f"from int {op}")
    n = 0
    for rm in RMS:
        for rd, rs1 in ((3, 10), (3, 0)):
            ins = encode(op, rd, rs1, rm=rm)
            states = (({}, {rs1: rand_int(rng)}, frm_for(rng, rm), rng.getrandbits(5))
                      for _ in range(250 if rs1 else 20))
            n += rig.check(ins, states)
    record("from int", n)


TO_INT = [f"fcvt.{i}.{p}" for p in "ds" for i in ("w", "wu", "l", "lu")]


@pytest.mark.parametrize("op", TO_INT)
def test_cvt_to_int(rig: Rig, op: str) -> None:
    fmt = D if op.endswith(".d") else S
    rng = random.Random(f"to int {op}")
    n = 0
    for rm in RMS:
        for rd in (5, 0):
            ins = encode(op, rd, 1, rm=rm)
            count = 1200 if rm == 1 and fmt == D and rd else 150
            n += rig.check(ins, fp_states(rng, ins, fmt, count, 1,
                                          lambda rng, fmt, _: (to_int_operand(rng, fmt),)))
    record("to int", n)


@pytest.mark.parametrize("op", ["fcvt.s.d", "fcvt.d.s"])
def test_cvt_between_formats(rig: Rig, op: str) -> None:
    src = D if op == "fcvt.s.d" else S
    rng = random.Random(f"cvt {op}")
    n = 0
    for rm in RMS:
        ins = encode(op, 3, 1, rm=rm)
        n += rig.check(ins, fp_states(rng, ins, src, 300, 1, gen_unary))
    record("cvt", n)


@pytest.mark.parametrize("op", ["fmv.x.d", "fmv.d.x", "fmv.x.w", "fmv.w.x"])
def test_moves(rig: Rig, op: str) -> None:
    rng = random.Random(f"mv {op}")
    n = 0
    for rd, rs in ((5, 1), (0, 1), (1, 0), (1, 1)):
        ins = encode(op, rd, rs)
        states = (({rs: rng.choice((rng.getrandbits(64), BOX | rng.getrandbits(32)))},
                   {rs: rand_int(rng)}, rng.randint(0, 7), rng.getrandbits(5))
                  for _ in range(200))
        n += rig.check(ins, states)
    record("moves", n)


#: The fast paths, and the operands each one must decide without the closure.
FAST = {
    "fadd.d": 2, "fsub.d": 2, "fmul.d": 2, "fdiv.d": 2, "fsqrt.d": 1,
    "feq.d": 2, "flt.d": 2, "fle.d": 2, "feq.s": 2, "flt.s": 2, "fle.s": 2,
    "fmin.d": 2, "fmax.d": 2,
}


@pytest.mark.parametrize("rm", [0, 7])
@pytest.mark.parametrize("op", sorted(FAST))
def test_fast_paths_decide_ordinary_operands(rig: Rig, op: str, rm: int) -> None:
    """Ordinary operands (normal, full significands) never reach the closure in RNE."""
    fmt = D if op.endswith(".d") else S
    rng = random.Random(f"fast {op}")
    ins = encode(op, 3, 1, 2, rm=rm)

    signs = (1,) if op == "fsqrt.d" else (1, -1)

    def ordinary() -> int:
        v = rng.choice(signs) * rng.uniform(1.0, 2.0) * 2.0 ** rng.randint(-60, 60)
        return bits_of(fmt, v) | 1 | (0 if fmt else BOX)

    states = (({r: ordinary() for r in (1, 2)[:FAST[op]]}, {}, 0, rng.getrandbits(5))
              for _ in range(300))
    assert rig.check(ins, states) == 300
    assert rig.slow_calls == 0


@pytest.mark.parametrize("op,regs,xval", [
    ("fcvt.d.w", (3, 10), 12345), ("fcvt.d.l", (3, 10), -(1 << 40)), ("fcvt.w.d", (5, 1), 0),
    ("fcvt.l.d", (5, 1), 0), ("fcvt.wu.d", (5, 1), 0), ("fcvt.lu.d", (5, 1), 0),
])
def test_fast_conversions(rig: Rig, op: str, regs: tuple[int, int], xval: int) -> None:
    """Conversions of ordinary values never reach the closure (RTZ for to-int, RNE else)."""
    rm = 1 if op.split(".")[1] in ("w", "wu", "l", "lu") else 0
    ins = encode(op, *regs, rm=rm)
    rng = random.Random(op)
    states = (({1: bits_of(D, rng.uniform(0, 1e6))}, {10: (xval + rng.randint(0, 99)) & M64},
               0, 0) for _ in range(100))
    assert rig.check(ins, states) == 100
    assert rig.slow_calls == 0


def all_instructions() -> Iterator[Instr]:
    for op in ARITH + FMA + ["fsqrt.d", "fsqrt.s", "fcvt.s.d", "fcvt.d.s"] + FROM_INT + TO_INT:
        for rm in RMS:
            for regs in REGS[:2] + XREGS[1:2]:
                yield encode(op, *regs, rm=rm)
    for op in SIGN_MINMAX + COMPARE + ["fmv.x.d", "fmv.d.x", "fmv.x.w", "fmv.w.x"]:
        for regs in REGS + XREGS:
            yield encode(op, *regs)


def test_lines_use_only_the_allowed_names() -> None:
    """Locals are the region's (m, x, f, R) and the temporaries; globals come from
    FP_GLOBALS or are int/float; attributes are m.frm and m.fflags."""
    allowed_globals = set(FP_GLOBALS) | {"int", "float", "frm", "fflags"}
    for ins in all_instructions():
        run = compile_lines(ins, inline_fp(ins, PC) or [])
        code = run.__code__
        assert set(code.co_varnames) <= {"m", "x", "f", "R", "fa", "fb", "fc", "fd", "fe"}, ins
        assert set(code.co_names) <= allowed_globals, (ins, code.co_names)
        assert all(name.startswith("FP_") for name in FP_GLOBALS)


def test_other_ops_are_left_to_the_closure() -> None:
    for raw in (A.fld(1, 2, 8), A.fsd(1, 2, 8), A.flw(1, 2), A.fsw(1, 2), A.add(1, 2, 3)):
        word = struct.unpack("<I", raw)[0]
        assert inline_fp(decode(word & 0xFFFF, word >> 16), PC) is None


def test_enough_comparisons() -> None:
    """Runs last in this module: the comparison tests above made tens of thousands."""
    if len(COUNTS) < 9:
        pytest.skip("only part of the module ran")
    assert sum(COUNTS.values()) >= 50_000, COUNTS
