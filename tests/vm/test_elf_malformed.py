"""Malformed ELF files: loading raises ``ElfError`` and nothing else, quickly.

Truncated files, bit-flipped files (a real static musl program compiled once per session),
random bytes and hand-made wrong headers. A bit-flipped file that still loads must run to a
normal exit or a ``vm.Fault`` (``BudgetExceeded`` included) within its instruction budget.
"""

from __future__ import annotations

import contextlib
import random
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

import vm.machine as vm_machine
from tests.vm import asm as A
from tests.vm.elfwriter import (
    ET_DYN,
    PF_R,
    PF_W,
    PF_X,
    PT_DYNAMIC,
    PT_INTERP,
    PT_LOAD,
    RawSegment,
    make_elf,
)
from vm import ElfError, Fault, Machine, MachineLimits, Program, load_elf

LIMITS = MachineLimits(memory=4 << 20, stack=256 << 10)
ENGINES = getattr(vm_machine, "ENGINES", ("interp",))
RUN_BUDGET = 200_000
EHDR_SIZE, PHDR_SIZE, SHDR_SIZE = 64, 56, 64

PROGRAM_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned table[64];

int main(int argc, char **argv) {
    unsigned h = 2166136261u;
    for (int i = 0; i < 64; i++) { table[i] = h; h = (h ^ (unsigned)i) * 16777619u; }
    char *buf = malloc(100);
    strcpy(buf, argc > 0 ? "riscade" : "?");
    double d = 1.0;
    for (int i = 0; i < 10; i++) d = d * 1.5 + table[i % 64] / 1e9;
    printf("%s %u %.3f\n", buf, h, d);
    free(buf);
    return (int)(h & 7);
}
"""


@pytest.fixture(scope="session")
def real_elf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small C program as ``python -m ziglang cc -target riscv64-linux-musl -O2 -static``."""
    pytest.importorskip("ziglang")
    tmp = tmp_path_factory.mktemp("malformed")
    src, out = tmp / "prog.c", tmp / "prog.elf"
    src.write_text(PROGRAM_C)
    cmd = [sys.executable, "-m", "ziglang", "cc", "-target", "riscv64-linux-musl", "-O2",
           "-static", str(src), "-o", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if done.returncode:
        pytest.fail(f"zig cc failed ({done.returncode}): {done.stderr[-2000:]}")
    return out.read_bytes()


@pytest.fixture(scope="session")
def small_elf() -> bytes:
    code = b"".join([
        A.li(A.A0, 0x20000), A.ld(A.A1, A.A0, 0), A.addi(A.A1, A.A1, 1), A.sd(A.A1, A.A0, 0),
        A.addi(A.A0, A.A1, 0), A.exit_seq(),
    ])
    return make_elf(code, data=struct.pack("<Q", 41), data_addr=0x20000, bss=64,
                    symbols={"_start": 0x10000, "counter": 0x20000})


@contextlib.contextmanager
def deadline(seconds: float, what: str) -> Iterator[None]:
    """Fail (instead of hanging) if the body takes longer than ``seconds``."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"{what} took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def load_outcome(blob: bytes | Program) -> Machine | None:
    """Build a machine from ``blob``: the machine, or None if it raised ElfError."""
    try:
        return Machine(blob, limits=LIMITS)
    except ElfError:
        return None


def run_outcome(m: Machine) -> str:
    """Run a machine that loaded: it must exit or fault, nothing else."""
    try:
        status = m.run_main(max_instructions=RUN_BUDGET)
    except Fault as fault:
        return type(fault).__name__
    return f"exit {status}"


def must_reject(blob: bytes, what: str) -> None:
    with deadline(5, what):
        with pytest.raises(ElfError):
            load_elf(blob, memory_limit=LIMITS.memory - LIMITS.stack)
        with pytest.raises(ElfError):
            Machine(blob, limits=LIMITS)


def headers(blob: bytes) -> dict[str, int]:
    (e_type, e_machine, _version, entry, phoff, shoff, _flags, _ehsize, phentsize, phnum,
     shentsize, shnum, shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", blob, 16)
    return dict(entry=entry, phoff=phoff, shoff=shoff, phnum=phnum, shnum=shnum,
                shstrndx=shstrndx)


def boundaries(blob: bytes) -> set[int]:
    """File offsets where a structure starts or ends, and their neighbours."""
    h = headers(blob)
    points = {0, 1, 4, 5, 6, 7, 16, 18, 20, 24, 32, 40, 48, 52, 56, 60, 62, EHDR_SIZE,
              len(blob) - 1}
    for i in range(h["phnum"] + 1):
        points.add(h["phoff"] + i * PHDR_SIZE)
    for i in range(h["phnum"]):
        _t, _f, off, _v, _p, filesz, _m, _a = struct.unpack_from(
            "<IIQQQQQQ", blob, h["phoff"] + i * PHDR_SIZE)
        points |= {off, off + filesz}
    for i in range(h["shnum"] + 1):
        points.add(h["shoff"] + i * SHDR_SIZE)
    for i in range(h["shnum"]):
        _n, _t, _f, _a, off, size, *_ = struct.unpack_from(
            "<IIQQQQIIQQ", blob, h["shoff"] + i * SHDR_SIZE)
        points |= {off, off + size}
    near = {p + d for p in points for d in (-1, 0, 1)}
    return {p for p in near if 0 <= p < len(blob)}


# --- sanity: the unbroken files load and run -------------------------------------------------


def test_the_unbroken_files_load_and_run(small_elf: bytes, real_elf: bytes) -> None:
    m = Machine(small_elf, limits=LIMITS)
    assert m.run_main() == 42
    assert m.program.objects["counter"] == 0x20000
    m = Machine(real_elf, limits=LIMITS)
    assert m.run_main(max_instructions=RUN_BUDGET) == 5
    assert m.stdout == b"riscade 1832519941 219.859\n"


def test_loading_a_big_real_program_is_quick(real_elf: bytes) -> None:
    start = time.perf_counter()
    for _ in range(5):
        load_elf(real_elf)
    assert (time.perf_counter() - start) / 5 < 0.1


# --- truncation ------------------------------------------------------------------------------


def test_every_truncation_of_a_small_elf_is_rejected(small_elf: bytes) -> None:
    lengths = set(range(0, len(small_elf), 13)) | boundaries(small_elf)
    for n in sorted(lengths):
        with pytest.raises(ElfError):
            load_elf(small_elf[:n])
    assert len(lengths) > 700


def test_truncations_of_a_real_elf_are_rejected(real_elf: bytes) -> None:
    lengths = set(range(0, len(real_elf), 8191)) | boundaries(real_elf)
    for n in sorted(lengths):
        with deadline(5, f"loading the first {n} bytes"):
            with pytest.raises(ElfError):
                load_elf(real_elf[:n])


# --- bit flips ---------------------------------------------------------------------------------


def _regions(blob: bytes) -> list[tuple[int, int, float]]:
    """(start, end, weight) of the parts worth flipping: headers, tables, loaded bytes."""
    h = headers(blob)
    out = [(0, EHDR_SIZE, 0.15), (h["phoff"], h["phoff"] + h["phnum"] * PHDR_SIZE, 0.2),
           (h["shoff"], h["shoff"] + h["shnum"] * SHDR_SIZE, 0.15)]
    tables = []
    for i in range(h["shnum"]):
        _n, sh_type, _f, _a, off, size, *_ = struct.unpack_from(
            "<IIQQQQIIQQ", blob, h["shoff"] + i * SHDR_SIZE)
        if sh_type in (2, 3):  # SYMTAB, STRTAB
            tables.append((off, off + size))
    out += [(a, b, 0.1 / len(tables)) for a, b in tables]
    loads = []
    for i in range(h["phnum"]):
        p_type, _f, off, _v, _p, filesz, _m, _a = struct.unpack_from(
            "<IIQQQQQQ", blob, h["phoff"] + i * PHDR_SIZE)
        if p_type == PT_LOAD and filesz:
            loads.append((off, off + filesz))
    out += [(a, b, 0.4 / len(loads)) for a, b in loads]
    return out


def _flip(blob: bytes, r: random.Random, regions: list[tuple[int, int, float]]) -> tuple[
        bytes, list[tuple[int, int]]]:
    data = bytearray(blob)
    flips = []
    for _ in range(r.choice([1, 1, 1, 2, 3, 5])):
        start, end, _w = r.choices(regions, weights=[w for *_, w in regions])[0]
        at, bit = r.randrange(start, end), r.randrange(8)
        data[at] ^= 1 << bit
        flips.append((at, bit))
    return bytes(data), flips


BIT_FLIP_CASES = 1500
#: Of the flipped files that load, this many are also run.
RUN_CASES = 40
LOAD_LIMIT = LIMITS.memory - LIMITS.stack


def _count(outcomes: dict[str, int], key: str) -> None:
    outcomes[key] = outcomes.get(key, 0) + 1


def _load_and_maybe_run(blob: bytes, what: str, run: bool, outcomes: dict[str, int]) -> bool:
    """Load ``blob`` (and run it if ``run``); True if it loaded. Fails on any other error."""
    with deadline(10, what):
        try:
            program = load_elf(blob, memory_limit=LOAD_LIMIT)
        except ElfError:
            _count(outcomes, "ElfError")
            return False
        except Exception as exc:  # noqa: BLE001 - the point is that nothing else escapes
            pytest.fail(f"{what}: loading raised {type(exc).__name__}: {exc}")
        if not run:
            _count(outcomes, "loaded")
            return True
        try:
            m = load_outcome(program)
            result = "ElfError" if m is None else run_outcome(m)
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"{what}: running raised {type(exc).__name__}: {exc}")
        _count(outcomes, "exit" if result.startswith("exit") else result)
        return True


def test_bit_flipped_elfs_fail_to_load_or_run_safely(real_elf: bytes) -> None:
    r = random.Random(20240611)
    regions = _regions(real_elf)
    outcomes: dict[str, int] = {}
    ran = 0
    for case in range(BIT_FLIP_CASES):
        blob, flips = _flip(real_elf, r, regions)
        if _load_and_maybe_run(blob, f"case {case}, flips {flips}", ran < RUN_CASES, outcomes):
            ran += 1
    assert outcomes.get("ElfError", 0) > 200, outcomes
    assert outcomes.get("loaded", 0) > 200, outcomes
    assert outcomes.get("exit", 0) > 10, outcomes


def _executed_code(real_elf: bytes) -> list[tuple[int, int]]:
    """(file offset, size) of every instruction a clean run decodes."""
    program = load_elf(real_elf)
    Machine(program, limits=LIMITS).run_main(max_instructions=RUN_BUDGET)
    h = headers(real_elf)
    text = []
    for i in range(h["phnum"]):
        p_type, flags, off, vaddr, _p, filesz, _m, _a = struct.unpack_from(
            "<IIQQQQQQ", real_elf, h["phoff"] + i * PHDR_SIZE)
        if p_type == PT_LOAD and flags & PF_X:
            text.append((vaddr, off, filesz))
    out = set()
    for block in program.decode_cache.values():
        for pc, ins in block:
            for vaddr, off, filesz in text:
                if vaddr <= pc < vaddr + filesz:
                    out.add((off + pc - vaddr, ins.size))
    return sorted(out)


def _ending(program: Program, engine: str) -> tuple:
    """How a run ends, in every observable detail: kind, pc, address, count, output."""
    m = Machine(program, limits=LIMITS, engine=engine)
    try:
        status = m.run_main(max_instructions=RUN_BUDGET)
    except Fault as fault:
        return (type(fault).__name__, fault.pc, fault.addr, fault.count, fault.symbol,
                m.x[:32], bytes(m.stdout))
    return ("exit", status, m.instret, m.x[:32], bytes(m.stdout))


#: Of the code flips, this many also run on every other engine, which must end alike.
ENGINE_CASES = 8


def test_bit_flips_in_executed_code_run_safely(real_elf: bytes) -> None:
    """Flip bits inside instructions the program really executes: it must still end in an
    exit or a Fault (garbage instructions, wild jumps and stores, odd syscalls), and every
    engine must end it in the same way."""
    r = random.Random(1234)
    executed = _executed_code(real_elf)
    outcomes: dict[str, int] = {}
    for case in range(100):
        blob = bytearray(real_elf)
        flips = []
        for _ in range(r.choice([1, 1, 2])):
            at, size = r.choice(executed)
            bit = r.randrange(8 * size)
            blob[at + bit // 8] ^= 1 << (bit % 8)
            flips.append((at, bit))
        what = f"code case {case}, flips {flips}"
        assert _load_and_maybe_run(bytes(blob), what, True, outcomes)
        if case < ENGINE_CASES:
            program = load_elf(bytes(blob), memory_limit=LOAD_LIMIT)
            with deadline(20, what):
                endings = {engine: _ending(program, engine) for engine in ENGINES}
            for engine, ending in endings.items():
                assert ending == endings["interp"], f"{what}: {engine} ends differently"
    faults = sum(v for k, v in outcomes.items() if k != "exit")
    assert faults > 30 and outcomes.get("exit", 0) > 10, outcomes


def test_bit_flips_of_the_small_elf(small_elf: bytes) -> None:
    r = random.Random(7)
    for case in range(1000):
        blob = bytearray(small_elf)
        for _ in range(r.choice([1, 2, 4])):
            at = r.randrange(len(blob)) if r.random() < 0.3 else r.choice(
                [r.randrange(0, 64 + 2 * PHDR_SIZE), r.randrange(len(blob) - 7 * SHDR_SIZE,
                                                                 len(blob))])
            blob[at] ^= 1 << r.randrange(8)
        _load_and_maybe_run(bytes(blob), f"small case {case}", True, {})


# --- random bytes -------------------------------------------------------------------------------


def test_random_bytes_are_rejected() -> None:
    r = random.Random(99)
    for _ in range(300):
        blob = r.randbytes(r.choice([0, 1, 3, 63, 64, 65, 200, 1000, 5000]))
        must_reject(blob, "random bytes")
    # Random bodies behind a valid identification, so the header parser is reached.
    ident = b"\x7fELF\x02\x01\x01" + bytes(9)
    for _ in range(300):
        body = bytearray(r.randbytes(r.choice([48, 100, 600, 3000])))
        if r.random() < 0.5:
            struct.pack_into("<HH", body, 0, 2, 243)  # ET_EXEC, EM_RISCV
        must_reject(ident + bytes(body), "random body")


# --- hand-made wrong files --------------------------------------------------------------------

CODE = A.addi(A.A0, 0, 3) + A.exit_seq()


def patched(blob: bytes, offset: int, fmt: str, value: int) -> bytes:
    out = bytearray(blob)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def phdr_field(index: int, field: str) -> int:
    """File offset of a program header field (make_elf puts the table at 64)."""
    fields = {"type": 0, "flags": 4, "offset": 8, "vaddr": 16, "filesz": 32, "memsz": 40}
    return EHDR_SIZE + index * PHDR_SIZE + fields[field]


def section_offset(blob: bytes, name: str) -> int:
    """File offset of the section header named ``name``."""
    h = headers(blob)
    _n, _t, _f, _a, str_off, *_ = struct.unpack_from(
        "<IIQQQQIIQQ", blob, h["shoff"] + h["shstrndx"] * SHDR_SIZE)
    for i in range(h["shnum"]):
        at = h["shoff"] + i * SHDR_SIZE
        name_at = struct.unpack_from("<I", blob, at)[0]
        end = blob.index(b"\0", str_off + name_at)
        if blob[str_off + name_at:end].decode() == name:
            return at
    raise KeyError(name)


def _cases() -> dict[str, bytes]:
    good = make_elf(CODE, data=b"d" * 32, symbols={"main": 0x10000})
    symtab = section_offset(good, ".symtab")
    shoff = headers(good)["shoff"]
    return {
        "32-bit class": make_elf(CODE, ei_class=1),
        "class none": make_elf(CODE, ei_class=0),
        "big-endian": make_elf(CODE, ei_data=2),
        "endianness none": make_elf(CODE, ei_data=0),
        "x86-64 machine": make_elf(CODE, e_machine=62),
        "machine none": make_elf(CODE, e_machine=0),
        "ET_DYN": make_elf(CODE, e_type=ET_DYN),
        "ET_REL": make_elf(CODE, e_type=1),
        "ET_CORE": make_elf(CODE, e_type=4),
        "PT_INTERP": make_elf(CODE, extra_segments=[
            RawSegment(0x30000, b"/lib/ld-musl-riscv64.so.1\0", PF_R, p_type=PT_INTERP)]),
        "PT_DYNAMIC": make_elf(CODE, extra_segments=[
            RawSegment(0x30000, bytes(16), PF_R | PF_W, p_type=PT_DYNAMIC)]),
        "W+X code": make_elf(CODE, code_flags=PF_R | PF_W | PF_X),
        "W+X data": make_elf(CODE, data=b"x" * 8, data_flags=PF_R | PF_W | PF_X),
        "W+X extra": make_elf(CODE, extra_segments=[
            RawSegment(0x40000, A.nop(), PF_R | PF_W | PF_X)]),
        "overlapping code and rodata": make_elf(CODE, extra_segments=[
            RawSegment(0x10004, b"ro", PF_R)]),
        "overlapping data and code": make_elf(CODE, data=b"x" * 8, data_addr=0x10000 + 4),
        "same segment twice": make_elf(CODE, extra_segments=[RawSegment(0x10000, CODE,
                                                                         PF_R | PF_X)]),
        "read-only above writable": make_elf(CODE, data=b"x", extra_segments=[
            RawSegment(0x40000, b"ro", PF_R)]),
        "data far beyond the memory limit": make_elf(CODE, data=b"x", data_addr=0x10000
                                                     + (64 << 20)),
        "bss beyond the memory limit": make_elf(CODE, data=b"x", bss=64 << 20),
        "bss of 2 GiB": make_elf(CODE, data=b"x", bss=2 << 30),
        "bss of 2**46": make_elf(CODE, data=b"x", bss=1 << 46),
        "code beyond 2**47": make_elf(CODE, code_addr=1 << 47),
        "code in the null page": make_elf(CODE, code_addr=0x800),
        "code at 0": make_elf(CODE, code_addr=0),
        "no entry point": make_elf(CODE, entry=0),
        "entry in data": make_elf(CODE, data=b"x" * 16, data_addr=0x20000, entry=0x20000),
        "entry past the code": make_elf(CODE, entry=0x10000 + len(CODE)),
        "entry in unmapped memory": make_elf(CODE, entry=0x5000000),
        "no PT_LOAD": patched(patched(good, phdr_field(0, "type"), "<I", 4),
                              phdr_field(1, "type"), "<I", 4),
        "only empty segments": patched(patched(good, phdr_field(0, "memsz"), "<Q", 0),
                                       phdr_field(0, "filesz"), "<Q", 0),
        "filesz > memsz": make_elf(CODE, extra_segments=[
            RawSegment(0x40000, b"abcdefgh", PF_R, memsz=4)]),
        "segment past the end of the file": patched(good, phdr_field(0, "offset"), "<Q",
                                                    len(good) - 4),
        "segment offset overflow": patched(good, phdr_field(0, "offset"), "<Q", (1 << 64) - 8),
        "segment filesz huge": patched(good, phdr_field(0, "filesz"), "<Q", 1 << 62),
        "segment memsz 2**63": patched(good, phdr_field(1, "memsz"), "<Q", 1 << 63),
        "segment vaddr wraps": patched(good, phdr_field(1, "vaddr"), "<Q", (1 << 64) - 16),
        "no program headers": patched(good, 56, "<H", 0),
        "phoff past the end": patched(good, 32, "<Q", len(good) + 100),
        "phoff huge": patched(good, 32, "<Q", 1 << 63),
        "phentsize 0": patched(good, 54, "<H", 0),
        "phentsize 8": patched(good, 54, "<H", 8),
        "PN_XNUM with a huge real count": patched(patched(good, 56, "<H", 0xFFFF),
                                                  shoff + 44, "<I", 0xFFFFFFFF),
        "shentsize 0, shnum 0, huge section 0": patched(patched(patched(
            good, 58, "<H", 0), 60, "<H", 0), shoff + 32, "<Q", 1 << 40),
        "shoff past the end": patched(good, 40, "<Q", len(good) + 64),
        "shnum past the end": patched(good, 60, "<H", 0xFF00),
        "shstrndx out of range": patched(good, 62, "<H", 200),
        "symtab entsize 0": patched(good, symtab + 56, "<Q", 0),
        "symtab entsize 1": patched(good, symtab + 56, "<Q", 1),
        "symtab size huge": patched(good, symtab + 32, "<Q", 1 << 62),
        "symtab past the end": patched(good, symtab + 24, "<Q", len(good) + 8),
        "symtab link out of range": patched(good, symtab + 40, "<I", 500),
        "symtab link to itself": patched(good, symtab + 40, "<I",
                                         (symtab - shoff) // SHDR_SIZE),
        "strtab past the end": patched(good, symtab + SHDR_SIZE + 24, "<Q", len(good) * 4),
    }


CASES = _cases()


@pytest.mark.parametrize("name", CASES)
def test_wrong_file_is_rejected(name: str) -> None:
    must_reject(CASES[name], name)


def test_memory_too_small_for_the_program_is_an_elf_error() -> None:
    blob = make_elf(CODE, data=b"x", bss=4 << 20)
    with pytest.raises(ElfError):
        Machine(blob, limits=LIMITS)
    assert Machine(blob).run_main() == 3  # fits the default 16 MiB


def test_symbol_names_may_be_odd_but_load() -> None:
    """Symbols with no terminating NUL, name offsets past the table or non-UTF-8 names are
    tolerated: the program has no use for them."""
    good = make_elf(CODE, symbols={"main": 0x10000, "\u00e9t\u00e9": 0x10004})
    strtab = section_offset(good, ".strtab")
    _n, _t, _f, _a, off, size, *_ = struct.unpack_from("<IIQQQQIIQQ", good, strtab)
    blob = bytearray(good)
    blob[off + size - 1] = ord("x")  # the last name loses its NUL
    blob[off + 1] = 0xFF  # invalid UTF-8 in the first name
    m = Machine(bytes(blob), limits=LIMITS)
    assert m.run_main() == 3
    assert len(m.program.functions) == 2


def test_program_header_address_without_pt_phdr() -> None:
    """AT_PHDR comes from PT_PHDR, else from the PT_LOAD that maps the table, else 0."""
    # The table is in no segment (the code segment starts at file offset 0x1000, not 0).
    assert load_elf(make_elf(CODE + A.nop() * 128)).phdr_addr == 0
    blob = make_elf(CODE, extra_segments=[RawSegment(0x8000, bytes(0x100), PF_R)])
    blob = patched(blob, phdr_field(1, "offset"), "<Q", 0)  # map file bytes 0..0x100
    m = Machine(blob, limits=LIMITS)
    assert m.program.phdr_addr == 0x8000 + EHDR_SIZE
    assert m.memory.read(0x8000 + EHDR_SIZE, 2 * PHDR_SIZE) == blob[EHDR_SIZE:EHDR_SIZE
                                                                      + 2 * PHDR_SIZE]
    assert m.run_main() == 3


def test_huge_segments_are_rejected_before_anything_is_allocated() -> None:
    import tracemalloc

    for bss in (256 << 20, 2 << 30, 1 << 40):
        blob = make_elf(CODE, data=b"x", bss=bss)
        tracemalloc.start()
        try:
            with pytest.raises(ElfError):
                Machine(blob, limits=LIMITS)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 64 << 20, f"bss {bss}: {peak} bytes allocated before rejecting"
