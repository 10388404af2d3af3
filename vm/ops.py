"""The table of instructions: one record per op the decoder emits, read by every engine.

An ``Instr`` (``vm.decoder``) names its op by a string; :data:`OPS` maps that string to an
:class:`Op` saying what the op is: its encoding format, which register fields it reads and
writes (integer and floating point), its class (:class:`Kind`), its memory or integer operand
width and sign, whether it ends a basic block and whether it must see the machine's counters
up to date. The decoder, the reference interpreter (``vm.semantics``), the translator
(``vm.translator.emitter``) and the floating-point inliner (``vm.fpinline``) look ops up here
instead of testing name prefixes; an op without a record is an error (``KeyError``), never a
default.

The sets other modules used to spell out (``TERMINATORS``, ``SYNC_OPS``, ``BRANCHES``...) are
derived from the table below. A leaf module: it imports only ``vm.constants``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .constants import S

__all__ = [
    "Kind", "Op", "OPS", "op_of", "names", "TERMINATORS", "SYNC_OPS", "BRANCHES", "TRANSFERS",
    "STOP_OPS", "PURE", "BRANCH_TESTS", "branch_cond",
]


class Kind(enum.Enum):
    """What kind of work an op does: selects its closure factory and its emitter."""

    ALU = "alu"  # integer register-register: rd = alu(rs1, rs2)
    ALU_IMM = "alu_imm"  # integer register-immediate: rd = alu(rs1, imm)
    LUI = "lui"
    AUIPC = "auipc"
    LOAD = "load"  # integer load: rd = mem[rs1 + imm]
    STORE = "store"  # integer store: mem[rs1 + imm] = rs2
    BRANCH = "branch"  # conditional branch on rs1, rs2 to pc + imm
    JAL = "jal"
    JALR = "jalr"
    FENCE = "fence"  # no effect on a single hart with Harvard code
    ECALL = "ecall"
    EBREAK = "ebreak"
    CSR = "csr"
    AMO = "amo"  # atomic read-modify-write (A extension), lr and sc included
    FLOAD = "fload"  # f[rd] = mem[rs1 + imm]
    FSTORE = "fstore"  # mem[rs1 + imm] = f[rs2]
    FP = "fp"  # every other F/D op: arithmetic, compare, convert, move
    ILLEGAL = "illegal"  # not a valid instruction: faults when reached


#: Register fields of an ``Instr`` that a record may name.
FIELDS = ("rd", "rs1", "rs2", "rs3")


@dataclass(frozen=True, slots=True)
class Op:
    """One instruction's static facts.

    Attributes:
        name: the op string the decoder puts in ``Instr.op``.
        fmt: the encoding format: R, I, S, B, U, J, R4 (fused multiply-add), or "-" for the
            ``illegal`` pseudo-op.
        kind: its class (see :class:`Kind`).
        reads_int / writes_int: the ``Instr`` fields (``rd``, ``rs1``...) naming integer
            registers it reads / writes. x0 in such a field reads 0 and writes nowhere.
        reads_fp / writes_fp: the same for floating-point registers.
        implicit_reads / implicit_writes: integer registers it uses that no field names
            (an ecall reads a0..a7 and answers in a0).
        width: bytes of its memory access (loads, stores, atomics), or of the integer side of
            an int <-> float conversion; 0 for the rest.
        signed: a load that sign-extends, or a conversion whose integer is signed.
        ends_block: a control transfer or trap: nothing after it in the block runs.
        sync: reads or writes machine state beyond registers and memory (counters, CSRs,
            host calls): engines bring ``instret`` up to date first, and it ends its block.
        alu: for ALU and ALU_IMM ops, the register-register op computing the value
            (``addi`` -> ``add``): the one definition both forms share.
        cond: for branches, the taken test as a Python expression template over ``{a}`` and
            ``{b}`` (the unsigned 64-bit values of rs1 and rs2; ``S`` is the sign bit).
        fp_fmt: for F/D ops, the format it computes in: 0 single, 1 double (a conversion
            between formats: its destination's; a conversion to an integer: its source's).
    """

    name: str
    fmt: str
    kind: Kind
    reads_int: tuple[str, ...] = ()
    writes_int: tuple[str, ...] = ()
    reads_fp: tuple[str, ...] = ()
    writes_fp: tuple[str, ...] = ()
    implicit_reads: tuple[int, ...] = ()
    implicit_writes: tuple[int, ...] = ()
    width: int = 0
    signed: bool = False
    ends_block: bool = False
    sync: bool = False
    alu: str | None = None
    cond: str | None = None
    fp_fmt: int | None = None


def _table() -> dict[str, Op]:
    ops: list[Op] = []
    add = ops.append
    rr, r1 = ("rs1", "rs2"), ("rs1",)
    rd = ("rd",)

    for name in ("add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and",
                 "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu",
                 "addw", "subw", "sllw", "srlw", "sraw", "mulw", "divw", "divuw", "remw",
                 "remuw"):
        add(Op(name, "R", Kind.ALU, rr, rd, alu=name))
    for name, alu in (("addi", "add"), ("slti", "slt"), ("sltiu", "sltu"), ("xori", "xor"),
                      ("ori", "or"), ("andi", "and"), ("slli", "sll"), ("srli", "srl"),
                      ("srai", "sra"), ("addiw", "addw"), ("slliw", "sllw"),
                      ("srliw", "srlw"), ("sraiw", "sraw")):
        add(Op(name, "I", Kind.ALU_IMM, r1, rd, alu=alu))
    add(Op("lui", "U", Kind.LUI, (), rd))
    add(Op("auipc", "U", Kind.AUIPC, (), rd))
    for name, width, signed in (("lb", 1, True), ("lh", 2, True), ("lw", 4, True),
                                ("ld", 8, False), ("lbu", 1, False), ("lhu", 2, False),
                                ("lwu", 4, False)):
        add(Op(name, "I", Kind.LOAD, r1, rd, width=width, signed=signed))
    for name, width in (("sb", 1), ("sh", 2), ("sw", 4), ("sd", 8)):
        add(Op(name, "S", Kind.STORE, rr, width=width))
    # Signed order is unsigned order with the sign bits flipped.
    for name, cond in (("beq", "{a} == {b}"), ("bne", "{a} != {b}"),
                       ("blt", "({a} ^ S) < ({b} ^ S)"), ("bge", "({a} ^ S) >= ({b} ^ S)"),
                       ("bltu", "{a} < {b}"), ("bgeu", "{a} >= {b}")):
        add(Op(name, "B", Kind.BRANCH, rr, ends_block=True, cond=cond))
    add(Op("jal", "J", Kind.JAL, (), rd, ends_block=True))
    add(Op("jalr", "I", Kind.JALR, r1, rd, ends_block=True))
    add(Op("fence", "I", Kind.FENCE))
    add(Op("fence.i", "I", Kind.FENCE))
    add(Op("ecall", "I", Kind.ECALL, implicit_reads=tuple(range(10, 18)),
           implicit_writes=(10,), ends_block=True, sync=True))
    add(Op("ebreak", "I", Kind.EBREAK, ends_block=True, sync=True))
    for name in ("csrrw", "csrrs", "csrrc"):
        add(Op(name, "I", Kind.CSR, r1, rd, sync=True))
    for name in ("csrrwi", "csrrsi", "csrrci"):  # rs1 holds a 5-bit constant
        add(Op(name, "I", Kind.CSR, (), rd, sync=True))
    add(Op("illegal", "-", Kind.ILLEGAL, ends_block=True))

    for suffix, width in (("w", 4), ("d", 8)):
        add(Op(f"lr.{suffix}", "R", Kind.AMO, r1, rd, width=width))
        for name in ("sc", "amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin",
                     "amomax", "amominu", "amomaxu"):
            add(Op(f"{name}.{suffix}", "R", Kind.AMO, rr, rd, width=width))

    add(Op("flw", "I", Kind.FLOAD, r1, writes_fp=rd, width=4, fp_fmt=0))
    add(Op("fld", "I", Kind.FLOAD, r1, writes_fp=rd, width=8, fp_fmt=1))
    add(Op("fsw", "S", Kind.FSTORE, r1, reads_fp=("rs2",), width=4, fp_fmt=0))
    add(Op("fsd", "S", Kind.FSTORE, r1, reads_fp=("rs2",), width=8, fp_fmt=1))
    ints = (("w", 4, True), ("wu", 4, False), ("l", 8, True), ("lu", 8, False))
    for fp_fmt, p in ((0, "s"), (1, "d")):
        for name in ("fmadd", "fmsub", "fnmsub", "fnmadd"):
            add(Op(f"{name}.{p}", "R4", Kind.FP, reads_fp=("rs1", "rs2", "rs3"),
                   writes_fp=rd, fp_fmt=fp_fmt))
        for name in ("fadd", "fsub", "fmul", "fdiv", "fsgnj", "fsgnjn", "fsgnjx", "fmin",
                     "fmax"):
            add(Op(f"{name}.{p}", "R", Kind.FP, reads_fp=rr, writes_fp=rd, fp_fmt=fp_fmt))
        add(Op(f"fsqrt.{p}", "R", Kind.FP, reads_fp=r1, writes_fp=rd, fp_fmt=fp_fmt))
        for name in ("feq", "flt", "fle"):
            add(Op(f"{name}.{p}", "R", Kind.FP, writes_int=rd, reads_fp=rr, fp_fmt=fp_fmt))
        add(Op(f"fclass.{p}", "R", Kind.FP, writes_int=rd, reads_fp=r1, fp_fmt=fp_fmt))
        for i, width, signed in ints:
            add(Op(f"fcvt.{i}.{p}", "R", Kind.FP, writes_int=rd, reads_fp=r1, width=width,
                   signed=signed, fp_fmt=fp_fmt))
            add(Op(f"fcvt.{p}.{i}", "R", Kind.FP, reads_int=r1, writes_fp=rd, width=width,
                   signed=signed, fp_fmt=fp_fmt))
    add(Op("fcvt.s.d", "R", Kind.FP, reads_fp=r1, writes_fp=rd, fp_fmt=0))
    add(Op("fcvt.d.s", "R", Kind.FP, reads_fp=r1, writes_fp=rd, fp_fmt=1))
    add(Op("fmv.x.w", "R", Kind.FP, writes_int=rd, reads_fp=r1, fp_fmt=0))
    add(Op("fmv.x.d", "R", Kind.FP, writes_int=rd, reads_fp=r1, fp_fmt=1))
    add(Op("fmv.w.x", "R", Kind.FP, reads_int=r1, writes_fp=rd, fp_fmt=0))
    add(Op("fmv.d.x", "R", Kind.FP, reads_int=r1, writes_fp=rd, fp_fmt=1))

    table: dict[str, Op] = {}
    for op in ops:
        if op.name in table:
            raise AssertionError(f"two records for {op.name}")
        table[op.name] = op
    return table


#: Every op, by name.
OPS: dict[str, Op] = _table()


def op_of(name: str) -> Op:
    """The record of op ``name``; ``KeyError`` naming it if there is none."""
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"no record for op {name!r} in vm.ops") from None


def names(*kinds: Kind) -> frozenset[str]:
    """The names of the ops of these kinds."""
    return frozenset(op.name for op in OPS.values() if op.kind in kinds)


#: Ops that end a basic block (control transfers, traps, and anything that cannot continue).
TERMINATORS = frozenset(op.name for op in OPS.values() if op.ends_block)
#: Ops that read or write machine state beyond registers and memory: the run loop brings the
#: machine's counters up to date before running them, and they end their block.
SYNC_OPS = frozenset(op.name for op in OPS.values() if op.sync)
#: Conditional branches.
BRANCHES = names(Kind.BRANCH)
#: The ops that end a block inside a translated region (an ecall does not: the block goes on
#: after it).
TRANSFERS = names(Kind.BRANCH, Kind.JAL, Kind.JALR)
#: Ops no translated region contains: the dispatcher runs them (they always fault).
STOP_OPS = names(Kind.ILLEGAL, Kind.EBREAK)
#: Integer ops that touch only integer registers and cannot fault.
PURE = names(Kind.ALU, Kind.ALU_IMM, Kind.LUI, Kind.AUIPC, Kind.FENCE)

#: Each branch's taken test on two unsigned register values: a function built from its
#: ``cond`` template (for folding branches whose operands are constants).
def branch_cond(name: str, a: str, b: str) -> str:
    """The taken test of branch ``name`` as Python source, with operands ``a`` and ``b``."""
    cond = OPS[name].cond
    if cond is None:
        raise KeyError(f"{name!r} is not a branch")
    return cond.format(a=a, b=b)


BRANCH_TESTS = {
    name: eval(f"lambda a, b: {branch_cond(name, 'a', 'b')}", {"S": S})  # noqa: S307
    for name in sorted(BRANCHES)
}
