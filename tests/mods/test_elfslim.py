"""elfslim: debug sections go, loaded bytes and useful symbols stay; elfcheck's verdicts."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from mods.elfcheck import ElfCheckError, exported_hooks
from mods.elfslim import ElfSlimError, slim_elf
from mods.toolchain import TARGET

from .conftest import SHIPPED

HELLO = """\
#include <stdio.h>
static __attribute__((noinline)) int helper(int x) { return x * 3; }
__attribute__((used, retain)) int on_tick(int t) { return helper(t) + 1; }
int counter = 5;
int main(void) { printf("hello %d\\n", on_tick(counter)); return 0; }
"""


@pytest.fixture(scope="module")
def unslimmed(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A freshly linked C program, debug sections and all."""
    import sys

    tmp = tmp_path_factory.mktemp("slim")
    (tmp / "hello.c").write_text(HELLO)
    subprocess.run([sys.executable, "-m", "ziglang", "cc", *TARGET, "-O2", "-static",
                    "-fno-sanitize=undefined", "hello.c", "-o", "hello.elf"],
                   cwd=tmp, check=True, capture_output=True, timeout=600)
    return (tmp / "hello.elf").read_bytes()


def segments(data: bytes) -> list[tuple]:
    """Every segment's header (but its file offset) and its bytes past the program headers:
    slimming moves the section table and the attributes segment, which changes e_shoff,
    e_shnum and one p_offset, and nothing else a loader reads."""
    elf = ELFFile(io.BytesIO(data))
    header_end = elf.header.e_phoff + elf.header.e_phnum * elf.header.e_phentsize
    return [(s["p_type"], s["p_vaddr"], s["p_filesz"], s["p_memsz"], s["p_flags"],
             data[max(s["p_offset"], header_end):s["p_offset"] + s["p_filesz"]])
            for s in elf.iter_segments()]


def symbols(data: bytes) -> dict[str, tuple[int, str, str]]:
    elf = ELFFile(io.BytesIO(data))
    return {s.name: (s["st_value"], s["st_info"]["bind"], s["st_info"]["type"])
            for s in elf.get_section_by_name(".symtab").iter_symbols() if s.name}


def test_slim_keeps_loaded_bytes_and_function_symbols(unslimmed) -> None:
    slim = slim_elf(unslimmed)
    assert len(slim) < len(unslimmed) // 10
    assert segments(slim) == segments(unslimmed)
    assert ELFFile(io.BytesIO(slim)).header.e_entry == ELFFile(
        io.BytesIO(unslimmed)).header.e_entry
    before, after = symbols(unslimmed), symbols(slim)
    assert not any(s.name.startswith(".debug") for s in ELFFile(io.BytesIO(slim)).iter_sections())
    kept = {n for n, (_, bind, typ) in before.items()
            if typ in ("STT_FUNC", "STT_OBJECT") and not n.startswith(("$", ".L", "__anon_"))}
    assert kept <= set(after)
    for name in ("on_tick", "main", "helper", "counter", "printf"):
        assert after[name] == before[name]
    assert not any(n.startswith((".L", "$")) for n in after)
    assert slim_elf(slim) == slim  # idempotent
    assert exported_hooks(slim) == ("on_tick",)


@pytest.mark.skipif(shutil.which("qemu-riscv64") is None, reason="qemu-user not installed")
def test_slimmed_program_still_runs(unslimmed, tmp_path) -> None:
    path = tmp_path / "slim.elf"
    path.write_bytes(slim_elf(unslimmed))
    path.chmod(0o755)
    out = subprocess.run(["qemu-riscv64", str(path)], capture_output=True, timeout=60)
    assert (out.returncode, out.stdout) == (0, b"hello 16\n")


def test_slim_refuses_what_it_does_not_know() -> None:
    with pytest.raises(ElfSlimError, match="not a little-endian ELF64"):
        slim_elf(b"\x7fELF\x01\x01" + bytes(100))
    with pytest.raises(ElfSlimError):
        slim_elf(b"hello")


def test_elfcheck_rejects_unloadable_files(unslimmed) -> None:
    with pytest.raises(ElfCheckError, match="unreadable ELF"):
        exported_hooks(b"\x7fELF" + bytes(60))
    stripped = bytearray(unslimmed)
    # turn it into a shared object: e_type lives at offset 16
    stripped[16:18] = (3).to_bytes(2, "little")
    with pytest.raises(ElfCheckError, match="ET_DYN"):
        exported_hooks(bytes(stripped))


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_mods_carry_no_debug_sections(shipped, name) -> None:
    data = Path(shipped[name].path).read_bytes()
    assert slim_elf(data) == data
