"""Per-instruction tests of the VM: plant a few instructions, run them, compare.

Every expected value below is written out by hand (from the ISA manual); in addition, unless a
test says ``oracle=False``, the same code runs under unicorn and the VM's integer registers,
fflags/frm and data memory must equal unicorn's. Faults and the budget rule are checked
against the rules in ``vm.machine``'s docstring. Every test runs on every engine.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import pytest

import vm.machine as vm_machine
from tests.vm import asm as A
from tests.vm.elfwriter import PF_R, RawSegment, make_elf
from tests.vm.unicorn_oracle import HAVE_UNICORN, run_unicorn
from vm import (
    Breakpoint,
    BudgetExceeded,
    FetchFault,
    HostCallUnknown,
    IllegalInstruction,
    LoadFault,
    Machine,
    MachineLimits,
    StoreFault,
)

#: Every engine must behave alike: each test runs on each of them (``engine`` fixture).
ENGINES = getattr(vm_machine, "ENGINES", ("interp",))
_engine = "interp"

M = (1 << 64) - 1
CODE = 0x10000
RODATA = 0x18000
DATA = 0x20000
LIMITS = MachineLimits(memory=1 << 20, stack=1 << 16)
MEM_END = CODE + LIMITS.memory
A0, A1, A2, A3, A4, A5 = A.A0, A.A1, A.A2, A.A3, A.A4, A.A5


def machine(code: bytes, *, data: bytes = b"", symbols: dict[str, int] | None = None,
            rodata: bytes = b"") -> Machine:
    extra = [RawSegment(RODATA, rodata, PF_R)] if rodata else []
    elf = make_elf(code, code_addr=CODE, data=data or bytes(256), data_addr=DATA,
                   symbols=symbols or {"start": CODE}, extra_segments=extra)
    return new_machine(elf)


@pytest.fixture(params=ENGINES, autouse=True)
def engine(request: pytest.FixtureRequest) -> Iterator[str]:
    global _engine
    _engine = request.param
    yield request.param
    _engine = "interp"


def new_machine(elf: bytes) -> Machine:
    """A machine on the current engine; a translating engine translates every block at once
    (instead of after it has run a few times), so the translated code is what runs."""
    m = Machine(elf, limits=LIMITS, engine=_engine)
    if hasattr(m.engine, "hot"):
        m.engine.hot = 0
    return m


def run(code: bytes, *, x: dict[int, int] | None = None, f: dict[int, int] | None = None,
        data: bytes = b"", frm: int = 0, fflags: int = 0, oracle: bool = True,
        oracle_f: bool = True) -> Machine:
    """Run ``code`` followed by ``ebreak`` and return the machine stopped at the ebreak.

    With ``oracle``, run the same under unicorn and check that x1..x31, fflags, frm and the
    data memory agree, and the f registers unless ``oracle_f`` is false (unicorn does not
    NaN-box single-precision values).
    """
    full = code + A.ebreak()
    data = data or bytes(256)
    m = machine(full, data=data)
    for r, v in (x or {}).items():
        m.x[r] = v & M
    for r, v in (f or {}).items():
        m.f[r] = v
    m.frm, m.fflags = frm, fflags
    x_in, f_in = m.x[:32], m.f[:]
    with pytest.raises(Breakpoint) as info:
        m.run_main()
    assert info.value.pc == CODE + len(code)
    assert m.x[0] == 0
    if oracle and HAVE_UNICORN:
        uc = run_unicorn(full, code_addr=CODE, until=CODE + len(code), x=x_in, f=f_in,
                         frm=frm, fflags=fflags, regions={DATA: data})
        assert m.x[1:32] == uc.x[1:32], "integer registers differ from unicorn"
        assert (m.fflags, m.frm) == (uc.fflags, uc.frm), "fflags/frm differ from unicorn"
        assert m.memory.read(DATA, len(data)) == uc.memory[DATA], "memory differs from unicorn"
        if oracle_f:
            assert m.f == uc.f, "f registers differ from unicorn"
    return m


def u64(v: int) -> int:
    return v & M


# --- register-register and register-immediate ALU ops ----------------------------------------

OPNAME = {"or": "or_", "and": "and_"}

RR_CASES = [
    ("add", 0x7FFFFFFFFFFFFFFF, 1, 0x8000000000000000),
    ("add", 0xFFFFFFFFFFFFFFFF, 1, 0),
    ("add", 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFE),
    ("sub", 0, 1, 0xFFFFFFFFFFFFFFFF),
    ("sub", 0x8000000000000000, 1, 0x7FFFFFFFFFFFFFFF),
    ("sub", 5, 5, 0),
    ("slt", 0xFFFFFFFFFFFFFFFF, 0, 1),
    ("slt", 0, 0xFFFFFFFFFFFFFFFF, 0),
    ("slt", 0x8000000000000000, 0x7FFFFFFFFFFFFFFF, 1),
    ("slt", 5, 5, 0),
    ("sltu", 0xFFFFFFFFFFFFFFFF, 0, 0),
    ("sltu", 0, 0xFFFFFFFFFFFFFFFF, 1),
    ("sltu", 0x8000000000000000, 0x7FFFFFFFFFFFFFFF, 0),
    ("sltu", 5, 5, 0),
    ("xor", 0xF0F0F0F0F0F0F0F0, 0xFF00FF00FF00FF00, 0x0FF00FF00FF00FF0),
    ("or", 0xF0F0F0F0F0F0F0F0, 0xFF00FF00FF00FF00, 0xFFF0FFF0FFF0FFF0),
    ("and", 0xF0F0F0F0F0F0F0F0, 0xFF00FF00FF00FF00, 0xF000F000F000F000),
    ("sll", 0x0123456789ABCDEF, 0, 0x0123456789ABCDEF),
    ("srl", 0xFEDCBA9876543210, 0, 0xFEDCBA9876543210),
    ("sra", 0xFEDCBA9876543210, 0, 0xFEDCBA9876543210),
    ("sra", 0x0123456789ABCDEF, 0, 0x0123456789ABCDEF),
    ("sll", 0x0123456789ABCDEF, 1, 0x02468ACF13579BDE),
    ("srl", 0xFEDCBA9876543210, 1, 0x7F6E5D4C3B2A1908),
    ("sra", 0xFEDCBA9876543210, 1, 0xFF6E5D4C3B2A1908),
    ("sra", 0x0123456789ABCDEF, 1, 0x0091A2B3C4D5E6F7),
    ("sll", 0x0123456789ABCDEF, 0x1F, 0xC4D5E6F780000000),
    ("srl", 0xFEDCBA9876543210, 0x1F, 0x00000001FDB97530),
    ("sra", 0xFEDCBA9876543210, 0x1F, 0xFFFFFFFFFDB97530),
    ("sra", 0x0123456789ABCDEF, 0x1F, 0x0000000002468ACF),
    ("sll", 0x0123456789ABCDEF, 0x20, 0x89ABCDEF00000000),
    ("srl", 0xFEDCBA9876543210, 0x20, 0x00000000FEDCBA98),
    ("sra", 0xFEDCBA9876543210, 0x20, 0xFFFFFFFFFEDCBA98),
    ("sra", 0x0123456789ABCDEF, 0x20, 0x0000000001234567),
    ("sll", 0x0123456789ABCDEF, 0x3F, 0x8000000000000000),
    ("srl", 0xFEDCBA9876543210, 0x3F, 1),
    ("sra", 0xFEDCBA9876543210, 0x3F, 0xFFFFFFFFFFFFFFFF),
    ("sra", 0x0123456789ABCDEF, 0x3F, 0),
    ("sll", 0x0123456789ABCDEF, 0x40, 0x0123456789ABCDEF),
    ("srl", 0xFEDCBA9876543210, 0x40, 0xFEDCBA9876543210),
    ("sra", 0xFEDCBA9876543210, 0x40, 0xFEDCBA9876543210),
    ("sra", 0x0123456789ABCDEF, 0x40, 0x0123456789ABCDEF),
    ("sll", 0x0123456789ABCDEF, 0xFFFFFFFFFFFFFFC1, 0x02468ACF13579BDE),
    ("srl", 0xFEDCBA9876543210, 0xFFFFFFFFFFFFFFC1, 0x7F6E5D4C3B2A1908),
    ("sra", 0xFEDCBA9876543210, 0xFFFFFFFFFFFFFFC1, 0xFF6E5D4C3B2A1908),
    ("sra", 0x0123456789ABCDEF, 0xFFFFFFFFFFFFFFC1, 0x0091A2B3C4D5E6F7),
    ("mul", 0x7FFFFFFFFFFFFFFF, 2, 0xFFFFFFFFFFFFFFFE),
    ("mul", 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 1),
    ("mul", 0x0000000100000001, 0x0000000100000001, 0x0000000200000001),
    ("mul", 0x0123456789ABCDEF, 0xFEDCBA9876543210, 0x2236D88FE5618CF0),
    ("mulh", 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0),
    ("mulh", 0x8000000000000000, 0x8000000000000000, 0x4000000000000000),
    ("mulh", 0x8000000000000000, 0x7FFFFFFFFFFFFFFF, 0xC000000000000000),
    ("mulh", 0xFFFFFFFFFFFFFFFF, 1, 0xFFFFFFFFFFFFFFFF),
    ("mulh", 0x0123456789ABCDEF, 0xFEDCBA9876543210, 0xFFFEB49923CC0953),
    ("mulhsu", 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF),
    ("mulhsu", 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0x8000000000000000),
    ("mulhsu", 1, 0xFFFFFFFFFFFFFFFF, 0),
    ("mulhsu", 0xFFFFFFFFFFFFFFFF, 1, 0xFFFFFFFFFFFFFFFF),
    ("mulhsu", 0x0123456789ABCDEF, 0xFEDCBA9876543210, 0x0121FA00AD77D742),
    ("mulhu", 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFE),
    ("mulhu", 0x8000000000000000, 2, 1),
    ("mulhu", 0x0123456789ABCDEF, 0xFEDCBA9876543210, 0x0121FA00AD77D742),
    ("mulhu", 0xFFFFFFFFFFFFFFFF, 1, 0),
    ("div", 0x14, 6, 3),
    ("div", 0xFFFFFFFFFFFFFFEC, 6, 0xFFFFFFFFFFFFFFFD),
    ("div", 0x14, 0xFFFFFFFFFFFFFFFA, 0xFFFFFFFFFFFFFFFD),
    ("div", 0xFFFFFFFFFFFFFFEC, 0xFFFFFFFFFFFFFFFA, 3),
    ("div", 7, 0, 0xFFFFFFFFFFFFFFFF),
    ("div", 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0x8000000000000000),
    ("div", 0, 0, 0xFFFFFFFFFFFFFFFF),
    ("divu", 0x14, 6, 3),
    ("divu", 0xFFFFFFFFFFFFFFEC, 6, 0x2AAAAAAAAAAAAAA7),
    ("divu", 7, 0, 0xFFFFFFFFFFFFFFFF),
    ("divu", 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0),
    ("rem", 0x14, 6, 2),
    ("rem", 0xFFFFFFFFFFFFFFEC, 6, 0xFFFFFFFFFFFFFFFE),
    ("rem", 0x14, 0xFFFFFFFFFFFFFFFA, 2),
    ("rem", 0xFFFFFFFFFFFFFFEC, 0xFFFFFFFFFFFFFFFA, 0xFFFFFFFFFFFFFFFE),
    ("rem", 7, 0, 7),
    ("rem", 0xFFFFFFFFFFFFFFF9, 0, 0xFFFFFFFFFFFFFFF9),
    ("rem", 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0),
    ("remu", 0x14, 6, 2),
    ("remu", 0xFFFFFFFFFFFFFFEC, 6, 2),
    ("remu", 7, 0, 7),
    ("remu", 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0x8000000000000000),
    ("addw", 0x000000007FFFFFFF, 1, 0xFFFFFFFF80000000),
    ("addw", 0x00000000FFFFFFFF, 1, 0),
    ("addw", 0x1234567800000000, 0x0000000080000000, 0xFFFFFFFF80000000),
    ("addw", 0x0123456789ABCDEF, 0xFEDCBA9876543210, 0xFFFFFFFFFFFFFFFF),
    ("subw", 0, 1, 0xFFFFFFFFFFFFFFFF),
    ("subw", 0x0000000080000000, 1, 0x000000007FFFFFFF),
    ("subw", 0xAAAAAAAA00000000, 0, 0),
    ("sllw", 1, 0x1F, 0xFFFFFFFF80000000),
    ("sllw", 1, 0x20, 1),
    ("sllw", 0x0123456789ABCDEF, 0, 0xFFFFFFFF89ABCDEF),
    ("sllw", 0x0123456789ABCDEF, 0x1F, 0xFFFFFFFF80000000),
    ("sllw", 0x0123456789ABCDEF, 0x3F, 0xFFFFFFFF80000000),
    ("sllw", 0x00000000FFFFFFFF, 1, 0xFFFFFFFFFFFFFFFE),
    ("srlw", 0x0000000080000000, 0, 0xFFFFFFFF80000000),
    ("srlw", 0x0000000080000000, 0x1F, 1),
    ("srlw", 0xFFFFFFFF80000000, 1, 0x0000000040000000),
    ("srlw", 0x0123456789ABCDEF, 0x20, 0xFFFFFFFF89ABCDEF),
    ("srlw", 0xFEDCBA9876543210, 4, 0x0000000007654321),
    ("sraw", 0x0000000080000000, 0, 0xFFFFFFFF80000000),
    ("sraw", 0x0000000080000000, 0x1F, 0xFFFFFFFFFFFFFFFF),
    ("sraw", 0x000000007FFFFFFF, 0x1F, 0),
    ("sraw", 0x00000000FFFFFFFF, 4, 0xFFFFFFFFFFFFFFFF),
    ("sraw", 0x0123456789ABCDEF, 0x24, 0xFFFFFFFFF89ABCDE),
    ("mulw", 0x0000000000010000, 0x0000000000010000, 0),
    ("mulw", 0x000000007FFFFFFF, 2, 0xFFFFFFFFFFFFFFFE),
    ("mulw", 0x00000000FFFFFFFF, 0x00000000FFFFFFFF, 1),
    ("mulw", 0x0123456789ABCDEF, 0xFEDCBA9876543210, 0xFFFFFFFFE5618CF0),
    ("mulw", 0x0000000040000000, 2, 0xFFFFFFFF80000000),
    ("divw", 0x14, 0xFFFFFFFFFFFFFFFA, 0xFFFFFFFFFFFFFFFD),
    ("divw", 0x0000000080000000, 0x00000000FFFFFFFF, 0xFFFFFFFF80000000),
    ("divw", 0xFFFFFFFF80000000, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFF80000000),
    ("divw", 7, 0, 0xFFFFFFFFFFFFFFFF),
    ("divw", 7, 0x0000000100000000, 0xFFFFFFFFFFFFFFFF),
    ("divw", 0x0000000100000006, 0x0000000200000003, 2),
    ("divuw", 0x0000000080000000, 1, 0xFFFFFFFF80000000),
    ("divuw", 0x00000000FFFFFFFF, 2, 0x000000007FFFFFFF),
    ("divuw", 7, 0, 0xFFFFFFFFFFFFFFFF),
    ("divuw", 0xFFFFFFFFFFFFFFEC, 6, 0x000000002AAAAAA7),
    ("divuw", 7, 0x0000000100000000, 0xFFFFFFFFFFFFFFFF),
    ("remw", 0xFFFFFFFFFFFFFFEC, 6, 0xFFFFFFFFFFFFFFFE),
    ("remw", 0x14, 0xFFFFFFFFFFFFFFFA, 2),
    ("remw", 0x0000000080000000, 0x00000000FFFFFFFF, 0),
    ("remw", 7, 0, 7),
    ("remw", 0x0000000180000000, 0, 0xFFFFFFFF80000000),
    ("remw", 0x0000000100000007, 0x0000000100000000, 7),
    ("remuw", 0xFFFFFFFFFFFFFFEC, 6, 2),
    ("remuw", 7, 0, 7),
    ("remuw", 0x0000000180000000, 0, 0xFFFFFFFF80000000),
    ("remuw", 0x00000000FFFFFFFF, 0x10, 0xF),
]


@pytest.mark.parametrize("op,a,b,expected", RR_CASES,
                         ids=lambda v: v if isinstance(v, str) else None)
def test_register_register(op: str, a: int, b: int, expected: int) -> None:
    enc = getattr(A, OPNAME.get(op, op))
    m = run(enc(A2, A0, A1), x={A0: a, A1: b, A2: 0x5555})
    assert m.x[A2] == expected
    assert (m.x[A0], m.x[A1]) == (a, b)


IMM_CASES = [
    ("addi", 0x7FFFFFFFFFFFFFFF, 1, 0x8000000000000000),
    ("addi", 0, -1, 0xFFFFFFFFFFFFFFFF),
    ("addi", 5, -2048, 0xFFFFFFFFFFFFF805),
    ("addi", 0xFFFFFFFFFFFFFFFF, 2047, 0x7FE),
    ("slti", 0xFFFFFFFFFFFFFFFF, 0, 1),
    ("slti", 0, -1, 0),
    ("slti", 0x8000000000000000, -2048, 1),
    ("slti", 5, 6, 1),
    ("sltiu", 0, -1, 1),
    ("sltiu", 0xFFFFFFFFFFFFFFFF, -1, 0),
    ("sltiu", 0xFFFFFFFFFFFFF7FF, -2048, 1),
    ("sltiu", 0, 1, 1),
    ("sltiu", 1, 1, 0),
    ("xori", 0x0123456789ABCDEF, -1, 0xFEDCBA9876543210),
    ("xori", 0x0123456789ABCDEF, 2047, 0x0123456789ABCA10),
    ("ori", 0x0123456789ABCDEF, -2048, 0xFFFFFFFFFFFFFDEF),
    ("ori", 0, 1365, 0x555),
    ("andi", 0xFEDCBA9876543210, -16, 0xFEDCBA9876543210),
    ("andi", 0xFEDCBA9876543210, 2047, 0x210),
    ("slli", 0x0123456789ABCDEF, 0, 0x0123456789ABCDEF),
    ("slli", 0x0123456789ABCDEF, 31, 0xC4D5E6F780000000),
    ("slli", 0x0123456789ABCDEF, 32, 0x89ABCDEF00000000),
    ("slli", 0x0123456789ABCDEF, 63, 0x8000000000000000),
    ("srli", 0xFEDCBA9876543210, 0, 0xFEDCBA9876543210),
    ("srli", 0xFEDCBA9876543210, 31, 0x00000001FDB97530),
    ("srli", 0xFEDCBA9876543210, 32, 0x00000000FEDCBA98),
    ("srli", 0xFEDCBA9876543210, 63, 1),
    ("srai", 0xFEDCBA9876543210, 0, 0xFEDCBA9876543210),
    ("srai", 0xFEDCBA9876543210, 31, 0xFFFFFFFFFDB97530),
    ("srai", 0xFEDCBA9876543210, 32, 0xFFFFFFFFFEDCBA98),
    ("srai", 0xFEDCBA9876543210, 63, 0xFFFFFFFFFFFFFFFF),
    ("srai", 0x0123456789ABCDEF, 63, 0),
    ("addiw", 0x000000007FFFFFFF, 1, 0xFFFFFFFF80000000),
    ("addiw", 0x00000000FFFFFFFF, 1, 0),
    ("addiw", 0x0123456789ABCDEF, 0, 0xFFFFFFFF89ABCDEF),
    ("addiw", 0x0000000080000000, -1, 0x000000007FFFFFFF),
    ("addiw", 0, -2048, 0xFFFFFFFFFFFFF800),
    ("slliw", 1, 31, 0xFFFFFFFF80000000),
    ("slliw", 0x0123456789ABCDEF, 0, 0xFFFFFFFF89ABCDEF),
    ("slliw", 0x0123456789ABCDEF, 31, 0xFFFFFFFF80000000),
    ("slliw", 0x0123456789ABCDEF, 16, 0xFFFFFFFFCDEF0000),
    ("srliw", 0x0000000080000000, 0, 0xFFFFFFFF80000000),
    ("srliw", 0x0000000080000000, 31, 1),
    ("srliw", 0xFEDCBA9876543210, 4, 0x0000000007654321),
    ("srliw", 0xFEDCBA9876543210, 0, 0x0000000076543210),
    ("sraiw", 0x0000000080000000, 0, 0xFFFFFFFF80000000),
    ("sraiw", 0x0000000080000000, 31, 0xFFFFFFFFFFFFFFFF),
    ("sraiw", 0x000000007FFFFFFF, 31, 0),
    ("sraiw", 0xFEDCBA9876543210, 4, 0x0000000007654321),
    ("sraiw", 0x0123456789ABCDEF, 0, 0xFFFFFFFF89ABCDEF),
]


@pytest.mark.parametrize("op,a,imm,expected", IMM_CASES,
                         ids=lambda v: v if isinstance(v, str) else None)
def test_register_immediate(op: str, a: int, imm: int, expected: int) -> None:
    m = run(getattr(A, op)(A2, A0, imm), x={A0: a})
    assert m.x[A2] == expected


def test_operands_may_alias_the_destination() -> None:
    code = b"".join([
        A.add(A0, A0, A0),      # a0 = 2 * a0
        A.sub(A1, A1, A1),      # a1 = 0
        A.mul(A2, A2, A2),      # a2 = a2 * a2
        A.addiw(A3, A3, 1),     # a3 = sext32(a3 + 1)
        A.divu(A4, A4, A4),     # a4 = 1
        A.sltu(A5, A5, A5),     # a5 = 0
    ])
    m = run(code, x={A0: 0x8000000000000001, A1: 77, A2: 0xFFFFFFFF, A3: 0x7FFFFFFF,
                     A4: 12345, A5: 3})
    assert m.x[A0] == 2
    assert m.x[A1] == 0
    assert m.x[A2] == 0xFFFFFFFE00000001
    assert m.x[A3] == 0xFFFFFFFF80000000
    assert m.x[A4] == 1
    assert m.x[A5] == 0


def test_x0_stays_zero_when_written() -> None:
    code = b"".join([
        A.addi(0, 0, 5), A.lui(0, 0x12345), A.auipc(0, 1), A.add(0, A0, A0),
        A.lw(0, A1, 0), A.jal(0, 4), A.jalr(0, A2, 0),
        A.csrrs(0, A.CSR_FFLAGS, 0), A.amo("amoswap", "w", 0, A1, A0),
        A.amo("lr", "d", 0, A1), A.amo("amoadd", "d", 0, A1, A0),
        A.fmv_x_d(0, 1), A.fop("feq", "d", 0, 1, 1), A.fcvt_int_from_fp("w", "d", 0, 1, A.RTZ),
        A.c_li(0, 5), A.c_mv(0, A0), A.c_add(0, A0), A.c_lui(A3, 1),
        A.add(A4, 0, 0), A.addi(A5, 0, 0),
    ])
    after_jalr = CODE + 7 * 4
    m = run(code, x={A0: 0x1234, A1: DATA, A2: after_jalr, A4: 99, A5: 99},
            f={1: 0x3FF8000000000000}, data=bytes(range(64)))
    assert m.x[0] == 0
    assert (m.x[A4], m.x[A5]) == (0, 0)
    assert m.x[A3] == 0x1000
    # The amoswap did store, the amoadd.d added.
    assert m.memory.read(DATA, 4) == struct.pack("<I", 0x1234 + 0x1234)


# --- loads and stores -----------------------------------------------------------------------

LOAD_DATA = bytes.fromhex("f1e2d3c4b5a69788" "0102030405060708" "8000000000000080")

LOAD_CASES = [
    ("lb", 0, 0xFFFFFFFFFFFFFFF1), ("lbu", 0, 0xF1), ("lb", 8, 1), ("lbu", 8, 1),
    ("lb", 23, 0xFFFFFFFFFFFFFF80), ("lbu", 23, 0x80),
    ("lh", 0, 0xFFFFFFFFFFFFE2F1), ("lhu", 0, 0xE2F1), ("lh", 8, 0x0201), ("lhu", 8, 0x0201),
    ("lh", 22, 0xFFFFFFFFFFFF8000), ("lhu", 22, 0x8000),
    ("lw", 0, 0xFFFFFFFFC4D3E2F1), ("lwu", 0, 0xC4D3E2F1), ("lw", 8, 0x04030201),
    ("lwu", 8, 0x04030201), ("lw", 20, 0xFFFFFFFF80000000), ("lwu", 20, 0x80000000),
    ("ld", 0, 0x8897A6B5C4D3E2F1), ("ld", 8, 0x0807060504030201),
    ("ld", 16, 0x8000000000000080),
    # Misaligned accesses are allowed (the spec lets an implementation support them).
    ("lw", 1, 0xFFFFFFFFB5C4D3E2), ("lhu", 7, 0x0188), ("ld", 4, 0x04030201_8897A6B5),
]


@pytest.mark.parametrize("op,offset,expected", LOAD_CASES)
def test_load_extends_by_width_and_signedness(op: str, offset: int, expected: int) -> None:
    enc = getattr(A, op)
    # Once with a positive and once with a negative displacement.
    m = run(enc(A2, A0, offset) + enc(A3, A1, offset - 64),
            x={A0: DATA, A1: DATA + 64}, data=LOAD_DATA)
    assert m.x[A2] == expected
    assert m.x[A3] == expected


def test_stores_of_every_width() -> None:
    v = 0x1122334455667788
    code = b"".join([
        A.sb(A1, A0, 0), A.sh(A1, A0, 8), A.sw(A1, A0, 16), A.sd(A1, A0, 24),
        A.sw(A1, A0, 33),  # misaligned
        A.sd(A1, A2, -8),  # negative displacement
    ])
    m = run(code, x={A0: DATA, A1: v, A2: DATA + 56}, data=bytes([0xEE]) * 64)
    got = m.memory.read(DATA, 64)
    want = bytearray([0xEE]) * 64
    want[0:1] = b"\x88"
    want[8:10] = b"\x88\x77"
    want[16:20] = b"\x88\x77\x66\x55"
    want[24:32] = bytes.fromhex("8877665544332211")
    want[33:37] = b"\x88\x77\x66\x55"
    want[48:56] = bytes.fromhex("8877665544332211")
    assert got == bytes(want)


# --- upper immediates, jumps and branches ------------------------------------------------------


def test_lui_and_auipc_sign_extend() -> None:
    code = b"".join([
        A.lui(A0, 0x80000), A.lui(A1, 0xFFFFF), A.lui(A2, 0x7FFFF),
        A.auipc(A3, 0xFFFFF), A.auipc(A4, 0x80000), A.auipc(A5, 1),
    ])
    m = run(code)
    assert m.x[A0] == 0xFFFFFFFF80000000
    assert m.x[A1] == 0xFFFFFFFFFFFFF000
    assert m.x[A2] == 0x7FFFF000
    assert m.x[A3] == CODE + 12 - 0x1000
    assert m.x[A4] == u64(CODE + 16 - 0x80000000)
    assert m.x[A5] == CODE + 20 + 0x1000


def test_jal_links_and_jumps_both_ways() -> None:
    code = b"".join([
        A.jal(A0, 12),          # 0: -> 12, a0 = CODE + 4
        A.addi(A3, 0, 7),       # 4: reached from 16
        A.jal(0, 12),           # 8: -> 20 (the end)
        A.addi(A2, 0, 5),       # 12
        A.jal(A1, -12),         # 16: -> 4, a1 = CODE + 20
    ])
    m = run(code)
    assert (m.x[A0], m.x[A1], m.x[A2], m.x[A3]) == (CODE + 4, CODE + 20, 5, 7)


def test_jalr_clears_bit_zero_and_links_after_reading_rs1() -> None:
    code = b"".join([
        A.jalr(A0, A1, 4),      # 0: a1 = CODE + 9 -> CODE + 13 -> CODE + 12
        A.addi(A2, 0, 1),       # 4: skipped
        A.addi(A2, 0, 2),       # 8: skipped
        A.jalr(A3, A3, -1),     # 12: rd == rs1: a3 = CODE + 21 -> CODE + 20, a3 = CODE + 16
        A.addi(A2, 0, 3),       # 16: skipped
    ])
    m = run(code, x={A1: CODE + 9, A3: CODE + 21})
    assert m.x[A0] == CODE + 4
    assert m.x[A2] == 0
    assert m.x[A3] == CODE + 16


BRANCH_CASES = [
    ("beq", 5, 5, True), ("beq", 5, 6, False), ("beq", M, 0x7FFFFFFFFFFFFFFF, False),
    ("bne", 5, 5, False), ("bne", 5, 6, True), ("bne", 1 << 63, 0, True),
    ("blt", M, 0, True), ("blt", 0, M, False), ("blt", 5, 5, False),
    ("blt", 1 << 63, (1 << 63) - 1, True),
    ("bge", M, 0, False), ("bge", 0, M, True), ("bge", 5, 5, True),
    ("bge", (1 << 63) - 1, 1 << 63, True),
    ("bltu", M, 0, False), ("bltu", 0, M, True), ("bltu", 5, 5, False),
    ("bltu", (1 << 63) - 1, 1 << 63, True),
    ("bgeu", M, 0, True), ("bgeu", 0, M, False), ("bgeu", 5, 5, True),
    ("bgeu", 1 << 63, (1 << 63) - 1, True),
]


@pytest.mark.parametrize("op,a,b,taken", BRANCH_CASES)
def test_branch_taken_or_not(op: str, a: int, b: int, taken: bool) -> None:
    code = getattr(A, op)(A0, A1, 8) + A.addi(A2, 0, 1) + A.addi(A3, 0, 1)
    m = run(code, x={A0: a, A1: b})
    assert m.x[A2] == (0 if taken else 1)
    assert m.x[A3] == 1


def test_backward_branch_loops() -> None:
    code = A.addi(A0, A0, 1) + A.blt(A0, A1, -4) + A.addi(A2, A0, 0)
    m = run(code, x={A1: 10})
    assert m.x[A2] == 10


# --- atomics ---------------------------------------------------------------------------------


def test_lr_sc_success_then_failure() -> None:
    code = b"".join([
        A.lr_w(A2, A0),         # a2 = sext(mem32)
        A.sc_w(A3, A1, A0),     # succeeds: a3 = 0, mem32 = a1
        A.sc_w(A4, A1, A0),     # reservation gone: a4 = 1
        A.lr_d(A5, A0),
        A.sc_d(A.T0, A.T1, A0),  # succeeds
    ])
    data = struct.pack("<II", 0x80000001, 0xAAAAAAAA) + bytes(56)
    m = run(code, x={A0: DATA, A1: 0xFFFFFFFF00000005, A.T1: 0x0123456789ABCDEF}, data=data)
    assert m.x[A2] == 0xFFFFFFFF80000001
    assert m.x[A3] == 0
    assert m.x[A4] == 1
    assert m.x[A5] == 0xAAAAAAAA00000005
    assert m.x[A.T0] == 0
    assert m.memory.read(DATA, 8) == struct.pack("<Q", 0x0123456789ABCDEF)


def test_sc_without_reservation_or_to_another_address_fails() -> None:
    code = b"".join([
        A.sc_d(A2, A1, A0),          # no reservation yet
        A.lr_d(A3, A0),
        A.sc_d(A4, A1, A5),          # another address: fails and drops the reservation
        A.sc_d(A.T0, A1, A0),        # fails: the reservation is gone
    ])
    m = run(code, x={A0: DATA, A5: DATA + 16, A1: 0x77}, data=bytes(range(32)))
    assert (m.x[A2], m.x[A4], m.x[A.T0]) == (1, 1, 1)
    assert m.memory.read(DATA, 32) == bytes(range(32))


AMO_W = [  # name, old word, rs2, new word
    ("amoswap", 0x80000001, 0xFFFFFFFF00000002, 0x00000002),
    ("amoadd", 0x80000001, 0xFFFFFFFF00000002, 0x80000003),
    ("amoadd", 0xFFFFFFFF, 1, 0),
    ("amoxor", 0x80000001, 0xFFFFFFFF00000002, 0x80000003),
    ("amoand", 0x80000001, 0xFFFFFFFF00000003, 0x00000001),
    ("amoor", 0x80000001, 0xFFFFFFFF00000002, 0x80000003),
    ("amomin", 0x80000001, 0xFFFFFFFF00000002, 0x80000001),
    ("amomax", 0x80000001, 0xFFFFFFFF00000002, 0x00000002),
    ("amominu", 0x80000001, 0xFFFFFFFF00000002, 0x00000002),
    ("amomaxu", 0x80000001, 0xFFFFFFFF00000002, 0x80000001),
    ("amomin", 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFE),
    ("amomax", 0x7FFFFFFF, 0x80000000, 0x7FFFFFFF),
]
AMO_D = [
    ("amoswap", 0x8000000000000001, 2, 2),
    ("amoadd", 0x8000000000000001, 2, 0x8000000000000003),
    ("amoadd", M, 1, 0),
    ("amoxor", 0x8000000000000001, 3, 0x8000000000000002),
    ("amoand", 0x8000000000000001, 3, 1),
    ("amoor", 0x8000000000000001, 2, 0x8000000000000003),
    ("amomin", 0x8000000000000001, 2, 0x8000000000000001),
    ("amomax", 0x8000000000000001, 2, 2),
    ("amominu", 0x8000000000000001, 2, 2),
    ("amomaxu", 0x8000000000000001, 2, 0x8000000000000001),
    ("amomin", M - 1, M, M - 1),
    ("amomaxu", M - 1, M, M),
]


@pytest.mark.parametrize("name,old,value,new", AMO_W)
def test_amo_w(name: str, old: int, value: int, new: int) -> None:
    data = struct.pack("<II", old, 0xAAAAAAAA) + bytes(8)
    m = run(A.amo(name, "w", A2, A0, A1, aq=1, rl=1), x={A0: DATA, A1: value}, data=data)
    assert m.x[A2] == (old | 0xFFFFFFFF00000000 if old >> 31 else old)  # sign-extended
    assert m.memory.read(DATA, 16) == struct.pack("<II", new, 0xAAAAAAAA) + bytes(8)


@pytest.mark.parametrize("name,old,value,new", AMO_D)
def test_amo_d(name: str, old: int, value: int, new: int) -> None:
    data = struct.pack("<QQ", old, 0xAAAAAAAAAAAAAAAA)
    m = run(A.amo(name, "d", A2, A0, A1), x={A0: DATA, A1: value}, data=data)
    assert m.x[A2] == old
    assert m.memory.read(DATA, 16) == struct.pack("<QQ", new, 0xAAAAAAAAAAAAAAAA)


def test_amoswap_with_rd_equal_rs2_reads_rs2_first() -> None:
    m = run(A.amo("amoswap", "d", A1, A0, A1), x={A0: DATA, A1: 42},
            data=struct.pack("<Q", 7) + bytes(8))
    assert m.x[A1] == 7
    assert m.memory.read(DATA, 8) == struct.pack("<Q", 42)


@pytest.mark.parametrize("enc,kind", [
    (A.lr_w(A2, A0), LoadFault), (A.lr_d(A2, A0), LoadFault),
    (A.sc_w(A2, A1, A0), StoreFault),
    (A.amo("amoadd", "w", A2, A0, A1), StoreFault),
    (A.amo("amoswap", "d", A2, A0, A1), StoreFault),
])
def test_misaligned_atomics_fault(enc: bytes, kind: type) -> None:
    m = machine(enc + A.ebreak())
    m.x[A0] = DATA + 2
    with pytest.raises(kind) as info:
        m.run_main()
    assert (info.value.pc, info.value.addr, info.value.count) == (CODE, DATA + 2, 0)


def test_amo_on_read_only_memory_is_a_store_fault() -> None:
    m = machine(A.amo("amoor", "w", A2, A0, A1) + A.ebreak(), rodata=bytes(16))
    m.x[A0] = RODATA
    with pytest.raises(StoreFault) as info:
        m.run_main()
    assert info.value.addr == RODATA


# --- CSRs ----------------------------------------------------------------------------------


def test_fcsr_write_read_and_field_views() -> None:
    code = b"".join([
        A.csrrw(A0, A.CSR_FCSR, A1),    # a0 = old fcsr (0x41), fcsr = 0xFF & defined bits
        A.csrr(A2, A.CSR_FCSR),
        A.csrr(A3, A.CSR_FRM),
        A.csrr(A4, A.CSR_FFLAGS),
    ])
    m = run(code, x={A1: 0xFFFFFFFFFFFFFFFF}, frm=2, fflags=1)
    assert m.x[A0] == (2 << 5) | 1
    assert (m.x[A2], m.x[A3], m.x[A4]) == (0xFF, 7, 0x1F)
    assert (m.frm, m.fflags) == (7, 0x1F)


def test_csr_set_and_clear_register_forms() -> None:
    code = b"".join([
        A.csrrs(A0, A.CSR_FFLAGS, A1),   # fflags 0b00010 | 0b00101
        A.csrrc(A2, A.CSR_FFLAGS, A3),   # clear 0b00011 -> 0b00100
        A.csrrs(A4, A.CSR_FRM, 0),       # rs1 = x0: read only
        A.csrrc(0, A.CSR_FCSR, A5),      # rd = x0 still writes: clear frm bit 5
        A.csrr(A.T0, A.CSR_FCSR),
    ])
    m = run(code, x={A1: 5, A3: 3, A5: 1 << 5}, frm=3, fflags=2)
    assert (m.x[A0], m.x[A2], m.x[A4]) == (2, 7, 3)
    assert m.x[A.T0] == (2 << 5) | 4
    assert (m.frm, m.fflags) == (2, 4)


def test_csr_immediate_forms() -> None:
    code = b"".join([
        A.csrrwi(A0, A.CSR_FRM, 3),
        A.csrrsi(A1, A.CSR_FFLAGS, 0x11),
        A.csrrci(A2, A.CSR_FFLAGS, 0x01),
        A.csrrwi(A3, A.CSR_FCSR, 0x1F),   # zimm reaches only fflags: frm becomes 0
        A.csrrsi(A4, A.CSR_FCSR, 0),      # read only
        A.csrrci(A5, A.CSR_FRM, 0),       # read only
        A.fsrmi(A.T0, 4),
        A.csrr(A.T1, A.CSR_FCSR),
    ])
    m = run(code, frm=1, fflags=0x08)
    assert m.x[A0] == 1
    assert m.x[A1] == 0x08
    assert m.x[A2] == 0x19
    assert m.x[A3] == (3 << 5) | 0x18
    assert m.x[A4] == 0x1F
    assert m.x[A5] == 0
    assert m.x[A.T0] == 0
    assert m.x[A.T1] == (4 << 5) | 0x1F


def test_fflags_write_keeps_five_bits() -> None:
    m = run(A.csrrw(A0, A.CSR_FFLAGS, A1) + A.csrr(A2, A.CSR_FCSR), x={A1: 0xFFFF}, frm=5)
    assert m.x[A2] == (5 << 5) | 0x1F


def test_counters_count_retired_instructions() -> None:
    code = b"".join([
        A.nop(), A.nop(), A.nop(),
        A.csrr(A0, A.CSR_INSTRET), A.csrr(A1, A.CSR_CYCLE), A.csrr(A2, A.CSR_TIME),
        A.csrrsi(A3, A.CSR_INSTRET, 0),
        A.addi(A4, 0, 0) + A.bne(A4, A5, 8) + A.nop(),  # forward branch over one nop
        A.csrr(A5, A.CSR_INSTRET),
    ])
    m = run(code, x={A5: 1}, oracle=False)
    assert (m.x[A0], m.x[A1], m.x[A2], m.x[A3]) == (3, 4, 5, 6)
    assert m.x[A5] == 9


@pytest.mark.parametrize("enc", [
    A.csrrw(0, A.CSR_INSTRET, A0), A.csrrs(A1, A.CSR_CYCLE, A0), A.csrrwi(0, A.CSR_TIME, 0),
    A.csrr(A1, 0x300), A.csrr(A1, 0x004), A.csrr(A1, 0xC80),
])
def test_bad_csr_access_is_illegal(enc: bytes) -> None:
    m = machine(A.nop() + enc + A.ebreak())
    m.x[A0] = 1
    with pytest.raises(IllegalInstruction) as info:
        m.run_main()
    assert (info.value.pc, info.value.count) == (CODE + 4, 1)


# --- a little floating point that lives in semantics.py (loads, stores, moves, boxing) ----------


def test_fp_loads_stores_and_moves_nan_box_singles() -> None:
    code = b"".join([
        A.flw(1, A0, 0), A.fld(2, A0, 8), A.fsw(1, A0, 16), A.fsd(2, A0, 24),
        A.fmv_x_w(A1, 1), A.fmv_x_d(A2, 2), A.fmv_w_x(3, A3), A.fmv_d_x(4, A3),
        A.fsw(3, A0, 32),
    ])
    data = struct.pack("<Iiqq", 0xBF800000, 0, 0x400921FB54442D18, -1) + bytes(32)
    m = run(code, x={A0: DATA, A3: 0x123456789ABCDEF0}, data=data, oracle_f=False)
    assert m.f[1] == 0xFFFFFFFFBF800000
    assert m.f[2] == 0x400921FB54442D18
    assert m.f[3] == 0xFFFFFFFF9ABCDEF0
    assert m.f[4] == 0x123456789ABCDEF0
    assert m.x[A1] == 0xFFFFFFFFBF800000  # fmv.x.w sign-extends
    assert m.x[A2] == 0x400921FB54442D18
    mem = m.memory.read(DATA, 40)
    assert mem[16:20] == struct.pack("<I", 0xBF800000)
    assert mem[20:24] == b"\xff" * 4  # fsw stores 4 bytes only
    assert mem[24:32] == struct.pack("<Q", 0x400921FB54442D18)
    assert mem[32:36] == struct.pack("<I", 0x9ABCDEF0)


def test_single_ops_treat_unboxed_inputs_as_canonical_nan() -> None:
    one_s = 0xFFFFFFFF3F800000
    unboxed = 0x000000003F800000
    code = A.farith("fadd", "s", 3, 1, 2, A.RNE) + A.fclass("s", A0, 2) + A.fclass("s", A1, 1)
    m = run(code, f={1: one_s, 2: unboxed}, oracle=False)  # unicorn ignores NaN-boxing
    assert m.f[3] == 0xFFFFFFFF7FC00000
    assert m.x[A0] == 1 << 9  # quiet NaN
    assert m.x[A1] == 1 << 6  # positive normal
    assert m.fflags == 0


# --- compressed instructions ---------------------------------------------------------------------

# Registers for every compressed case: bases point into the data, values are distinct.
C_REGS = {
    A.SP: DATA + 64, A.RA: 0x1111, A0: DATA, A1: 0x8000000000000007, A2: 0x00000000FFFFFFF0,
    A3: 0x0123456789ABCDEF, A4: 0xFFFFFFFF80000000, A5: 5, A.S0: DATA + 32, A.S1: 0x7FFFFFFF,
}
C_F = {1: 0x400921FB54442D18, 8: 0x3FF0000000000000, 9: 0xC000000000000000}
C_DATA = bytes(range(256)) * 5

C_CASES = [  # (name, compressed, its 32-bit expansion)
    ("c.addi4spn", A.c_addi4spn(A0, 16), A.addi(A0, A.SP, 16)),
    ("c.addi4spn max", A.c_addi4spn(A.S1, 1020), A.addi(A.S1, A.SP, 1020)),
    ("c.fld", A.c_fld(8, A0, 8), A.fld(8, A0, 8)),
    ("c.lw", A.c_lw(A1, A0, 4), A.lw(A1, A0, 4)),
    ("c.lw max", A.c_lw(A1, A0, 124), A.lw(A1, A0, 124)),
    ("c.ld", A.c_ld(A1, A.S0, 8), A.ld(A1, A.S0, 8)),
    ("c.ld max", A.c_ld(A1, A0, 248), A.ld(A1, A0, 248)),
    ("c.fsd", A.c_fsd(9, A0, 16), A.fsd(9, A0, 16)),
    ("c.sw", A.c_sw(A1, A0, 4), A.sw(A1, A0, 4)),
    ("c.sw max", A.c_sw(A3, A0, 124), A.sw(A3, A0, 124)),
    ("c.sd", A.c_sd(A3, A.S0, 8), A.sd(A3, A.S0, 8)),
    ("c.nop", A.c_nop(), A.addi(0, 0, 0)),
    ("c.addi -32", A.c_addi(A3, -32), A.addi(A3, A3, -32)),
    ("c.addi 31", A.c_addi(A3, 31), A.addi(A3, A3, 31)),
    ("c.addiw", A.c_addiw(A.S1, 1), A.addiw(A.S1, A.S1, 1)),
    ("c.addiw -1", A.c_addiw(A4, -1), A.addiw(A4, A4, -1)),
    ("c.li", A.c_li(A.T0, -32), A.addi(A.T0, 0, -32)),
    ("c.addi16sp -512", A.c_addi16sp(-512), A.addi(A.SP, A.SP, -512)),
    ("c.addi16sp 496", A.c_addi16sp(496), A.addi(A.SP, A.SP, 496)),
    ("c.lui -1", A.c_lui(A.T1, -1), A.lui(A.T1, 0xFFFFF)),
    ("c.lui 31", A.c_lui(A.T1, 31), A.lui(A.T1, 31)),
    ("c.lui -32", A.c_lui(A.T1, -32), A.lui(A.T1, 0xFFFE0)),
    ("c.srli 63", A.c_srli(A1, 63), A.srli(A1, A1, 63)),
    ("c.srli 1", A.c_srli(A1, 1), A.srli(A1, A1, 1)),
    ("c.srai 32", A.c_srai(A4, 32), A.srai(A4, A4, 32)),
    ("c.srai 3", A.c_srai(A1, 3), A.srai(A1, A1, 3)),
    ("c.andi", A.c_andi(A3, -2), A.andi(A3, A3, -2)),
    ("c.andi 31", A.c_andi(A3, 31), A.andi(A3, A3, 31)),
    ("c.sub", A.c_sub(A5, A1), A.sub(A5, A5, A1)),
    ("c.xor", A.c_xor(A3, A1), A.xor(A3, A3, A1)),
    ("c.or", A.c_or(A3, A2), A.or_(A3, A3, A2)),
    ("c.and", A.c_and(A3, A2), A.and_(A3, A3, A2)),
    ("c.subw", A.c_subw(A4, A5), A.subw(A4, A4, A5)),
    ("c.addw", A.c_addw(A.S1, A5), A.addw(A.S1, A.S1, A5)),
    ("c.slli 63", A.c_slli(A3, 63), A.slli(A3, A3, 63)),
    ("c.slli 4", A.c_slli(A.T2, 4), A.slli(A.T2, A.T2, 4)),
    ("c.fldsp", A.c_fldsp(1, 8), A.fld(1, A.SP, 8)),
    ("c.fldsp max", A.c_fldsp(1, 504), A.fld(1, A.SP, 504)),
    ("c.fld max", A.c_fld(9, A.S0, 248), A.fld(9, A.S0, 248)),
    ("c.fsd max", A.c_fsd(8, A0, 248), A.fsd(8, A0, 248)),
    ("c.lwsp", A.c_lwsp(A.T1, 4), A.lw(A.T1, A.SP, 4)),
    ("c.lwsp max", A.c_lwsp(A.T1, 252), A.lw(A.T1, A.SP, 252)),
    ("c.ldsp", A.c_ldsp(A.T1, 8), A.ld(A.T1, A.SP, 8)),
    ("c.ldsp max", A.c_ldsp(A.T1, 504), A.ld(A.T1, A.SP, 504)),
    ("c.mv", A.c_mv(A.T2, A1), A.add(A.T2, 0, A1)),
    ("c.add", A.c_add(A3, A1), A.add(A3, A3, A1)),
    ("c.fsdsp", A.c_fsdsp(1, 16), A.fsd(1, A.SP, 16)),
    ("c.swsp", A.c_swsp(A3, 4), A.sw(A3, A.SP, 4)),
    ("c.swsp max", A.c_swsp(A3, 252), A.sw(A3, A.SP, 252)),
    ("c.sdsp", A.c_sdsp(A3, 8), A.sd(A3, A.SP, 8)),
    ("c.sdsp max", A.c_sdsp(A3, 504), A.sd(A3, A.SP, 504)),
    ("c.fsdsp max", A.c_fsdsp(1, 504), A.fsd(1, A.SP, 504)),
]


def _state(m: Machine) -> tuple:
    return m.x[1:32], m.f[:], m.memory.read(DATA, len(C_DATA))


@pytest.mark.parametrize("name,short,long", C_CASES, ids=[c[0] for c in C_CASES])
def test_compressed_behaves_as_its_expansion(name: str, short: bytes, long: bytes) -> None:
    assert len(short) == 2 and len(long) == 4
    small = run(short, x=C_REGS, f=C_F, data=C_DATA)
    big = run(long, x=C_REGS, f=C_F, data=C_DATA)
    assert _state(small) == _state(big)
    assert small.instret == big.instret == 1


def test_compressed_spot_values() -> None:
    code = A.c_lui(A.T1, -32) + A.c_addiw(A.S1, 1) + A.c_srai(A4, 32) + A.c_li(A.T0, -1)
    m = run(code, x=C_REGS)
    assert m.x[A.T1] == 0xFFFFFFFFFFFE0000
    assert m.x[A.S1] == 0xFFFFFFFF80000000
    assert m.x[A4] == 0xFFFFFFFFFFFFFFFF
    assert m.x[A.T0] == M


def test_compressed_jumps_and_branches() -> None:
    code = b"".join([
        A.c_j(6),                # 0: -> 6
        A.c_li(A2, 1),           # 2: reached from 14 via c.jr
        A.c_j(14),               # 4: -> 18
        A.c_jalr(A1),            # 6: a1 = CODE + 10 -> 10, ra = CODE + 8
        A.c_li(A3, 1),           # 8: skipped
        A.c_beqz(A5, 4),         # 10: a5 = 0: taken -> 14
        A.c_li(A4, 1),           # 12: skipped
        A.c_bnez(A5, -14),       # 14: not taken
        A.c_jr(A0),              # 16: a0 = CODE + 2 -> 2
        A.c_nop(),               # 18
    ])
    m = run(code, x={A0: CODE + 2, A1: CODE + 10, A5: 0})
    assert m.x[A.RA] == CODE + 8
    assert (m.x[A2], m.x[A3], m.x[A4]) == (1, 0, 0)
    m = run(A.c_bnez(A5, 4) + A.c_li(A2, 1), x={A5: 3})
    assert m.x[A2] == 0
    m = run(A.c_beqz(A5, 4) + A.c_li(A2, 1), x={A5: 3})
    assert m.x[A2] == 1


def test_c_ebreak_and_mixed_sizes() -> None:
    m = machine(A.c_li(A0, 3) + A.addi(A0, A0, 4) + A.c_ebreak())
    with pytest.raises(Breakpoint) as info:
        m.run_main()
    assert (info.value.pc, info.value.count, m.x[A0]) == (CODE + 6, 2, 7)


@pytest.mark.parametrize("half", [
    0x0000,                      # c.illegal
    (A.A0 - 8) << 2,             # c.addi4spn with nzuimm = 0
    (1 << 13) | 1,               # c.addiw x0
    (3 << 13) | (2 << 7) | 1,    # c.addi16sp 0
    (3 << 13) | (A.A0 << 7) | 1,  # c.lui a0, 0
    (4 << 13) | 2,               # c.jr x0
    (2 << 13) | 2,               # c.lwsp x0
    (3 << 13) | 2,               # c.ldsp x0
    (4 << 13) | (1 << 12) | (3 << 10) | (2 << 5) | 1,  # reserved CA encoding
    (4 << 13),                   # reserved quadrant-0 funct3
])
def test_reserved_compressed_encodings_are_illegal(half: int) -> None:
    m = machine(A.nop() + struct.pack("<H", half) + A.c_nop() + A.ebreak())
    with pytest.raises(IllegalInstruction) as info:
        m.run_main()
    assert (info.value.pc, info.value.count) == (CODE + 4, 1)


# --- faults -------------------------------------------------------------------------------------


def _fault(code: bytes, x: dict[int, int] | None = None,
           **kw: bytes) -> tuple[Machine, pytest.ExceptionInfo]:
    m = machine(code, symbols={"start": CODE, "helper": CODE + 8}, **kw)
    for r, v in (x or {}).items():
        m.x[r] = v & M
    with pytest.raises(Exception) as info:
        m.run_main()
    return m, info


LOAD_FAULTS = [  # base register value, displacement, width encoder, faulting address
    (0, 0, A.ld, 0),
    (CODE - 8, 0, A.lw, CODE - 8),             # just below the first segment
    (CODE - 1, 0, A.lh, CODE - 1),             # straddles the bottom
    (MEM_END - 4, 0, A.ld, MEM_END - 4),       # straddles the top
    (MEM_END, 0, A.lbu, MEM_END),
    (MEM_END + 8, -8, A.lbu, MEM_END),
    (0x10, -32, A.lw, u64(0x10 - 32)),         # wraps below zero
    (1 << 63, 0, A.ld, 1 << 63),
    (M, 1, A.lb, 0),                           # wraps to zero
]


@pytest.mark.parametrize("base,disp,enc,addr", LOAD_FAULTS)
def test_load_outside_memory_faults(base: int, disp: int, enc, addr: int) -> None:
    code = A.nop() + A.nop() + A.nop() + enc(A0, A1, disp) + A.ebreak()
    m, info = _fault(code, {A1: base})
    assert info.type is LoadFault
    f = info.value
    assert (f.pc, f.addr, f.count) == (CODE + 12, addr, 3)
    assert f.symbol == "helper+0x4"
    assert m.pc == CODE + 12 and m.instret == 3
    assert f"load fault at 0x{addr:x} (pc 0x{CODE + 12:x} <helper+0x4>, after 3 instructions)" \
        == str(f)


def test_loads_at_the_edges_of_memory_succeed() -> None:
    code = A.ld(A2, A0, 0) + A.lbu(A3, A1, 0) + A.sd(A2, A0, 0)
    m = run(code, x={A0: MEM_END - 8, A1: CODE}, oracle=False)
    assert m.x[A3] == code[0]


@pytest.mark.parametrize("addr,enc", [
    (CODE, A.sd), (CODE + 2, A.sb), (RODATA, A.sw), (RODATA + 12, A.sh), (DATA - 1, A.sb),
    (DATA - 4, A.sd), (MEM_END - 4, A.sd), (MEM_END, A.sb), (0, A.sb), (CODE - 8, A.sd),
])
def test_store_outside_writable_memory_faults(addr: int, enc) -> None:
    code = A.nop() + A.nop() + enc(A0, A1, 0) + A.ebreak()
    m, info = _fault(code, {A1: addr, A0: 0x4142434445464748}, rodata=bytes(16))
    assert info.type is StoreFault
    assert (info.value.pc, info.value.addr, info.value.count) == (CODE + 8, addr, 2)
    assert info.value.symbol == "helper"
    assert m.memory.read(CODE, 8) == code[:8]


def test_fp_loads_and_stores_fault_too() -> None:
    _, info = _fault(A.fsd(1, A1, 0) + A.ebreak(), {A1: CODE})
    assert info.type is StoreFault and info.value.addr == CODE
    _, info = _fault(A.fsw(1, A1, 0) + A.ebreak(), {A1: RODATA}, rodata=bytes(8))
    assert info.type is StoreFault and info.value.addr == RODATA
    _, info = _fault(A.flw(1, A1, 8) + A.ebreak(), {A1: 0})
    assert info.type is LoadFault and info.value.addr == 8
    _, info = _fault(A.fld(1, A1, 0) + A.ebreak(), {A1: MEM_END - 4})
    assert info.type is LoadFault and info.value.addr == MEM_END - 4


def test_read_only_data_is_readable() -> None:
    m = machine(A.ld(A2, A1, 8) + A.ebreak(), rodata=struct.pack("<QQ", 1, 0x55AA))
    m.x[A1] = RODATA
    with pytest.raises(Breakpoint):
        m.run_main()
    assert m.x[A2] == 0x55AA


@pytest.mark.parametrize("target", [DATA, DATA + 0x100, RODATA, CODE - 4, 0, MEM_END, 1 << 40])
def test_jump_outside_code_is_a_fetch_fault(target: int) -> None:
    code = A.nop() + A.jalr(A.RA, A1, 0) + A.ebreak()
    m, info = _fault(code, {A1: target}, rodata=bytes(8))
    assert info.type is FetchFault
    f = info.value
    assert (f.pc, f.count) == (target, 2)
    assert m.x[A.RA] == CODE + 8


def test_branch_and_jal_outside_code_and_running_off_the_end() -> None:
    _, info = _fault(A.nop() + A.jal(0, 0x800) + A.ebreak())
    assert info.type is FetchFault and (info.value.pc, info.value.count) == (CODE + 0x804, 2)
    _, info = _fault(A.beq(0, 0, -8) + A.ebreak())
    assert info.type is FetchFault and (info.value.pc, info.value.count) == (CODE - 8, 1)
    code = A.nop() + A.c_nop() + A.nop()
    _, info = _fault(code)
    assert info.type is FetchFault and (info.value.pc, info.value.count) == (CODE + 10, 3)


def test_truncated_last_instruction_is_illegal() -> None:
    code = A.nop() + A.nop()[:2]  # the low half of a 32-bit instruction, then the end
    _, info = _fault(code)
    assert info.type is IllegalInstruction
    assert (info.value.pc, info.value.count) == (CODE + 4, 1)


@pytest.mark.parametrize("word", [
    0xFFFFFFFF, 0x0000007F, 0x0000000B,  # unknown opcodes
    0x00001013 | (1 << 26),              # slli with a reserved high shamt field
    0x02000033 | (1 << 12) | (1 << 26),  # OP with an unknown funct7
    0x0000303B,                          # OP-32 with an unknown funct3
    0x0000201B | (A.A0 << 7),            # OP-IMM-32 funct3 2
    0x0200101B | (A.A0 << 7),            # slliw with shamt[5] set
    0x4400501B,                          # sraiw with a bad funct7
    0x44005013,                          # srai with funct6 0x11
    0x00007003 | (A.A0 << 7),            # load funct3 7
    0x00004023,                          # store funct3 4
    0x00002067,                          # jalr funct3 2
    0x00002063,                          # branch funct3 2
    0x00200073,                          # uret-like system word
    0x10500073,                          # wfi
    0x30200073,                          # mret
    0x0000400F,                          # fence funct3 4
    0x1000202F | (1 << 20),              # lr.w with rs2 != 0
    0x0000402F,                          # AMO funct3 4
    0x5000202F,                          # AMO with the unused funct5 0x0A
    0x00005053,                          # fadd.s with static rm 5
    0x00006053,                          # fadd.s rm 6
    0x04000053,                          # fadd.h (fmt 2)
    0x06000053,                          # fadd.q (fmt 3)
    0x06000043,                          # fmadd fmt 3 (quad)
    0x58100053,                          # fsqrt.s with rs2 = 1
    0x20003053,                          # fsgnj funct3 3
    0xE0002053,                          # fmv.x.w funct3 2
    0xF0001053,                          # fmv.w.x funct3 1
    0xC0400053,                          # fcvt.w.s with rs2 = 4
    0x40000053,                          # fcvt.s.d with rs2 = 0
    0x42100053,                          # fcvt.d.s with rs2 = 1
    0x00004007,                          # flq
    0x00001007,                          # flh
    0x00004027,                          # fsq
])
def test_illegal_words(word: int) -> None:
    code = A.nop() + struct.pack("<I", word) + A.ebreak()
    _, info = _fault(code)
    assert info.type is IllegalInstruction, hex(word)
    assert (info.value.pc, info.value.count) == (CODE + 4, 1)


def test_invalid_dynamic_rounding_mode_is_illegal_when_used() -> None:
    code = A.nop() + A.farith("fadd", "d", 1, 2, 3) + A.ebreak()
    for frm in (5, 6, 7):
        m = machine(code)
        m.frm = frm
        with pytest.raises(IllegalInstruction) as info:
            m.run_main()
        assert (info.value.pc, info.value.count) == (CODE + 4, 1)
    # A static rounding mode ignores frm.
    m = machine(A.farith("fadd", "d", 1, 2, 3, A.RNE) + A.ebreak())
    m.frm = 5
    with pytest.raises(Breakpoint):
        m.run_main()


def test_ebreak_is_a_breakpoint_with_pc_count_and_symbol() -> None:
    code = A.nop() + A.nop() + A.nop() + A.ebreak()
    _, info = _fault(code)
    assert info.type is Breakpoint
    assert (info.value.pc, info.value.count, info.value.symbol) == (CODE + 12, 3, "helper+0x4")


def test_fault_count_after_a_loop() -> None:
    code = A.addi(A0, A0, 1) + A.blt(A0, A2, -4) + A.ld(A1, 0, 0) + A.ebreak()
    m, info = _fault(code, {A2: 3})
    assert info.type is LoadFault
    assert (info.value.pc, info.value.count, info.value.addr) == (CODE + 8, 6, 0)
    assert m.x[A0] == 3


def test_unknown_host_call_and_exit_counts() -> None:
    code = A.nop() + A.li(A.A7, 0x10000 + 77) + A.ecall() + A.ebreak()
    _, info = _fault(code)
    assert info.type is HostCallUnknown
    assert (info.value.pc, info.value.count) == (CODE + 12, 3)  # nop, lui, addiw; not ecall
    m = machine(A.nop() + A.addi(A0, 0, 7) + A.exit_seq())
    assert m.run_main() == 7
    assert (m.instret, m.exit_status) == (4, 7)  # the exiting ecall retired


def test_unknown_syscall_is_not_a_fault() -> None:
    code = A.li(A.A7, 4000) + A.ecall() + A.ebreak()
    m, info = _fault(code)
    assert info.type is Breakpoint
    assert m.x[A0] == u64(-38)  # -ENOSYS


# --- the instruction budget ----------------------------------------------------------------------


def _checkpoints(prelude: int, period: int) -> list[int]:
    """Counts at which the budget is checked: after each backward jump of the loop."""
    return [prelude + period * k for k in range(1, 200)]


def _expected_stop(limit: int, prelude: int, period: int) -> int:
    return next(c for c in _checkpoints(prelude, period) if c >= limit)


LOOPS = {
    # name: (code, prelude instructions before the loop, loop start, instructions per round)
    "tight": (A.addi(A0, A0, 1) + A.jal(0, -4), 0, CODE, 2),
    "self": (A.nop() + A.jal(0, 0), 1, CODE + 4, 1),
    "forward-jump-inside": (
        A.nop() + A.nop() + A.addi(A0, A0, 1) + A.jal(0, 4) + A.addi(A1, A1, 1)
        + A.jal(0, -12), 2, CODE + 8, 4),
    "branch-and-csr": (
        A.addi(A0, A0, 1) + A.beq(A0, 0, 8) + A.csrr(A1, A.CSR_FFLAGS) + A.bge(A0, 0, -12),
        0, CODE, 4),
    "long-body": (A.nop() * 299 + A.addi(A0, A0, 1) + A.jal(0, -1200), 0, CODE, 301),
    "compressed": (A.c_addi(A0, 1) + A.c_j(-2), 0, CODE, 2),
}


@pytest.mark.parametrize("name", LOOPS)
def test_budget_stops_at_the_same_check_point(name: str) -> None:
    code, prelude, start, period = LOOPS[name]
    limits = {0, 1, 2, 3, period - 1, period, period + 1, 2 * period, 2 * period + 1,
              5 * period + 3}
    for n in sorted(limits):
        m = machine(code)
        with pytest.raises(BudgetExceeded) as info:
            m.run_main(max_instructions=n)
        stop = _expected_stop(n, prelude, period)
        f = info.value
        assert (f.pc, f.count, m.instret) == (start, stop, stop), f"limit {n}"
        assert m.pc == start


def test_budget_is_resumable_and_equals_one_long_run() -> None:
    code, prelude, start, period = LOOPS["forward-jump-inside"]
    m = machine(code)
    for _ in range(5):
        with pytest.raises(BudgetExceeded):
            m.run_main(max_instructions=9)
    one = machine(code)
    with pytest.raises(BudgetExceeded) as info:
        one.run_main(max_instructions=m.instret)
    assert info.value.count == m.instret
    assert one.x[:32] == m.x[:32] and one.pc == m.pc  # (x[32] is a write sink)
    # Each slice overshoots to the next check point, so rounds are whole.
    assert m.x[A0] == m.x[A1] == (m.instret - prelude) // period


def test_budget_lets_a_finite_program_finish() -> None:
    code = A.addi(A0, A0, 1) + A.blt(A0, A1, -4) + A.exit_seq()
    m = machine(code)
    m.x[A1] = 50
    assert m.run_main(max_instructions=1000) == 50
    m = machine(code)
    m.x[A1] = 50
    with pytest.raises(BudgetExceeded) as info:
        m.run_main(max_instructions=31)
    assert info.value.count == 32 and info.value.pc == CODE
    assert m.run_main(max_instructions=1000) == 50
    assert m.instret == 100 + 2  # 50 rounds, then li a7 and ecall


def test_big_budget_is_not_a_hang() -> None:
    m = machine(A.jal(0, 0))
    with pytest.raises(BudgetExceeded) as info:
        m.run_main(max_instructions=20_000)
    assert info.value.count == 20_000


def test_jumping_to_the_vmcall_exit_address_from_main_is_a_counted_fault() -> None:
    from vm import EXIT_ADDR

    m = machine(A.nop() + A.li(A1, EXIT_ADDR) + A.jalr(0, A1, 0))
    with pytest.raises(FetchFault) as info:
        m.run_main()
    assert info.value.pc == EXIT_ADDR
    assert info.value.count == m.instret == 3


def test_call_a_function_by_symbol_with_budget_and_resume() -> None:
    code = b"".join([
        A.exit_seq(),                               # 0: the entry point exits at once
        A.mul(A0, A0, A0), A.jalr(0, A.RA, 0),      # 8: square(a0)
        A.addi(A0, A0, 1), A.blt(A0, A1, -4), A.jalr(0, A.RA, 0),  # 16: count(a0, a1)
    ])
    m = machine(code, symbols={"start": CODE, "square": CODE + 8, "count": CODE + 16})
    assert m.run_main() == 0
    assert m.call("square", 12) == 144
    assert m.call("square", -3) == 9
    before = m.instret
    with pytest.raises(BudgetExceeded) as info:
        m.call("count", 0, 100, budget=7)
    assert (info.value.pc, info.value.count) == (CODE + 16, before + 8)
    assert m.resume() == 100
    assert m.instret == before + 2 * 100 + 1
