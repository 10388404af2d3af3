"""RISC-V F and D semantics, bit-exact, as pure functions on raw register images.

Floating-point registers are 64-bit integers holding bit patterns. ``fmt`` selects the format:
0 is binary32 (S), 1 is binary64 (D). A single lives NaN-boxed in a register (upper 32 bits all
ones); an operand that is not properly boxed reads as the canonical NaN, and every single result
is returned boxed. ``rm`` is a resolved rounding mode (RNE, RTZ, RDN, RUP, RMM = 0..4); the caller
has already replaced the dynamic mode by ``frm`` and rejected reserved encodings.

Functions that can raise exceptions return ``(value, flags)``, where ``flags`` holds the fflags
bits (NX, UF, OF, DZ, NV) raised by this one operation; the caller ORs them into fflags.

How exactness is obtained. Every arithmetic result goes through :func:`_round`, which rounds an
exact value ``(-1)**sign * m * 2**e`` (``m`` a Python int, possibly with a sticky low bit) to the
target format under any rounding mode, with tininess detected after rounding as RISC-V does. The
operations compute exact integer results (sum, product, fused product-sum) or quotient and square
root with enough bits plus a sticky bit, so one rounding happens. Fast paths for the default mode
(RNE) use Python floats, which are IEEE binary64 with correct rounding on every host, and fall back
to the exact path whenever they cannot prove both result and flags: overflow, possible underflow,
NaN or infinity, or an inexactness they cannot decide cheaply. Singles are rounded from doubles by
``struct.pack("<f")`` (a C cast, RNE), which is exact for + - * / sqrt and, with round-to-odd,
for FMA. The fast paths assume the host FPU is in its default state (RNE, no flush-to-zero or
denormals-are-zero), as CPython itself does.

Every function is pure: no state, no host floating-point environment is read or changed.
"""

from __future__ import annotations

import math
import struct

from .constants import BOX

__all__ = [
    "NX",
    "UF",
    "OF",
    "DZ",
    "NV",
    "RNE",
    "RTZ",
    "RDN",
    "RUP",
    "RMM",
    "CANONICAL_NAN_S",
    "CANONICAL_NAN_S_BOXED",
    "CANONICAL_NAN_D",
    "fadd",
    "fsub",
    "fmul",
    "fdiv",
    "fsqrt",
    "fmin",
    "fmax",
    "fmadd",
    "fmsub",
    "fnmsub",
    "fnmadd",
    "fsgnj",
    "fsgnjn",
    "fsgnjx",
    "feq",
    "flt",
    "fle",
    "fclass",
    "fcvt_to_int",
    "fcvt_from_int",
    "fcvt_s_d",
    "fcvt_d_s",
    "fmv_x_w",
    "fmv_w_x",
]

# fflags bits.
NX = 1  # inexact
UF = 2  # underflow
OF = 4  # overflow
DZ = 8  # divide by zero
NV = 16  # invalid operation

# Rounding modes (the rm field values).
RNE = 0
RTZ = 1
RDN = 2
RUP = 3
RMM = 4

CANONICAL_NAN_S = 0x7FC00000
CANONICAL_NAN_S_BOXED = BOX | CANONICAL_NAN_S
CANONICAL_NAN_D = 0x7FF8000000000000

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
_SIGN_S = 0x80000000
_SIGN_D = 0x8000000000000000
_INF_S = 0x7F800000
_INF_D = 0x7FF0000000000000
_EXP_D = _INF_D  # the exponent field of a double

# Per-format tables, indexed by fmt (0 = S, 1 = D).
_P = (24, 53)  # precision in bits, hidden bit included
_EMIN = (-126, -1022)  # exponent of the smallest normal
_QMIN = (-149, -1074)  # exponent of the subnormal quantum: EMIN - P + 1
_QMAX = (104, 971)  # largest quantum exponent of a finite number: EMAX - P + 1
_SIGN = (_SIGN_S, _SIGN_D)
_INF = (_INF_S, _INF_D)
_MAXF = (0x7F7FFFFF, 0x7FEFFFFFFFFFFFFF)  # largest finite magnitude
_CANON = (CANONICAL_NAN_S_BOXED, CANONICAL_NAN_D)

# Operand kinds returned by _unpack. NaNs compare >= _QNAN.
_ZERO = 0
_FIN = 1
_INF_K = 2
_QNAN = 3
_SNAN = 4

_pack_q = struct.Struct("<Q").pack
_unpack_q = struct.Struct("<Q").unpack
_pack_d = struct.Struct("<d").pack
_unpack_d = struct.Struct("<d").unpack
_unpack_i = struct.Struct("<I").unpack
_pack_f = struct.Struct("<f").pack
_unpack_f = struct.Struct("<f").unpack
_pack_qq = struct.Struct("<2Q").pack
_unpack_dd = struct.Struct("<2d").unpack
_unpack_f_lo = struct.Struct("<f4x").unpack  # the low word of a boxed single
_unpack_ff = struct.Struct("<f4xf4x").unpack  # the low words of two boxed singles
_pack_qqq = struct.Struct("<3Q").pack
_unpack_ddd = struct.Struct("<3d").unpack
_unpack_fff = struct.Struct("<f4xf4xf4x").unpack
_fsum = math.fsum

_INF_F = math.inf
_TINY_S = 2.0**-126  # smallest normal single, as a double
_TINY_D = 2.0**-1022  # smallest normal double
# Dekker's product is exact when the splits cannot overflow and the error term cannot
# underflow; the window below keeps a wide margin on both sides.
_SPLIT = 134217729.0  # 2**27 + 1
_DEKKER_HI = 2.0**995
_DEKKER_LO = 2.0**-900


# ----------------------------------------------------------------------------------------------
# Unpacking, packing, rounding


def _bits32(a: int) -> int:
    """The binary32 bits of a register image: its low word if NaN-boxed, else the canonical NaN."""
    if a >> 32 == _M32:
        return a & _M32
    return CANONICAL_NAN_S


def _unpack(fmt: int, a: int) -> tuple[int, int, int, int]:
    """Split a register image into (kind, sign, m, e) with value (-1)**sign * m * 2**e."""
    if fmt:
        sign = a >> 63
        exp = (a >> 52) & 0x7FF
        frac = a & 0x000FFFFFFFFFFFFF
        if exp == 0x7FF:
            if frac == 0:
                return _INF_K, sign, 0, 0
            return (_QNAN if frac >> 51 else _SNAN), sign, 0, 0
        if exp:
            return _FIN, sign, frac | 0x0010000000000000, exp - 1075
        if frac:
            return _FIN, sign, frac, -1074
        return _ZERO, sign, 0, 0
    if a >> 32 != _M32:
        return _QNAN, 0, 0, 0
    sign = (a >> 31) & 1
    exp = (a >> 23) & 0xFF
    frac = a & 0x007FFFFF
    if exp == 0xFF:
        if frac == 0:
            return _INF_K, sign, 0, 0
        return (_QNAN if frac >> 22 else _SNAN), sign, 0, 0
    if exp:
        return _FIN, sign, frac | 0x00800000, exp - 150
    if frac:
        return _FIN, sign, frac, -149
    return _ZERO, sign, 0, 0


def _box(fmt: int, bits: int) -> int:
    """The register image of format bits (box singles)."""
    return bits if fmt else BOX | bits


def _zero(fmt: int, sign: int) -> int:
    return _box(fmt, _SIGN[fmt] if sign else 0)


def _inf(fmt: int, sign: int) -> int:
    return _box(fmt, (_SIGN[fmt] if sign else 0) | _INF[fmt])


def _round_up(rm: int, sign: int, keep: int, rem: int, half: int) -> bool:
    """Whether rounding away the nonzero remainder ``rem`` (half is the halfway value) adds one."""
    if rm == RNE:
        return rem > half or (rem == half and keep & 1 == 1)
    if rm == RTZ:
        return False
    if rm == RDN:
        return sign == 1
    if rm == RUP:
        return sign == 0
    return rem >= half  # RMM


def _round(fmt: int, sign: int, m: int, e: int, rm: int) -> tuple[int, int]:
    """Round (-1)**sign * m * 2**e (m > 0) to format ``fmt`` under ``rm``.

    ``m`` may carry a sticky bit: an inexact quotient or root passes ``2*q + (rem != 0)`` with at
    least P + 3 significant bits, so the sticky bit always lies at least three places below the
    rounding position (also below the position used to decide tininess).

    Returns:
        The register image of the result and the flags raised (NX, UF, OF).
    """
    p = _P[fmt]
    E = e + m.bit_length() - 1  # exponent of the leading bit
    qmin = _QMIN[fmt]
    q = E - p + 1  # quantum exponent of the result
    if q < qmin:
        q = qmin
    shift = q - e
    flags = 0
    if shift > 0:
        keep = m >> shift
        rem = m & ((1 << shift) - 1)
        if rem:
            flags = NX
            half = 1 << (shift - 1)
            if _round_up(rm, sign, keep, rem, half):
                keep += 1
                if keep >> p:  # carried out to 2**p: renormalise
                    keep >>= 1
                    q += 1
            if E < _EMIN[fmt]:
                # Tiny unless rounding to P bits with an unbounded exponent reaches 2**EMIN,
                # which can only happen for a value just below it.
                tiny = True
                if E == _EMIN[fmt] - 1:
                    s2 = shift - 1
                    k2 = m >> s2
                    r2 = m & ((1 << s2) - 1)
                    if r2 and _round_up(rm, sign, k2, r2, 1 << (s2 - 1)):
                        k2 += 1
                    tiny = k2 >> p == 0
                if tiny:
                    flags |= UF
    else:
        keep = m << -shift
    if q > _QMAX[fmt]:
        if rm == RNE or rm == RMM or (rm == RDN and sign) or (rm == RUP and not sign):
            mag = _INF[fmt]
        else:
            mag = _MAXF[fmt]
        return _box(fmt, (_SIGN[fmt] if sign else 0) | mag), OF | NX
    bits = ((q - qmin) << (p - 1)) + keep
    if sign:
        bits |= _SIGN[fmt]
    return _box(fmt, bits), flags


def _nan_result(fmt: int, *kinds: int) -> tuple[int, int]:
    """Canonical NaN, with NV if any operand kind is a signalling NaN."""
    return _CANON[fmt], (NV if _SNAN in kinds else 0)


# ----------------------------------------------------------------------------------------------
# Exact cores shared by the public operations


def _sum(
    fmt: int, sa: int, ma: int, ea: int, sb: int, mb: int, eb: int, rm: int
) -> tuple[int, int]:
    """Round the exact sum of two finite values (m == 0 means a zero of that sign)."""
    if ma == 0:
        if mb == 0:
            return _zero(fmt, sa if sa == sb else int(rm == RDN)), 0
        return _round(fmt, sb, mb, eb, rm)
    if mb == 0:
        return _round(fmt, sa, ma, ea, rm)
    la = ma.bit_length()
    lb = mb.bit_length()
    if ea + la < eb + lb:  # make a the operand with the higher leading bit
        sa, ma, ea, la, sb, mb, eb, lb = sb, mb, eb, lb, sa, ma, ea, la
    if eb + lb < ea + la - _P[fmt] - 5:
        # b lies far below a: widen a to at least P + 3 bits, and if b is then wholly below a's
        # last bit, replace it by a sticky half-unit there. The result's rounding position stays
        # at least two places above a's last bit, so every rounding decision is unchanged.
        s = _P[fmt] + 3 - la
        if s > 0:
            ma <<= s
            ea -= s
        if eb + lb < ea:
            mb = 1
            ma <<= 1
            ea -= 1
            eb = ea
    if ea > eb:
        ma <<= ea - eb
        ea = eb
    elif eb > ea:
        mb <<= eb - ea
    s = (-ma if sa else ma) + (-mb if sb else mb)
    if s == 0:
        return _zero(fmt, int(rm == RDN)), 0
    if s < 0:
        return _round(fmt, 1, -s, ea, rm)
    return _round(fmt, 0, s, ea, rm)


def _add_slow(fmt: int, a: int, b: int, rm: int, neg_b: int) -> tuple[int, int]:
    ka, sa, ma, ea = _unpack(fmt, a)
    kb, sb, mb, eb = _unpack(fmt, b)
    if ka >= _QNAN or kb >= _QNAN:
        return _nan_result(fmt, ka, kb)
    sb ^= neg_b
    if ka == _INF_K:
        if kb == _INF_K and sa != sb:
            return _CANON[fmt], NV
        return _inf(fmt, sa), 0
    if kb == _INF_K:
        return _inf(fmt, sb), 0
    return _sum(fmt, sa, ma, ea, sb, mb, eb, rm)


def _mul_slow(fmt: int, a: int, b: int, rm: int) -> tuple[int, int]:
    ka, sa, ma, ea = _unpack(fmt, a)
    kb, sb, mb, eb = _unpack(fmt, b)
    if ka >= _QNAN or kb >= _QNAN:
        return _nan_result(fmt, ka, kb)
    s = sa ^ sb
    if ka == _INF_K or kb == _INF_K:
        if ka == _ZERO or kb == _ZERO:
            return _CANON[fmt], NV
        return _inf(fmt, s), 0
    if ka == _ZERO or kb == _ZERO:
        return _zero(fmt, s), 0
    return _round(fmt, s, ma * mb, ea + eb, rm)


def _div_slow(fmt: int, a: int, b: int, rm: int) -> tuple[int, int]:
    ka, sa, ma, ea = _unpack(fmt, a)
    kb, sb, mb, eb = _unpack(fmt, b)
    if ka >= _QNAN or kb >= _QNAN:
        return _nan_result(fmt, ka, kb)
    s = sa ^ sb
    if ka == _INF_K:
        if kb == _INF_K:
            return _CANON[fmt], NV
        return _inf(fmt, s), 0
    if kb == _INF_K:
        return _zero(fmt, s), 0
    if kb == _ZERO:
        if ka == _ZERO:
            return _CANON[fmt], NV
        return _inf(fmt, s), DZ
    if ka == _ZERO:
        return _zero(fmt, s), 0
    # Quotient with at least P + 3 bits, then a sticky bit for the remainder (k > 0 as both
    # significands have at most P bits).
    k = _P[fmt] + 3 + mb.bit_length() - ma.bit_length()
    q, r = divmod(ma << k, mb)
    return _round(fmt, s, (q << 1) | (r != 0), ea - k - eb - 1, rm)


def _sqrt_slow(fmt: int, a: int, rm: int) -> tuple[int, int]:
    ka, sa, ma, ea = _unpack(fmt, a)
    if ka >= _QNAN:
        return _nan_result(fmt, ka)
    if ka == _ZERO:
        return _zero(fmt, sa), 0
    if sa:
        return _CANON[fmt], NV
    if ka == _INF_K:
        return _inf(fmt, 0), 0
    if ea & 1:
        ma <<= 1
        ea -= 1
    # Scale by an even power of two so the root has at least P + 3 bits.
    k = (2 * _P[fmt] + 6 - ma.bit_length()) // 2
    x = ma << (2 * k)
    r = math.isqrt(x)
    return _round(fmt, 0, (r << 1) | (r * r != x), (ea >> 1) - k - 1, rm)


def _fma_slow(
    fmt: int, a: int, b: int, c: int, rm: int, neg_prod: int, neg_c: int
) -> tuple[int, int]:
    ka, sa, ma, ea = _unpack(fmt, a)
    kb, sb, mb, eb = _unpack(fmt, b)
    kc, sc, mc, ec = _unpack(fmt, c)
    inf_times_zero = (ka == _INF_K and kb == _ZERO) or (ka == _ZERO and kb == _INF_K)
    if ka >= _QNAN or kb >= _QNAN or kc >= _QNAN:
        # RISC-V raises NV for inf * 0 even when the addend is a quiet NaN.
        flags = NV if inf_times_zero or _SNAN in (ka, kb, kc) else 0
        return _CANON[fmt], flags
    if inf_times_zero:
        return _CANON[fmt], NV
    sp = sa ^ sb ^ neg_prod
    sc ^= neg_c
    if ka == _INF_K or kb == _INF_K:
        if kc == _INF_K and sc != sp:
            return _CANON[fmt], NV
        return _inf(fmt, sp), 0
    if kc == _INF_K:
        return _inf(fmt, sc), 0
    return _sum(fmt, sp, ma * mb, ea + eb, sc, mc, ec, rm)


# ----------------------------------------------------------------------------------------------
# Exactness of a double product, quotient or root: the one proof
#
# FMUL.D, FDIV.D and FSQRT.D in RNE take the host's result r (IEEE binary64, correctly rounded
# to nearest even) when it is normal: then r is not tiny (an exact value that rounds above the
# smallest normal is above it; tininess is after rounding) and, being finite, no overflow, so the
# flags are NX alone, raised iff r differs from the exact value. Write each finite nonzero
# operand and r as m * 2**(e - 1075) with an integer significand m < 2**53 (m >= 2**52 for a
# normal value; a subnormal has e = 1). Then r is exact iff, with k fixed by the exponents,
#
#     FMUL  a * b = r:     ma * mb == mr * 2**k      k = er - ea - eb + 1075
#     FDIV  a / b = r:     mr * mb == ma * 2**k      k = ea - er - eb + 1075
#     FSQRT sqrt(a) = r:   mr * mr == ma * 2**k      k = ea - 2 * er + 1075
#
# ``fsqrt`` decides with its equation as written; ``fmul`` with the same one with k eliminated
# (r is normal, so ma*mb == mr*2**k for the right k iff the odd part of ma*mb is below 2**53),
# ``fdiv`` likewise (mr = ma*2**k/mb is an integer below 2**53 iff mb's odd part divides ma).
# Corollary, used by ``vm.fpinline``'s inline fast paths: when both factors on the left are
# normal significands (>= 2**52) the left side is >= 2**104 while the right one's significand is
# < 2**53, so equality needs k >= 52: the left side, hence its two factors together, must have
# at least 52 trailing zero bits. Fewer (FSQRT: a nonzero low 26 bits of mr) proves r inexact;
# ``fmul`` and ``fdiv`` test that first, in its cheapest form (each normal factor has a one in
# its low 26 bits). ``fmul`` also takes 53 or more trailing zeros together as proof of
# exactness: the odd parts then have at most 53 bits together, so their product fits.


# ----------------------------------------------------------------------------------------------
# Arithmetic
#
# The RNE fast paths below are written for CPython speed: operands are converted two or three at
# a time, names are module globals bound once, and the flag constants appear as literals
# (1 is NX). Each returns only when it has proved the result and the flags; otherwise control
# falls through to the exact path.


def fadd(fmt: int, a: int, b: int, rm: int) -> tuple[int, int]:
    """FADD.S / FADD.D: a + b rounded by ``rm``.

    Args:
        fmt: 0 for single, 1 for double.
        a, b: register images of the operands.
        rm: resolved rounding mode (0..4).

    Returns:
        (result register image, fflags raised).
    """
    if not rm:
        if fmt:
            x, y = _unpack_dd(_pack_qq(a, b))
            r = x + y
            if r - r == 0.0:  # finite, so are x and y
                # TwoSum: err is the exact rounding error (non-finite only on a spurious
                # intermediate overflow, which the exact path then handles).
                t = r - x
                err = (x - (r - t)) + (y - t)
                if err == 0.0:
                    return _unpack_q(_pack_d(r))[0], 0
                if err - err == 0.0:
                    return _unpack_q(_pack_d(r))[0], 1
        elif (a & b) >> 32 == 0xFFFFFFFF:
            # Rounding the double sum to single is correct (double rounding is innocuous for
            # + - * / sqrt as 53 >= 2*24 + 2); a sum never underflows inexactly.
            x, y = _unpack_ff(_pack_qq(a, b))
            r = x + y
            if r - r == 0.0:
                try:
                    rb = _pack_f(r)
                except OverflowError:
                    rb = None
                if rb is not None:
                    if _unpack_f(rb)[0] != r:
                        return 0xFFFFFFFF00000000 | _unpack_i(rb)[0], 1
                    t = r - x
                    err = (x - (r - t)) + (y - t)
                    return 0xFFFFFFFF00000000 | _unpack_i(rb)[0], (0 if err == 0.0 else 1)
    return _add_slow(fmt, a, b, rm, 0)


def fsub(fmt: int, a: int, b: int, rm: int) -> tuple[int, int]:
    """FSUB.S / FSUB.D: a - b rounded by ``rm``. Returns (result, fflags); see :func:`fadd`."""
    if not rm:
        if fmt:
            x, y = _unpack_dd(_pack_qq(a, b))
            r = x - y
            if r - r == 0.0:
                t = r - x
                err = (x - (r - t)) - (y + t)
                if err == 0.0:
                    return _unpack_q(_pack_d(r))[0], 0
                if err - err == 0.0:
                    return _unpack_q(_pack_d(r))[0], 1
        elif (a & b) >> 32 == 0xFFFFFFFF:
            x, y = _unpack_ff(_pack_qq(a, b))
            r = x - y
            if r - r == 0.0:
                try:
                    rb = _pack_f(r)
                except OverflowError:
                    rb = None
                if rb is not None:
                    if _unpack_f(rb)[0] != r:
                        return 0xFFFFFFFF00000000 | _unpack_i(rb)[0], 1
                    t = r - x
                    err = (x - (r - t)) - (y + t)
                    return 0xFFFFFFFF00000000 | _unpack_i(rb)[0], (0 if err == 0.0 else 1)
    return _add_slow(fmt, a, b, rm, 1)


def fmul(fmt: int, a: int, b: int, rm: int) -> tuple[int, int]:
    """FMUL.S / FMUL.D: a * b rounded by ``rm``. Returns (result, fflags)."""
    if not rm:
        if fmt:
            x, y = _unpack_dd(_pack_qq(a, b))
            r = x * y
            if _TINY_D < r < _INF_F or -_INF_F < r < -_TINY_D:
                # A normal product of finite nonzero operands: exact iff ma*mb == mr*2**k
                # (see "Exactness of a double product" above).
                rb = _unpack_q(_pack_d(r))[0]
                if a & _EXP_D and b & _EXP_D:  # normal factors: the corollary decides most
                    if a & 0x3FFFFFF and b & 0x3FFFFFF:
                        return rb, 1  # fewer than 52 trailing zeros together: inexact
                    t = (a & -a) * (b & -b)  # 2**(trailing zeros together), or >= 2**52
                    if t < 0x10000000000000:
                        return rb, 1
                    if t >= 0x20000000000000:  # a zero fraction, or the odd parts fit
                        return rb, 0
                ma = a & 0x000FFFFFFFFFFFFF
                if a & _EXP_D:
                    ma |= 0x0010000000000000
                mb = b & 0x000FFFFFFFFFFFFF
                if b & _EXP_D:
                    mb |= 0x0010000000000000
                p = ma * mb  # exact iff its odd part fits in 53 bits
                return rb, (0 if p < (p & -p) << 53 else 1)
        elif (a & b) >> 32 == 0xFFFFFFFF:
            x, y = _unpack_ff(_pack_qq(a, b))
            r = x * y  # exact: a 48-bit product, well inside the double range
            if r - r == 0.0:
                try:
                    rb = _pack_f(r)
                except OverflowError:
                    rb = None
                if rb is not None:
                    v = _unpack_f(rb)[0]
                    if v == r:
                        return 0xFFFFFFFF00000000 | _unpack_i(rb)[0], 0
                    if v > _TINY_S or v < -_TINY_S:  # inexact and surely not tiny
                        return 0xFFFFFFFF00000000 | _unpack_i(rb)[0], 1
    return _mul_slow(fmt, a, b, rm)


def fdiv(fmt: int, a: int, b: int, rm: int) -> tuple[int, int]:
    """FDIV.S / FDIV.D: a / b rounded by ``rm``. Returns (result, fflags)."""
    if not rm:
        if fmt:
            x, y = _unpack_dd(_pack_qq(a, b))
            if y:
                r = x / y
                if _TINY_D < r < _INF_F or -_INF_F < r < -_TINY_D:
                    # A normal quotient of finite nonzero operands: exact iff
                    # mr*mb == ma*2**k (see "Exactness of a double product" above).
                    rb = _unpack_q(_pack_d(r))[0]
                    if rb & 0x3FFFFFF and b & 0x3FFFFFF and b & _EXP_D:
                        return rb, 1  # normal factors, fewer than 52 trailing zeros: inexact
                    # mr = ma * 2**k / mb is an integer below 2**53 iff mb's odd part divides ma.
                    mb = b & 0x000FFFFFFFFFFFFF
                    if b & _EXP_D:
                        mb |= 0x0010000000000000
                    mb >>= (mb & -mb).bit_length() - 1
                    ma = a & 0x000FFFFFFFFFFFFF
                    if a & _EXP_D:
                        ma |= 0x0010000000000000
                    return rb, (0 if ma % mb == 0 else 1)
        elif (a & b) >> 32 == 0xFFFFFFFF:
            x, y = _unpack_ff(_pack_qq(a, b))
            if y:
                r = x / y
                if r - r == 0.0:
                    try:
                        rb = _pack_f(r)
                    except OverflowError:
                        rb = None
                    if rb is not None:
                        v = _unpack_f(rb)[0]
                        # v == r means the double quotient is a single; then it is exact iff
                        # v * y == x, a product of two singles (exact in double).
                        if v == r and v * y == x:
                            return 0xFFFFFFFF00000000 | _unpack_i(rb)[0], 0
                        if v > _TINY_S or v < -_TINY_S:
                            return 0xFFFFFFFF00000000 | _unpack_i(rb)[0], 1
    return _div_slow(fmt, a, b, rm)


def fsqrt(fmt: int, a: int, rm: int) -> tuple[int, int]:
    """FSQRT.S / FSQRT.D: square root of a rounded by ``rm``. Returns (result, fflags)."""
    if not rm:
        if fmt:
            if 0 < a < 0x7FF0000000000000:  # positive, finite, nonzero: the root is normal
                rb = _unpack_q(_pack_d(math.sqrt(_unpack_d(_pack_q(a))[0])))[0]
                # Exact iff mr**2 * 2**(2*er) == ma * 2**ea (see "Exactness of a double
                # product" above).
                mr = (rb & 0x000FFFFFFFFFFFFF) | 0x0010000000000000
                er = (rb >> 52) - 1075
                exp = a >> 52
                if exp:
                    ma = (a & 0x000FFFFFFFFFFFFF) | 0x0010000000000000
                    ea = exp - 1075
                else:
                    ma = a
                    ea = -1074
                d = 2 * er - ea
                sq = mr * mr
                exact = (sq << d) == ma if d >= 0 else sq == (ma << -d)
                return rb, (0 if exact else 1)
        elif 0xFFFFFFFF00000000 < a < 0xFFFFFFFF7F800000:  # boxed, positive, finite, nonzero
            x = _unpack_f_lo(_pack_q(a))[0]
            r = math.sqrt(x)
            rb = _pack_f(r)
            v = _unpack_f(rb)[0]
            return 0xFFFFFFFF00000000 | _unpack_i(rb)[0], (0 if v == r and v * v == x else 1)
    return _sqrt_slow(fmt, a, rm)


def fmadd(fmt: int, a: int, b: int, c: int, rm: int) -> tuple[int, int]:
    """FMADD: a*b + c with a single rounding. Returns (result, fflags)."""
    if not rm:
        r = _fma_d_rne(a, b, c) if fmt else _fma_s_rne(a, b, c)
        if r is not None:
            return r
    return _fma_slow(fmt, a, b, c, rm, 0, 0)


def fmsub(fmt: int, a: int, b: int, c: int, rm: int) -> tuple[int, int]:
    """FMSUB: a*b - c with a single rounding. Returns (result, fflags)."""
    if not rm:
        sign = 0x8000000000000000 if fmt else 0x80000000
        r = _fma_d_rne(a, b, c ^ sign) if fmt else _fma_s_rne(a, b, c ^ sign)
        if r is not None:
            return r
    return _fma_slow(fmt, a, b, c, rm, 0, 1)


def fnmsub(fmt: int, a: int, b: int, c: int, rm: int) -> tuple[int, int]:
    """FNMSUB: -(a*b) + c with a single rounding. Returns (result, fflags)."""
    if not rm:
        sign = 0x8000000000000000 if fmt else 0x80000000
        r = _fma_d_rne(a ^ sign, b, c) if fmt else _fma_s_rne(a ^ sign, b, c)
        if r is not None:
            return r
    return _fma_slow(fmt, a, b, c, rm, 1, 0)


def fnmadd(fmt: int, a: int, b: int, c: int, rm: int) -> tuple[int, int]:
    """FNMADD: -(a*b) - c with a single rounding. Returns (result, fflags)."""
    if not rm:
        sign = 0x8000000000000000 if fmt else 0x80000000
        r = _fma_d_rne(a ^ sign, b, c ^ sign) if fmt else _fma_s_rne(a ^ sign, b, c ^ sign)
        if r is not None:
            return r
    return _fma_slow(fmt, a, b, c, rm, 1, 1)


def _fma_d_rne(a: int, b: int, c: int) -> tuple[int, int] | None:
    """Double a*b + c in RNE through floats, or None to take the exact path.

    Dekker's product gives x*y = p + e exactly (inside its safe window); math.fsum rounds the
    exact sum p + e + z correctly (RNE), and summing the residual decides NX.
    """
    x, y, z = _unpack_ddd(_pack_qqq(a, b, c))
    p = x * y
    if (
        (_DEKKER_LO < p < _DEKKER_HI or -_DEKKER_HI < p < -_DEKKER_LO)
        and -_DEKKER_HI < x < _DEKKER_HI
        and -_DEKKER_HI < y < _DEKKER_HI
        and -_DEKKER_HI < z < _DEKKER_HI
    ):
        t = _SPLIT * x
        xh = t - (t - x)
        xl = x - xh
        t = _SPLIT * y
        yh = t - (t - y)
        yl = y - yh
        e = ((xh * yh - p) + xh * yl + xl * yh) + xl * yl
        r = _fsum((p, e, z))
        if r > _TINY_D or r < -_TINY_D:  # not tiny (and not an exact zero: its sign varies)
            return _unpack_q(_pack_d(r))[0], (0 if _fsum((p, e, z, -r)) == 0.0 else 1)
    return None


def _fma_s_rne(a: int, b: int, c: int) -> tuple[int, int] | None:
    """Single a*b + c in RNE through doubles, or None to take the exact path.

    The product of two singles is exact in double. TwoSum gives the double sum s and its exact
    error t; if t != 0, s is moved one double ulp towards t when its last bit is even (round to
    odd), after which rounding s to single equals rounding the exact sum once.
    """
    if (a & b & c) >> 32 != 0xFFFFFFFF:
        return None
    x, y, z = _unpack_fff(_pack_qqq(a, b, c))
    p = x * y
    s = p + z
    if s - s != 0.0 or s == 0.0:
        return None  # NaN, infinity, or an exact zero whose sign depends on the operands
    u = s - p
    t = (p - (s - u)) + (z - u)
    if t != 0.0 and not _unpack_q(_pack_d(s))[0] & 1:
        s = math.nextafter(s, _INF_F if t > 0.0 else -_INF_F)
    try:
        rb = _pack_f(s)
    except OverflowError:
        return None
    v = _unpack_f(rb)[0]
    if t == 0.0 and v == s:
        return 0xFFFFFFFF00000000 | _unpack_i(rb)[0], 0
    if v > _TINY_S or v < -_TINY_S:
        return 0xFFFFFFFF00000000 | _unpack_i(rb)[0], 1
    return None


# ----------------------------------------------------------------------------------------------
# Min/max, sign injection, comparisons, classification


def _key(fmt: int, a: int) -> tuple[int, bool]:
    """(order key, is_nan) of an operand; keys order values, with -0 and +0 equal."""
    if fmt:
        mag = a & 0x7FFFFFFFFFFFFFFF
        return (-mag if a >> 63 else mag), mag > _INF_D
    v = _bits32(a)
    mag = v & 0x7FFFFFFF
    return (-mag if v >> 31 else mag), mag > _INF_S


def _is_snan(fmt: int, a: int) -> bool:
    if fmt:
        return (a & 0x7FFFFFFFFFFFFFFF) > _INF_D and not a & 0x0008000000000000
    v = _bits32(a)
    return (v & 0x7FFFFFFF) > _INF_S and not v & 0x00400000


def _minmax(fmt: int, a: int, b: int, want_max: bool) -> tuple[int, int]:
    ka, na = _key(fmt, a)
    kb, nb = _key(fmt, b)
    flags = NV if (na or nb) and (_is_snan(fmt, a) or _is_snan(fmt, b)) else 0
    if na:
        # A non-NaN operand is properly boxed, so it is returned as it is.
        return (_CANON[fmt] if nb else b), flags
    if nb:
        return a, flags
    if ka == kb:
        # Equal values: identical bits unless they are zeros of opposite signs;
        # min prefers -0, max prefers +0.
        sign_a = a >> (63 if fmt else 31) & 1
        pick_a = sign_a == (0 if want_max else 1)
    else:
        pick_a = (ka > kb) == want_max
    return (a if pick_a else b), flags


def fmin(fmt: int, a: int, b: int) -> tuple[int, int]:
    """FMIN: minimumNumber (-0 < +0; one NaN gives the other operand; sNaN raises NV)."""
    if fmt:
        x, y = _unpack_dd(_pack_qq(a, b))
        if x < y:
            return a, 0
        if y < x:
            return b, 0
    return _minmax(fmt, a, b, False)


def fmax(fmt: int, a: int, b: int) -> tuple[int, int]:
    """FMAX: maximumNumber (-0 < +0; one NaN gives the other operand; sNaN raises NV)."""
    if fmt:
        x, y = _unpack_dd(_pack_qq(a, b))
        if x > y:
            return a, 0
        if y > x:
            return b, 0
    return _minmax(fmt, a, b, True)


def fsgnj(fmt: int, a: int, b: int) -> int:
    """FSGNJ: a's magnitude with b's sign (FMV when a == b)."""
    if fmt:
        return (a & 0x7FFFFFFFFFFFFFFF) | (b & _SIGN_D)
    return BOX | (_bits32(a) & 0x7FFFFFFF) | (_bits32(b) & _SIGN_S)


def fsgnjn(fmt: int, a: int, b: int) -> int:
    """FSGNJN: a's magnitude with the opposite of b's sign (FNEG when a == b)."""
    if fmt:
        return (a & 0x7FFFFFFFFFFFFFFF) | (~b & _SIGN_D)
    return BOX | (_bits32(a) & 0x7FFFFFFF) | (~_bits32(b) & _SIGN_S)


def fsgnjx(fmt: int, a: int, b: int) -> int:
    """FSGNJX: a with its sign XORed with b's sign (FABS when a == b)."""
    if fmt:
        return a ^ (b & _SIGN_D)
    return BOX | (_bits32(a) ^ (_bits32(b) & _SIGN_S))


def _pair(fmt: int, a: int, b: int) -> tuple[float, float]:
    """Both operands as Python floats; an unboxed single reads as NaN."""
    if fmt:
        return _unpack_dd(_pack_qq(a, b))
    if (a & b) >> 32 == 0xFFFFFFFF:
        return _unpack_ff(_pack_qq(a, b))
    return (
        _unpack_f_lo(_pack_q(a))[0] if a >> 32 == 0xFFFFFFFF else math.nan,
        _unpack_f_lo(_pack_q(b))[0] if b >> 32 == 0xFFFFFFFF else math.nan,
    )


def feq(fmt: int, a: int, b: int) -> tuple[int, int]:
    """FEQ: 1 if a == b (quiet: NV only for a signalling NaN). Returns (0|1, fflags)."""
    x, y = _pair(fmt, a, b)
    if x == y:
        return 1, 0
    if x == x and y == y:
        return 0, 0
    return 0, (NV if _is_snan(fmt, a) or _is_snan(fmt, b) else 0)


def flt(fmt: int, a: int, b: int) -> tuple[int, int]:
    """FLT: 1 if a < b (signalling: NV for any NaN). Returns (0|1, fflags)."""
    x, y = _pair(fmt, a, b)
    if x < y:
        return 1, 0
    if x == x and y == y:
        return 0, 0
    return 0, NV


def fle(fmt: int, a: int, b: int) -> tuple[int, int]:
    """FLE: 1 if a <= b (signalling: NV for any NaN). Returns (0|1, fflags)."""
    x, y = _pair(fmt, a, b)
    if x <= y:
        return 1, 0
    if x == x and y == y:
        return 0, 0
    return 0, NV


def fclass(fmt: int, a: int) -> int:
    """FCLASS: the one-hot 10-bit class mask of a.

    Bits: 0 -inf, 1 negative normal, 2 negative subnormal, 3 -0, 4 +0, 5 positive subnormal,
    6 positive normal, 7 +inf, 8 signalling NaN, 9 quiet NaN.
    """
    if fmt:
        sign = a >> 63
        exp = (a >> 52) & 0x7FF
        frac = a & 0x000FFFFFFFFFFFFF
        emax = 0x7FF
        quiet = 0x0008000000000000
    else:
        v = _bits32(a)
        sign = v >> 31
        exp = (v >> 23) & 0xFF
        frac = v & 0x007FFFFF
        emax = 0xFF
        quiet = 0x00400000
    if exp == emax:
        if frac:
            return 1 << 9 if frac & quiet else 1 << 8
        return 1 if sign else 1 << 7
    if exp:
        return 1 << 1 if sign else 1 << 6
    if frac:
        return 1 << 2 if sign else 1 << 5
    return 1 << 3 if sign else 1 << 4


# ----------------------------------------------------------------------------------------------
# Conversions and moves


def _xreg(v: int, width: int) -> int:
    """The 64-bit register image of integer v; 32-bit values are sign-extended."""
    if width == 64:
        return v & _M64
    v &= _M32
    return v | 0xFFFFFFFF00000000 if v & 0x80000000 else v


def _int_range(signed: bool, width: int) -> tuple[int, int]:
    if signed:
        return -(1 << (width - 1)), (1 << (width - 1)) - 1
    return 0, (1 << width) - 1


def fcvt_to_int(fmt: int, a: int, rm: int, signed: bool, width: int) -> tuple[int, int]:
    """FCVT.{W,WU,L,LU}.{S,D}: round a to an integer by ``rm``.

    Out-of-range values and infinities saturate, NaN gives the largest value; both raise NV
    (without NX). A representable but rounded result raises NX.

    Args:
        fmt: 0 for single, 1 for double.
        a: register image of the source.
        rm: resolved rounding mode.
        signed: True for W/L, False for WU/LU.
        width: 32 (W, WU) or 64 (L, LU).

    Returns:
        (x-register image, fflags). 32-bit results are sign-extended, WU included.
    """
    if rm == 1:  # RTZ, what C casts compile to; int() truncates towards zero exactly
        if fmt:
            x = _unpack_d(_pack_q(a))[0]
        elif a >> 32 == 0xFFFFFFFF:
            x = _unpack_f_lo(_pack_q(a))[0]
        else:
            x = math.nan
        if x - x == 0.0:
            i = int(x)
            if signed:
                if width == 32:
                    ok = -0x80000000 <= i <= 0x7FFFFFFF
                else:
                    ok = -0x8000000000000000 <= i <= 0x7FFFFFFFFFFFFFFF
                if ok:  # the two's complement image is the sign-extended value
                    return i & 0xFFFFFFFFFFFFFFFF, (0 if i == x else 1)
            elif 0 <= i <= (0xFFFFFFFF if width == 32 else 0xFFFFFFFFFFFFFFFF):
                return _xreg(i, width), (0 if i == x else 1)
    return _cvt_to_int_slow(fmt, a, rm, signed, width)


def _cvt_to_int_slow(fmt: int, a: int, rm: int, signed: bool, width: int) -> tuple[int, int]:
    lo, hi = _int_range(signed, width)
    k, s, m, e = _unpack(fmt, a)
    if k >= _QNAN:
        return _xreg(hi, width), NV
    if k == _INF_K:
        return _xreg(lo if s else hi, width), NV
    if k == _ZERO:
        return 0, 0
    flags = 0
    if e >= 0:
        if e > 64:
            return _xreg(lo if s else hi, width), NV
        i = m << e
    else:
        sh = -e
        i = m >> sh
        rem = m & ((1 << sh) - 1)
        if rem:
            flags = NX
            if _round_up(rm, s, i, rem, 1 << (sh - 1)):
                i += 1
    if s:
        i = -i
    if i < lo:
        return _xreg(lo, width), NV
    if i > hi:
        return _xreg(hi, width), NV
    return _xreg(i, width), flags


def _int_value(xval: int, signed: bool, width: int) -> int:
    """The integer an x register holds for a W/WU/L/LU source."""
    if width == 32:
        v = xval & _M32
        if signed and v & 0x80000000:
            v -= 1 << 32
        return v
    v = xval & _M64
    if signed and v >> 63:
        v -= 1 << 64
    return v


def fcvt_from_int(fmt: int, xval: int, rm: int, signed: bool, width: int) -> tuple[int, int]:
    """FCVT.{S,D}.{W,WU,L,LU}: convert an integer register to floating point.

    Args:
        fmt: 0 for single, 1 for double.
        xval: the 64-bit source register image; width 32 uses its low 32 bits.
        rm: resolved rounding mode.
        signed: True for W/L, False for WU/LU.
        width: 32 or 64.

    Returns:
        (result register image, fflags); only NX can be raised.
    """
    if not rm:
        v = _int_value(xval, signed, width)
        if fmt:
            f = float(v)  # int -> float is correctly rounded (RNE); +0.0 for 0
            return _unpack_q(_pack_d(f))[0], (0 if f == v else 1)
        if -0x20000000000000 <= v <= 0x20000000000000:
            f = float(v)  # exact (|v| <= 2**53), so packing rounds once, to single
            rb = _pack_f(f)
            return 0xFFFFFFFF00000000 | _unpack_i(rb)[0], (0 if _unpack_f(rb)[0] == f else 1)
    return _cvt_from_int_slow(fmt, xval, rm, signed, width)


def _cvt_from_int_slow(fmt: int, xval: int, rm: int, signed: bool, width: int) -> tuple[int, int]:
    v = _int_value(xval, signed, width)
    if v == 0:
        return _zero(fmt, 0), 0
    if v < 0:
        return _round(fmt, 1, -v, 0, rm)
    return _round(fmt, 0, v, 0, rm)


def fcvt_s_d(a: int, rm: int) -> tuple[int, int]:
    """FCVT.S.D: round a double to single. Returns (boxed single, fflags)."""
    if not rm and (a & 0x7FF0000000000000) != 0x7FF0000000000000:  # finite
        x = _unpack_d(_pack_q(a))[0]
        try:
            rb = _pack_f(x)
        except OverflowError:
            rb = None
        if rb is not None:
            v = _unpack_f(rb)[0]
            if v == x:
                return 0xFFFFFFFF00000000 | _unpack_i(rb)[0], 0
            if v > _TINY_S or v < -_TINY_S:
                return 0xFFFFFFFF00000000 | _unpack_i(rb)[0], 1
    return _cvt_s_d_slow(a, rm)


def _cvt_s_d_slow(a: int, rm: int) -> tuple[int, int]:
    k, s, m, e = _unpack(1, a)
    if k >= _QNAN:
        return _nan_result(0, k)
    if k == _INF_K:
        return _inf(0, s), 0
    if k == _ZERO:
        return _zero(0, s), 0
    return _round(0, s, m, e, rm)


def fcvt_d_s(a: int) -> tuple[int, int]:
    """FCVT.D.S: widen a single to double (exact). Returns (double, fflags)."""
    if 0xFFFFFFFF00000000 <= a and (a & 0x7F800000) != 0x7F800000:  # boxed and finite
        return _unpack_q(_pack_d(_unpack_f_lo(_pack_q(a))[0]))[0], 0
    k, s, m, e = _unpack(0, a)
    if k >= _QNAN:
        return _nan_result(1, k)
    return _inf(1, s), 0


def fmv_x_w(a: int) -> int:
    """FMV.X.W: the low 32 bits of an f register, sign-extended (no NaN-box check)."""
    return _xreg(a, 32)


def fmv_w_x(x: int) -> int:
    """FMV.W.X: the low 32 bits of an x register, NaN-boxed."""
    return BOX | (x & _M32)
