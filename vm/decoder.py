"""Instruction decoder: bits to ``Instr`` records, the only place that reads bit fields.

Compressed (RVC) instructions are expanded to the 32-bit instruction they stand for, with
``size == 2``. Anything that is not a valid RV64IMAFDC + Zicsr + Zifencei user-level
instruction decodes to ``Instr("illegal", ...)`` (the interpreter faults when it reaches it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .ops import TERMINATORS

__all__ = ["Instr", "decode", "decode_run", "TERMINATORS"]


@dataclass(frozen=True, slots=True)
class Instr:
    """One decoded instruction. Field names follow the spec; unused fields are 0.

    ``op`` names a record of ``vm.ops.OPS``, which says what the op reads, writes and is.
    """

    op: str
    rd: int = 0
    rs1: int = 0
    rs2: int = 0
    rs3: int = 0
    imm: int = 0
    rm: int = 0  # rounding mode (FP), or funct3 where an op needs it (aq/rl are ignored)
    size: int = 4
    raw: int = 0

    def __str__(self) -> str:
        return f"{self.op} rd={self.rd} rs1={self.rs1} rs2={self.rs2} imm={self.imm}"




def _sext(value: int, bits: int) -> int:
    sign = 1 << (bits - 1)
    return (value & (sign - 1)) - (value & sign)


_BRANCH = {0: "beq", 1: "bne", 4: "blt", 5: "bge", 6: "bltu", 7: "bgeu"}
_LOAD = {0: "lb", 1: "lh", 2: "lw", 3: "ld", 4: "lbu", 5: "lhu", 6: "lwu"}
_STORE = {0: "sb", 1: "sh", 2: "sw", 3: "sd"}
_OPIMM = {0: "addi", 2: "slti", 3: "sltiu", 4: "xori", 6: "ori", 7: "andi"}
_OP = {
    (0x00, 0): "add", (0x20, 0): "sub", (0x00, 1): "sll", (0x00, 2): "slt", (0x00, 3): "sltu",
    (0x00, 4): "xor", (0x00, 5): "srl", (0x20, 5): "sra", (0x00, 6): "or", (0x00, 7): "and",
    (0x01, 0): "mul", (0x01, 1): "mulh", (0x01, 2): "mulhsu", (0x01, 3): "mulhu",
    (0x01, 4): "div", (0x01, 5): "divu", (0x01, 6): "rem", (0x01, 7): "remu",
}
_OP32 = {
    (0x00, 0): "addw", (0x20, 0): "subw", (0x00, 1): "sllw", (0x00, 5): "srlw",
    (0x20, 5): "sraw", (0x01, 0): "mulw", (0x01, 4): "divw", (0x01, 5): "divuw",
    (0x01, 6): "remw", (0x01, 7): "remuw",
}
_AMO = {
    0x00: "amoadd", 0x01: "amoswap", 0x02: "lr", 0x03: "sc", 0x04: "amoxor", 0x08: "amoor",
    0x0C: "amoand", 0x10: "amomin", 0x14: "amomax", 0x18: "amominu", 0x1C: "amomaxu",
}
_CSR = {1: "csrrw", 2: "csrrs", 3: "csrrc", 5: "csrrwi", 6: "csrrsi", 7: "csrrci"}
_FMA = {0x43: "fmadd", 0x47: "fmsub", 0x4B: "fnmsub", 0x4F: "fnmadd"}
_FARITH = {0x00: "fadd", 0x04: "fsub", 0x08: "fmul", 0x0C: "fdiv"}
_FCVT_INT = {0: "w", 1: "wu", 2: "l", 3: "lu"}

ILLEGAL = "illegal"


def decode_run(fetch16: Callable[[int], int | None], pc: int, limit: int,
               stops: frozenset[str]) -> list[tuple[int, Instr]]:
    """Decode from ``pc`` until an op in ``stops``, ``limit`` instructions, or the end of code.

    ``fetch16(addr)`` gives the 16-bit parcel at ``addr``, or None outside executable code.
    An instruction cut off by the end of code decodes as ``illegal``.
    """
    out: list[tuple[int, Instr]] = []
    at = pc
    while len(out) < limit:
        lo = fetch16(at)
        if lo is None:
            break
        if lo & 3 == 3:
            hi = fetch16(at + 2)
            if hi is None:
                out.append((at, Instr(ILLEGAL, size=2, raw=lo)))
                break
            ins = decode(lo, hi)
        else:
            ins = decode(lo, 0)
        out.append((at, ins))
        at += ins.size
        if ins.op in stops:
            break
    return out


def decode(half0: int, half1: int) -> Instr:
    """Decode the instruction whose first 16-bit parcel is ``half0`` (``half1`` follows it)."""
    if half0 & 3 != 3:
        return _decode_compressed(half0)
    return decode32(half0 | (half1 << 16))


def decode32(w: int) -> Instr:
    """Decode a 32-bit instruction word."""
    opcode = w & 0x7F
    rd = (w >> 7) & 31
    f3 = (w >> 12) & 7
    rs1 = (w >> 15) & 31
    rs2 = (w >> 20) & 31
    f7 = w >> 25
    imm_i = _sext(w >> 20, 12)
    if opcode == 0x13:  # OP-IMM
        if f3 == 1:
            return Instr("slli", rd, rs1, imm=(w >> 20) & 63, raw=w) if f7 >> 1 == 0 else _ill(w)
        if f3 == 5:
            kind = f7 >> 1
            if kind == 0:
                return Instr("srli", rd, rs1, imm=(w >> 20) & 63, raw=w)
            if kind == 0x10:
                return Instr("srai", rd, rs1, imm=(w >> 20) & 63, raw=w)
            return _ill(w)
        return Instr(_OPIMM[f3], rd, rs1, imm=imm_i, raw=w)
    if opcode == 0x03:
        op = _LOAD.get(f3)
        return Instr(op, rd, rs1, imm=imm_i, raw=w) if op else _ill(w)
    if opcode == 0x23:
        op = _STORE.get(f3)
        imm = _sext(((w >> 25) << 5) | rd, 12)
        return Instr(op, 0, rs1, rs2, imm=imm, raw=w) if op else _ill(w)
    if opcode == 0x33:
        op = _OP.get((f7, f3))
        return Instr(op, rd, rs1, rs2, raw=w) if op else _ill(w)
    if opcode == 0x3B:
        op = _OP32.get((f7, f3))
        return Instr(op, rd, rs1, rs2, raw=w) if op else _ill(w)
    if opcode == 0x1B:  # OP-IMM-32
        if f3 == 0:
            return Instr("addiw", rd, rs1, imm=imm_i, raw=w)
        if f3 == 1 and f7 == 0:
            return Instr("slliw", rd, rs1, imm=rs2, raw=w)
        if f3 == 5 and f7 == 0:
            return Instr("srliw", rd, rs1, imm=rs2, raw=w)
        if f3 == 5 and f7 == 0x20:
            return Instr("sraiw", rd, rs1, imm=rs2, raw=w)
        return _ill(w)
    if opcode == 0x37:
        return Instr("lui", rd, imm=_sext(w & 0xFFFFF000, 32), raw=w)
    if opcode == 0x17:
        return Instr("auipc", rd, imm=_sext(w & 0xFFFFF000, 32), raw=w)
    if opcode == 0x6F:
        imm = (
            ((w >> 31) << 20) | (((w >> 12) & 0xFF) << 12) | (((w >> 20) & 1) << 11)
            | (((w >> 21) & 0x3FF) << 1)
        )
        return Instr("jal", rd, imm=_sext(imm, 21), raw=w)
    if opcode == 0x67:
        return Instr("jalr", rd, rs1, imm=imm_i, raw=w) if f3 == 0 else _ill(w)
    if opcode == 0x63:
        op = _BRANCH.get(f3)
        imm = (
            ((w >> 31) << 12) | (((w >> 7) & 1) << 11) | (((w >> 25) & 0x3F) << 5)
            | (((w >> 8) & 0xF) << 1)
        )
        return Instr(op, 0, rs1, rs2, imm=_sext(imm, 13), raw=w) if op else _ill(w)
    if opcode == 0x0F:
        if f3 == 0:
            return Instr("fence", raw=w)
        if f3 == 1:
            return Instr("fence.i", raw=w)
        return _ill(w)
    if opcode == 0x73:
        if f3 == 0:
            if w == 0x00000073:
                return Instr("ecall", raw=w)
            if w == 0x00100073:
                return Instr("ebreak", raw=w)
            return _ill(w)
        op = _CSR.get(f3)
        if op is None:
            return _ill(w)
        # For the immediate forms rs1 holds the 5-bit zimm.
        return Instr(op, rd, rs1, imm=(w >> 20) & 0xFFF, raw=w)
    if opcode == 0x2F:
        if f3 not in (2, 3):
            return _ill(w)
        op = _AMO.get(f7 >> 2)
        if op is None or (op == "lr" and rs2 != 0):
            return _ill(w)
        return Instr(f"{op}.{'w' if f3 == 2 else 'd'}", rd, rs1, rs2, raw=w)
    if opcode == 0x07:
        if f3 == 2:
            return Instr("flw", rd, rs1, imm=imm_i, raw=w)
        if f3 == 3:
            return Instr("fld", rd, rs1, imm=imm_i, raw=w)
        return _ill(w)
    if opcode == 0x27:
        imm = _sext(((w >> 25) << 5) | rd, 12)
        if f3 == 2:
            return Instr("fsw", 0, rs1, rs2, imm=imm, raw=w)
        if f3 == 3:
            return Instr("fsd", 0, rs1, rs2, imm=imm, raw=w)
        return _ill(w)
    if opcode in _FMA:
        fmt = (w >> 25) & 3
        if fmt > 1 or not _rm_ok(f3):
            return _ill(w)
        return Instr(f"{_FMA[opcode]}.{'sd'[fmt]}", rd, rs1, rs2, w >> 27, rm=f3, raw=w)
    if opcode == 0x53:
        return _decode_opfp(w, rd, f3, rs1, rs2, f7)
    return _ill(w)


def _rm_ok(rm: int) -> bool:
    return rm not in (5, 6)


def _decode_opfp(w: int, rd: int, f3: int, rs1: int, rs2: int, f7: int) -> Instr:
    fmt = f7 & 3
    if fmt > 1:
        return _ill(w)
    p = "sd"[fmt]
    group = f7 & ~3
    if group in _FARITH:
        return Instr(f"{_FARITH[group]}.{p}", rd, rs1, rs2, rm=f3, raw=w) if _rm_ok(f3) else _ill(w)
    if group == 0x2C:
        ok = rs2 == 0 and _rm_ok(f3)
        return Instr(f"fsqrt.{p}", rd, rs1, rm=f3, raw=w) if ok else _ill(w)
    if group == 0x10:
        names = {0: "fsgnj", 1: "fsgnjn", 2: "fsgnjx"}
        return Instr(f"{names[f3]}.{p}", rd, rs1, rs2, raw=w) if f3 in names else _ill(w)
    if group == 0x14:
        names = {0: "fmin", 1: "fmax"}
        return Instr(f"{names[f3]}.{p}", rd, rs1, rs2, raw=w) if f3 in names else _ill(w)
    if group == 0x20:
        # fcvt.s.d (fmt S, rs2 = 1) and fcvt.d.s (fmt D, rs2 = 0)
        if fmt == 0 and rs2 == 1 and _rm_ok(f3):
            return Instr("fcvt.s.d", rd, rs1, rm=f3, raw=w)
        if fmt == 1 and rs2 == 0 and _rm_ok(f3):
            return Instr("fcvt.d.s", rd, rs1, rm=f3, raw=w)
        return _ill(w)
    if group == 0x50:
        names = {0: "fle", 1: "flt", 2: "feq"}
        return Instr(f"{names[f3]}.{p}", rd, rs1, rs2, raw=w) if f3 in names else _ill(w)
    if group == 0x60:
        if rs2 > 3 or not _rm_ok(f3):
            return _ill(w)
        return Instr(f"fcvt.{_FCVT_INT[rs2]}.{p}", rd, rs1, rm=f3, raw=w)
    if group == 0x68:
        if rs2 > 3 or not _rm_ok(f3):
            return _ill(w)
        return Instr(f"fcvt.{p}.{_FCVT_INT[rs2]}", rd, rs1, rm=f3, raw=w)
    if group == 0x70 and rs2 == 0:
        if f3 == 0:
            return Instr(f"fmv.x.{'wd'[fmt]}", rd, rs1, raw=w)
        if f3 == 1:
            return Instr(f"fclass.{p}", rd, rs1, raw=w)
        return _ill(w)
    if group == 0x78 and rs2 == 0 and f3 == 0:
        return Instr(f"fmv.{'wd'[fmt]}.x", rd, rs1, raw=w)
    return _ill(w)


def _ill(raw: int, size: int = 4) -> Instr:
    return Instr(ILLEGAL, size=size, raw=raw)


def _c(op: str, rd: int = 0, rs1: int = 0, rs2: int = 0, imm: int = 0, raw: int = 0) -> Instr:
    return Instr(op, rd, rs1, rs2, imm=imm, size=2, raw=raw)


def _bits(h: int, hi: int, lo: int) -> int:
    return (h >> lo) & ((1 << (hi - lo + 1)) - 1)


def _decode_compressed(h: int) -> Instr:
    """Expand one RVC parcel (RV64C + the D loads/stores) to its 32-bit equivalent."""
    quadrant = h & 3
    f3 = h >> 13
    rdp = 8 + _bits(h, 4, 2)  # rd' / rs2'
    rs1p = 8 + _bits(h, 9, 7)
    rd = _bits(h, 11, 7)
    rs2 = _bits(h, 6, 2)
    if h == 0:
        return _ill(h, 2)
    if quadrant == 0:
        if f3 == 0:
            imm = (
                (_bits(h, 12, 11) << 4) | (_bits(h, 10, 7) << 6) | (_bits(h, 6, 6) << 2)
                | (_bits(h, 5, 5) << 3)
            )
            return _c("addi", rdp, 2, imm=imm, raw=h) if imm else _ill(h, 2)
        uimm_d = (_bits(h, 12, 10) << 3) | (_bits(h, 6, 5) << 6)
        uimm_w = (_bits(h, 12, 10) << 3) | (_bits(h, 6, 6) << 2) | (_bits(h, 5, 5) << 6)
        table = {
            1: ("fld", uimm_d, True), 2: ("lw", uimm_w, True), 3: ("ld", uimm_d, True),
            5: ("fsd", uimm_d, False), 6: ("sw", uimm_w, False), 7: ("sd", uimm_d, False),
        }
        if f3 not in table:
            return _ill(h, 2)
        op, imm, is_load = table[f3]
        if is_load:
            return _c(op, rdp, rs1p, imm=imm, raw=h)
        return _c(op, 0, rs1p, rdp, imm=imm, raw=h)
    if quadrant == 1:
        imm6 = _sext((_bits(h, 12, 12) << 5) | _bits(h, 6, 2), 6)
        if f3 == 0:
            return _c("addi", rd, rd, imm=imm6, raw=h)
        if f3 == 1:
            return _c("addiw", rd, rd, imm=imm6, raw=h) if rd else _ill(h, 2)
        if f3 == 2:
            return _c("addi", rd, 0, imm=imm6, raw=h)
        if f3 == 3:
            if rd == 2:
                imm = _sext(
                    (_bits(h, 12, 12) << 9) | (_bits(h, 6, 6) << 4) | (_bits(h, 5, 5) << 6)
                    | (_bits(h, 4, 3) << 7) | (_bits(h, 2, 2) << 5), 10)
                return _c("addi", 2, 2, imm=imm, raw=h) if imm else _ill(h, 2)
            imm = _sext((_bits(h, 12, 12) << 17) | (_bits(h, 6, 2) << 12), 18)
            return _c("lui", rd, imm=imm, raw=h) if imm else _ill(h, 2)
        if f3 == 4:
            sub = _bits(h, 11, 10)
            shamt = (_bits(h, 12, 12) << 5) | _bits(h, 6, 2)
            if sub == 0:
                return _c("srli", rs1p, rs1p, imm=shamt, raw=h)
            if sub == 1:
                return _c("srai", rs1p, rs1p, imm=shamt, raw=h)
            if sub == 2:
                return _c("andi", rs1p, rs1p, imm=imm6, raw=h)
            ops = ("sub", "xor", "or", "and") if not _bits(h, 12, 12) else ("subw", "addw")
            k = _bits(h, 6, 5)
            return _c(ops[k], rs1p, rs1p, rdp, raw=h) if k < len(ops) else _ill(h, 2)
        if f3 == 5:
            imm = (
                (_bits(h, 12, 12) << 11) | (_bits(h, 11, 11) << 4) | (_bits(h, 10, 9) << 8)
                | (_bits(h, 8, 8) << 10) | (_bits(h, 7, 7) << 6) | (_bits(h, 6, 6) << 7)
                | (_bits(h, 5, 3) << 1) | (_bits(h, 2, 2) << 5)
            )
            return _c("jal", 0, imm=_sext(imm, 12), raw=h)
        imm = (
            (_bits(h, 12, 12) << 8) | (_bits(h, 11, 10) << 3) | (_bits(h, 6, 5) << 6)
            | (_bits(h, 4, 3) << 1) | (_bits(h, 2, 2) << 5)
        )
        return _c("beq" if f3 == 6 else "bne", 0, rs1p, 0, imm=_sext(imm, 9), raw=h)
    if quadrant == 2:
        if f3 == 0:
            return _c("slli", rd, rd, imm=(_bits(h, 12, 12) << 5) | rs2, raw=h)
        if f3 in (1, 3):
            imm = (_bits(h, 12, 12) << 5) | (_bits(h, 6, 5) << 3) | (_bits(h, 4, 2) << 6)
            if f3 == 3 and rd == 0:
                return _ill(h, 2)
            return _c("fld" if f3 == 1 else "ld", rd, 2, imm=imm, raw=h)
        if f3 == 2:
            imm = (_bits(h, 12, 12) << 5) | (_bits(h, 6, 4) << 2) | (_bits(h, 3, 2) << 6)
            return _c("lw", rd, 2, imm=imm, raw=h) if rd else _ill(h, 2)
        if f3 == 4:
            if not _bits(h, 12, 12):
                if rs2 == 0:
                    return _c("jalr", 0, rd, imm=0, raw=h) if rd else _ill(h, 2)
                return _c("add", rd, 0, rs2, raw=h)
            if rs2 == 0:
                if rd == 0:
                    return _c("ebreak", raw=h)
                return _c("jalr", 1, rd, imm=0, raw=h)
            return _c("add", rd, rd, rs2, raw=h)
        if f3 == 6:
            imm = (_bits(h, 12, 9) << 2) | (_bits(h, 8, 7) << 6)
            return _c("sw", 0, 2, rs2, imm=imm, raw=h)
        imm = (_bits(h, 12, 10) << 3) | (_bits(h, 9, 7) << 6)
        return _c("fsd" if f3 == 5 else "sd", 0, 2, rs2, imm=imm, raw=h)
    return _ill(h, 2)
