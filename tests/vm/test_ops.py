"""The table of instructions (``vm.ops``): one record per op the decoder emits, consistent.

The ops the decoder can emit are found by decoding every encoding that can select a different
op (every 16-bit parcel; every opcode, funct3 and funct7 of a 32-bit word, and every rs2 where
the decoder reads rs2 as a sub-opcode), never from ``vm.ops`` itself.
"""

from __future__ import annotations

import functools

import pytest

from tests.vm.elfwriter import make_elf
from vm import Machine, MachineLimits, fpinline, semantics
from vm.decoder import TERMINATORS, Instr, decode, decode32
from vm.ops import BRANCH_TESTS, FIELDS, OPS, SYNC_OPS, Kind, names, op_of
from vm.semantics import ALU
from vm.translator.emitter import int_regs

S = 1 << 63


@functools.cache
def decoded_ops() -> frozenset[str]:
    """Every op name the decoder produces, over a corpus covering its decode tables."""
    seen: set[str] = set()
    for half in range(1 << 16):
        if half & 3 != 3:
            seen.add(decode(half, 0).op)
    regs = (1 << 7) | (1 << 15)  # rd = rs1 = x1: no form is illegal for want of a register
    for opcode in range(3, 128, 4):
        for f3 in range(8):
            for f7 in range(128):
                for rs2 in range(32) if opcode in (0x53, 0x2F) else (0, 1):
                    w = opcode | regs | (f3 << 12) | (rs2 << 20) | (f7 << 25)
                    seen.add(decode32(w).op)
    seen.add(decode32(0x00000073).op)  # ecall and ebreak are whole words
    seen.add(decode32(0x00100073).op)
    return frozenset(seen)


def test_the_corpus_reaches_every_kind_of_instruction() -> None:
    # A check on the corpus itself: a sample of each extension, written out here.
    for name in ("lui", "jalr", "bgeu", "lwu", "sd", "sraiw", "remuw", "fence.i", "ecall",
                 "ebreak", "csrrci", "lr.d", "amomaxu.w", "fnmadd.s", "fcvt.lu.d",
                 "fcvt.d.s", "fmv.w.x", "fclass.d", "fsqrt.s", "illegal"):
        assert name in decoded_ops()
    assert len(decoded_ops()) > 150


def test_every_op_the_decoder_emits_has_exactly_one_record() -> None:
    missing = decoded_ops() - OPS.keys()
    assert not missing, f"ops without a record in vm.ops: {sorted(missing)}"
    for name, op in OPS.items():
        assert op.name == name  # one record, filed under its own name


def test_every_record_is_an_op_the_decoder_emits() -> None:
    dead = OPS.keys() - decoded_ops()
    assert not dead, f"records of ops the decoder never emits: {sorted(dead)}"


def test_an_op_without_a_record_is_an_error() -> None:
    bogus = Instr("bogus", rd=5, rs1=6)
    with pytest.raises(KeyError, match="bogus"):
        op_of("bogus")
    with pytest.raises(KeyError, match="bogus"):
        int_regs(bogus)  # no "reads rs1, writes rd" default
    with pytest.raises(KeyError, match="bogus"):
        semantics.build(None, bogus, 0)  # type: ignore[arg-type]


def test_every_record_builds_a_reference_closure() -> None:
    m = Machine(make_elf(b"\x13\x00\x00\x00" * 4, code_addr=0x10000, data=bytes(256),
                         data_addr=0x20000, symbols={"start": 0x10000}),
                limits=MachineLimits(memory=1 << 20, stack=1 << 16))
    for name in OPS:
        assert callable(semantics.build(m.state, Instr(name, 5, 6, 7, 8), 0x10000)), name


def test_the_fp_inliner_handles_only_fp_ops() -> None:
    assert set(fpinline._EMITTERS) <= names(Kind.FP)


# --- consistency -------------------------------------------------------------------------------


def test_block_ends() -> None:
    ends = {"beq", "bne", "blt", "bge", "bltu", "bgeu", "jal", "jalr", "ecall", "ebreak",
            "illegal"}
    assert TERMINATORS == ends
    for op in OPS.values():
        if op.kind in (Kind.BRANCH, Kind.JAL, Kind.JALR):
            assert op.ends_block, op.name
        if op.sync:
            assert op.kind in (Kind.ECALL, Kind.EBREAK, Kind.CSR), op.name
    assert SYNC_OPS == {"ecall", "ebreak", "csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi",
                        "csrrci"}


def test_memory_ops_have_a_width_and_the_rest_none() -> None:
    widths = {"lb": 1, "lbu": 1, "lh": 2, "lhu": 2, "lw": 4, "lwu": 4, "ld": 8, "sb": 1,
              "sh": 2, "sw": 4, "sd": 8, "flw": 4, "fld": 8, "fsw": 4, "fsd": 8}
    for op in OPS.values():
        if op.kind in (Kind.LOAD, Kind.STORE, Kind.FLOAD, Kind.FSTORE):
            assert op.width == widths[op.name], op.name
        elif op.kind is Kind.AMO:
            assert op.width == (4 if op.name.endswith(".w") else 8), op.name
        elif op.name.startswith("fcvt.") and op.name not in ("fcvt.s.d", "fcvt.d.s"):
            assert op.width == (4 if "w" in op.name.split(".")[1:] or "wu" in op.name
                                else 8), op.name
        else:
            assert op.width == 0 and not op.signed, op.name
    assert {n for n, op in OPS.items() if op.kind is Kind.LOAD and op.signed} == {
        "lb", "lh", "lw"}
    # loads write rd and read rs1; stores read rs1 (and rs2), write nothing
    for op in OPS.values():
        if op.kind in (Kind.LOAD, Kind.STORE, Kind.FLOAD, Kind.FSTORE):
            assert op.reads_int[0] == "rs1" and op.fmt == ("S" if "STORE" in op.kind.name
                                                           else "I"), op.name


def test_formats_and_fields() -> None:
    by_kind = {Kind.BRANCH: "B", Kind.JAL: "J", Kind.LUI: "U", Kind.AUIPC: "U", Kind.ALU: "R",
               Kind.ALU_IMM: "I", Kind.AMO: "R"}
    for op in OPS.values():
        assert op.fmt in ("R", "I", "S", "B", "U", "J", "R4", "-"), op.name
        if op.kind in by_kind:
            assert op.fmt == by_kind[op.kind], op.name
        for group in (op.reads_int, op.writes_int, op.reads_fp, op.writes_fp):
            assert set(group) <= set(FIELDS), op.name
        assert all(0 < r < 32 for r in op.implicit_reads + op.implicit_writes), op.name
        if op.kind in (Kind.ALU, Kind.ALU_IMM):
            assert op.alu in ALU and OPS[op.alu].kind is Kind.ALU, op.name
        else:
            assert op.alu is None, op.name
        assert (op.cond is not None) == (op.kind is Kind.BRANCH), op.name
        fp = op.kind in (Kind.FP, Kind.FLOAD, Kind.FSTORE)
        assert (op.fp_fmt is not None) == fp, op.name
        if fp:
            assert op.reads_fp or op.writes_fp, op.name
        else:
            assert not op.reads_fp and not op.writes_fp, op.name
    assert {n for n, op in OPS.items() if op.fmt == "R4"} == {
        f"{n}.{p}" for n in ("fmadd", "fmsub", "fnmsub", "fnmadd") for p in "sd"}


def test_fp_format_follows_the_spelling() -> None:
    for name, op in OPS.items():
        if op.fp_fmt is None:
            continue
        parts = name.split(".")
        if name in ("flw", "fsw"):
            want = 0
        elif name in ("fld", "fsd"):
            want = 1
        elif parts[0] == "fmv":  # fmv.x.w / fmv.w.x are singles
            want = 0 if "w" in parts else 1
        elif parts[0] == "fcvt":  # fcvt.<to>.<from>: the float side (the destination's)
            want = 1 if parts[1] == "d" or (parts[1] not in "sd" and parts[2] == "d") else 0
        else:
            want = 1 if parts[-1] == "d" else 0
        assert op.fp_fmt == want, name


@pytest.mark.parametrize(("ins", "reads", "writes"), [
    (Instr("add", 5, 6, 7), (6, 7), (5,)),
    (Instr("addi", 5, 6, imm=3), (6,), (5,)),
    (Instr("add", 0, 6, 7), (6, 7), ()),
    (Instr("sd", 0, 2, 8, imm=16), (2, 8), ()),
    (Instr("ld", 9, 2, imm=16), (2,), (9,)),
    (Instr("beq", 0, 3, 0, imm=8), (3,), ()),
    (Instr("jal", 1, imm=64), (), (1,)),
    (Instr("jalr", 0, 1), (1,), ()),
    (Instr("lui", 4, imm=0x1000), (), (4,)),
    (Instr("ecall"), tuple(range(10, 18)), (10,)),
    (Instr("ebreak"), (), ()),
    (Instr("csrrw", 5, 6, imm=3), (6,), (5,)),
    (Instr("csrrwi", 5, 6, imm=3), (), (5,)),  # rs1 is a constant here
    (Instr("lr.w", 5, 6), (6,), (5,)),
    (Instr("sc.d", 5, 6, 7), (6, 7), (5,)),
    (Instr("amoadd.w", 5, 6, 7), (6, 7), (5,)),
    (Instr("flw", 5, 6, imm=4), (6,), ()),
    (Instr("fsd", 0, 6, 7, imm=4), (6,), ()),
    (Instr("fadd.d", 5, 6, 7), (), ()),
    (Instr("fmadd.s", 5, 6, 7, 8), (), ()),
    (Instr("feq.d", 5, 6, 7), (), (5,)),
    (Instr("fclass.s", 5, 6), (), (5,)),
    (Instr("fmv.x.w", 5, 6), (), (5,)),
    (Instr("fmv.d.x", 5, 6), (6,), ()),
    (Instr("fcvt.w.d", 5, 6), (), (5,)),
    (Instr("fcvt.s.lu", 5, 6), (6,), ()),
    (Instr("fence"), (), ()),
    (Instr("illegal"), (), ()),
])
def test_integer_registers_read_and_written(ins: Instr, reads: tuple[int, ...],
                                             writes: tuple[int, ...]) -> None:
    assert int_regs(ins) == (reads, writes)


def test_branch_conditions() -> None:
    m1 = (1 << 64) - 1  # -1 as an unsigned register
    cases = [(0, 0), (1, 2), (2, 1), (m1, 0), (0, m1), (S, S - 1), (S - 1, S)]
    want = {
        "beq": lambda a, b: a == b, "bne": lambda a, b: a != b,
        "bltu": lambda a, b: a < b, "bgeu": lambda a, b: a >= b,
        "blt": lambda a, b: (a - (a >> 63 << 64)) < (b - (b >> 63 << 64)),
        "bge": lambda a, b: (a - (a >> 63 << 64)) >= (b - (b >> 63 << 64)),
    }
    assert BRANCH_TESTS.keys() == want.keys()
    for name, test in BRANCH_TESTS.items():
        for a, b in cases:
            assert test(a, b) == want[name](a, b), (name, a, b)
