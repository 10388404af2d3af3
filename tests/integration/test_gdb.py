"""Debian's gdb-multiarch, in batch mode, against the VM's GDB stub.

A C program built by the real toolchain with -g runs under ``python -m vm run --gdb``: gdb
breaks on a function and on a source line, shows a backtrace, registers, memory and locals,
steps, sees a fault as SIGSEGV and the program's exit code. A real mod (tests/hostile/mods/
crasher, built by ``mods.build`` with its debug file) is debugged around the simulation's hook
calls with ``vm.gdbserver``: the way a harness serves gdb while it runs ticks.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from game.simulation import ModImage, Simulation, TickInputs
from mods.build import build_mods
from vm.gdbserver import GdbListener

ROOT = Path(__file__).resolve().parents[2]
GUEST = ROOT / "tests" / "vm" / "guests" / "debugme.c"
CRASHER = ROOT / "tests" / "hostile" / "mods" / "crasher"
GDB = shutil.which("gdb-multiarch")
TIMEOUT = 120

pytestmark = pytest.mark.skipif(GDB is None, reason="gdb-multiarch is not installed")


def marked_line(source: Path, marker: str) -> int:
    """The 1-based number of the line of ``source`` holding ``marker``."""
    lines = source.read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if marker in text)


def gdb_batch(program: Path, port: int, commands: list[str]) -> subprocess.Popen[str]:
    """Start gdb-multiarch in batch mode on ``program``, attached to the stub at ``port``."""
    assert GDB is not None
    argv = [GDB, "-nx", "-batch", "-ex", "set pagination off", "-ex", "set confirm off",
            "-ex", f"target remote 127.0.0.1:{port}"]
    for command in commands:
        argv += ["-ex", command]
    return subprocess.Popen([*argv, str(program)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def debugme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/vm/guests/debugme.c built -O0 -g (the real toolchain)."""
    out = tmp_path_factory.mktemp("debugme") / "debugme.elf"
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "riscv64-linux-musl",
                    "-static", "-fno-sanitize=undefined", "-O0", "-g", str(GUEST), "-o",
                    str(out)], check=True, cwd=GUEST.parent, timeout=600)
    return out


def run_under_gdb(program: Path, args: list[str],
                  commands: list[str]) -> tuple[str, subprocess.CompletedProcess[str]]:
    """``python -m vm run --gdb 127.0.0.1:0 program args`` driven by a gdb batch; returns
    gdb's transcript and the VM's completed process."""
    vm = subprocess.Popen([sys.executable, "-m", "vm", "run", "--gdb", "127.0.0.1:0",
                           str(program), *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert vm.stderr is not None
    announced = vm.stderr.readline()
    found = re.search(r"target remote 127\.0\.0\.1:(\d+)", announced)
    assert found, announced
    gdb = gdb_batch(program, int(found[1]), commands)
    transcript, _ = gdb.communicate(timeout=TIMEOUT)
    out, err = vm.communicate(timeout=TIMEOUT)
    return transcript, subprocess.CompletedProcess(vm.args, vm.returncode, out,
                                                   announced + err)


def test_break_inspect_step_and_exit(debugme: Path) -> None:
    body = marked_line(GUEST, "SQUARE BODY")
    after = marked_line(GUEST, "AFTER LOOP")
    transcript, vm = run_under_gdb(debugme, [], [
        "break square", f"break debugme.c:{after}", "continue", "bt", "info registers",
        "p v", "x/4x $sp", "continue", "delete 1", "continue", "p total", "p p",
        "info locals", "p scale", "p/x $pc", "next", "next", "p d", "continue",
    ])
    assert vm.returncode == 30, (vm, transcript)  # 1 + 4 + 9 + 16
    assert vm.stdout == "total 30 45.0 37\n"
    assert re.search(rf"Breakpoint 1 at 0x[0-9a-f]+: file .*debugme\.c, line {body}\.",
                     transcript)
    assert re.search(rf"Breakpoint 1, square \(v=1\) at .*debugme\.c:{body}", transcript)
    assert re.search(rf"#0  square \(v=1\) at .*debugme\.c:{body}", transcript)
    assert re.search(r"#1  0x[0-9a-f]+ in main \(argc=1, argv=0x[0-9a-f]+\) at ", transcript)
    for reg in ("ra ", "sp ", "a0 ", "t6 ", "pc "):
        assert re.search(rf"^{reg}\s+0x[0-9a-f]+", transcript, re.M), reg
    assert "$1 = 1\n" in transcript  # p v
    assert re.search(r"^0x[0-9a-f]+:\s+0x[0-9a-f]{8}\s+0x[0-9a-f]{8}\s+0x[0-9a-f]{8}\s+"
                     r"0x[0-9a-f]{8}$", transcript, re.M)  # x/4x $sp
    assert re.search(r"Breakpoint 1, square \(v=2\)", transcript)  # continue: next call
    assert re.search(rf"Breakpoint 2, main \(argc=1, argv=0x[0-9a-f]+\) at .*debugme\.c:{after}",
                     transcript)
    assert "$2 = 30\n" in transcript  # p total
    assert "$3 = {left = 3, right = 4}\n" in transcript  # p p (before p.left += total)
    assert "$4 = 1.5\n" in transcript  # p scale
    assert "$6 = 45\n" in transcript  # p d, two lines further
    assert "[Inferior 1 (Remote target) exited with code 036]" in transcript  # 30, octal


def test_fault_is_a_signal_with_a_backtrace(debugme: Path) -> None:
    wild = marked_line(GUEST, "WILD STORE")
    transcript, vm = run_under_gdb(debugme, ["crash"], [
        "continue", "bt", "p where", "info registers pc", "continue"])
    assert vm.returncode == 128 + 11, (vm, transcript)
    assert "Program received signal SIGSEGV, Segmentation fault." in transcript
    assert re.search(rf"wreck \(where=16\) at .*debugme\.c:{wild}", transcript)
    assert re.search(r"#1  0x[0-9a-f]+ in main \(", transcript)
    assert "$1 = 16\n" in transcript
    assert "Program terminated with signal SIGSEGV, Segmentation fault." in transcript
    assert "store fault at 0x10" in vm.stderr


def test_kill_ends_the_program(debugme: Path) -> None:
    transcript, vm = run_under_gdb(debugme, [], ["break square", "continue", "kill"])
    assert "Breakpoint 1, square (v=1)" in transcript
    assert vm.returncode == 137, (vm, transcript)
    assert vm.stdout == ""


def test_a_mod_debugged_around_hook_calls(tmp_path: Path) -> None:
    mods = tmp_path / "mods"
    shutil.copytree(CRASHER, mods / "crasher")
    [built] = build_mods(mods, tmp_path / "cache")
    assert built.ok and built.path is not None and built.debug_path is not None
    sim = Simulation([ModImage("crasher", built.path.read_bytes(), memory=1 << 20,
                               stack=64 << 10, instructions=300_000)])
    machine = sim.machine("crasher")
    source = mods / "crasher" / "crasher.c"
    wild = marked_line(source, "FAULT HERE")

    listener = GdbListener("127.0.0.1", 0)
    gdb = gdb_batch(built.debug_path, listener.port, [
        "break on_tick", "continue", "bt", "p tick", "continue", "p tick", "delete",
        f"break crasher.c:{wild}", "continue", "p tick", "bt", "continue", "bt",
        "info registers pc", "delete", "continue",
    ])
    try:
        session = listener.accept(machine)  # serves gdb until it continues
        for tick in (1, 2):
            sim.step(TickInputs(tick=tick))
        session.close()  # gdb sees the program exit
        transcript, _ = gdb.communicate(timeout=TIMEOUT)
    finally:
        gdb.kill()
    assert re.search(r"Breakpoint 1, on_tick \(tick=1\) at .*crasher\.c:\d+", transcript), \
        transcript
    assert re.search(r"#0  on_tick \(tick=1\)", transcript)
    assert "$1 = 1\n" in transcript and "$2 = 2\n" in transcript
    assert re.search(rf"Breakpoint 2, .* at .*crasher\.c:{wild}", transcript)
    assert "$3 = 2\n" in transcript  # the first tick that faults
    assert "Program received signal SIGSEGV, Segmentation fault." in transcript
    assert "[Inferior 1 (Remote target) exited normally]" in transcript
    # The fault was contained as without a debugger.
    assert [(f.tick, f.kind) for f in sim.faults] == [(2, "store fault")]
