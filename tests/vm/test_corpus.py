"""Differential test: every C program of tests/programs, in four builds each, must behave
under the riscade VM (`python -m vm run`) exactly as under qemu-riscv64: same stdout bytes,
same stderr bytes, same exit status.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.vm.toolchain import DEFAULT_CACHE_DIR, OPT_LEVELS, compile_c, run_qemu

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS_DIR = ROOT / "tests" / "programs"
PROGRAMS = sorted(p.stem for p in PROGRAMS_DIR.glob("*.c"))

# Command-line arguments for programs that read argv; the others get none.
ARGS: dict[str, list[str]] = {
    "argv_echo": ["alpha", "-17", "0x20", "two words", "", "ünïcode"],
}

MAX_INSTRUCTIONS = 200_000_000
VM_TIMEOUT = 900  # seconds: the largest programs run ~30 M instructions at -O0
COMPILE_WORKERS = 2

Variant = tuple[str, str, bool]  # (program, opt, compressed)
VARIANTS: list[Variant] = [
    (name, opt, compressed)
    for name in PROGRAMS
    for opt in OPT_LEVELS
    for compressed in (True, False)
]


def _variant_id(v: Variant) -> str:
    name, opt, compressed = v
    return f"{name}-{opt}-{'rvc' if compressed else 'norvc'}"


@pytest.fixture(scope="session")
def builds() -> dict[Variant, Future[Path]]:
    """Compile every variant up front, two at a time; a test's `.result()` re-raises its own
    compile failure, so one broken program fails only its own tests."""
    with ThreadPoolExecutor(max_workers=COMPILE_WORKERS) as pool:
        futures = {
            v: pool.submit(
                compile_c, PROGRAMS_DIR / f"{v[0]}.c", opt=v[1], compressed=v[2],
                out_dir=DEFAULT_CACHE_DIR,
            )
            for v in VARIANTS
        }
    return futures


def run_vm(elf: Path, args: list[str]) -> tuple[bytes, bytes, int]:
    proc = subprocess.run(
        [sys.executable, "-m", "vm", "run", "--max-instructions", str(MAX_INSTRUCTIONS),
         str(elf), *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=VM_TIMEOUT,
    )
    return proc.stdout, proc.stderr, proc.returncode


def _first_difference(stream: str, want: bytes, got: bytes) -> str:
    want_lines, got_lines = want.splitlines(keepends=True), got.splitlines(keepends=True)
    for i, (w, g) in enumerate(zip(want_lines, got_lines, strict=False)):
        if w != g:
            return f"{stream} line {i + 1}:\n  qemu: {w!r}\n  vm:   {g!r}"
    return (f"{stream}: qemu wrote {len(want_lines)} lines ({len(want)} bytes), "
            f"vm wrote {len(got_lines)} lines ({len(got)} bytes)")


def describe_mismatch(want: tuple[bytes, bytes, int], got: tuple[bytes, bytes, int]) -> str:
    parts = []
    if want[2] != got[2]:
        parts.append(f"exit status: qemu {want[2]}, vm {got[2]}")
    for index, stream in ((0, "stdout"), (1, "stderr")):
        if want[index] != got[index]:
            parts.append(_first_difference(stream, want[index], got[index]))
    tail = got[1][-2000:].decode(errors="replace")
    return "\n".join(parts) + (f"\n--- vm stderr (tail) ---\n{tail}" if tail else "")


@pytest.mark.parametrize("variant", VARIANTS, ids=_variant_id)
def test_program_matches_qemu(variant: Variant, builds: dict[Variant, Future[Path]]) -> None:
    elf = builds[variant].result()
    args = ARGS.get(variant[0], [])
    want = run_qemu(elf, args)
    got = run_vm(elf, args)
    if got != want:
        pytest.fail(describe_mismatch(want, got), pytrace=False)
