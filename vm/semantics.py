"""What each instruction does: a closure factory per kind of op, for the reference interpreter.

``build(m, ins, pc)`` returns a closure bound to machine ``m``'s registers and memory; the op's
record in ``vm.ops`` picks the factory (an op without a record is a ``KeyError``).
Straight-line ops return nothing; terminators (``vm.ops.TERMINATORS``) and CSR/system ops
return the next pc. Registers hold unsigned 64-bit ints; ``x[32]`` is a write sink standing
for ``x0`` so that no op needs a special case for ``rd == 0``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import fpu
from .constants import BOX, HI32, M, S
from .decoder import Instr
from .errors import Breakpoint, IllegalInstruction, LoadFault, StoreFault
from .ops import OPS, SYNC_OPS, Kind, branch_cond, op_of

if TYPE_CHECKING:
    from .state import State

__all__ = ["build", "SYNC_OPS", "ALU", "mem_struct", "offsets"]

T = 1 << 64
SINK = 32


def mem_struct(width: int, signed: bool) -> struct.Struct:
    """The little-endian ``struct`` reading or writing a ``width``-byte integer."""
    code = {1: "b", 2: "h", 4: "i", 8: "q"}[width]
    return struct.Struct("<" + (code if signed else code.upper()))


# op: (struct, bytes, sign-extends); a load that sign-extends masks the Python int to 64 bits.
_LOADS = {
    op.name: (mem_struct(op.width, op.signed), op.width, op.signed)
    for op in OPS.values() if op.kind is Kind.LOAD
}
# op: (struct, bytes, mask of the stored low bits)
_STORES = {
    op.name: (mem_struct(op.width, False), op.width, (1 << (8 * op.width)) - 1)
    for op in OPS.values() if op.kind is Kind.STORE
}
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


def _signed(v: int) -> int:
    return v - T if v & S else v


def _sext32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v | HI32 if v & 0x80000000 else v


def _div(a: int, b: int) -> int:
    if b == 0:
        return M
    sa, sb = _signed(a), _signed(b)
    if sa == -S and sb == -1:
        return a
    q = abs(sa) // abs(sb)
    return (-q if (sa < 0) != (sb < 0) else q) & M


def _divu(a: int, b: int) -> int:
    return a // b if b else M


def _rem(a: int, b: int) -> int:
    if b == 0:
        return a
    sa, sb = _signed(a), _signed(b)
    if sa == -S and sb == -1:
        return 0
    r = abs(sa) % abs(sb)
    return (-r if sa < 0 else r) & M


def _remu(a: int, b: int) -> int:
    return a % b if b else a


def _s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _divw(a: int, b: int) -> int:
    sa, sb = _s32(a), _s32(b)
    if sb == 0:
        return M
    if sa == -(1 << 31) and sb == -1:
        return _sext32(sa)
    q = abs(sa) // abs(sb)
    return _sext32(-q if (sa < 0) != (sb < 0) else q)


def _divuw(a: int, b: int) -> int:
    a &= 0xFFFFFFFF
    b &= 0xFFFFFFFF
    return _sext32(a // b) if b else M


def _remw(a: int, b: int) -> int:
    sa, sb = _s32(a), _s32(b)
    if sb == 0:
        return _sext32(sa)
    if sa == -(1 << 31) and sb == -1:
        return 0
    r = abs(sa) % abs(sb)
    return _sext32(-r if sa < 0 else r)


def _remuw(a: int, b: int) -> int:
    a &= 0xFFFFFFFF
    b &= 0xFFFFFFFF
    return _sext32(a % b if b else a)


#: The value of every register-register integer op (the ``alu`` of the ops' records), by name:
#: the reference the interpreter's closures and the translator's constant folding and calls use.
ALU: dict[str, Callable[[int, int], int]] = {
    "add": lambda a, b: (a + b) & M,
    "sub": lambda a, b: (a - b) & M,
    "sll": lambda a, b: (a << (b & 63)) & M,
    "slt": lambda a, b: int((a ^ S) < (b ^ S)),
    "sltu": lambda a, b: int(a < b),
    "xor": lambda a, b: a ^ b,
    "srl": lambda a, b: a >> (b & 63),
    "sra": lambda a, b: (_signed(a) >> (b & 63)) & M,
    "or": lambda a, b: a | b,
    "and": lambda a, b: a & b,
    "mul": lambda a, b: (a * b) & M,
    "mulh": lambda a, b: ((_signed(a) * _signed(b)) >> 64) & M,
    "mulhsu": lambda a, b: ((_signed(a) * b) >> 64) & M,
    "mulhu": lambda a, b: (a * b) >> 64,
    "div": _div,
    "divu": _divu,
    "rem": _rem,
    "remu": _remu,
    "addw": lambda a, b: _sext32(a + b),
    "subw": lambda a, b: _sext32(a - b),
    "sllw": lambda a, b: _sext32(a << (b & 31)),
    "srlw": lambda a, b: _sext32((a & 0xFFFFFFFF) >> (b & 31)),
    "sraw": lambda a, b: (_s32(a) >> (b & 31)) & M,
    "mulw": lambda a, b: _sext32(a * b),
    "divw": _divw,
    "divuw": _divuw,
    "remw": _remw,
    "remuw": _remuw,
}

def build(m: State, ins: Instr, pc: int) -> Callable[[], int | None]:
    """A closure running ``ins`` (at ``pc``) on machine ``m``."""
    return _FACTORIES[op_of(ins.op).kind](m, ins, pc)


# --- integer ------------------------------------------------------------------------------


def _make_alu(m: State, ins: Instr, pc: int) -> Callable[[], None]:
    x = m.x
    rd, rs1, rs2 = ins.rd or SINK, ins.rs1, ins.rs2
    op = ins.op
    # The commonest ops get their own closures; the rest go through the table.
    if op == "add":
        def f() -> None:
            x[rd] = (x[rs1] + x[rs2]) & M
    elif op == "sub":
        def f() -> None:
            x[rd] = (x[rs1] - x[rs2]) & M
    elif op == "and":
        def f() -> None:
            x[rd] = x[rs1] & x[rs2]
    elif op == "or":
        def f() -> None:
            x[rd] = x[rs1] | x[rs2]
    elif op == "xor":
        def f() -> None:
            x[rd] = x[rs1] ^ x[rs2]
    elif op == "addw":
        def f() -> None:
            v = (x[rs1] + x[rs2]) & 0xFFFFFFFF
            x[rd] = v | HI32 if v & 0x80000000 else v
    else:
        fn = ALU[op]

        def f() -> None:
            x[rd] = fn(x[rs1], x[rs2])
    return f


def _make_alu_imm(m: State, ins: Instr, pc: int) -> Callable[[], None]:
    x = m.x
    rd, rs1, imm = ins.rd or SINK, ins.rs1, ins.imm
    op = ins.op
    if op == "addi":
        if rs1 == 0:
            value = imm & M

            def f() -> None:
                x[rd] = value
        else:
            def f() -> None:
                x[rd] = (x[rs1] + imm) & M
        return f
    if op == "addiw":
        def f() -> None:
            v = (x[rs1] + imm) & 0xFFFFFFFF
            x[rd] = v | HI32 if v & 0x80000000 else v
        return f
    if op == "andi":
        mask = imm & M

        def f() -> None:
            x[rd] = x[rs1] & mask
        return f
    if op == "slli":
        def f() -> None:
            x[rd] = (x[rs1] << imm) & M
        return f
    if op == "srli":
        def f() -> None:
            x[rd] = x[rs1] >> imm
        return f
    fn = ALU[op_of(op).alu]  # type: ignore[index]
    b = imm & M

    def g() -> None:
        x[rd] = fn(x[rs1], b)
    return g


def _make_lui(m: State, ins: Instr, pc: int) -> Callable[[], None]:
    x, rd, value = m.x, ins.rd or SINK, ins.imm & M

    def f() -> None:
        x[rd] = value
    return f


def _make_auipc(m: State, ins: Instr, pc: int) -> Callable[[], None]:
    x, rd, value = m.x, ins.rd or SINK, (pc + ins.imm) & M

    def f() -> None:
        x[rd] = value
    return f


# --- memory: the record gives width and sign, ``offsets`` the legal range -------------------


def offsets(store: bool, width: int, size: int, rw_off: int) -> tuple[int, int]:
    """The legal range ``(low, high)`` of ``o = addr - base`` for an access of ``width`` bytes.

    Loads read from the guard (offset 0) up, stores from the first writable byte (``rw_off``)
    up; neither runs past the end of memory (``size``). Every engine checks accesses by this
    rule (the load closures write its 0 as a literal).
    """
    return (rw_off if store else 0), size - width


def _make_load(m: State, ins: Instr, pc: int) -> Callable[[], None]:
    x, mem = m.x, m.mem
    st, n, signed = _LOADS[ins.op]
    unpack = st.unpack_from
    rd, rs1 = ins.rd or SINK, ins.rs1
    base = m.base
    disp = ins.imm - base
    _, lim = offsets(False, n, m.size, m.rw_off)

    if signed:
        def f() -> None:
            o = x[rs1] + disp
            if 0 <= o <= lim:
                x[rd] = unpack(mem, o)[0] & M
            else:
                raise LoadFault(pc, (o + base) & M)
    else:
        def f() -> None:
            o = x[rs1] + disp
            if 0 <= o <= lim:
                x[rd] = unpack(mem, o)[0]
            else:
                raise LoadFault(pc, (o + base) & M)
    return f


def _make_store(m: State, ins: Instr, pc: int) -> Callable[[], None]:
    x, mem = m.x, m.mem
    st, n, mask = _STORES[ins.op]
    pack = st.pack_into
    rs1, rs2 = ins.rs1, ins.rs2
    base = m.base
    disp = ins.imm - base
    lo, lim = offsets(True, n, m.size, m.rw_off)

    if mask == M:
        def f() -> None:
            o = x[rs1] + disp
            if lo <= o <= lim:
                pack(mem, o, x[rs2])
            else:
                raise StoreFault(pc, (o + base) & M)
    else:
        def f() -> None:
            o = x[rs1] + disp
            if lo <= o <= lim:
                pack(mem, o, x[rs2] & mask)
            else:
                raise StoreFault(pc, (o + base) & M)
    return f


def _make_fload(m: State, ins: Instr, pc: int) -> Callable[[], None]:
    x, fr, mem = m.x, m.f, m.mem
    rd, rs1 = ins.rd, ins.rs1
    n = op_of(ins.op).width
    st = _U32 if n == 4 else _U64
    base, disp = m.base, ins.imm - m.base
    _, lim = offsets(False, n, m.size, m.rw_off)
    box = BOX if n == 4 else 0

    def load() -> None:
        o = x[rs1] + disp
        if 0 <= o <= lim:
            fr[rd] = st.unpack_from(mem, o)[0] | box
        else:
            raise LoadFault(pc, (o + base) & M)
    return load


def _make_fstore(m: State, ins: Instr, pc: int) -> Callable[[], None]:
    x, fr, mem = m.x, m.f, m.mem
    rs1, rs2 = ins.rs1, ins.rs2
    n = op_of(ins.op).width
    st = _U32 if n == 4 else _U64
    vmask = 0xFFFFFFFF if n == 4 else M
    base, disp = m.base, ins.imm - m.base
    lo, lim = offsets(True, n, m.size, m.rw_off)

    def store() -> None:
        o = x[rs1] + disp
        if lo <= o <= lim:
            st.pack_into(mem, o, fr[rs2] & vmask)
        else:
            raise StoreFault(pc, (o + base) & M)
    return store


# --- control transfer (terminators: return the next pc) -------------------------------------


def _make_jal(m: State, ins: Instr, pc: int) -> Callable[[], int]:
    x, rd = m.x, ins.rd or SINK
    target = (pc + ins.imm) & M
    link = pc + ins.size

    def f() -> int:
        x[rd] = link
        return target
    return f


def _make_jalr(m: State, ins: Instr, pc: int) -> Callable[[], int]:
    x, rd, rs1, imm = m.x, ins.rd or SINK, ins.rs1, ins.imm
    link = pc + ins.size

    def f() -> int:
        target = (x[rs1] + imm) & (M - 1)
        x[rd] = link
        return target
    return f


def _branch_factory(name: str) -> Callable[[State, Instr, int], Callable[[], int]]:
    """The closure factory of branch ``name``, compiled from its condition in ``vm.ops``."""
    cond = branch_cond(name, "x[rs1]", "x[rs2]")
    text = (
        "def make(m, ins, pc):\n"
        "    x, rs1, rs2 = m.x, ins.rs1, ins.rs2\n"
        "    taken = (pc + ins.imm) & M\n"
        "    fall = pc + ins.size\n"
        "    def f():\n"
        f"        return taken if {cond} else fall\n"
        "    return f\n"
    )
    scope: dict[str, object] = {"M": M, "S": S}
    exec(compile(text, f"<branch {name}>", "exec"), scope)  # noqa: S102
    return scope["make"]  # type: ignore[return-value]


_BRANCH_FACTORIES = {op.name: _branch_factory(op.name) for op in OPS.values()
                     if op.kind is Kind.BRANCH}


def _make_branch(m: State, ins: Instr, pc: int) -> Callable[[], int]:
    return _BRANCH_FACTORIES[ins.op](m, ins, pc)


def _make_ecall(m: State, ins: Instr, pc: int) -> Callable[[], int]:
    def f() -> int:
        return m.ecall(pc)
    return f


def _make_ebreak(m: State, ins: Instr, pc: int) -> Callable[[], int]:
    def f() -> int:
        raise Breakpoint(pc)
    return f


def _make_illegal(m: State, ins: Instr, pc: int) -> Callable[[], int]:
    raw = ins.raw

    def f() -> int:
        raise IllegalInstruction(pc, detail=f"0x{raw:0{ins.size * 2}x}")
    return f


def _make_nop(m: State, ins: Instr, pc: int) -> Callable[[], None]:
    def f() -> None:
        return None
    return f


# --- CSRs ---------------------------------------------------------------------------------

CSR_FFLAGS, CSR_FRM, CSR_FCSR = 0x001, 0x002, 0x003
CSR_CYCLE, CSR_TIME, CSR_INSTRET = 0xC00, 0xC01, 0xC02


def _make_csr(m: State, ins: Instr, pc: int) -> Callable[[], int]:
    x, rd, csr = m.x, ins.rd or SINK, ins.imm
    op = ins.op
    immediate = not op_of(op).reads_int  # rs1 holds the 5-bit constant
    src = ins.rs1
    kind = op[:5]  # csrrw / csrrs / csrrc
    # csrrs/csrrc with rs1 = x0 (or zimm 0) only read: legal even on read-only CSRs.
    writes = kind == "csrrw" or src != 0
    nxt = pc + ins.size
    if csr not in (CSR_FFLAGS, CSR_FRM, CSR_FCSR, CSR_CYCLE, CSR_TIME, CSR_INSTRET) or (
        csr >= 0xC00 and writes
    ):
        return _make_illegal(m, ins, pc)

    def f() -> int:
        old = m.read_csr(csr)
        value = src if immediate else x[src]
        if writes:
            if kind == "csrrw":
                new = value
            elif kind == "csrrs":
                new = old | value
            else:
                new = old & ~value
            m.write_csr(csr, new)
        x[rd] = old
        return nxt
    return f


# --- atomics (single hart) ------------------------------------------------------------------


def _make_amo(m: State, ins: Instr, pc: int) -> Callable[[], None]:
    x, mem = m.x, m.mem
    name, width = ins.op.split(".")
    n = 4 if width == "w" else 8
    st = _U32 if n == 4 else _U64
    rd, rs1, rs2 = ins.rd or SINK, ins.rs1, ins.rs2
    base = m.base
    lo, lim = offsets(True, n, m.size, m.rw_off)
    ext = _sext32 if n == 4 else (lambda v: v)
    vmask = 0xFFFFFFFF if n == 4 else M

    def addr(store: bool) -> int:
        a = x[rs1]
        o = a - base
        if a % n or not ((lo if store else 0) <= o <= lim):
            raise (StoreFault if store else LoadFault)(pc, a, "misaligned" if a % n else "")
        return o

    if name == "lr":
        def f() -> None:
            o = addr(False)
            x[rd] = ext(st.unpack_from(mem, o)[0])
            m.reservation = o
        return f
    if name == "sc":
        def g() -> None:
            o = addr(True)
            if m.reservation == o:
                st.pack_into(mem, o, x[rs2] & vmask)
                x[rd] = 0
            else:
                x[rd] = 1
            m.reservation = None
        return g
    if n == 4:
        def signed(v: int) -> int:
            return _s32(v)
    else:
        signed = _signed
    combine: Callable[[int, int], int] = {
        "amoswap": lambda old, v: v,
        "amoadd": lambda old, v: old + v,
        "amoxor": lambda old, v: old ^ v,
        "amoand": lambda old, v: old & v,
        "amoor": lambda old, v: old | v,
        "amomin": lambda old, v: old if signed(old) <= signed(v) else v,
        "amomax": lambda old, v: old if signed(old) >= signed(v) else v,
        "amominu": lambda old, v: min(old, v),
        "amomaxu": lambda old, v: max(old, v),
    }[name]

    def h() -> None:
        o = addr(True)
        old = st.unpack_from(mem, o)[0]
        st.pack_into(mem, o, combine(old, x[rs2] & vmask) & vmask)
        x[rd] = ext(old)
    return h


# --- floating point -------------------------------------------------------------------------


def _make_fp(m: State, ins: Instr, pc: int) -> Callable[[], None]:
    op = ins.op
    x, fr = m.x, m.f
    rd, rs1, rs2, rs3 = ins.rd, ins.rs1, ins.rs2, ins.rs3
    xrd = ins.rd or SINK
    static_rm = ins.rm

    def rm() -> int:
        if static_rm != 7:
            return static_rm
        dyn = m.frm
        if dyn > 4:
            raise IllegalInstruction(pc, detail=f"dynamic rounding mode {dyn} is invalid")
        return dyn

    rec = op_of(op)
    name = op.partition(".")[0]
    fmt = rec.fp_fmt
    assert fmt is not None, op
    if name in ("fadd", "fsub", "fmul", "fdiv"):
        fn2 = getattr(fpu, name)

        def arith() -> None:
            fr[rd], flags = fn2(fmt, fr[rs1], fr[rs2], rm())
            if flags:
                m.fflags |= flags
        return arith
    if name in ("fmadd", "fmsub", "fnmsub", "fnmadd"):
        fn3 = getattr(fpu, name)

        def fma() -> None:
            fr[rd], flags = fn3(fmt, fr[rs1], fr[rs2], fr[rs3], rm())
            if flags:
                m.fflags |= flags
        return fma
    if name == "fsqrt":
        def sqrt() -> None:
            fr[rd], flags = fpu.fsqrt(fmt, fr[rs1], rm())
            if flags:
                m.fflags |= flags
        return sqrt
    if name in ("fmin", "fmax"):
        fnm = getattr(fpu, name)

        def minmax() -> None:
            fr[rd], flags = fnm(fmt, fr[rs1], fr[rs2])
            if flags:
                m.fflags |= flags
        return minmax
    if name in ("fsgnj", "fsgnjn", "fsgnjx"):
        fns = getattr(fpu, name)

        def sgnj() -> None:
            fr[rd] = fns(fmt, fr[rs1], fr[rs2])
        return sgnj
    if name in ("feq", "flt", "fle"):
        fnc = getattr(fpu, name)

        def compare() -> None:
            x[xrd], flags = fnc(fmt, fr[rs1], fr[rs2])
            if flags:
                m.fflags |= flags
        return compare
    if name == "fclass":
        def fclass() -> None:
            x[xrd] = fpu.fclass(fmt, fr[rs1])
        return fclass
    if op == "fmv.x.w":
        def mvxw() -> None:
            x[xrd] = fpu.fmv_x_w(fr[rs1])
        return mvxw
    if op == "fmv.x.d":
        def mvxd() -> None:
            x[xrd] = fr[rs1]
        return mvxd
    if op == "fmv.w.x":
        def mvwx() -> None:
            fr[rd] = fpu.fmv_w_x(x[rs1])
        return mvwx
    if op == "fmv.d.x":
        def mvdx() -> None:
            fr[rd] = x[rs1]
        return mvdx
    if op == "fcvt.s.d":
        def cvt_sd() -> None:
            fr[rd], flags = fpu.fcvt_s_d(fr[rs1], rm())
            if flags:
                m.fflags |= flags
        return cvt_sd
    if op == "fcvt.d.s":
        def cvt_ds() -> None:
            rm()  # an invalid dynamic rounding mode is illegal even when unused
            fr[rd], flags = fpu.fcvt_d_s(fr[rs1])
            if flags:
                m.fflags |= flags
        return cvt_ds
    # fcvt between integer and float: fcvt.<int>.<fmt> or fcvt.<fmt>.<int>
    signed, width = rec.signed, 8 * rec.width
    if rec.writes_int:

        def to_int() -> None:
            x[xrd], flags = fpu.fcvt_to_int(fmt, fr[rs1], rm(), signed, width)
            if flags:
                m.fflags |= flags
        return to_int

    def from_int() -> None:
        fr[rd], flags = fpu.fcvt_from_int(fmt, x[rs1], rm(), signed, width)
        if flags:
            m.fflags |= flags
    return from_int


_FACTORIES: dict[Kind, Callable[[State, Instr, int], Callable[[], int | None]]] = {
    Kind.ALU: _make_alu,
    Kind.ALU_IMM: _make_alu_imm,
    Kind.LUI: _make_lui,
    Kind.AUIPC: _make_auipc,
    Kind.LOAD: _make_load,
    Kind.STORE: _make_store,
    Kind.BRANCH: _make_branch,
    Kind.JAL: _make_jal,
    Kind.JALR: _make_jalr,
    Kind.FENCE: _make_nop,
    Kind.ECALL: _make_ecall,
    Kind.EBREAK: _make_ebreak,
    Kind.CSR: _make_csr,
    Kind.AMO: _make_amo,
    Kind.FLOAD: _make_fload,
    Kind.FSTORE: _make_fstore,
    Kind.FP: _make_fp,
    Kind.ILLEGAL: _make_illegal,
}
