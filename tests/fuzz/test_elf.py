"""Fuzz the ELF loader: mutations of a real program must load or raise ``vm.ElfError``.

The seed is ``guests/tiny.c`` compiled by the real toolchain (``tests/vm/toolchain.py``).
Mutations aim at the structures the loader reads: the ELF header, the program headers, the
section headers and the symbol table, with values chosen to break arithmetic (0, all ones,
the top bit, 2**47, the file size, page multiples), plus byte flips and truncations anywhere.
``vm.Machine(elf)`` (both engines) then ``vm.load_elf`` must raise nothing but ``VMError``.
"""

from __future__ import annotations

import functools
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.fuzz.profiles import corpus_files, examples
from tests.vm.toolchain import DEFAULT_CACHE_DIR, compile_c
from vm import Machine, MachineLimits, VMError, load_elf

LIMITS = MachineLimits(memory=4 << 20, stack=256 << 10)
ENGINES = ("interp", "translate")
GUEST = Path(__file__).parent / "guests" / "tiny.c"


@functools.cache
def seed_elf() -> bytes:
    """``guests/tiny.c`` at -O2 with compressed instructions, built once (cached on disk)."""
    return compile_c(GUEST, opt="O2", compressed=True, out_dir=DEFAULT_CACHE_DIR).read_bytes()


@functools.cache
def regions() -> tuple[tuple[int, int], ...]:
    """(start, end) of the ELF header, program headers, section headers and .symtab."""
    data = seed_elf()
    phoff, shoff = struct.unpack_from("<QQ", data, 0x20)
    phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from("<HHHHH", data, 0x36)
    out = [(0, 64), (phoff, phoff + phentsize * phnum), (shoff, shoff + shentsize * shnum)]
    for i in range(shnum):
        sh_type, _flags, _addr, off, size = struct.unpack_from("<IQQQQ", data, shoff + i * 64 + 4)
        if sh_type == 2:  # SHT_SYMTAB: its first entries
            out.append((off, off + min(size, 24 * 64)))
    return tuple(out)


#: Instructions a mutated program that loads may run (musl's start-up takes a few thousand).
RUN_BUDGET = 20_000


def check_load(data: bytes, engine: str = "interp") -> bool:
    """Build a machine from ``data`` and run its main a little; fail on anything but success
    or a ``VMError`` (a fault, the budget, an exit included). True if it loaded."""
    loaded = False
    try:
        machine = Machine(data, limits=LIMITS, engine=engine)
        loaded = True
        machine.run_main(max_instructions=RUN_BUDGET)
    except VMError as exc:
        assert str(exc).strip()
    try:
        load_elf(data)  # no memory limit: the loader's own bounds alone
    except VMError as exc:
        assert str(exc).strip()
    return loaded


def _interesting(size: int) -> st.SearchStrategy[int]:
    top = 1 << (8 * size)
    values = {0, 1, top - 1, top >> 1, (top >> 1) - 1, 0x1000, 0xFFF, 64, 56}
    if size == 8:
        values |= {1 << 47, (1 << 47) - 0x1000, len(seed_elf()), 1 << 32, 1 << 40}
    if size >= 4:
        values |= {len(seed_elf()), len(seed_elf()) - 1}
    return st.one_of(st.sampled_from(sorted(v % top for v in values)), st.integers(0, top - 1))


@st.composite
def mutated_elf(draw: st.DrawFn) -> bytes:
    data = bytearray(seed_elf())
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["field", "field", "field", "flip", "truncate"]))
        if op == "truncate":
            del data[draw(st.integers(0, len(data))):]
            continue
        if not data:
            break
        if op == "flip":
            at = draw(st.integers(0, len(data) - 1))
            data[at] ^= 1 << draw(st.integers(0, 7))
            continue
        start, end = draw(st.sampled_from(regions()))
        size = draw(st.sampled_from([1, 2, 4, 8]))
        if end - size <= start or end > len(data):
            continue
        at = draw(st.integers(start, end - size))
        data[at:at + size] = draw(_interesting(size)).to_bytes(size, "little")
    return bytes(data)


@pytest.mark.parametrize("path", corpus_files("elf"), ids=lambda p: p.name)
def test_elf_seed_corpus(path: Any) -> None:
    for engine in ENGINES:
        check_load(path.read_bytes(), engine)


def test_seed_loads() -> None:
    machine = Machine(seed_elf(), limits=LIMITS)
    machine.run_main()
    assert machine.exit_status == 0


@examples(600)
@given(mutated_elf(), st.sampled_from(ENGINES))
def test_mutated_elf(data: bytes, engine: str) -> None:
    event("loaded" if check_load(data, engine) else "refused")


@examples(100)
@given(st.binary(min_size=0, max_size=300).map(lambda tail: b"\x7fELF\x02\x01\x01" + tail))
def test_elf_magic_then_anything(data: bytes) -> None:
    check_load(data)
