"""Inline Python source for the common floating-point instructions of a translated region.

``inline_fp(ins, pc)`` returns the lines the code generator can put in place of the reference
closure call ``R[pc]()`` (``vm.semantics``), or None for an op it leaves to that call. The
lines change ``f``, ``x``, ``m.fflags`` exactly as the closure would, and read ``m.frm`` where it
would. They use the names a region function has (``m``, ``x``, ``f``, ``R``), the temporaries
``fa fb fc fd fe`` (not ``fr``: an entry function keeps its saved frame there), and the
``FP_*`` entries of :data:`FP_GLOBALS`, which the caller merges into the globals of its
region functions. Integer operands are read from ``x`` and integer
results written to ``x[rd]`` (never ``x[0]``): the caller flushes and reloads around them as it
does around ``R[pc]()``.

Three kinds of lines, by how they are shown to be exact:

* **Bit moves** (FSGNJ/FSGNJN/FSGNJX, hence FMV/FNEG/FABS; FMV.X.D, FMV.D.X, FMV.X.W,
  FMV.W.X) are the closure's own expressions written out.
* **Fast paths** compute with host floats, which are IEEE binary64 rounded to nearest even
  (the assumption ``vm.fpu`` makes too), and write a result only when they have proved it and
  its flags; in every other case they run ``R[pc]()``, which starts from the unchanged state.
  FEQ/FLT/FLE (both formats) and FMIN/FMAX.D decide ordered operands (a NaN may raise a flag:
  closure). In round-to-nearest-even only, static or dynamic: FADD.D/FSUB.D (TwoSum),
  FMUL.D, FDIV.D, FSQRT.D (inexact normal results, proved inexact by counting trailing zero
  bits), FCVT.D.L/LU. FCVT.D.W/WU is exact in any valid mode; FCVT.{W,WU,L,LU}.D with a
  static RTZ (C casts) truncates in range. The reasons are beside each emitter; FMUL, FDIV and
  FSQRT use the corollary of ``vm.fpu``'s one exactness proof for them ("Exactness of a double
  product, quotient or root"), which also says why such a result's flags are NX alone.
* **Direct calls** of the ``vm.fpu`` function the closure calls, with the same arguments, for
  the other ops and modes: single-precision arithmetic and FMIN/FMAX.S, fused multiply-add,
  static modes other than RNE, FCLASS, FCVT.S.D/FCVT.D.S and the single conversions: the
  closure's computation without the closure and rounding-mode calls around it.

A dynamic rounding mode is read from ``m.frm``; the closure raises ``IllegalInstruction`` for
frm 5..7 and so does the generated code, by running ``R[pc]()``.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

from . import fpu
from .constants import BOX
from .decoder import Instr
from .ops import op_of

__all__ = ["inline_fp", "FP_GLOBALS"]

#: What the generated lines call by name: the caller adds these to its region globals.
FP_GLOBALS: dict[str, Any] = {
    "FP_PQQ": struct.Struct("<2Q").pack,
    "FP_UDD": struct.Struct("<2d").unpack,
    "FP_PQ": struct.Struct("<Q").pack,
    "FP_UD": struct.Struct("<d").unpack,
    "FP_PD": struct.Struct("<d").pack,
    "FP_UQ": struct.Struct("<Q").unpack,
    "FP_UFF": struct.Struct("<f4xf4x").unpack,
    "FP_SQRT": math.sqrt,
    **{
        f"FP_{name}": getattr(fpu, name)
        for name in (
            "fadd", "fsub", "fmul", "fdiv", "fsqrt", "fmadd", "fmsub", "fnmsub", "fnmadd",
            "fmin", "fmax", "fclass", "fcvt_to_int", "fcvt_from_int", "fcvt_s_d", "fcvt_d_s",
        )
    },
}

DYN = 7  # the rm field value that selects frm

# Constants as they appear in the generated code.
_BOX = hex(BOX)
_CANON_S = "0xffffffff7fc00000"  # the canonical single NaN, boxed
_ABS_D = "0x7fffffffffffffff"
_SIGN_D = "0x8000000000000000"
_EXP_D = "0x7ff0000000000000"  # exponent field of a double; also +inf
_MIN_NORMAL_D = "0x10000000000000"  # 2**-1022; also 2**52, the hidden bit
_SET_NX = "m.fflags |= 1"

Emitter = Callable[[Instr, str], list[str]]


def inline_fp(ins: Instr, pc: int) -> list[str] | None:
    """Source lines doing what ``vm.semantics.build(m, ins, pc)()`` does, or None.

    Args:
        ins: a decoded floating-point instruction (loads and stores are not handled).
        pc: its address; the lines call ``R[pc]()`` for the cases they do not decide.

    Returns:
        The lines, unindented (nested blocks are indented by four spaces relative to them), or
        None if the op is not handled: the caller then keeps ``R[pc]()``.
    """
    emit = _EMITTERS.get(ins.op)
    if emit is None:
        return None
    return emit(ins, f"R[{pc:#x}]()")


# --- helpers ------------------------------------------------------------------------------


def _block(header: str, body: list[str]) -> list[str]:
    return [header, *("    " + line for line in body)]


def _guarded(ins: Instr, slow: str, prep: list[str], cond: str | None,
             body: list[str]) -> list[str]:
    """``prep``, then ``body`` if ``cond`` (None: always) holds in round-to-nearest-even, else
    ``slow``. Only for ops whose rounding mode is RNE or dynamic (see ``_rne_only``).
    """
    if ins.rm == DYN:
        cond = f"{cond} and not m.frm" if cond else "not m.frm"
    if cond is None:
        return [*prep, *body]
    return [*prep, *_block(f"if {cond}:", body), *_block("else:", [slow])]


def _rne_only(ins: Instr) -> bool:
    """Whether a fast path may be emitted: static RNE, or dynamic (checked at run time)."""
    return ins.rm in (fpu.RNE, DYN)


def _call(ins: Instr, slow: str, dest: str, call: str) -> list[str]:
    """``dest, flags = call`` with the closure's rounding mode for ``{rm}``, then fflags.

    The closure resolves a dynamic mode with ``m.frm`` and raises for 5..7; here such a frm
    runs ``slow`` (the closure), which raises the same way.
    """
    if ins.rm == DYN:
        body = [f"{dest}, fe = {call.format(rm='fe')}", "if fe: m.fflags |= fe"]
        return ["fe = m.frm", *_block("if fe < 5:", body), *_block("else:", [slow])]
    return [f"{dest}, fe = {call.format(rm=ins.rm)}", "if fe: m.fflags |= fe"]


def _fmt(ins: Instr) -> int:
    """0 for a single-precision op, 1 for double: the record's ``fp_fmt`` (``vm.ops``)."""
    return 1 if op_of(ins.op).fp_fmt else 0


def _xdest(rd: int) -> str:
    """Where an integer result goes: ``x[rd]``, or a temporary for x0."""
    return f"x[{rd}]" if rd else "fd"


# --- arithmetic ---------------------------------------------------------------------------


def _few_trailing_zeros(a: str, b: str) -> str:
    """A test that the 53-bit significands of the doubles with bits ``a`` and ``b`` have
    fewer than 52 trailing zero bits together (both normal, or the test is meaningless): by
    the corollary in ``vm.fpu`` ("Exactness of a double product, quotient or root"), proof
    that a normal product or quotient is inexact. ``vm.fpu.fmul`` makes the same two tests.

    ``a & -a`` is 2**(trailing zeros of the significand) when the fraction is nonzero, and
    at least 2**52 when it is zero (an exponent bit), so the product test is exact. The
    cheaper first test (each fraction has a one in its low 26 bits, so at most 25 trailing
    zeros each) decides the common case of full-length significands.
    """
    return (f"({a} & 0x3ffffff and {b} & 0x3ffffff"
            f" or ({a} & -{a}) * ({b} & -{b}) < {_MIN_NORMAL_D})")


def _add_sub(ins: Instr, slow: str) -> list[str]:
    """FADD/FSUB. Doubles in RNE: TwoSum.

    ``fd`` is the host sum, correctly rounded. If it is finite, TwoSum's ``fe`` is the exact
    rounding error, finite unless an intermediate overflowed; if ``fd`` is infinite or NaN,
    ``fe`` is NaN. So ``fe`` finite proves the result, and NX is ``fe != 0``. A sum never
    underflows inexactly (a tiny sum of two doubles is exact) and cannot overflow when finite.
    This is ``vm.fpu.fadd``'s own fast path, with the same condition.
    """
    name = ins.op[:4]
    s1, s2, rd = ins.rs1, ins.rs2, ins.rd
    if not _fmt(ins) or not _rne_only(ins):
        return _call(ins, slow, f"f[{rd}]", f"FP_{name}({_fmt(ins)}, f[{s1}], f[{s2}], {{rm}})")
    if name == "fadd":
        sums = ["fd = fa + fb", "fe = fd - fa", "fe = (fa - (fd - fe)) + (fb - fe)"]
    else:
        sums = ["fd = fa - fb", "fe = fd - fa", "fe = (fa - (fd - fe)) - (fb + fe)"]
    return _guarded(
        ins, slow,
        [f"fa, fb = FP_UDD(FP_PQQ(f[{s1}], f[{s2}]))", *sums],
        "fe - fe == 0.0",
        [f"f[{rd}] = FP_UQ(FP_PD(fd))[0]", f"if fe: {_SET_NX}"],
    )


def _mul(ins: Instr, slow: str) -> list[str]:
    """FMUL. Doubles in RNE: inexact normal products only.

    With normal operands and a normal result, an exact product needs ``ma*mb == mr*2**k``,
    so fewer than 52 trailing zeros in ma*mb (``_few_trailing_zeros``) prove it inexact: NX
    alone (the proof: ``vm.fpu``, "Exactness of a double product, quotient or root"). A
    finite product has finite operands, and the exponent tests exclude zeros and subnormals.
    Otherwise (exact products among them) the closure runs.
    """
    s1, s2, rd = ins.rs1, ins.rs2, ins.rd
    if not _fmt(ins) or not _rne_only(ins):
        return _call(ins, slow, f"f[{rd}]", f"FP_fmul({_fmt(ins)}, f[{s1}], f[{s2}], {{rm}})")
    return _guarded(
        ins, slow,
        [
            f"fa = f[{s1}]",
            f"fb = f[{s2}]",
            "fc, fd = FP_UDD(FP_PQQ(fa, fb))",
            "fe = FP_UQ(FP_PD(fc * fd))[0]",
        ],
        f"{_MIN_NORMAL_D} < fe & {_ABS_D} < {_EXP_D} and fa & {_EXP_D} and fb & {_EXP_D}"
        f" and {_few_trailing_zeros('fa', 'fb')}",
        [f"f[{rd}] = fe", _SET_NX],
    )


def _div(ins: Instr, slow: str) -> list[str]:
    """FDIV. Doubles in RNE: inexact normal quotients only.

    With b normal and a normal result, an exact quotient needs ``mr*mb == ma*2**k``, so fewer
    than 52 trailing zeros in mr*mb (``_few_trailing_zeros`` of the result and b) prove it
    inexact: NX alone (the proof: ``vm.fpu``, as for FMUL). A zero divisor never reaches
    the host division (Python would raise); its result 0 fails the test and the closure runs.
    """
    s1, s2, rd = ins.rs1, ins.rs2, ins.rd
    if not _fmt(ins) or not _rne_only(ins):
        return _call(ins, slow, f"f[{rd}]", f"FP_fdiv({_fmt(ins)}, f[{s1}], f[{s2}], {{rm}})")
    return _guarded(
        ins, slow,
        [
            f"fb = f[{s2}]",
            f"fa, fd = FP_UDD(FP_PQQ(f[{s1}], fb))",
            "fe = FP_UQ(FP_PD(fa / fd))[0] if fd else 0",
        ],
        f"{_MIN_NORMAL_D} < fe & {_ABS_D} < {_EXP_D} and fb & {_EXP_D}"
        f" and {_few_trailing_zeros('fe', 'fb')}",
        [f"f[{rd}] = fe", _SET_NX],
    )


def _sqrt(ins: Instr, slow: str) -> list[str]:
    """FSQRT. Doubles in RNE: inexact roots of positive finite values only.

    For 0 < a < inf the root r is normal, and an exact root needs ``mr*mr == ma*2**k``, so
    at least 26 trailing zeros in mr: a nonzero low 26 bits of r's fraction proves the root
    inexact, NX alone (the proof: ``vm.fpu``, as for FMUL). Other operands give 0 here and
    the closure runs.
    """
    s1, rd = ins.rs1, ins.rd
    if not _fmt(ins) or not _rne_only(ins):
        return _call(ins, slow, f"f[{rd}]", f"FP_fsqrt({_fmt(ins)}, f[{s1}], {{rm}})")
    return _guarded(
        ins, slow,
        [
            f"fa = f[{s1}]",
            f"fe = FP_UQ(FP_PD(FP_SQRT(FP_UD(FP_PQ(fa))[0])))[0] if 0 < fa < {_EXP_D} else 0",
        ],
        "fe & 0x3ffffff",
        [f"f[{rd}] = fe", _SET_NX],
    )


def _fma(ins: Instr, slow: str) -> list[str]:
    """FMADD/FMSUB/FNMSUB/FNMADD: a direct call (vm.fpu has the RNE fast path)."""
    name = ins.op.split(".")[0]
    args = f"{_fmt(ins)}, f[{ins.rs1}], f[{ins.rs2}], f[{ins.rs3}], {{rm}}"
    return _call(ins, slow, f"f[{ins.rd}]", f"FP_{name}({args})")


# --- sign injection, min/max, comparisons, classification ----------------------------------


def _bits32(reg: int, tmp: str) -> str:
    """Assign ``tmp`` the binary32 bits of f[reg] (the canonical NaN if not NaN-boxed)."""
    return f"{tmp} = f[{reg}] & 0xffffffff if f[{reg}] >= {_BOX} else 0x7fc00000"


def _sgnj(ins: Instr, slow: str) -> list[str]:
    """FSGNJ/FSGNJN/FSGNJX (FMV, FNEG, FABS when rs1 == rs2): ``vm.fpu``'s expressions."""
    kind = ins.op.split(".")[0]
    s1, s2, rd = ins.rs1, ins.rs2, ins.rd
    if _fmt(ins):
        if s1 == s2:
            expr = {
                "fsgnj": f"f[{s1}]",
                "fsgnjn": f"f[{s1}] ^ {_SIGN_D}",
                "fsgnjx": f"f[{s1}] & {_ABS_D}",
            }[kind]
            return [f"f[{rd}] = {expr}"]
        expr = {
            "fsgnj": f"(f[{s1}] & {_ABS_D}) | (f[{s2}] & {_SIGN_D})",
            "fsgnjn": f"(f[{s1}] & {_ABS_D}) | (~f[{s2}] & {_SIGN_D})",
            "fsgnjx": f"f[{s1}] ^ (f[{s2}] & {_SIGN_D})",
        }[kind]
        return [f"f[{rd}] = {expr}"]
    if s1 == s2 and kind == "fsgnj":  # fmv.s: a boxed value is kept as it is
        return [f"fa = f[{s1}]", f"f[{rd}] = fa if fa >= {_BOX} else {_CANON_S}"]
    expr = {
        "fsgnj": "(fa & 0x7fffffff) | (fb & 0x80000000)",
        "fsgnjn": "(fa & 0x7fffffff) | (~fb & 0x80000000)",
        "fsgnjx": "fa ^ (fb & 0x80000000)",
    }[kind]
    return [_bits32(s1, "fa"), _bits32(s2, "fb"), f"f[{rd}] = {_BOX} | {expr}"]


def _operands(ins: Instr, slow: str) -> tuple[list[str], str]:
    """Lines putting both operands in fa, fb as floats, and the lines' indentation prefix.

    Doubles convert unconditionally; singles only when both are NaN-boxed (else ``slow``).
    """
    s1, s2 = ins.rs1, ins.rs2
    if _fmt(ins):
        return [f"fa, fb = FP_UDD(FP_PQQ(f[{s1}], f[{s2}]))"], ""
    return [
        f"fa = f[{s1}]",
        f"fb = f[{s2}]",
        f"if fa < {_BOX} or fb < {_BOX}: {slow}",
        "else:",
        "    fa, fb = FP_UFF(FP_PQQ(fa, fb))",
    ], "    "


def _compare(ins: Instr, slow: str) -> list[str]:
    """FEQ/FLT/FLE: the result for non-NaN operands; any NaN runs the closure (flags).

    For ordered operands exactly one of the two tests holds; with a NaN neither does.
    An unboxed single reads as NaN, so it also runs the closure.
    """
    kind = ins.op.split(".")[0]
    yes, no = {"feq": ("fa == fb", "fa < fb or fa > fb"), "flt": ("fa < fb", "fa >= fb"),
               "fle": ("fa <= fb", "fa > fb")}[kind]
    lines, ind = _operands(ins, slow)
    rd = ins.rd
    if rd:
        body = [f"if {yes}: x[{rd}] = 1", f"elif {no}: x[{rd}] = 0", f"else: {slow}"]
    else:
        body = [f"if fa != fa or fb != fb: {slow}"]
    return [*lines, *(ind + line for line in body)]


def _minmax(ins: Instr, slow: str) -> list[str]:
    """FMIN/FMAX: the operand that is strictly smaller/larger (``vm.fpu``'s fast path for
    doubles); equal values, zeros of both signs and NaNs run the closure. Singles: direct call.
    """
    kind = ins.op.split(".")[0]
    s1, s2, rd = ins.rs1, ins.rs2, ins.rd
    if not _fmt(ins):
        return [f"f[{rd}], fe = FP_{kind}(0, f[{s1}], f[{s2}])", "if fe: m.fflags |= fe"]
    first, second = ("fa < fb", "fb < fa") if kind == "fmin" else ("fa > fb", "fb > fa")
    return [
        f"fa, fb = FP_UDD(FP_PQQ(f[{s1}], f[{s2}]))",
        f"if {first}: f[{rd}] = f[{s1}]",
        f"elif {second}: f[{rd}] = f[{s2}]",
        f"else: {slow}",
    ]


def _fclass(ins: Instr, slow: str) -> list[str]:
    if not ins.rd:
        return ["pass"]
    return [f"x[{ins.rd}] = FP_fclass({_fmt(ins)}, f[{ins.rs1}])"]


# --- moves and conversions ----------------------------------------------------------------


def _fmv(ins: Instr, slow: str) -> list[str]:
    """FMV.X.D/FMV.D.X/FMV.X.W/FMV.W.X: bit copies (singles sign-extended or NaN-boxed)."""
    op, rd, s1 = ins.op, ins.rd, ins.rs1
    if op == "fmv.d.x":
        return [f"f[{rd}] = x[{s1}]"]
    if op == "fmv.w.x":
        return [f"f[{rd}] = {_BOX} | (x[{s1}] & 0xffffffff)"]
    if not rd:
        return ["pass"]
    if op == "fmv.x.d":
        return [f"x[{rd}] = f[{s1}]"]
    return [
        f"fe = f[{s1}] & 0xffffffff",
        f"x[{rd}] = fe | {_BOX} if fe & 0x80000000 else fe",
    ]


_INT_SOURCE = {
    # The value of a W/WU/L/LU source register as a Python int.
    "w": "(x[{r}] & 0xffffffff ^ 0x80000000) - 0x80000000",
    "wu": "x[{r}] & 0xffffffff",
    "l": "(x[{r}] ^ 0x8000000000000000) - 0x8000000000000000",
    "lu": "x[{r}]",
}


def _cvt_from_int(ins: Instr, slow: str) -> list[str]:
    """FCVT.D.{W,WU,L,LU} (and singles, by direct call).

    ``float(int)`` is correctly rounded (RNE). A 32-bit integer converts exactly to double in
    any rounding mode, so only a valid mode is needed (the closure checks it even then). A
    64-bit one, in RNE, is inexact iff the double differs from it (int/float compare exactly).
    """
    _, to, src = ins.op.split(".")
    rd = ins.rd
    value = _INT_SOURCE[src].format(r=ins.rs1)
    if to == "s" or (src in ("l", "lu") and not _rne_only(ins)):
        rec = op_of(ins.op)
        return _call(ins, slow, f"f[{rd}]", f"FP_fcvt_from_int({_fmt(ins)}, x[{ins.rs1}], "
                     f"{{rm}}, {rec.signed}, {8 * rec.width})")
    if src in ("w", "wu"):
        store = f"f[{rd}] = FP_UQ(FP_PD(float({value})))[0]"
        if ins.rm == DYN:
            return [*_block("if m.frm < 5:", [store]), *_block("else:", [slow])]
        return [store]
    return _guarded(
        ins, slow,
        [f"fe = {value}", "fd = float(fe)"],
        None,
        [f"f[{rd}] = FP_UQ(FP_PD(fd))[0]", f"if fd != fe: {_SET_NX}"],
    )


# Open interval of doubles whose truncation lies in the destination's range.
_TRUNC_RANGE = {
    "w": ("-2147483649.0", "2147483648.0"),
    "wu": ("-1.0", "4294967296.0"),
    "l": ("-9223372036854777856.0", "9223372036854775808.0"),  # below: -2**63 - 2048
    "lu": ("-1.0", "18446744073709551616.0"),
}


def _cvt_to_int(ins: Instr, slow: str) -> list[str]:
    """FCVT.{W,WU,L,LU}.D with static RTZ (C casts): ``int()`` truncates exactly.

    On the open interval of ``_TRUNC_RANGE`` the truncation is in range (no NV); NX iff it
    differs from the operand. NaN and infinities fail the interval test and run the closure.
    Other modes and singles: direct call.
    """
    _, dst, _ = ins.op.split(".")
    rd, s1 = ins.rd, ins.rs1
    if not _fmt(ins) or ins.rm != fpu.RTZ:
        rec = op_of(ins.op)
        return _call(ins, slow, _xdest(rd), f"FP_fcvt_to_int({_fmt(ins)}, f[{s1}], {{rm}}, "
                     f"{rec.signed}, {8 * rec.width})")
    lo, hi = _TRUNC_RANGE[dst]
    body = []
    if rd:
        image = {
            "w": "fe & 0xffffffffffffffff",
            "wu": f"fe | {_BOX} if fe & 0x80000000 else fe",
            "l": "fe & 0xffffffffffffffff",
            "lu": "fe",
        }[dst]
        body.append(f"x[{rd}] = {image}")
    body.append(f"if fe != fa: {_SET_NX}")
    return [
        f"fa = FP_UD(FP_PQ(f[{s1}]))[0]",
        *_block(f"if {lo} < fa < {hi}:", ["fe = int(fa)", *body]),
        *_block("else:", [slow]),
    ]


def _cvt_fp(ins: Instr, slow: str) -> list[str]:
    """FCVT.S.D / FCVT.D.S: direct calls (FCVT.D.S checks a dynamic mode it does not use)."""
    rd, s1 = ins.rd, ins.rs1
    if ins.op == "fcvt.s.d":
        return _call(ins, slow, f"f[{rd}]", f"FP_fcvt_s_d(f[{s1}], {{rm}})")
    lines = [f"f[{rd}], fe = FP_fcvt_d_s(f[{s1}])", "if fe: m.fflags |= fe"]
    if ins.rm == DYN:
        return [*_block("if m.frm < 5:", lines), *_block("else:", [slow])]
    return lines


_EMITTERS: dict[str, Emitter] = {}
for _p in ("s", "d"):
    _EMITTERS.update({
        f"fadd.{_p}": _add_sub, f"fsub.{_p}": _add_sub, f"fmul.{_p}": _mul,
        f"fdiv.{_p}": _div, f"fsqrt.{_p}": _sqrt,
        f"fsgnj.{_p}": _sgnj, f"fsgnjn.{_p}": _sgnj, f"fsgnjx.{_p}": _sgnj,
        f"fmin.{_p}": _minmax, f"fmax.{_p}": _minmax,
        f"feq.{_p}": _compare, f"flt.{_p}": _compare, f"fle.{_p}": _compare,
        f"fclass.{_p}": _fclass,
        **{f"{n}.{_p}": _fma for n in ("fmadd", "fmsub", "fnmsub", "fnmadd")},
        **{f"fcvt.{_p}.{i}": _cvt_from_int for i in ("w", "wu", "l", "lu")},
        **{f"fcvt.{i}.{_p}": _cvt_to_int for i in ("w", "wu", "l", "lu")},
    })
_EMITTERS.update({
    "fmv.x.d": _fmv, "fmv.d.x": _fmv, "fmv.x.w": _fmv, "fmv.w.x": _fmv,
    "fcvt.s.d": _cvt_fp, "fcvt.d.s": _cvt_fp,
})
del _p
