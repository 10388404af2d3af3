"""A tiny RISC-V assembler for tests: one encoder per instruction, named like the spec.

Written from the ISA manual's encoding tables, independently of ``vm.decoder``. Every
32-bit encoder returns 4 little-endian bytes, every compressed one (``c_*``) 2 bytes, so a
program is ``b"".join([...])``. Register operands are numbers (``A0`` etc. are provided);
immediates are plain Python ints and are range-checked. Branch and jump offsets are relative
to the instruction's own address, in bytes. FP ops take ``rm`` (default 7 = dynamic).
"""

from __future__ import annotations

import struct

# --- register names ---------------------------------------------------------------------------

ZERO, RA, SP, GP, TP = 0, 1, 2, 3, 4
T0, T1, T2 = 5, 6, 7
S0, S1 = 8, 9
A0, A1, A2, A3, A4, A5, A6, A7 = range(10, 18)
S2, S3, S4, S5, S6, S7, S8, S9, S10, S11 = range(18, 28)
T3, T4, T5, T6 = range(28, 32)

RNE, RTZ, RDN, RUP, RMM, DYN = 0, 1, 2, 3, 4, 7

CSR_FFLAGS, CSR_FRM, CSR_FCSR = 0x001, 0x002, 0x003
CSR_CYCLE, CSR_TIME, CSR_INSTRET = 0xC00, 0xC01, 0xC02


def _w(word: int) -> bytes:
    return struct.pack("<I", word & 0xFFFFFFFF)


def _h(half: int) -> bytes:
    assert half & 3 != 3, "not a compressed encoding"
    return struct.pack("<H", half & 0xFFFF)


def _reg(r: int) -> int:
    if not 0 <= r < 32:
        raise ValueError(f"bad register {r}")
    return r


def _simm(v: int, bits: int) -> int:
    if not -(1 << (bits - 1)) <= v < (1 << (bits - 1)):
        raise ValueError(f"immediate {v} does not fit {bits} signed bits")
    return v & ((1 << bits) - 1)


def _uimm(v: int, bits: int) -> int:
    if not 0 <= v < (1 << bits):
        raise ValueError(f"immediate {v} does not fit {bits} unsigned bits")
    return v


def _b(v: int, hi: int, lo: int) -> int:
    """Bits hi..lo of v, shifted down."""
    return (v >> lo) & ((1 << (hi - lo + 1)) - 1)


# --- base formats -------------------------------------------------------------------------------


def r_type(opcode: int, rd: int, f3: int, rs1: int, rs2: int, f7: int) -> bytes:
    return _w((f7 << 25) | (_reg(rs2) << 20) | (_reg(rs1) << 15) | (f3 << 12)
              | (_reg(rd) << 7) | opcode)


def i_type(opcode: int, rd: int, f3: int, rs1: int, imm: int) -> bytes:
    return _w((_simm(imm, 12) << 20) | (_reg(rs1) << 15) | (f3 << 12) | (_reg(rd) << 7) | opcode)


def s_type(opcode: int, f3: int, rs1: int, rs2: int, imm: int) -> bytes:
    u = _simm(imm, 12)
    return _w((_b(u, 11, 5) << 25) | (_reg(rs2) << 20) | (_reg(rs1) << 15) | (f3 << 12)
              | (_b(u, 4, 0) << 7) | opcode)


def b_type(f3: int, rs1: int, rs2: int, offset: int) -> bytes:
    if offset & 1:
        raise ValueError("branch offset must be even")
    u = _simm(offset, 13)
    return _w((_b(u, 12, 12) << 31) | (_b(u, 10, 5) << 25) | (_reg(rs2) << 20)
              | (_reg(rs1) << 15) | (f3 << 12) | (_b(u, 4, 1) << 8) | (_b(u, 11, 11) << 7)
              | 0x63)


def u_type(opcode: int, rd: int, imm20: int) -> bytes:
    """``imm20`` is the 20-bit upper immediate (signed or unsigned form accepted)."""
    if not -(1 << 19) <= imm20 < (1 << 20):
        raise ValueError(f"upper immediate {imm20} does not fit 20 bits")
    return _w(((imm20 & 0xFFFFF) << 12) | (_reg(rd) << 7) | opcode)


def j_type(rd: int, offset: int) -> bytes:
    if offset & 1:
        raise ValueError("jump offset must be even")
    u = _simm(offset, 21)
    return _w((_b(u, 20, 20) << 31) | (_b(u, 10, 1) << 21) | (_b(u, 11, 11) << 20)
              | (_b(u, 19, 12) << 12) | (_reg(rd) << 7) | 0x6F)


# --- RV64I ----------------------------------------------------------------------------------------


def lui(rd: int, imm20: int) -> bytes:
    return u_type(0x37, rd, imm20)


def auipc(rd: int, imm20: int) -> bytes:
    return u_type(0x17, rd, imm20)


def jal(rd: int, offset: int) -> bytes:
    return j_type(rd, offset)


def jalr(rd: int, rs1: int, imm: int = 0) -> bytes:
    return i_type(0x67, rd, 0, rs1, imm)


def beq(rs1: int, rs2: int, off: int) -> bytes:
    return b_type(0, rs1, rs2, off)


def bne(rs1: int, rs2: int, off: int) -> bytes:
    return b_type(1, rs1, rs2, off)


def blt(rs1: int, rs2: int, off: int) -> bytes:
    return b_type(4, rs1, rs2, off)


def bge(rs1: int, rs2: int, off: int) -> bytes:
    return b_type(5, rs1, rs2, off)


def bltu(rs1: int, rs2: int, off: int) -> bytes:
    return b_type(6, rs1, rs2, off)


def bgeu(rs1: int, rs2: int, off: int) -> bytes:
    return b_type(7, rs1, rs2, off)


def _load(f3: int):
    def enc(rd: int, rs1: int, imm: int = 0) -> bytes:
        return i_type(0x03, rd, f3, rs1, imm)
    return enc


def _store(f3: int):
    def enc(rs2: int, rs1: int, imm: int = 0) -> bytes:
        """``sX rs2, imm(rs1)`` (operand order as in assembly)."""
        return s_type(0x23, f3, rs1, rs2, imm)
    return enc


lb, lh, lw, ld, lbu, lhu, lwu = (_load(f3) for f3 in (0, 1, 2, 3, 4, 5, 6))
sb, sh, sw, sd = (_store(f3) for f3 in (0, 1, 2, 3))


def _opimm(f3: int, opcode: int = 0x13):
    def enc(rd: int, rs1: int, imm: int) -> bytes:
        return i_type(opcode, rd, f3, rs1, imm)
    return enc


addi, slti, sltiu, xori, ori, andi = (_opimm(f3) for f3 in (0, 2, 3, 4, 6, 7))
addiw = _opimm(0, 0x1B)


def _shift(f3: int, hi6: int, opcode: int = 0x13, bits: int = 6):
    def enc(rd: int, rs1: int, shamt: int) -> bytes:
        _uimm(shamt, bits)
        return _w((hi6 << 26) | (shamt << 20) | (_reg(rs1) << 15) | (f3 << 12)
                  | (_reg(rd) << 7) | opcode)
    return enc


slli = _shift(1, 0x00)
srli = _shift(5, 0x00)
srai = _shift(5, 0x10)
slliw = _shift(1, 0x00, 0x1B, 5)
srliw = _shift(5, 0x00, 0x1B, 5)
sraiw = _shift(5, 0x10, 0x1B, 5)


def _op(f3: int, f7: int, opcode: int = 0x33):
    def enc(rd: int, rs1: int, rs2: int) -> bytes:
        return r_type(opcode, rd, f3, rs1, rs2, f7)
    return enc


add, sub, sll, slt, sltu = _op(0, 0), _op(0, 0x20), _op(1, 0), _op(2, 0), _op(3, 0)
xor, srl, sra, or_, and_ = _op(4, 0), _op(5, 0), _op(5, 0x20), _op(6, 0), _op(7, 0)
mul, mulh, mulhsu, mulhu = _op(0, 1), _op(1, 1), _op(2, 1), _op(3, 1)
div, divu, rem, remu = _op(4, 1), _op(5, 1), _op(6, 1), _op(7, 1)
addw, subw, sllw = _op(0, 0, 0x3B), _op(0, 0x20, 0x3B), _op(1, 0, 0x3B)
srlw, sraw = _op(5, 0, 0x3B), _op(5, 0x20, 0x3B)
mulw, divw, divuw = _op(0, 1, 0x3B), _op(4, 1, 0x3B), _op(5, 1, 0x3B)
remw, remuw = _op(6, 1, 0x3B), _op(7, 1, 0x3B)


def fence(pred: int = 0xF, succ: int = 0xF) -> bytes:
    return _w((pred << 24) | (succ << 20) | 0x0F)


def fence_i() -> bytes:
    return _w((1 << 12) | 0x0F)


def ecall() -> bytes:
    return _w(0x00000073)


def ebreak() -> bytes:
    return _w(0x00100073)


def nop() -> bytes:
    return addi(0, 0, 0)


# --- Zicsr ------------------------------------------------------------------------------------


def _csr(f3: int):
    def enc(rd: int, csr: int, rs1_or_zimm: int) -> bytes:
        """``csrrX rd, csr, rs1`` (for the immediate forms the last operand is zimm)."""
        _uimm(csr, 12)
        _uimm(rs1_or_zimm, 5)
        return _w((csr << 20) | (rs1_or_zimm << 15) | (f3 << 12) | (_reg(rd) << 7) | 0x73)
    return enc


csrrw, csrrs, csrrc, csrrwi, csrrsi, csrrci = (_csr(f3) for f3 in (1, 2, 3, 5, 6, 7))


def csrr(rd: int, csr: int) -> bytes:
    return csrrs(rd, csr, 0)


def fsrm(rd: int, rs1: int) -> bytes:
    return csrrw(rd, CSR_FRM, rs1)


def fsrmi(rd: int, zimm: int) -> bytes:
    return csrrwi(rd, CSR_FRM, zimm)


# --- A ----------------------------------------------------------------------------------------

AMO_FUNCT5 = {
    "amoadd": 0x00, "amoswap": 0x01, "lr": 0x02, "sc": 0x03, "amoxor": 0x04, "amoor": 0x08,
    "amoand": 0x0C, "amomin": 0x10, "amomax": 0x14, "amominu": 0x18, "amomaxu": 0x1C,
}


def amo(name: str, width: str, rd: int, rs1: int, rs2: int = 0, aq: int = 0,
        rl: int = 0) -> bytes:
    """``name.width rd, rs2, (rs1)``; ``width`` is "w" or "d"."""
    f7 = (AMO_FUNCT5[name] << 2) | (aq << 1) | rl
    return r_type(0x2F, rd, 2 if width == "w" else 3, rs1, rs2, f7)


def lr_w(rd: int, rs1: int) -> bytes:
    return amo("lr", "w", rd, rs1)


def lr_d(rd: int, rs1: int) -> bytes:
    return amo("lr", "d", rd, rs1)


def sc_w(rd: int, rs2: int, rs1: int) -> bytes:
    return amo("sc", "w", rd, rs1, rs2)


def sc_d(rd: int, rs2: int, rs1: int) -> bytes:
    return amo("sc", "d", rd, rs1, rs2)


# --- F and D --------------------------------------------------------------------------------


def flw(rd: int, rs1: int, imm: int = 0) -> bytes:
    return i_type(0x07, rd, 2, rs1, imm)


def fld(rd: int, rs1: int, imm: int = 0) -> bytes:
    return i_type(0x07, rd, 3, rs1, imm)


def fsw(rs2: int, rs1: int, imm: int = 0) -> bytes:
    return s_type(0x27, 2, rs1, rs2, imm)


def fsd(rs2: int, rs1: int, imm: int = 0) -> bytes:
    return s_type(0x27, 3, rs1, rs2, imm)


def r4_type(opcode: int, rd: int, rs1: int, rs2: int, rs3: int, fmt: int, rm: int) -> bytes:
    return _w((_reg(rs3) << 27) | (fmt << 25) | (_reg(rs2) << 20) | (_reg(rs1) << 15)
              | (rm << 12) | (_reg(rd) << 7) | opcode)


def fp_r(f7: int, rd: int, rs1: int, rs2: int, rm: int) -> bytes:
    return r_type(0x53, rd, rm, rs1, rs2, f7)


_FMA = {"fmadd": 0x43, "fmsub": 0x47, "fnmsub": 0x4B, "fnmadd": 0x4F}


def fma(name: str, fmt: str, rd: int, rs1: int, rs2: int, rs3: int, rm: int = DYN) -> bytes:
    """``fmadd``/``fmsub``/``fnmsub``/``fnmadd`` with ``fmt`` "s" or "d"."""
    return r4_type(_FMA[name], rd, rs1, rs2, rs3, "sd".index(fmt), rm)


_ARITH = {"fadd": 0x00, "fsub": 0x04, "fmul": 0x08, "fdiv": 0x0C}


def farith(name: str, fmt: str, rd: int, rs1: int, rs2: int, rm: int = DYN) -> bytes:
    return fp_r(_ARITH[name] | "sd".index(fmt), rd, rs1, rs2, rm)


def fsqrt(fmt: str, rd: int, rs1: int, rm: int = DYN) -> bytes:
    return fp_r(0x2C | "sd".index(fmt), rd, rs1, 0, rm)


_F3_OPS = {
    "fsgnj": (0x10, 0), "fsgnjn": (0x10, 1), "fsgnjx": (0x10, 2),
    "fmin": (0x14, 0), "fmax": (0x14, 1),
    "fle": (0x50, 0), "flt": (0x50, 1), "feq": (0x50, 2),
}


def fop(name: str, fmt: str, rd: int, rs1: int, rs2: int) -> bytes:
    """The ops whose funct3 selects the operation: fsgnj*, fmin/fmax, feq/flt/fle."""
    group, f3 = _F3_OPS[name]
    return fp_r(group | "sd".index(fmt), rd, rs1, rs2, f3)


_INT = {"w": 0, "wu": 1, "l": 2, "lu": 3}


def fcvt_int_from_fp(ity: str, fmt: str, rd: int, rs1: int, rm: int = DYN) -> bytes:
    """``fcvt.<ity>.<fmt> rd, rs1`` (float to integer)."""
    return fp_r(0x60 | "sd".index(fmt), rd, rs1, _INT[ity], rm)


def fcvt_fp_from_int(fmt: str, ity: str, rd: int, rs1: int, rm: int = DYN) -> bytes:
    """``fcvt.<fmt>.<ity> rd, rs1`` (integer to float)."""
    return fp_r(0x68 | "sd".index(fmt), rd, rs1, _INT[ity], rm)


def fcvt_s_d(rd: int, rs1: int, rm: int = DYN) -> bytes:
    return fp_r(0x20, rd, rs1, 1, rm)


def fcvt_d_s(rd: int, rs1: int, rm: int = DYN) -> bytes:
    return fp_r(0x21, rd, rs1, 0, rm)


def fmv_x_w(rd: int, rs1: int) -> bytes:
    return fp_r(0x70, rd, rs1, 0, 0)


def fmv_x_d(rd: int, rs1: int) -> bytes:
    return fp_r(0x71, rd, rs1, 0, 0)


def fmv_w_x(rd: int, rs1: int) -> bytes:
    return fp_r(0x78, rd, rs1, 0, 0)


def fmv_d_x(rd: int, rs1: int) -> bytes:
    return fp_r(0x79, rd, rs1, 0, 0)


def fclass(fmt: str, rd: int, rs1: int) -> bytes:
    return fp_r(0x70 | "sd".index(fmt), rd, rs1, 0, 1)


# --- pseudo-instructions ------------------------------------------------------------------------


def li(rd: int, value: int) -> bytes:
    """Load any 64-bit constant (the usual lui/addiw/slli/addi expansion)."""
    v = value & ((1 << 64) - 1)
    if v >> 63:
        v -= 1 << 64
    if -2048 <= v < 2048:
        return addi(rd, 0, v)
    if -(1 << 31) <= v < (1 << 31):
        hi = ((v + 0x800) >> 12) & 0xFFFFF
        lo = ((v & 0xFFF) ^ 0x800) - 0x800
        return lui(rd, hi) + (addiw(rd, rd, lo) if lo else b"")
    lo = ((v & 0xFFF) ^ 0x800) - 0x800
    hi = (v - lo) >> 12
    shift = 12
    while not hi & 1:
        hi >>= 1
        shift += 1
    return li(rd, hi) + slli(rd, rd, shift) + (addi(rd, rd, lo) if lo else b"")


def exit_seq(status_reg: int | None = None) -> bytes:
    """``li a7, 93; ecall`` (exit with a0, or ``mv a0, status_reg`` first)."""
    pre = addi(A0, status_reg, 0) if status_reg is not None else b""
    return pre + addi(A7, 0, 93) + ecall()


# --- C (compressed) -----------------------------------------------------------------------------


def _rp(r: int) -> int:
    """The 3-bit field of a compressed register x8..x15."""
    if not 8 <= r <= 15:
        raise ValueError(f"x{r} is not reachable from a compressed 3-bit register field")
    return r - 8


def c_addi4spn(rd: int, nzuimm: int) -> bytes:
    assert nzuimm and nzuimm % 4 == 0 and nzuimm < 1024
    u = nzuimm
    return _h((_b(u, 5, 4) << 11) | (_b(u, 9, 6) << 7) | (_b(u, 2, 2) << 6) | (_b(u, 3, 3) << 5)
              | (_rp(rd) << 2) | 0)


def _cl(f3: int, rd: int, rs1: int, u: int, dword: bool) -> bytes:
    if dword:
        assert u % 8 == 0 and u < 256
        lo = _b(u, 7, 6)
    else:
        assert u % 4 == 0 and u < 128
        lo = (_b(u, 2, 2) << 1) | _b(u, 6, 6)
    return _h((f3 << 13) | (_b(u, 5, 3) << 10) | (_rp(rs1) << 7) | (lo << 5) | (_rp(rd) << 2))


def c_fld(rd: int, rs1: int, uimm: int) -> bytes:
    return _cl(1, rd, rs1, uimm, True)


def c_lw(rd: int, rs1: int, uimm: int) -> bytes:
    return _cl(2, rd, rs1, uimm, False)


def c_ld(rd: int, rs1: int, uimm: int) -> bytes:
    return _cl(3, rd, rs1, uimm, True)


def c_fsd(rs2: int, rs1: int, uimm: int) -> bytes:
    return _cl(5, rs2, rs1, uimm, True)


def c_sw(rs2: int, rs1: int, uimm: int) -> bytes:
    return _cl(6, rs2, rs1, uimm, False)


def c_sd(rs2: int, rs1: int, uimm: int) -> bytes:
    return _cl(7, rs2, rs1, uimm, True)


def _ci(f3: int, rd: int, imm6: int, quadrant: int = 1) -> bytes:
    u = imm6 & 0x3F
    return _h((f3 << 13) | (_b(u, 5, 5) << 12) | (_reg(rd) << 7) | (_b(u, 4, 0) << 2) | quadrant)


def c_nop() -> bytes:
    return _ci(0, 0, 0)


def c_addi(rd: int, imm: int) -> bytes:
    return _ci(0, rd, _simm(imm, 6))


def c_addiw(rd: int, imm: int) -> bytes:
    assert rd
    return _ci(1, rd, _simm(imm, 6))


def c_li(rd: int, imm: int) -> bytes:
    return _ci(2, rd, _simm(imm, 6))


def c_addi16sp(imm: int) -> bytes:
    assert imm and imm % 16 == 0
    u = _simm(imm, 10)
    return _h((3 << 13) | (_b(u, 9, 9) << 12) | (2 << 7) | (_b(u, 4, 4) << 6)
              | (_b(u, 6, 6) << 5) | (_b(u, 8, 7) << 3) | (_b(u, 5, 5) << 2) | 1)


def c_lui(rd: int, imm6: int) -> bytes:
    """``c.lui rd, imm6``: rd = sext(imm6 << 12) (imm6 nonzero, -32..31)."""
    assert rd not in (0, 2) and imm6
    return _ci(3, rd, _simm(imm6, 6))


def _cb_alu(sub: int, rd: int, imm6: int) -> bytes:
    u = imm6 & 0x3F
    return _h((4 << 13) | (_b(u, 5, 5) << 12) | (sub << 10) | (_rp(rd) << 7)
              | (_b(u, 4, 0) << 2) | 1)


def c_srli(rd: int, shamt: int) -> bytes:
    return _cb_alu(0, rd, _uimm(shamt, 6))


def c_srai(rd: int, shamt: int) -> bytes:
    return _cb_alu(1, rd, _uimm(shamt, 6))


def c_andi(rd: int, imm: int) -> bytes:
    return _cb_alu(2, rd, _simm(imm, 6))


def _ca(bit12: int, k: int, rd: int, rs2: int) -> bytes:
    return _h((4 << 13) | (bit12 << 12) | (3 << 10) | (_rp(rd) << 7) | (k << 5)
              | (_rp(rs2) << 2) | 1)


def c_sub(rd: int, rs2: int) -> bytes:
    return _ca(0, 0, rd, rs2)


def c_xor(rd: int, rs2: int) -> bytes:
    return _ca(0, 1, rd, rs2)


def c_or(rd: int, rs2: int) -> bytes:
    return _ca(0, 2, rd, rs2)


def c_and(rd: int, rs2: int) -> bytes:
    return _ca(0, 3, rd, rs2)


def c_subw(rd: int, rs2: int) -> bytes:
    return _ca(1, 0, rd, rs2)


def c_addw(rd: int, rs2: int) -> bytes:
    return _ca(1, 1, rd, rs2)


def c_j(offset: int) -> bytes:
    u = _simm(offset, 12)
    assert not u & 1
    return _h((5 << 13) | (_b(u, 11, 11) << 12) | (_b(u, 4, 4) << 11) | (_b(u, 9, 8) << 9)
              | (_b(u, 10, 10) << 8) | (_b(u, 6, 6) << 7) | (_b(u, 7, 7) << 6)
              | (_b(u, 3, 1) << 3) | (_b(u, 5, 5) << 2) | 1)


def _cbranch(f3: int, rs1: int, offset: int) -> bytes:
    u = _simm(offset, 9)
    assert not u & 1
    return _h((f3 << 13) | (_b(u, 8, 8) << 12) | (_b(u, 4, 3) << 10) | (_rp(rs1) << 7)
              | (_b(u, 7, 6) << 5) | (_b(u, 2, 1) << 3) | (_b(u, 5, 5) << 2) | 1)


def c_beqz(rs1: int, offset: int) -> bytes:
    return _cbranch(6, rs1, offset)


def c_bnez(rs1: int, offset: int) -> bytes:
    return _cbranch(7, rs1, offset)


def c_slli(rd: int, shamt: int) -> bytes:
    return _ci(0, rd, _uimm(shamt, 6), quadrant=2)


def c_fldsp(rd: int, uimm: int) -> bytes:
    assert uimm % 8 == 0 and uimm < 512
    return _h((1 << 13) | (_b(uimm, 5, 5) << 12) | (_reg(rd) << 7) | (_b(uimm, 4, 3) << 5)
              | (_b(uimm, 8, 6) << 2) | 2)


def c_lwsp(rd: int, uimm: int) -> bytes:
    assert rd and uimm % 4 == 0 and uimm < 256
    return _h((2 << 13) | (_b(uimm, 5, 5) << 12) | (_reg(rd) << 7) | (_b(uimm, 4, 2) << 4)
              | (_b(uimm, 7, 6) << 2) | 2)


def c_ldsp(rd: int, uimm: int) -> bytes:
    assert rd and uimm % 8 == 0 and uimm < 512
    return _h((3 << 13) | (_b(uimm, 5, 5) << 12) | (_reg(rd) << 7) | (_b(uimm, 4, 3) << 5)
              | (_b(uimm, 8, 6) << 2) | 2)


def c_jr(rs1: int) -> bytes:
    assert rs1
    return _h((4 << 13) | (_reg(rs1) << 7) | 2)


def c_mv(rd: int, rs2: int) -> bytes:
    assert rs2
    return _h((4 << 13) | (_reg(rd) << 7) | (_reg(rs2) << 2) | 2)


def c_ebreak() -> bytes:
    return _h((4 << 13) | (1 << 12) | 2)


def c_jalr(rs1: int) -> bytes:
    assert rs1
    return _h((4 << 13) | (1 << 12) | (_reg(rs1) << 7) | 2)


def c_add(rd: int, rs2: int) -> bytes:
    assert rs2
    return _h((4 << 13) | (1 << 12) | (_reg(rd) << 7) | (_reg(rs2) << 2) | 2)


def c_fsdsp(rs2: int, uimm: int) -> bytes:
    assert uimm % 8 == 0 and uimm < 512
    return _h((5 << 13) | (_b(uimm, 5, 3) << 10) | (_b(uimm, 8, 6) << 7) | (_reg(rs2) << 2) | 2)


def c_swsp(rs2: int, uimm: int) -> bytes:
    assert uimm % 4 == 0 and uimm < 256
    return _h((6 << 13) | (_b(uimm, 5, 2) << 9) | (_b(uimm, 7, 6) << 7) | (_reg(rs2) << 2) | 2)


def c_sdsp(rs2: int, uimm: int) -> bytes:
    assert uimm % 8 == 0 and uimm < 512
    return _h((7 << 13) | (_b(uimm, 5, 3) << 10) | (_b(uimm, 8, 6) << 7) | (_reg(rs2) << 2) | 2)
