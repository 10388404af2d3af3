"""Fuzz the instruction decoder: any parcel, word or byte run decodes, and runs or faults.

``vm.decoder`` has no error of its own: anything it cannot decode is ``Instr("illegal")``.
So decoding must never raise, and every record it returns must be well formed. Byte runs are
also run as a program in both engines: nothing but a ``VMError`` may come out, and both
engines must end in the same place (registers, instruction count, fault kind and pc).
"""

from __future__ import annotations

import random
import struct

from hypothesis import event, given
from hypothesis import strategies as st

from tests.fuzz.profiles import examples
from tests.vm.elfwriter import make_elf
from vm import Fault, Machine, MachineLimits, VMError
from vm.decoder import TERMINATORS, Instr, decode, decode32, decode_run

CODE = 0x10000
DATA = 0x40000
LIMITS = MachineLimits(memory=1 << 20, stack=64 << 10)
RUN_BUDGET = 5_000


def check_instr(ins: Instr, raw: int) -> None:
    """Fail if ``ins`` is not a well-formed record for the parcel(s) ``raw``."""
    assert isinstance(ins, Instr) and isinstance(ins.op, str) and ins.op
    compressed = raw & 3 != 3
    assert ins.size == (2 if compressed else 4)
    for reg in (ins.rd, ins.rs1, ins.rs2, ins.rs3):
        assert 0 <= reg < 32
    assert 0 <= ins.rm < 8
    assert -(1 << 32) <= ins.imm < 1 << 32


def test_every_compressed_parcel() -> None:
    """All 49,152 16-bit parcels (exhaustive: cheaper than sampling them)."""
    for h in range(1 << 16):
        if h & 3 != 3:
            check_instr(decode(h, 0xFFFF), h)


@examples(2000)
@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
def test_any_two_parcels(lo: int, hi: int) -> None:
    check_instr(decode(lo, hi), lo)


@examples(2000)
@given(st.integers(0, (1 << 30) - 1).map(lambda w: (w << 2) | 3))
def test_any_32_bit_word(w: int) -> None:
    ins = decode32(w)
    check_instr(ins, w)
    assert ins.op == "illegal" or ins.raw == w


def _fetcher(code: bytes):
    def fetch16(addr: int) -> int | None:
        off = addr - CODE
        if off < 0 or off + 2 > len(code):
            return None
        return code[off] | code[off + 1] << 8
    return fetch16


@examples(500)
@given(st.binary(max_size=64), st.integers(0, 31).map(lambda k: 2 * k), st.integers(1, 40))
def test_decode_run_over_bytes(code: bytes, start: int, limit: int) -> None:
    run = decode_run(_fetcher(code), CODE + start, limit, TERMINATORS)
    assert len(run) <= limit
    at = CODE + start
    for i, (pc, ins) in enumerate(run):
        assert pc == at
        assert pc + ins.size <= CODE + len(code) or ins.op == "illegal"
        assert ins.op not in TERMINATORS or i == len(run) - 1
        at += ins.size


def _valid_pool() -> list[int]:
    """Words (and compressed parcels followed by c.nop) that decode to an instruction, drawn
    once with a fixed seed, so runs go past their first instruction."""
    rng = random.Random(11)
    words = [w for w in (rng.getrandbits(30) << 2 | 3 for _ in range(20_000))
             if decode32(w).op != "illegal"]
    halves = [h | 0x0001 << 16 for h in range(1 << 16)
              if h & 3 != 3 and decode(h, 0).op != "illegal"]
    return sorted(set(words[:4000] + halves[::8]))


#: ``lui rN, DATA >> 12`` for every register but sp: loads and stores mostly land in data.
_PRELUDE = b"".join(struct.pack("<I", (DATA >> 12) << 12 | r << 7 | 0x37)
                    for r in range(1, 32) if r != 2)
programs = st.one_of(
    st.binary(min_size=2, max_size=96),
    st.lists(st.sampled_from(_valid_pool()), min_size=1, max_size=24).map(
        lambda ws: _PRELUDE + b"".join(struct.pack("<I", w) for w in ws)
    ),
)


def _outcome(code: bytes, engine: str) -> tuple[object, ...]:
    elf = make_elf(code + b"\x73\x00\x10\x00", data=bytes(4096), data_addr=DATA, bss=4096)
    machine = Machine(elf,
                      limits=LIMITS, engine=engine)
    try:
        machine.run_main(max_instructions=RUN_BUDGET)
        ending: tuple[object, ...] = ("exit", machine.exit_status)
    except Fault as exc:
        ending = (type(exc).__name__, exc.pc, exc.addr)
    except VMError as exc:
        ending = (type(exc).__name__, str(exc))
    return (*ending, machine.instret, tuple(machine.x[:32]), tuple(machine.f))


@examples(300)
@given(programs)
def test_run_random_code_in_both_engines(code: bytes) -> None:
    outcome = _outcome(code, "interp")
    event(f"{outcome[0]}, {'over' if outcome[-3] > 40 else 'up to'} 40 instructions")
    assert outcome == _outcome(code, "translate")
