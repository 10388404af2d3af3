"""``python -m vm run`` (and ``riscade run``) on a program the VM cannot load: one line on
stderr naming the file and the reason, exit status 127, never a traceback. Real processes on
the malformed ELF files of the fuzz corpus."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus" / "elf"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120, check=False)


@pytest.mark.parametrize("name, reason", [
    ("truncated-phdrs.bin", "malformed ELF"),
    ("wx-extra.bin", "writable and executable"),
    ("memsz-huge.bin", "more than the memory limit"),
    ("entry-top.bin", "not inside an executable segment"),
])
def test_a_corrupt_elf_is_one_line_and_127(name: str, reason: str) -> None:
    elf = CORPUS / name
    done = run("-m", "vm", "run", str(elf))
    assert done.returncode == 127
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"riscade-vm: cannot load {elf}: ")
    assert reason in done.stderr


def test_bytes_that_are_no_elf_at_all(tmp_path: Path) -> None:
    junk = tmp_path / "junk.elf"
    junk.write_bytes(b"\x7fELF" + bytes(range(256)) * 4)
    done = run("riscade_cli.py", "run", str(junk))
    assert done.returncode == 127
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"riscade-vm: cannot load {junk}: ")


def test_limits_the_vm_refuses_are_one_line_too() -> None:
    done = run("-m", "vm", "run", "--memory", "5000", str(CORPUS / "minimal-exit.bin"))
    assert done.returncode == 127
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert "multiples of 4096" in done.stderr


def test_the_sound_program_of_the_corpus_runs() -> None:
    """The corpus files are corrupt copies of this one, which loads and exits 0."""
    done = run("-m", "vm", "run", str(CORPUS / "minimal-exit.bin"))
    assert (done.returncode, done.stderr) == (0, "")
