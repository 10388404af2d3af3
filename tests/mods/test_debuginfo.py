"""mods.debuginfo: split debug files, pc -> file:line against llvm-addr2line, hostile DWARF."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mods.debuginfo import DebugInfo, SourceLocator, _shown, split_debug
from mods.elfslim import slim_elf
from vm.elf import load_elf

ROOT = Path(__file__).resolve().parents[2]
GUEST = ROOT / "tests" / "vm" / "guests" / "debugme.c"
ADDR2LINE = shutil.which("llvm-addr2line")
OBJCOPY = shutil.which("llvm-objcopy")

pytestmark = pytest.mark.skipif(ADDR2LINE is None or OBJCOPY is None,
                                reason="Debian's llvm tools are not installed")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """debugme.c at -O2 -g (the mods' optimisation level) and its split debug file."""
    out = tmp_path_factory.mktemp("debuginfo") / "debugme.elf"
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "riscv64-linux-musl",
                    "-static", "-O2", "-g", str(GUEST), "-o", str(out)], check=True,
                   timeout=600)
    debug = split_debug(out)
    assert debug is not None
    return out, debug


def addr2line(elf: Path, pcs: list[int]) -> list[tuple[str, str, int]]:
    """(function, file, line) per pc, by llvm-addr2line (the oracle)."""
    assert ADDR2LINE is not None
    proc = subprocess.run([ADDR2LINE, "-f", "-e", str(elf), *(hex(pc) for pc in pcs)],
                          capture_output=True, text=True, check=True)
    lines = proc.stdout.splitlines()
    out = []
    for function, where in zip(lines[::2], lines[1::2], strict=True):
        file, _, line = where.rpartition(":")
        out.append((function, file, int(line.split()[0]) if line[:1].isdigit() else 0))
    return out


def test_split_debug_holds_the_dwarf_and_the_slim_elf_none(built: tuple[Path, bytes]) -> None:
    elf, debug = built
    full = elf.read_bytes()
    assert b".debug_line" in debug and b".debug_info" in debug
    slim = slim_elf(full)
    assert b".debug_line" not in slim and len(slim) < len(full) // 10
    assert not elf.with_name(elf.name + ".debug").exists()  # the scratch copy is gone
    assert split_debug(elf, objcopy="/nonexistent/llvm-objcopy") is None


def test_lines_agree_with_addr2line(built: tuple[Path, bytes], tmp_path: Path) -> None:
    elf, debug = built
    info = DebugInfo.from_bytes(debug)
    assert info is not None
    program = load_elf(elf.read_bytes())
    start = program.functions["main"]
    pcs = list(range(start, start + 400, 2))
    checked = 0
    for pc, (function, file, line) in zip(pcs, addr2line(elf, pcs), strict=True):
        found = info.locate(pc)
        if line == 0 or Path(file).name != GUEST.name:
            continue  # no line of its own (we name the row before), or past main's code
        assert found is not None, hex(pc)
        assert (Path(found.file).name, found.line) == (Path(file).name, line), hex(pc)
        if not function.startswith("."):  # llvm-addr2line names some pcs by local labels
            assert found.function == function, hex(pc)
        checked += 1
    assert checked > 20
    # The debug file on disk gives the same answers.
    path = tmp_path / "debugme.debug"
    path.write_bytes(debug)
    again = DebugInfo.load(path)
    assert again is not None and again.locate(start) == info.locate(start)
    assert info.locate(0) is None and info.locate(1 << 63) is None


def test_locator_by_build_and_shown_paths(built: tuple[Path, bytes], tmp_path: Path) -> None:
    elf, debug = built
    path = tmp_path / "debugme.debug"
    path.write_bytes(debug)
    slim = slim_elf(elf.read_bytes())
    locator = SourceLocator()
    locator.add("debugme", slim, path)
    pc = load_elf(slim).functions["main"]
    found = locator.locate(slim, pc)
    assert found is not None and "debugme.c:" in found and found.endswith(" in main")
    assert locator.locate(slim + b"\0", pc) is None  # another build: unknown
    locator.add("nodebug", slim + b"\0\0", None)
    assert locator.locate(slim + b"\0\0", pc) is None
    assert _shown("/dev/shm/riscade-greeter-ab12/mod/greeter.nim", "greeter") == \
        "greeter/greeter.nim"
    assert _shown("/dev/shm/riscade-greeter-ab12/sdk/riscade.nim", "greeter") == \
        "sdk/riscade.nim"
    assert _shown("/elsewhere/x.c", "m") == "/elsewhere/x.c"


def test_hostile_debug_files_never_raise(built: tuple[Path, bytes]) -> None:
    _, debug = built
    assert DebugInfo.from_bytes(b"") is None
    assert DebugInfo.from_bytes(b"\x7fELF" + bytes(100)) is None
    assert DebugInfo.from_bytes(debug[:len(debug) // 3]) is None or True  # no exception
    rng = random.Random(7)
    data = bytearray(debug)
    for _ in range(40):
        flipped = bytearray(data)
        for _ in range(20):
            i = rng.randrange(len(flipped))
            flipped[i] ^= 1 << rng.randrange(8)
        info = DebugInfo.from_bytes(bytes(flipped))
        if info is not None:
            for pc in rng.sample(range(0x1000000, 0x1030000, 2), 20):
                info.locate(pc)  # None or a line: never an exception
